//! Fine-tuning lab: train a sentence classifier in the worker — a bag-of-words baseline, a frozen
//! encoder under a new head, full fine-tuning, or the same model from random weights — watch its
//! loss live, pause, resume or stop it, and collect each run as a line of the experiment sheet,
//! with a label-efficiency chart (accuracy against the number of labelled examples). Every trained
//! encoder is saved in the browser as a Hugging Face folder (ZIP) to download or delete.

use leptos::prelude::*;

use crate::client::{self, WorkerStatus};
use crate::lab_state::FineTuneState;
use crate::labs::run_clock::{ClockLine, RunClock};
use crate::labs::training_views::{efficiency_chart, loss_chart, TrainingCloud};
use crate::labs::transfer_table::TransferTable;
use crate::labs::{
    look_for_interrupted_runs, publish_answers, CheckField, ClassifyBox, GpuLossDrillWhileTraining,
    InterruptedRunOffer, ModelPicker, NumberField, SelectField,
};
use crate::prediction::{shown_percent, Observation};
use crate::saved_models::{self, SavedModel};
use crate::stored;
use crate::tech_note::technical_note;
use crate::url_state::ControlPolicy;
use bertlab_protocol::features::FeatureCloud;
use bertlab_protocol::messages::{
    FinetuneRequest, InterruptedRun, JobId, Outcome, Reply, Request, SavedRequest, ShippedSet,
    Steer, TrainedModel, TrainingLab, TrainingPoint,
};
use bertlab_protocol::training::{Approach, SegmentIds, SheetRow};

/// localStorage key of the experiment sheet, so a reload keeps the student's results.
const SHEET_KEY: &str = "bertlab.finetune.sheet";

/// The label-efficiency sizes the lab offers (0 = every training example).
const SIZES: [usize; 4] = [16, 64, 256, 0];

/// The live curve is redrawn at most this often (ms): fast runs post hundreds of updates a second.
const REDRAW_MS: f64 = 250.0;

/// Where the current run stands.
#[derive(Debug, Clone, PartialEq)]
enum RunState {
    Idle,
    Running { job: JobId, paused: bool },
    Failed(String),
}

/// The signals one fine-tuning run reports into; `Copy`, so every event handler holds its own.
#[derive(Clone, Copy)]
struct Run {
    status: RwSignal<WorkerStatus>,
    state: RwSignal<RunState>,
    message: RwSignal<String>,
    sheet: RwSignal<Vec<SheetRow>>,
    saved: RwSignal<Vec<SavedModel>>,
    /// The curve as drawn, and the points received since (drawn at most every `REDRAW_MS`).
    curve: RwSignal<Vec<TrainingPoint>>,
    pending: StoredValue<Vec<TrainingPoint>>,
    last_draw: StoredValue<f64>,
    job: StoredValue<Option<JobId>>,
    /// The held-out texts' latest feature cloud, when the run watches its features.
    cloud: RwSignal<Option<FeatureCloud>>,
    /// The latest run that trained an encoder (the worker keeps its model for "Classify my message").
    trained: RwSignal<Option<TrainedModel>>,
    /// The latest run finished in this view, for a lesson step that asks for a guess first.
    finished: RwSignal<Option<SheetRow>>,
    /// A run saved in the browser that never finished (a reload or a crash cut it off).
    interrupted: RwSignal<Vec<InterruptedRun>>,
    clock: RunClock,
}

impl Run {
    fn new(status: RwSignal<WorkerStatus>) -> Run {
        let run = Run {
            status,
            state: RwSignal::new(RunState::Idle),
            message: RwSignal::new(String::new()),
            sheet: RwSignal::new(stored::load(SHEET_KEY)),
            saved: RwSignal::new(Vec::new()),
            curve: RwSignal::new(Vec::new()),
            pending: StoredValue::new(Vec::new()),
            last_draw: StoredValue::new(0.0),
            job: StoredValue::new(None),
            cloud: RwSignal::new(None),
            trained: RwSignal::new(None),
            finished: RwSignal::new(None),
            interrupted: RwSignal::new(Vec::new()),
            clock: RunClock::new(),
        };
        refresh_saved(run.saved, run.message);
        look_for_interrupted_runs(status, TrainingLab::FineTune, run.interrupted);
        run
    }

