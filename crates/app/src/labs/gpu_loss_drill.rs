//! The GPU-loss drill: destroys the worker's WebGPU device on request, so a student or an
//! instructor can watch the fallback to the CPU (on the system page, and in the fine-tuning and
//! pretraining labs while a run trains on WebGPU).

use leptos::prelude::*;

use crate::client::{self, WorkerStatus};
use bertlab_protocol::backend::Backend;
use bertlab_protocol::messages::{Reply, Request};

/// The drill, shown while a lab's run trains on WebGPU (`training`: the lab has a run going).
#[component]
pub fn GpuLossDrillWhileTraining(
    /// Whether the lab has a run in progress.
    training: Signal<bool>,
) -> impl IntoView {
    let worker = expect_context::<RwSignal<WorkerStatus>>();
    let on_gpu = move || {
        training.get()
            && worker.with(|w| {
                matches!(w, WorkerStatus::Ready { info, .. } if info.backend.active() == Backend::WebGpu)
            })
    };
    view! {
        <Show when=on_gpu>
            <GpuLossDrill />
        </Show>
    }
}

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
