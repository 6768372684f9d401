//! The compute runtime inside the Web Worker: decodes requests, runs each as an async job, streams
//! progress, honours cancellation, and turns every failure into a readable [`Reply::Failed`].

use std::cell::RefCell;
use std::collections::HashSet;

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

use super::protocol::{
    decode, encode, FromWorker, JobId, Outcome, Progress, Reply, Request, ToWorker, WorkerInfo,
};

thread_local! {
    /// Jobs the page asked to stop; a job sees this at its next [`JobContext::checkpoint`].
    static CANCELLED: RefCell<HashSet<JobId>> = RefCell::new(HashSet::new());
}

/// Why a job stopped early.
enum Stop {
    Cancelled,
    Failed(String),
}

/// A running job's channel back to the page.
struct JobContext {
    job: JobId,
}

impl JobContext {
    fn progress(&self, done: u64, total: u64, message: impl Into<String>) {
        let message = message.into();
        post(&FromWorker::Job { job: self.job, reply: Reply::Progress(Progress { done, total, message }) });
    }

    /// Yield to the worker's event loop so queued messages (a `Cancel`, another job) are handled,
    /// then report whether this job should stop. Long jobs call this between steps.
    async fn checkpoint(&self) -> Result<(), Stop> {
        gloo::timers::future::TimeoutFuture::new(0).await;
        if CANCELLED.with(|c| c.borrow_mut().remove(&self.job)) {
            Err(Stop::Cancelled)
        } else {
            Ok(())
        }
    }
}

fn scope() -> DedicatedWorkerGlobalScope {
    js_sys::global().unchecked_into()
}

fn post(message: &FromWorker) {
    match encode(message) {
        Ok(text) => {
            if let Err(e) = scope().post_message(&JsValue::from_str(&text)) {
                web_sys::console::error_2(&"worker could not post a message".into(), &e);
            }
        }
        Err(e) => web_sys::console::error_1(&e.into()),
    }
}

fn worker_info() -> WorkerInfo {
    let navigator = js_sys::Reflect::get(&js_sys::global(), &"navigator".into()).unwrap_or(JsValue::UNDEFINED);
    let gpu = js_sys::Reflect::get(&navigator, &"gpu".into()).unwrap_or(JsValue::UNDEFINED);
    WorkerInfo {
        version: env!("CARGO_PKG_VERSION").to_string(),
        backend: "CPU (wasm SIMD128)".to_string(),
        webgpu_available: !gpu.is_undefined() && !gpu.is_null(),
    }
}

async fn run(job: JobId, request: Request) {
    let ctx = JobContext { job };
    let reply = match execute(&ctx, request).await {
        Ok(outcome) => Reply::Done(outcome),
        Err(Stop::Cancelled) => Reply::Cancelled,
        Err(Stop::Failed(message)) => Reply::Failed { message },
    };
    CANCELLED.with(|c| c.borrow_mut().remove(&job));
    post(&FromWorker::Job { job, reply });
}

async fn execute(ctx: &JobContext, request: Request) -> Result<Outcome, Stop> {
    match request {
        Request::Hello => Ok(Outcome::Hello(worker_info())),
        Request::SelfCheck { steps, step_ms } => {
            let mut operations = 0u64;
            let mut busy_ms = 0.0;
            let mut state = 1u64;
            for step in 0..steps {
                let started = js_sys::Date::now();
                while js_sys::Date::now() - started < step_ms as f64 {
                    for i in 0..10_000u64 {
                        state = state.wrapping_mul(6364136223846793005).wrapping_add(i);
                    }
                    operations += 10_000;
                }
                busy_ms += js_sys::Date::now() - started;
                ctx.progress(step as u64 + 1, steps as u64, format!("step {} of {steps}", step + 1));
                ctx.checkpoint().await?;
            }
            std::hint::black_box(state);
            let operations_per_second = operations as f64 / (busy_ms / 1000.0).max(1e-3);
            Ok(Outcome::SelfCheck { steps, operations_per_second })
        }
    }
}

/// Entry point of the worker binary: install the message handler and announce readiness.
pub fn start() {
    console_error_panic_hook::set_once();
    let onmessage = Closure::<dyn Fn(MessageEvent)>::new(|event: MessageEvent| {
        let Some(text) = event.data().as_string() else {
            return;
        };
        match decode::<ToWorker>(&text) {
            Ok(ToWorker::Run { job, request }) => wasm_bindgen_futures::spawn_local(run(job, request)),
            Ok(ToWorker::Cancel { job }) => {
                CANCELLED.with(|c| c.borrow_mut().insert(job));
            }
            Err(message) => web_sys::console::error_1(&message.into()),
        }
    });
    scope().set_onmessage(Some(onmessage.as_ref().unchecked_ref()));
    // The handler lives as long as the worker.
    onmessage.forget();
    post(&FromWorker::Ready(worker_info()));
}