    fn flush(self) {
        self.curve.set(self.pending.get_value());
        self.last_draw.set_value(js_sys::Date::now());
    }

    /// Sends the run `settings` describe, on the user's CSV when one is loaded.
    fn start(self, settings: FineTuneState, csv: Option<String>) {
        let request = Request::Finetune(FinetuneRequest {
            model: (!settings.model.is_empty()).then_some(settings.model.clone()),
            csv,
            dataset: settings.dataset,
            approach: settings.approach,
            segments: settings.segments,
            train_examples: (settings.examples > 0).then_some(settings.examples),
            epochs: settings.epochs.clamp(1, 50),
            seed: settings.seed,
            watch_features: settings.watch_features,
        });
        self.cloud.set(None);
        if settings.approach.regime().is_some() {
            // The worker replaces the saved run with this one.
            self.interrupted.set(Vec::new());
        }
        self.send(&settings, request);
    }

    /// Continues the saved run, whose settings the lab takes on (so its URL names that run).
    fn resume(self, state: RwSignal<FineTuneState>, saved: Vec<InterruptedRun>) {
        let Some(SavedRequest::Finetune(request)) = saved.into_iter().next().map(|r| r.request)
        else {
            return;
        };
        state.update(|s| {
            s.model = request.model.clone().unwrap_or_default();
            s.dataset = request.dataset;
            s.approach = request.approach;
            s.segments = request.segments;
            s.examples = request.train_examples.unwrap_or(0);
            s.epochs = request.epochs;
            s.seed = request.seed;
        });
        self.interrupted.set(Vec::new());
        let request = Request::ResumeRun {
            lab: TrainingLab::FineTune,
            lane: 0,
        };
        self.send(&state.get_untracked(), request);
    }

    fn send(self, settings: &FineTuneState, request: Request) {
        self.pending.set_value(Vec::new());
        self.flush();
        self.message.set("starting…".into());
        self.clock.start(settings);
        match client::run(self.status, request, move |reply| self.on_reply(reply)) {
            Ok(job) => {
                self.job.set_value(Some(job));
                self.state.set(RunState::Running { job, paused: false });
            }
            Err(m) => {
                self.clock.stop();
                self.state.set(RunState::Failed(m));
            }
        }
    }

    fn on_reply(self, reply: Reply) {
        match reply {
            Reply::Progress(p) => self.message.set(p.message),
            Reply::Point(point) => self.on_point(point),
            Reply::Done(Outcome::FineTuned(row)) => self.on_row(row),
            Reply::Done(other) => self
                .state
                .set(RunState::Failed(format!("unexpected answer {other:?}"))),
            Reply::Failed { message } => {
                self.flush();
                self.clock.stop();
                self.state.set(RunState::Failed(message));
                // A crashed worker leaves the run's last save behind: offer it.
                look_for_interrupted_runs(self.status, TrainingLab::FineTune, self.interrupted);
            }
            Reply::Cancelled => {
                self.clock.stop();
                self.message.set("cancelled".into());
                self.state.set(RunState::Idle);
            }
        }
    }

    fn on_point(self, point: TrainingPoint) {
        let paused = point.paused;
        self.clock.on_update(point.step, point.total_steps, paused);
        self.message.set(format!(
            "update {} of {}: loss {:.3}{}{}",
            point.step,
            point.total_steps,
            point.loss,
            if paused { " (paused)" } else { "" },
            point
                .resumable_from
                .map_or_else(String::new, |step| format!(
                    " · saved in this browser at update {step}"
                )),
        ));
        if let Some(cloud) = point.feature_cloud.clone() {
            self.cloud.set(Some(cloud));
        }
        if !paused {
            // After a GPU failure the CPU redoes the updates since the last sync: they replace
            // the curve from there.
            self.pending.update_value(|p| {
                p.retain(|q| q.step < point.step);
                p.push(point)
            });
        }
        self.state.update(|r| {
            if let RunState::Running { paused: p, .. } = r {
                *p = paused;
            }
        });
        if js_sys::Date::now() - self.last_draw.get_value() >= REDRAW_MS {
            self.flush();
        }
    }

