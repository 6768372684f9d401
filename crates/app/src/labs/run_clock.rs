//! The fine-tuning lab's clock: before a run, how long it should take on this device (from the
//! last run of the same approach and model in this browser); during one, a progress bar and the
//! time left.

use leptos::prelude::*;

use crate::lab_state::FineTuneState;
use crate::run_pace::{describe_seconds, time_left, Paces};
use crate::stored;
use bertlab_protocol::training::{planned_updates, FINETUNE_BATCH, FINETUNE_MIN_UPDATES};

const PACES_KEY: &str = "bertlab.finetune.paces";

/// Where a run stands: update `step` of `total` (the bar; the status line has the numbers), and
/// the seconds left once an update was timed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Progress {
    step: usize,
    total: usize,
    seconds_left: Option<f64>,
}

/// The clock of one lab's runs; `Copy`, like the run it belongs to.
#[derive(Clone, Copy)]
pub(super) struct RunClock {
    /// When the run was asked for, and for which approach and model (its pace's key).
    started: StoredValue<Option<(f64, &'static str, String)>>,
    /// The first update timed since the run (or a pause) began: setup is not extrapolated.
    first: StoredValue<Option<(f64, usize)>>,
    progress: RwSignal<Option<Progress>>,
    paces: RwSignal<Paces>,
}

impl RunClock {
    pub fn new() -> RunClock {
        RunClock {
            started: StoredValue::new(None),
            first: StoredValue::new(None),
            progress: RwSignal::new(None),
            paces: RwSignal::new(stored::load(PACES_KEY)),
        }
    }

    pub fn start(self, settings: &FineTuneState) {
        let now = js_sys::Date::now();
        self.started
            .set_value(Some((now, settings.approach.slug(), settings.pace_model())));
        self.first.set_value(None);
        self.progress.set(None);
    }

    /// After update `step` of `total`; a paused run restarts the pace when it resumes.
    pub fn on_update(self, step: usize, total: usize, paused: bool) {
        let now = js_sys::Date::now();
        let first = match self.first.get_value() {
            Some(first) if !paused => first,
            _ => {
                self.first.set_value((!paused).then_some((now, step)));
                (now, step)
            }
        };
        let seconds_left = time_left(
            now - first.0,
            step.saturating_sub(first.1),
            total.saturating_sub(step),
        );
        self.progress.set(Some(Progress {
            step,
            total,
            seconds_left,
        }));
    }

    /// The run ended with a result after `updates` updates: its pace becomes the next estimate.
    pub fn finish(self, updates: usize) {
        if let Some((started, approach, model)) = self.started.get_value() {
            let seconds = (js_sys::Date::now() - started) / 1000.0;
            self.paces
                .update(|p| p.record(approach, &model, seconds, updates));
            self.paces.with_untracked(|p| stored::save(PACES_KEY, p));
        }
        self.stop();
    }

    /// The run ended without a result (failed or cancelled).
    pub fn stop(self) {
        self.started.set_value(None);
        self.progress.set(None);
    }
}

/// Before a run: its estimated time; during one: a progress bar and the time left.
#[component]
pub(super) fn ClockLine(
    clock: RunClock,
    /// The lab's settings (what the next run would train).
    state: RwSignal<FineTuneState>,
    /// Whether the student's own CSV replaces the shipped set (its size is not known here).
    own_csv: Signal<bool>,
    running: Signal<bool>,
) -> impl IntoView {
    let estimate = move || {
        let s = state.get();
        if own_csv.get() {
            return "Estimated time: shown as the run goes, for your own data.".to_string();
        }
        let available = s.dataset.train_examples();
        let examples = if s.examples == 0 {
            available
        } else {
            s.examples.min(available)
        };
        let updates = planned_updates(examples, FINETUNE_BATCH, s.epochs, FINETUNE_MIN_UPDATES);
        match clock.paces.with(|p| p.estimate(s.approach.slug(), &s.pace_model(), updates)) {
            Some(seconds) => format!(
                "Estimated time: {} for {updates} updates, at the pace of the last run like it in this browser.",
                describe_seconds(seconds)
            ),
            None => format!(
                "Estimated time: {updates} updates; after the first run of this approach here, the lab can say how long they take."
            ),
        }
    };
    view! {
        {move || match (running.get(), clock.progress.get()) {
            (true, Some(p)) => view! {
                <div class="run-clock">
                    <progress id="ft-progress" max=p.total value=p.step></progress>
                    <span id="ft-time-left">{p.seconds_left.map_or_else(
                        || "timing the first updates…".to_string(),
                        |s| format!("{} left", describe_seconds(s)),
                    )}</span>
                </div>
            }.into_any(),
            (true, None) => view! { <p class="meta" id="ft-time-left">"Preparing the run…"</p> }.into_any(),
            (false, _) => view! { <p class="meta" id="ft-estimate">{estimate}</p> }.into_any(),
        }}
    }
}
