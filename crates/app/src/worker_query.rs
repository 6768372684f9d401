//! Widgets ask the worker for what they draw: re-ask whenever the state changes, cancel the question
//! that became stale, and show only the newest answer (typing fires many requests).

use leptos::prelude::*;

use crate::client::{self, WorkerStatus};
use bertlab_protocol::messages::{JobId, Outcome, Progress, Reply, Request};

/// The latest answer: `None` until the first one arrives; the previous answer stays visible while a
/// newer request runs, so the layout does not jump.
pub type Answer<T> = RwSignal<Option<Result<T, String>>>;

/// Run `request` (rebuilt whenever the signals it reads change) and keep what `pick` extracts from
/// its outcome. `request` returning `None` asks nothing (e.g. an input that is not ready).
pub fn use_worker_answer<T>(
    request: impl Fn() -> Option<Request> + 'static,
    pick: fn(Outcome) -> Option<T>,
) -> Answer<T>
where
    T: Clone + Send + Sync + 'static,
{
    let status = expect_context::<RwSignal<WorkerStatus>>();
    let answer: Answer<T> = RwSignal::new(None);
    let running = StoredValue::new(None::<JobId>);
    let latest = StoredValue::new(0u64);
    Effect::new(move |_| {
        let Some(request) = request() else {
            return;
        };
        if let Some(stale) = running.get_value() {
            client::cancel(stale);
        }
        let ticket = latest.get_value() + 1;
        latest.set_value(ticket);
        let on_reply = move |reply: Reply| {
            let result = match reply {
                Reply::Done(outcome) => {
                    pick(outcome).ok_or_else(|| "the worker sent an unexpected answer".to_string())
                }
                Reply::Failed { message } => Err(message),
                Reply::Progress(_) | Reply::Point(_) | Reply::Cancelled => return,
            };
            if latest.get_value() == ticket {
                running.set_value(None);
                answer.set(Some(result));
            }
        };
        match client::run(status, request, on_reply) {
            Ok(job) => running.set_value(Some(job)),
            Err(message) => answer.set(Some(Err(message))),
        }
    });
    answer
}

/// Starts `request` for a page that runs one job at a time behind a button: `job` holds its id
/// while it runs (to disable the button and to cancel), `message` says how it ended; `on_progress`
/// sees each progress event, and `finish` turns the outcome into the closing message (`None`: not
/// the answer the page asked for).
pub fn start_job(
    request: Request,
    job: RwSignal<Option<JobId>>,
    message: RwSignal<String>,
    on_progress: impl Fn(Progress) + 'static,
    finish: impl Fn(Outcome) -> Option<String> + 'static,
) {
    let status = expect_context::<RwSignal<WorkerStatus>>();
    let on_reply = move |reply: Reply| {
        let ended = match reply {
            Reply::Progress(p) => return on_progress(p),
            Reply::Point(_) => return,
            Reply::Done(outcome) => {
                let unexpected = format!("Unexpected answer: {outcome:?}");
                finish(outcome).unwrap_or(unexpected)
            }
            Reply::Failed { message } => format!("Failed: {message}"),
            Reply::Cancelled => "Cancelled.".to_string(),
        };
        job.set(None);
        message.set(ended);
    };
    match client::run(status, request, on_reply) {
        Ok(id) => job.set(Some(id)),
        Err(e) => message.set(e),
    }
}
