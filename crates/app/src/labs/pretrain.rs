//! Pretraining lab: two recipes — masking static or dynamic, with NSP, SOP or no sentence
//! objective — train the same tiny encoder from scratch side by side in the worker, with the same
//! seed and budget. Live MLM loss and held-out accuracy for both, and a probe sentence whose
//! [MASK] each model guesses as it learns.

use leptos::prelude::*;

use crate::charts::Series;
use crate::client::{self, WorkerStatus};
use crate::lab_state::PretrainState;
use crate::labs::{
    chart_figure, look_for_interrupted_runs, publish_answers, GpuLossDrillWhileTraining,
    InterruptedRunOffer, NumberField,
};
use crate::prediction::{race_ranking, RaceResult};
use crate::url_state::ControlPolicy;
use bertlab_protocol::messages::{
    InterruptedRun, JobId, Outcome, PretrainRequest, Reply, Request, SavedRequest, Steer,
    TrainingLab, TrainingPoint,
};
use bertlab_protocol::training::{PairTask, RACE_BATCH};

/// The live charts are redrawn at most this often (ms).
const REDRAW_MS: f64 = 250.0;

/// The most training sequences the lab offers (about the whole corpus sample it reads).
const MAX_SEQUENCES: usize = 2000;

/// How often the runs read their training text, and what static masking makes of it.
fn epochs_note(s: &PretrainState) -> String {
    let epochs = (s.steps * RACE_BATCH) as f64 / s.sequences.max(1) as f64;
    let masks = if epochs <= s.copies as f64 {
        "static masking never shows a sequence the same mask twice".to_string()
    } else if s.copies == 1 {
        "static masking shows each sequence its one mask every time".to_string()
    } else {
        format!(
            "static masking shows each sequence its {} masks about {:.0} times each",
            s.copies,
            epochs / s.copies as f64
        )
    };
    format!(
        "{} updates of {RACE_BATCH} sequences read the {} training sequences about {epochs:.0} times: {masks}; dynamic masking draws a new mask every time.",
        s.steps, s.sequences
    )
}

fn has_sentence_task(s: &PretrainState) -> bool {
    (0..2).any(|side| s.recipe(side).1 != PairTask::None)
}

/// What one recipe's run has shown so far.
#[derive(Debug, Clone, Default, PartialEq)]
struct RunView {
    points: Vec<TrainingPoint>,
    probe: Vec<String>,
    summary: String,
    job: Option<JobId>,
    paused: bool,
    /// The recipe's last measurements, once its run has finished.
    result: Option<RaceResult>,
}

fn recipe_name(dynamic: bool, objective: PairTask) -> String {
    let masking = if dynamic {
        "dynamic masking"
    } else {
        "static masking"
    };
    match objective {
        PairTask::None => format!("{masking}, MLM only"),
        PairTask::Nsp => format!("{masking} + NSP"),
        PairTask::Sop => format!("{masking} + SOP"),
    }
}