    /// A finished run: its line joins the sheet, and a trained encoder is saved in the browser.
    fn on_row(self, row: SheetRow) {
        self.flush();
        self.clock.finish(row.updates);
        let why = if row.note.is_empty() {
            String::new()
        } else {
            format!(". {}", row.note)
        };
        self.message.set(format!(
            "{}: {:.1}% accuracy on the held-out examples{}{why}",
            row.describe_approach(),
            row.accuracy * 100.0,
            if row.stopped_early {
                " (stopped early)"
            } else {
                ""
            }
        ));
        let trained_encoder = row.approach.regime().is_some();
        self.finished.set(Some(row.clone()));
        self.sheet.update(|rows| rows.push(row));
        self.sheet
            .with_untracked(|rows| stored::save(SHEET_KEY, rows));
        self.state.set(RunState::Idle);
        if trained_encoder {
            if let Some(job) = self.job.get_value() {
                self.trained.set(Some(TrainedModel::Run(job)));
                keep_model(self.status, job, self.message, self.saved);
            }
        }
    }

    /// The running job and whether it is paused.
    fn running(self) -> Option<(JobId, bool)> {
        match self.state.get() {
            RunState::Running { job, paused } => Some((job, paused)),
            _ => None,
        }
    }
}

#[component]
pub fn FineTuneWidget(
    /// The widget's state (the URL's on a lab page, a lesson step's otherwise).
    state: RwSignal<FineTuneState>,
    /// Which controls are hidden or locked.
    policy: ControlPolicy,
) -> impl IntoView {
    let worker = expect_context::<RwSignal<WorkerStatus>>();
    let run = Run::new(worker);
    publish_answers(move || {
        let accuracy = run.finished.with(|row| row.as_ref().map(|r| r.accuracy))?;
        Some(Observation::Count {
            value: shown_percent(accuracy),
            what: "percent accuracy on the held-out examples",
        })
    });
    // The user's own CSV (name, text); the shipped set when `None`.
    let csv = RwSignal::new(None::<(String, String)>);
    let data_name = move || match csv.get() {
        Some((name, _)) => name,
        None => state.with(|s| s.dataset.describe().to_string()),
    };
    let chart_data = move || match csv.get() {
        Some(_) => "your CSV".to_string(),
        None => state.with(|s| s.dataset.slug().to_string()),
    };
    view! {
        <div class="lab fine-tune-lab">
            <RunSettings state=state policy=policy csv=csv run=run />
            <p class="meta">{move || format!("Data: {}", data_name())}</p>
            <InterruptedRunOffer lab=TrainingLab::FineTune offer=run.interrupted busy=Signal::derive(move || run.running().is_some())
                on_resume=Callback::new(move |saved| run.resume(state, saved)) />
            <RunButtons run=run on_start=move || run.start(state.get_untracked(), csv.get_untracked().map(|(_, text)| text)) />
            // While a run trains on WebGPU, the drill can take the GPU away to show the fallback.
            <GpuLossDrillWhileTraining training=Signal::derive(move || run.running().is_some()) />
            <ClockLine clock=run.clock state=state own_csv=Signal::derive(move || csv.with(Option::is_some))
                running=Signal::derive(move || run.running().is_some()) />
            <p id="ft-status" class="status-line" aria-live="polite">{move || match run.state.get() {
                RunState::Failed(m) => format!("Failed: {m}"),
                _ => run.message.get(),
            }}</p>
            <div class="charts">
                {move || loss_chart(&run.curve.get())}
                {move || efficiency_chart(&run.sheet.get(), &chart_data())}
            </div>
            <TrainingCloud cloud=run.cloud />
            <Sheet rows=run.sheet message=run.message />
            <TransferTable sheet=run.sheet />
            <ClassifyBox status=run.status model=run.trained />
            <SavedModels saved=run.saved message=run.message
                on_try=Callback::new(move |name| run.trained.set(Some(TrainedModel::Saved(name)))) />
        </div>
    }
}

