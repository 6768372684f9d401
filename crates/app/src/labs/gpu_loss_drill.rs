//! The GPU-loss drill: destroys the worker's WebGPU device on request, so a student or an
//! instructor can watch the fallback to the CPU (on the system page, and in the fine-tuning lab
//! while a run trains on WebGPU).

use leptos::prelude::*;

use crate::client::{self, WorkerStatus};
use bertlab_protocol::messages::{Reply, Request};

/// Destroys the worker's GPU device, as a driver reset would, so anyone can watch the fallback.
#[component]
pub fn GpuLossDrill() -> impl IntoView {
    let status = expect_context::<RwSignal<WorkerStatus>>();
    let message = RwSignal::new(String::new());
    let lose = move |_| {
        let on_reply = move |reply: Reply| {
            match reply {
            Reply::Done(_) => message.set(
                "The GPU device is gone. Whatever runs on it next (a model request, a training update) fails there and continues on the CPU; the status bar says so.".into(),
            ),
            Reply::Failed { message: m } => message.set(m),
            _ => {}
        }
        };
        if let Err(e) = client::run(status, Request::LoseGpu, on_reply) {
            message.set(e);
        }
    };
    view! {
        <div class="row">
            <button id="gpu-lose" on:click=lose>"Simulate a lost GPU"</button>
        </div>
        <p id="gpu-lose-result" aria-live="polite">{move || message.get()}</p>
    }
}