#[component]
pub fn PretrainWidget(
    /// The widget's state (the URL's on a lab page, a lesson step's otherwise).
    state: RwSignal<PretrainState>,
    /// Which controls are hidden or locked.
    policy: ControlPolicy,
) -> impl IntoView {
    let status = expect_context::<RwSignal<WorkerStatus>>();
    let race = Race::new();
    look_for_interrupted_runs(status, TrainingLab::Pretrain, race.interrupted);
    let runs = race.runs;
    publish_answers(move || {
        let [a, b] = runs.map(|run| run.with(|r| r.result));
        race_ranking(&[a?, b?])
    });
    let busy = move || runs.iter().any(|r| r.with(|r| r.job.is_some()));
    let paused = move || runs.iter().all(|r| r.with(|r| r.paused));
    let locked = policy.locked("steps");

    let number = move |id: &'static str,
                       label: &'static str,
                       (min, max): (u64, u64),
                       get: fn(&PretrainState) -> usize,
                       set: fn(&mut PretrainState, usize)| {
        view! {
            <NumberField id=id label=label min=min max=max locked=locked
                value=Signal::derive(move || state.with(|s| get(s) as u64))
                on_set=Callback::new(move |n| state.update(|s| set(s, n as usize))) />
        }
    };

    view! {
           <div class="lab pretrain-lab">
               <div class="controls">
                   <RecipeControls state=state side=0 />
                   <RecipeControls state=state side=1 />
                   {number("pt-layers", "Layers", (1, 6), |s| s.layers, |s, n| s.layers = n)}
                   {number("pt-hidden", "Hidden size", (16, 256), |s| s.hidden, |s, n| s.hidden = n)}
                   {number("pt-heads", "Heads", (1, 8), |s| s.heads, |s, n| s.heads = n)}
                   {number("pt-steps", "Updates (8 × 64 tokens each)", (10, 2000), |s| s.steps, |s, n| s.steps = n)}
                   {number("pt-sequences", "Training text (sequences of 64 tokens)", (RACE_BATCH as u64, MAX_SEQUENCES as u64), |s| s.sequences, |s, n| s.sequences = n)}
                   {number("pt-copies", "Static masking: masked copies", (1, 40), |s| s.copies, |s, n| s.copies = n)}
                   <label>"Probe sentence (one [MASK])"
                       <input id="pt-probe" type="text"
                           prop:value=move || state.with(|s| s.probe.clone())
                           on:change=move |ev| state.update(|s| s.probe = event_target_value(&ev)) />
                   </label>
               </div>
               <p class="meta">"Both recipes start from the same random weights (same seed) and read the same public-domain text; only the recipe differs."</p>
               <p class="meta pt-epochs">{move || state.with(epochs_note)}</p>
    <InterruptedRunOffer lab=TrainingLab::Pretrain offer=race.interrupted busy=Signal::derive(busy)
                   on_resume=Callback::new(move |saved| race.resume(status, state, saved)) />
               <div class="buttons">
                   <button id="pt-run" class="primary" disabled=busy on:click=move |_| race.start(status, &state.get_untracked())>"Train both"</button>
                   <button id="pt-pause" disabled=move || !busy() || paused() on:click=move |_| race.steer(Steer::Pause)>"Pause"</button>
                   <button id="pt-resume" disabled=move || !busy() || !paused() on:click=move |_| race.steer(Steer::Resume)>"Resume"</button>
                   <button id="pt-stop" disabled=move || !busy() on:click=move |_| race.steer(Steer::Stop)>"Stop"</button>
               </div>
               <GpuLossDrillWhileTraining training=Signal::derive(busy) />
               <ul class="pt-status" aria-live="polite">
                   {runs.map(|run| view! {
                       <li>
                           <span class="pt-summary">{move || run.with(|r| r.summary.clone())}</span>
                           <span class="pt-probe">{move || run.with(|r| if r.probe.is_empty() { String::new() } else { format!(" — probe guesses: {}", r.probe.join(", ")) })}</span>
                       </li>
                   })}
               </ul>
               <div class="charts">
                   {move || chart(&runs, state, |p| Some(p.loss), None, "MLM loss (training batches)", "loss")}
                   {move || chart(&runs, state, |p| p.new_mask_accuracy.map(|a| a * 100.0), None, "MLM accuracy on the training text, with masks the runs were never shown", "accuracy (%)")}
                   {move || chart(&runs, state, |p| p.held_out_accuracy.map(|a| a * 100.0), None, "MLM accuracy on held-out text", "accuracy (%)")}
                   {move || state.with(has_sentence_task).then(|| chart(&runs, state, |p| p.held_out_pair_accuracy.map(|a| a * 100.0), Some(|p| p.pair_rule_accuracy.map(|a| a * 100.0)), "Sentence task on held-out pairs (a coin: 50%)", "accuracy (%)"))}
               </div>
               {move || state.with(has_sentence_task).then(|| view! {
                   <p class="meta pt-pair-note">"The sentence chart scores each held-out A twice, once with the B that really follows it and once with a negative, so a coin scores 50%. The dashed lines are a rule with no network: it calls a pair a negative when A and B share few words. Swapping A and B changes nothing it measures."</p>
               })}
           </div>
       }
}

/// The two runs of the race and the points each received since the charts were last drawn.
#[derive(Clone, Copy)]
struct Race {
    runs: [RwSignal<RunView>; 2],
    pending: [StoredValue<Vec<TrainingPoint>>; 2],
    last_draw: StoredValue<f64>,
    /// Runs saved in the browser that never finished (a reload or a crash cut them off).
    interrupted: RwSignal<Vec<InterruptedRun>>,
}

impl Race {
    fn new() -> Race {
        Race {
            runs: [
                RwSignal::new(RunView::default()),
                RwSignal::new(RunView::default()),
            ],
            pending: [StoredValue::new(Vec::new()), StoredValue::new(Vec::new())],
            last_draw: StoredValue::new(0.0),
            interrupted: RwSignal::new(Vec::new()),
        }
    }

    /// Starts both recipes of `s`, each as its own worker job.
    fn start(self, status: RwSignal<WorkerStatus>, s: &PretrainState) {
        self.interrupted.set(Vec::new());
        for side in 0..2 {
            let (dynamic, objective) = s.recipe(side);
            let request = Request::Pretrain(PretrainRequest {
                dynamic_masking: dynamic,
                pair_task: objective,
                layers: s.layers,
                hidden_size: s.hidden,
                heads: s.heads,
                steps: s.steps,
                sequences: s.sequences,
                static_copies: s.copies,
                seed: s.seed,
                probe: s.probe.clone(),
                lane: side,
            });
            self.launch(status, side, (dynamic, objective), request);
        }
    }