/// Train, pause, resume, stop early (and test), cancel.
#[component]
fn RunButtons(run: Run, on_start: impl Fn() + 'static) -> impl IntoView {
    let steer = move |action: Steer| {
        if let Some((job, _)) = run.running() {
            client::steer(job, action);
        }
    };
    let cancel = move |_| {
        if let Some((job, _)) = run.running() {
            client::cancel(job);
        }
    };
    view! {
        <div class="buttons">
            <button id="ft-run" class="primary" disabled=move || run.running().is_some() on:click=move |_| on_start()>"Train and test"</button>
            <button id="ft-pause" disabled=move || run.running().is_none_or(|(_, p)| p)
                on:click=move |_| steer(Steer::Pause)>"Pause"</button>
            <button id="ft-resume" disabled=move || run.running().is_none_or(|(_, p)| !p)
                on:click=move |_| steer(Steer::Resume)>"Resume"</button>
            <button id="ft-stop" disabled=move || run.running().is_none()
                on:click=move |_| steer(Steer::Stop)
                title="End training now and test the model as it is">"Stop and test"</button>
            <button id="ft-cancel" disabled=move || run.running().is_none() on:click=cancel>"Cancel"</button>
        </div>
    }
}

/// The run's settings: data, approach, number of labelled examples, epochs, model, own CSV.
#[component]
fn RunSettings(
    state: RwSignal<FineTuneState>,
    policy: ControlPolicy,
    /// The user's CSV (name, text), once read.
    csv: RwSignal<Option<(String, String)>>,
    run: Run,
) -> impl IntoView {
    let lock = |name: &str| policy.locked(name);
    let (lock_approach, lock_examples, lock_epochs, lock_dataset) = (
        lock("approach"),
        lock("examples"),
        lock("epochs"),
        lock("dataset"),
    );
    let (hide_model, hide_data) = (policy.hidden("model"), policy.hidden("data"));
    let lock_segments = lock("segments");
    // Segment ids matter only for pairs: the shipped pair set, or a CSV that may hold pairs.
    let pairs_possible =
        move || csv.with(Option::is_some) || state.with(|s| s.dataset.holds_pairs());
    view! {
    <div class="controls">
        <SelectField id="ft-dataset" label="Data" locked=lock_dataset
            options=ShippedSet::ALL.into_iter().map(|d| (d, d.slug().to_string())).collect()
            value=Signal::derive(move || state.with(|s| s.dataset))
            on_pick=Callback::new(move |d| state.update(|s| s.dataset = d)) />
        <Show when=pairs_possible>
            <SelectField id="ft-segments" label="Segment ids (pairs)" locked=lock_segments
                options=SegmentIds::ALL.into_iter().map(|s| (s, s.describe().to_string())).collect()
                value=Signal::derive(move || state.with(|s| s.segments))
                on_pick=Callback::new(move |v| state.update(|s| s.segments = v)) />
        </Show>
        <SelectField id="ft-approach" label="Approach" locked=lock_approach
            options=Approach::ALL.into_iter().map(|a| (a, a.describe().to_string())).collect()
            value=Signal::derive(move || state.with(|s| s.approach))
            on_pick=Callback::new(move |a| state.update(|s| s.approach = a)) />
        <SelectField id="ft-examples" label="Labelled examples" locked=lock_examples
            options=SIZES.into_iter().map(|n| (n, if n == 0 { "all".to_string() } else { n.to_string() })).collect()
            value=Signal::derive(move || state.with(|s| s.examples))
            on_pick=Callback::new(move |n| state.update(|s| s.examples = n)) />
        <NumberField id="ft-epochs" label="Epochs" min=1 max=50 locked=lock_epochs
            value=Signal::derive(move || state.with(|s| s.epochs as u64))
            on_set=Callback::new(move |n| state.update(|s| s.epochs = n as usize)) />
        <CheckField id="ft-watch" label="Redraw the feature space as it trains (single texts)"
            value=Signal::derive(move || state.with(|s| s.watch_features))
            on_set=move |on| state.update(|s| s.watch_features = on)
            hidden=false locked=lock("watch_features") />
        <Show when=move || !hide_model>
            <ModelPicker id="ft-model" mlm_only=false
                value=Signal::derive(move || state.with(|s| s.model.clone()))
                on_pick=Callback::new(move |name| state.update(|s| s.model = name)) />
        </Show>
        <Show when=move || !hide_data>
            <label>"Your own data (CSV with text,label columns; add text_pair for pairs)"
                <input id="ft-csv" type="file" accept=".csv,text/csv" on:change=move |ev| read_csv(&ev, csv, run) />
            </label>
        </Show>
    </div>
    }
}

