//! Layer-probes lab: a linear probe trained on each layer's frozen vectors shows which layers hold
//! a word's part of speech and which a message's intent, for the pretrained encoder, its
//! random-init twin and (when picked) a fine-tuned model saved in the browser. The probes take
//! about a minute in a tab, so they run on a button, with a progress bar.

use leptos::prelude::*;

use super::job_status::JobStatus;
use crate::charts::Series;
use crate::client;
use crate::lab_state::ProbesState;
use crate::labs::{chart_figure, publish_answers, SavedModelField, SelectField};
use crate::prediction::Observation;
use crate::saved_models::{self, SavedModel};
use crate::url_state::ControlPolicy;
use crate::worker_query::start_job;
use bertlab_protocol::messages::{JobId, Outcome, ProbeRequest, Progress, Request, TrainedModel};
use bertlab_protocol::probes::{ProbeReport, ProbeTask};

#[component]
pub fn ProbesWidget(
    /// The widget's state (the URL's on a lab page, a lesson step's otherwise).
    state: RwSignal<ProbesState>,
    /// Which controls are hidden or locked.
    policy: ControlPolicy,
) -> impl IntoView {
    let saved = RwSignal::new(Vec::<SavedModel>::new());
    saved_models::refresh(saved, |_| {});
    let job = RwSignal::new(None::<JobId>);
    let message = RwSignal::new(String::new());
    let progress = RwSignal::new(None::<Progress>);
    let report = RwSignal::new(None::<ProbeReport>);
    let run = move |_| {
        let (task, tuned) = state.with_untracked(|s| (s.task, s.tuned.clone()));
        progress.set(None);
        message.set("Reading the data through each encoder…".to_string());
        start_job(
            Request::LayerProbes(ProbeRequest {
                model: None,
                task,
                tuned: (!tuned.is_empty()).then_some(TrainedModel::Saved(tuned)),
            }),
            job,
            message,
            move |p| progress.set(Some(p)),
            move |outcome| match outcome {
                Outcome::LayerProbes(done) => {
                    report.set(Some(done));
                    Some(String::new())
                }
                _ => None,
            },
        );
    };
    publish_answers(move || {
        let best = report.with(|r| {
            r.as_ref()
                .and_then(|r| r.curves.iter().find(|c| c.encoder == "pretrained"))
                .map(|c| best_layer(&c.accuracy))
        })?;
        Some(Observation::Count {
            value: best as u64,
            what: "for the pretrained encoder's best layer",
        })
    });
    let cancel = move |_| {
        if let Some(running) = job.get_untracked() {
            client::cancel(running);
        }
    };
    let (lock_task, lock_tuned) = (policy.locked("task"), policy.locked("tuned"));
    view! {
        <div class="lab probes-lab">
            <div class="controls">
                <SelectField id="probe-task" label="Probe for" locked=lock_task
                    options=ProbeTask::ALL.into_iter().map(|t| (t, t.describe().to_string())).collect()
                    value=Signal::derive(move || state.with(|s| s.task))
                    on_pick=Callback::new(move |t| state.update(|s| s.task = t)) />
                <SavedModelField id="probe-tuned" locked=lock_tuned saved=saved
                    value=Signal::derive(move || state.with(|s| s.tuned.clone()))
                    on_pick=Callback::new(move |name| state.update(|s| s.tuned = name)) />
                <button id="probe-run" class="primary" disabled=move || job.get().is_some() on:click=run>"Run the probes"</button>
                <button id="probe-cancel" disabled=move || job.get().is_none() on:click=cancel>"Cancel"</button>
            </div>
            <JobStatus job=job progress=progress message=message bar_id="probe-progress" />
            {move || report.get().map(|r| view! { <Report report=r /> })}
        </div>
    }
}

/// The layer whose probe scores highest (the lowest such layer on a tie).
fn best_layer(accuracy: &[f32]) -> usize {
    (0..accuracy.len()).fold(0, |b, l| if accuracy[l] > accuracy[b] { l } else { b })
}

/// The accuracy-per-layer chart, the table behind it and what it shows.
#[component]
fn Report(
    /// The probes' outcome.
    report: ProbeReport,
) -> impl IntoView {
    let percent = |a: f32| f64::from(a) * 100.0;
    let layers = report.curves.first().map_or(0, |c| c.accuracy.len());
    let mut series: Vec<Series> = report
        .curves
        .iter()
        .map(|c| Series {
            label: c.encoder.clone(),
            points: c
                .accuracy
                .iter()
                .enumerate()
                .map(|(l, &a)| (l as f64, percent(a)))
                .collect(),
            dashed: false,
            colour: None,
        })
        .collect();
    series.push(Series {
        label: report.baseline_name.clone(),
        points: vec![
            (0.0, percent(report.baseline)),
            ((layers.max(2) - 1) as f64, percent(report.baseline)),
        ],
        dashed: true,
        colour: None,
    });
    let summary: Vec<String> = report
        .curves
        .iter()
        .map(|c| {
            let top = best_layer(&c.accuracy);
            format!(
                "{}: best at layer {top} ({:.1}%)",
                c.encoder,
                percent(c.accuracy[top])
            )
        })
        .collect();
    let caption = format!("Probe accuracy per layer ({})", report.task.unit());
    view! {
        <p class="meta" id="probe-summary">{format!(
            "Trained on {} {unit}, scored on {} held-out {unit}. {}. {}: {:.1}%; always the commonest class: {:.1}%.",
            report.train_items,
            report.test_items,
            summary.join("; "),
            report.baseline_name,
            percent(report.baseline),
            percent(report.majority),
            unit = report.task.unit(),
        )}</p>
        {chart_figure(&series, &caption, "layer (0 = embeddings)", "held-out accuracy (%)")}
        <table class="probe-table">
            <caption>"Held-out accuracy (%) of the probe at each layer"</caption>
            <thead><tr><th scope="col">"encoder"</th>
                {(0..layers).map(|l| view! { <th scope="col">{l.to_string()}</th> }).collect_view()}
            </tr></thead>
            <tbody>
                {report.curves.iter().map(|c| {
                    let top = best_layer(&c.accuracy);
                    view! {
                        <tr><th scope="row">{c.encoder.clone()}</th>
                            {c.accuracy.iter().enumerate().map(|(l, &a)| {
                                let cell = format!("{:.1}", percent(a));
                                if l == top { view! { <td><strong>{cell}</strong></td> }.into_any() } else { view! { <td>{cell}</td> }.into_any() }
                            }).collect_view()}
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}