    /// Continues the saved runs; the lab takes on their settings (so its URL names them).
    fn resume(
        self,
        status: RwSignal<WorkerStatus>,
        state: RwSignal<PretrainState>,
        saved: Vec<InterruptedRun>,
    ) {
        self.interrupted.set(Vec::new());
        for run in saved {
            let SavedRequest::Pretrain(r) = run.request else {
                continue;
            };
            let side = r.lane.min(1);
            state.update(|s| {
                (s.layers, s.hidden, s.heads) = (r.layers, r.hidden_size, r.heads);
                (s.steps, s.seed, s.probe) = (r.steps, r.seed, r.probe.clone());
                (s.sequences, s.copies) = (r.sequences.min(MAX_SEQUENCES), r.static_copies);
                let (dynamic, objective) = s.recipe_mut(side);
                (*dynamic, *objective) = (r.dynamic_masking, r.pair_task);
            });
            let request = Request::ResumeRun {
                lab: TrainingLab::Pretrain,
                lane: side,
            };
            self.launch(status, side, (r.dynamic_masking, r.pair_task), request);
        }
    }

    /// Sends the run of recipe `side`: masking dynamic or not, and its sentence objective.
    fn launch(
        self,
        status: RwSignal<WorkerStatus>,
        side: usize,
        recipe: (bool, PairTask),
        request: Request,
    ) {
        let name = recipe_name(recipe.0, recipe.1);
        let run = self.runs[side];
        self.pending[side].set_value(Vec::new());
        run.set(RunView {
            summary: format!("{name}: starting…"),
            ..RunView::default()
        });
        let on_reply = move |reply| self.show(status, side, recipe, &name, reply);
        match client::run(status, request, on_reply) {
            Ok(job) => run.update(|r| r.job = Some(job)),
            Err(m) => run.update(|r| r.summary = m),
        }
    }

    /// Pauses, resumes or stops both runs.
    fn steer(self, action: Steer) {
        for run in self.runs {
            if let Some(job) = run.with_untracked(|r| r.job) {
                client::steer(job, action);
            }
        }
    }

    fn flush(self) {
        for (run, points) in self.runs.iter().zip(self.pending) {
            let points = points.get_value();
            run.update(|r| r.points = points);
        }
        self.last_draw.set_value(js_sys::Date::now());
    }

    /// Shows a reply of the run of recipe `side` (`recipe`, called `name`).
    fn show(
        self,
        status: RwSignal<WorkerStatus>,
        side: usize,
        (dynamic, objective): (bool, PairTask),
        name: &str,
        reply: Reply,
    ) {
        match reply {
            Reply::Progress(p) => {
                self.runs[side].update(|r| r.summary = format!("{name}: {}", p.message))
            }
            Reply::Point(point) => {
                self.runs[side].update(|r| {
                    r.paused = point.paused;
                    if !point.probe.is_empty() {
                        r.probe = point.probe.clone();
                    }
                    r.summary = format!(
                        "{name}: update {} of {}, MLM loss {:.2}{}{}",
                        point.step,
                        point.total_steps,
                        point.loss,
                        if point.paused { " (paused)" } else { "" },
                        point
                            .resumable_from
                            .map_or_else(String::new, |step| format!(
                                " · saved in this browser at update {step}"
                            )),
                    );
                });
                if !point.paused {
                    // After a GPU failure the CPU redoes the updates since the last sync: the
                    // redone points replace the first tries.
                    self.pending[side].update_value(|p| {
                        p.retain(|q| q.step < point.step);
                        p.push(point)
                    });
                }
                if js_sys::Date::now() - self.last_draw.get_value() >= REDRAW_MS {
                    self.flush();
                }
            }
            Reply::Done(Outcome::Pretrained {
                steps,
                tokens_seen,
                held_out_accuracy,
                held_out_perplexity,
                parameters,
                trained_on,
            }) => {
                self.flush();
                self.runs[side].update(|r| {
                r.job = None;
                let last = |value: fn(&TrainingPoint) -> Option<f64>| r.points.iter().rev().find_map(value);
                let result = RaceResult {
                    dynamic,
                    objective,
                    new_masks: last(|p| p.new_mask_accuracy).unwrap_or(0.0),
                    held_out: held_out_accuracy,
                    held_out_pair: last(|p| p.held_out_pair_accuracy),
                };
                r.summary = format!(
                    "{name}: done after {steps} updates ({tokens_seen} tokens, {:.2}M parameters{}): held-out MLM accuracy {:.1}%, perplexity {:.0}; on new masks of its training text {:.1}%{}",
                    parameters as f64 / 1e6,
                    if trained_on.is_empty() { String::new() } else { format!(", trained on {trained_on}") },
                    held_out_accuracy * 100.0,
                    held_out_perplexity,
                    result.new_masks * 100.0,
                    result.held_out_pair.map_or_else(String::new, |a| format!("; sentence task on held-out pairs {:.1}% (a word-overlap rule: {:.1}%)", a * 100.0, last(|p| p.pair_rule_accuracy).unwrap_or(0.0) * 100.0)),
                );
                r.result = Some(result);
            });
            }
            Reply::Done(other) => self.runs[side].update(|r| {
                r.job = None;
                r.summary = format!("{name}: unexpected answer {other:?}");
            }),
            Reply::Failed { message } => {
                self.runs[side].update(|r| {
                    r.job = None;
                    r.summary = format!("{name} failed: {message}");
                });
                // A crashed worker leaves the runs' last saves behind: offer them.
                look_for_interrupted_runs(status, TrainingLab::Pretrain, self.interrupted);
            }
            Reply::Cancelled => self.runs[side].update(|r| {
                r.job = None;
                r.summary = format!("{name}: cancelled");
            }),
        }
    }
}