/// Reads the CSV the student picked into `csv`; the next run uses it.
fn read_csv(ev: &leptos::ev::Event, csv: RwSignal<Option<(String, String)>>, run: Run) {
    let input: web_sys::HtmlInputElement = event_target(ev);
    let Some(file) = input.files().and_then(|f| f.get(0)) else {
        csv.set(None);
        return;
    };
    let name = file.name();
    wasm_bindgen_futures::spawn_local(async move {
        match wasm_bindgen_futures::JsFuture::from(file.text()).await {
            Ok(text) => match text.as_string() {
                Some(text) => {
                    run.message
                        .set(format!("{name}: the next run uses this file"));
                    csv.set(Some((name, text)));
                }
                None => run
                    .state
                    .set(RunState::Failed(format!("{name} is not text"))),
            },
            Err(e) => run
                .state
                .set(RunState::Failed(format!("cannot read {name}: {e:?}"))),
        }
    });
}

fn refresh_saved(saved: RwSignal<Vec<SavedModel>>, message: RwSignal<String>) {
    saved_models::refresh(saved, move |m| message.set(m));
}

/// Asks the worker for the model `run` trained and saves it in the browser.
fn keep_model(
    status: RwSignal<WorkerStatus>,
    run: JobId,
    message: RwSignal<String>,
    saved: RwSignal<Vec<SavedModel>>,
) {
    // The bytes come under the export job's id, known once the request is sent.
    let export_job = StoredValue::new(None::<JobId>);
    let on_reply = move |reply: Reply| match reply {
        Reply::Done(Outcome::Exported { file_name, .. }) => {
            let Some(bytes) = export_job.get_value().and_then(client::take_bytes) else {
                message.set("The model was not saved: its bytes never arrived".into());
                return;
            };
            wasm_bindgen_futures::spawn_local(async move {
                match saved_models::save(&file_name, &bytes).await {
                    Ok(()) => refresh_saved(saved, message),
                    Err(m) => message.set(format!("The model was not saved: {m}")),
                }
            });
        }
        Reply::Failed { message: m } => message.set(format!("The model was not saved: {m}")),
        _ => {}
    };
    match client::run(status, Request::ExportModel { run }, on_reply) {
        Ok(job) => export_job.set_value(Some(job)),
        Err(m) => message.set(format!("The model was not saved: {m}")),
    }
}

