//! The offer to resume a fine-tuning run that a reload, a closed tab or a crashed worker cut off:
//! the worker saves a run every few seconds, and the lab asks it on opening and after a failure.

use leptos::prelude::*;

use crate::client::{self, WorkerStatus};
use bertlab_protocol::messages::{InterruptedRun, Outcome, Reply, Request};

/// Asks the worker for the run it saved but never finished, into `offer`.
pub fn look_for_interrupted_run(
    status: RwSignal<WorkerStatus>,
    offer: RwSignal<Option<InterruptedRun>>,
) {
    ask(status, Request::InterruptedRun, offer);
}

fn ask(status: RwSignal<WorkerStatus>, request: Request, offer: RwSignal<Option<InterruptedRun>>) {
    let sent = client::run(status, request, move |reply| {
        if let Reply::Done(Outcome::Interrupted(run)) = reply {
            offer.set(run);
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

/// "A run stopped before it finished: resume it or discard it", while one is saved and no run goes.
#[component]
pub fn InterruptedRunOffer(
    /// The saved run, if any.
    offer: RwSignal<Option<InterruptedRun>>,
    /// Whether a run is going (the offer waits until it ends).
    busy: Signal<bool>,
    /// Continues the saved run.
    on_resume: Callback<InterruptedRun>,
) -> impl IntoView {
    let status = expect_context::<RwSignal<WorkerStatus>>();
    let discard = move |_| ask(status, Request::DiscardInterruptedRun, offer);
    move || {
        let run = offer.get().filter(|_| !busy.get())?;
        let request = &run.request;
        let data = match request.csv {
            Some(_) => "your CSV".to_string(),
            None => request.dataset.describe().to_string(),
        };
        let text = format!(
            "A run stopped before it finished: {} on {data}, saved at update {} of {} ({}). \
             Resuming continues from that update with the same settings.",
            request.approach.describe(),
            run.step,
            run.total_steps,
            ago(run.saved_at_ms),
        );
        let resume = run.clone();
        Some(view! {
            <div class="notice interrupted-run" role="status">
                <p>{text}</p>
                <button id="ft-continue" class="primary" on:click=move |_| on_resume.run(resume.clone())>"Resume the run"</button>
                <button id="ft-discard" on:click=discard>"Discard it"</button>
            </div>
        })
    }
}