/// The two choices of one recipe: static or dynamic masking, and the sentence objective.
#[component]
fn RecipeControls(
    state: RwSignal<PretrainState>,
    /// 0 for recipe A, 1 for recipe B.
    side: usize,
) -> impl IntoView {
    let label = if side == 0 { "Recipe A" } else { "Recipe B" };
    let id = if side == 0 { "pt-a" } else { "pt-b" };
    let get = move |s: &PretrainState| s.recipe(side);
    let set_dynamic = move |dynamic: bool| state.update(|s| *s.recipe_mut(side).0 = dynamic);
    let set_objective =
        move |objective: PairTask| state.update(|s| *s.recipe_mut(side).1 = objective);
    view! {
        <fieldset class="recipe">
            <legend>{label}</legend>
            <label>"Masking"
                <select id=format!("{id}-masking") on:change=move |ev| set_dynamic(event_target_value(&ev) == "dynamic")>
                    <option value="static" selected=move || state.with(|s| !get(s).0)>"static (BERT)"</option>
                    <option value="dynamic" selected=move || state.with(|s| get(s).0)>"dynamic (RoBERTa)"</option>
                </select>
            </label>
            <label>"Sentence objective"
                <select id=format!("{id}-objective") on:change=move |ev| {
                    let objective = match event_target_value(&ev).as_str() {
                        "nsp" => PairTask::Nsp,
                        "sop" => PairTask::Sop,
                        _ => PairTask::None,
                    };
                    set_objective(objective);
                }>
                    <option value="none" selected=move || state.with(|s| get(s).1 == PairTask::None)>"none"</option>
                    <option value="nsp" selected=move || state.with(|s| get(s).1 == PairTask::Nsp)>"NSP (BERT)"</option>
                    <option value="sop" selected=move || state.with(|s| get(s).1 == PairTask::Sop)>"SOP (ALBERT)"</option>
                </select>
            </label>
        </fieldset>
    }
}

/// One line per recipe of `value` against the update number, and a dashed one of `reference`
/// for each recipe that reports it.
fn chart(
    runs: &[RwSignal<RunView>; 2],
    state: RwSignal<PretrainState>,
    value: fn(&TrainingPoint) -> Option<f64>,
    reference: Option<fn(&TrainingPoint) -> Option<f64>>,
    caption: &'static str,
    y: &str,
) -> AnyView {
    let s = state.get_untracked();
    let names = [0, 1].map(|side| {
        let (dynamic, objective) = s.recipe(side);
        recipe_name(dynamic, objective)
    });
    let line = |run: &RwSignal<RunView>, of: fn(&TrainingPoint) -> Option<f64>| {
        run.with(|r| {
            r.points
                .iter()
                .filter_map(|p| of(p).map(|v| (p.step as f64, v)))
                .collect::<Vec<_>>()
        })
    };
    let mut series: Vec<Series> = runs
        .iter()
        .zip(names.clone())
        .map(|(run, name)| Series {
            label: name,
            points: line(run, value),
            dashed: false,
            colour: None,
        })
        .collect();
    if let Some(reference) = reference {
        series.extend(
            runs.iter()
                .zip(names)
                .enumerate()
                .filter_map(|(side, (run, name))| {
                    let points = line(run, reference);
                    (!points.is_empty()).then(|| Series {
                        label: format!("{name}: word-overlap rule"),
                        points,
                        dashed: true,
                        colour: Some(side),
                    })
                }),
        );
    }
    chart_figure(&series, caption, "update", y)
}
