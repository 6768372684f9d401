//! The offer to resume the training runs that a reload, a closed tab or a crashed worker cut off:
//! the worker saves a run every few seconds, and a training lab asks it on opening and after a
//! failure.

use leptos::prelude::*;

use crate::client::{self, WorkerStatus};
use bertlab_protocol::messages::{
    InterruptedRun, Outcome, Reply, Request, SavedRequest, TrainingLab,
};

/// Asks the worker for `lab`'s runs saved but never finished, into `offer`.
pub fn look_for_interrupted_runs(
    status: RwSignal<WorkerStatus>,
    lab: TrainingLab,
    offer: RwSignal<Vec<InterruptedRun>>,
) {
    ask(status, Request::InterruptedRuns { lab }, offer);
}

fn ask(status: RwSignal<WorkerStatus>, request: Request, offer: RwSignal<Vec<InterruptedRun>>) {
    let sent = client::run(status, request, move |reply| {
        if let Reply::Done(Outcome::Interrupted(runs)) = reply {
            offer.set(runs);
        }
    });
    if let Err(e) = sent {
        web_sys::console::warn_1(&e.into());
    }
}

/// How long ago `ms` (since the epoch) was, in words.
fn ago(ms: f64) -> String {
    let minutes = ((js_sys::Date::now() - ms) / 60_000.0).max(0.0).round() as u64;
    match minutes {
        0 => "less than a minute ago".to_string(),
        1 => "a minute ago".to_string(),
        m if m < 120 => format!("{m} minutes ago"),
        m => format!("{} hours ago", m / 60),
    }
}

/// What a saved run was, in a few words.
fn describe(request: &SavedRequest) -> String {
    match request {
        SavedRequest::Finetune(r) => format!(
            "{} on {}",
            r.approach.describe(),
            match r.csv {
                Some(_) => "your CSV",
                None => r.dataset.describe(),
            }
        ),
        SavedRequest::Pretrain(r) => format!(
            "recipe {} ({} masking, {:?} sentence task)",
            if r.lane == 0 { "A" } else { "B" },
            if r.dynamic_masking {
                "dynamic"
            } else {
                "static"
            },
            r.pair_task
        ),
    }
}

/// "A run stopped before it finished: resume it or discard it", while one is saved and no run
/// goes.
#[component]
pub fn InterruptedRunOffer(
    /// Whose runs these are.
    lab: TrainingLab,
    /// The saved runs, if any.
    offer: RwSignal<Vec<InterruptedRun>>,
    /// Whether a run is going (the offer waits until it ends).
    busy: Signal<bool>,
    /// Continues the saved runs.
    on_resume: Callback<Vec<InterruptedRun>>,
) -> impl IntoView {
    let status = expect_context::<RwSignal<WorkerStatus>>();
    let discard = move |_| ask(status, Request::DiscardInterruptedRuns { lab }, offer);
    move || {
        let runs = offer.get();
        if runs.is_empty() || busy.get() {
            return None;
        }
        let each: Vec<String> = runs
            .iter()
            .map(|run| {
                format!(
                    "{}, saved at update {} of {} ({})",
                    describe(&run.request),
                    run.step,
                    run.total_steps,
                    ago(run.saved_at_ms),
                )
            })
            .collect();
        let text =
            format!(
            "{} before {} finished: {}. Resuming continues from the saved update with the same \
             settings.",
            if runs.len() == 1 { "A run stopped" } else { "Runs stopped" },
            if runs.len() == 1 { "it" } else { "they" },
            each.join("; ")
        );
        Some(view! {
            <div class="notice interrupted-run" role="status">
                <p>{text}</p>
                <button class="primary resume-saved" on:click=move |_| on_resume.run(runs.clone())>"Resume"</button>
                <button class="discard-saved" on:click=discard>"Discard"</button>
            </div>
        })
    }
}
