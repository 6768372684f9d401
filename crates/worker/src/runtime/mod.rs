//! The compute runtime inside the Web Worker: decodes the page's messages, runs each request as an
//! async job, streams progress, honours cancellation, and turns every failure into a readable
//! `Reply::Failed`.
//!
//! - `port`: the message port to the page (post, transfer bytes, the clock, yielding);
//! - `jobs`: a job's channel back to the page and the page's orders (cancel, pause, stop);
//! - `assets`: what is fetched from next to the app (the model index, model folders, tokenizers);
//! - `fetching`: HTTP for model files (probes, ranges, downloads with progress that resume);
//! - `model_cache`: the browser's Cache Storage as a store of model files;
//! - `model_files`: a model folder's files, shipped, at a URL or from the student's disk, and
//!   keeping the student's models;
//! - `saved_run`: the fine-tuning run in progress, saved so that it resumes after a crash or a
//!   reload;
//! - `helpers`: copies of this worker that compute frozen encoder states on the other cores;
//! - `relay`: a copy of this worker that runs the pretraining race's second lane on another core;
//! - `accelerator`: which backend runs a request (WebGPU or the CPU) and the fallback;
//! - `tasks`: one function per request.

mod accelerator;
mod assets;
mod fetching;
mod helpers;
mod jobs;
mod model_cache;
mod model_files;
mod port;
mod relay;
mod saved_run;
mod tasks;

use bertlab_protocol::messages::{decode, FromWorker, ToWorker};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::MessageEvent;

/// Entry point of the worker binary: install the message handler and announce readiness.
pub fn start() {
    std::panic::set_hook(Box::new(|info| {
        console_error_panic_hook::hook(info);
        // The worker's state is undefined from here on: the page replaces it with a new worker.
        port::post(&FromWorker::Crashed {
            message: panic_message(info),
        });
    }));
    if helpers::is_helper() {
        helpers::serve();
        return;
    }
    let onmessage = Closure::<dyn Fn(MessageEvent)>::new(|event: MessageEvent| {
        let Some(text) = event.data().as_string() else {
            return;
        };
        match decode::<ToWorker>(&text) {
            Ok(ToWorker::Run { job, request }) => {
                if !(relay::takes(&request) && relay::pass_on_run(job, &text)) {
                    wasm_bindgen_futures::spawn_local(tasks::run(job, request))
                }
            }
            Ok(ToWorker::Cancel { job }) => {
                if !relay::pass_on_order(job, &text) {
                    jobs::cancel(job)
                }
            }
            Ok(ToWorker::Steer { job, action }) => {
                if !relay::pass_on_order(job, &text) {
                    jobs::steer(job, action)
                }
            }
            Err(message) => web_sys::console::error_1(&message.into()),
        }
    });
    port::scope().set_onmessage(Some(onmessage.as_ref().unchecked_ref()));
    // The handler lives as long as the worker.
    onmessage.forget();
    port::post(&FromWorker::Ready(tasks::worker_info()));
    // The runner trains on the CPU; the page's worker alone asks for a GPU.
    if relay::is_runner() {
        accelerator::without_gpu("this second worker trains on the CPU");
    } else {
        wasm_bindgen_futures::spawn_local(accelerator::probe());
    }
}

/// A panic's own words, without the source location a student cannot act on.
fn panic_message(info: &std::panic::PanicHookInfo) -> String {
    let payload = info.payload();
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| info.to_string())
}