/// Trained models kept in this browser, with a download and a delete button each.
#[component]
fn SavedModels(
    /// The saved models (refreshed after each change).
    saved: RwSignal<Vec<SavedModel>>,
    /// Where problems are reported.
    message: RwSignal<String>,
    /// Puts a saved model (by file name) in the "Classify my message" box.
    on_try: Callback<String>,
) -> impl IntoView {
    view! {
        <section class="saved-models" aria-label="Trained models kept in this browser">
            <h3>"Your trained models"</h3>
            <Show when=move || saved.with(|s| !s.is_empty())
                fallback=|| view! { <p class="meta">"Each encoder you train is kept here, in this browser, until you delete it."</p> }>
                <ul>
                    {move || saved.get().into_iter().map(|m| {
                        let name = StoredValue::new(m.file_name.clone());
                        let download = move |_| {
                            wasm_bindgen_futures::spawn_local(async move {
                                if let Err(e) = saved_models::download(&name.get_value()).await {
                                    message.set(e);
                                }
                            });
                        };
                        let delete = move |_| {
                            wasm_bindgen_futures::spawn_local(async move {
                                match saved_models::delete(&name.get_value()).await {
                                    Ok(()) => refresh_saved(saved, message),
                                    Err(e) => message.set(e),
                                }
                            });
                        };
                        view! {
                            <li>
                                <span class="model-file">{m.file_name.clone()}</span>
                                <span class="meta">{format!(" {:.1} MB ", m.bytes as f64 / 1e6)}</span>
                                <button class="try" on:click=move |_| on_try.run(name.get_value())>"Try it"</button>
                                <button class="download" on:click=download>"Download (.zip)"</button>
                                <button class="delete" on:click=delete>"Delete"</button>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            </Show>
        </section>
    }
}

/// Today's date, as the technical note prints it (YYYY-MM-DD).
fn today() -> String {
    let iso: String = js_sys::Date::new_0().to_iso_string().into();
    iso.chars().take(10).collect()
}

/// The experiment sheet: one row per finished run, kept across reloads until cleared.
#[component]
fn Sheet(
    /// The runs so far.
    rows: RwSignal<Vec<SheetRow>>,
    /// The lab's status line, for a download that fails.
    message: RwSignal<String>,
) -> impl IntoView {
    let clear = move |_| {
        rows.set(Vec::new());
        stored::save::<[SheetRow]>(SHEET_KEY, &[]);
    };
    view! {
        <div class="table-scroll">
        <table class="sheet">
            <caption>"Experiment sheet (tested on the held-out split)"</caption>
            <thead>
                <tr>
                    <th scope="col">"Approach"</th>
                    <th scope="col">"Model"</th>
                    <th scope="col">"Data"</th>
                    <th scope="col" class="num">"Examples"</th>
                    <th scope="col" class="num">"Accuracy"</th>
                    <th scope="col" class="num">"Macro-F1"</th>
                    <th scope="col" class="num">"Trainable parameters"</th>
                    <th scope="col" class="num">"Seconds"</th>
                    <th scope="col">"Trained on"</th>
                </tr>
            </thead>
            <tbody>
                {move || rows.get().into_iter().map(|r| view! {
                    <tr>
                        <th scope="row" title=r.note.clone()>{r.describe_approach()}{r.stopped_early.then_some(" (stopped early)")}{(!r.note.is_empty()).then_some(" (stopped: not a number)")}</th>
                        <td>{if r.model.is_empty() { "—".to_string() } else { r.model.clone() }}</td>
                        <td>{r.dataset.clone()}</td>
                        <td class="num">{r.train_examples}</td>
                        <td class="num">{format!("{:.1}%", r.accuracy * 100.0)}</td>
                        <td class="num">{format!("{:.1}%", r.macro_f1 * 100.0)}</td>
                        <td class="num">{r.trainable_parameters.to_string()}</td>
                        <td class="num">{format!("{:.1}", r.wall_seconds)}</td>
                        <td class="trained-on">{if r.trained_on.is_empty() { "—".to_string() } else { r.trained_on.clone() }}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
        </div>
        <div class="button-row">
            <button id="ft-note" class="secondary" disabled=move || rows.with(Vec::is_empty) on:click=move |_| {
                let note = technical_note(&rows.get_untracked(), &today());
                if let Err(m) = saved_models::download_text(&note, "text/markdown", "technical-note.md") {
                    message.set(m);
                }
            }>"Download the technical note (Markdown)"</button>
            <button id="ft-clear" disabled=move || rows.with(Vec::is_empty) on:click=clear>"Clear the sheet"</button>
        </div>
    }
}
