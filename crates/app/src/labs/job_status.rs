//! A training lab's line under its controls while a job runs (a progress bar with the worker's
//! latest message, or the message alone before the first update) and, once it ends, its error.

use leptos::prelude::*;

use bertlab_protocol::messages::{JobId, Progress};

#[component]
pub fn JobStatus(
    /// The running job, `None` when idle.
    job: RwSignal<Option<JobId>>,
    /// The worker's latest progress report.
    progress: RwSignal<Option<Progress>>,
    /// What the lab says before the first report, or the error a job ended with.
    message: RwSignal<String>,
    /// The progress bar's element id.
    bar_id: &'static str,
) -> impl IntoView {
    view! {
        {move || job.get().is_some().then(|| match progress.get() {
            Some(p) if p.total > 0 => view! {
                <div class="run-clock">
                    <progress id=bar_id max=p.total value=p.done.min(p.total)></progress>
                    <span>{p.message}</span>
                </div>
            }.into_any(),
            Some(p) => view! { <p class="meta">{p.message}</p> }.into_any(),
            None => view! { <p class="meta">{message.get()}</p> }.into_any(),
        })}
        {move || (job.get().is_none() && !message.get().is_empty()).then(|| view! {
            <p class="error" role="alert">{message.get()}</p>
        })}
    }
}
