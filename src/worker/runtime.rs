//! The compute runtime inside the Web Worker: decodes requests, runs each as an async job, streams
//! progress, honours cancellation, and turns every failure into a readable [`Reply::Failed`].

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

use super::lab_model::LabModel;
use super::protocol::{
    decode, encode, FromWorker, JobId, Outcome, Progress, Reply, Request, ToWorker, WorkerInfo,
};
use crate::text::view::token_view;

thread_local! {
    /// Jobs the page asked to stop; a job sees this at its next [`JobContext::checkpoint`].
    static CANCELLED: RefCell<HashSet<JobId>> = RefCell::new(HashSet::new());
    /// Models loaded so far, by folder name; loading is slow, so each is loaded once.
    static MODELS: RefCell<HashMap<String, Rc<LabModel>>> = RefCell::new(HashMap::new());
    /// Models being loaded right now; other jobs wanting one wait for that load instead of repeating it.
    static LOADING: RefCell<HashSet<String>> = RefCell::new(HashSet::new());
}

/// `models/index.json`: which model folders the lab ships and which one it opens with.
#[derive(serde::Deserialize)]
struct ModelIndex {
    default: String,
}

/// Why a job stopped early.
enum Stop {
    Cancelled,
    Failed(String),
}

impl From<String> for Stop {
    fn from(message: String) -> Self {
        Stop::Failed(message)
    }
}

/// A running job's channel back to the page.
struct JobContext {
    job: JobId,
}

impl JobContext {
    fn progress(&self, done: u64, total: u64, message: impl Into<String>) {
        let message = message.into();
        post(&FromWorker::Job {
            job: self.job,
            reply: Reply::Progress(Progress {
                done,
                total,
                message,
            }),
        });
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
    let navigator =
        js_sys::Reflect::get(&js_sys::global(), &"navigator".into()).unwrap_or(JsValue::UNDEFINED);
    let gpu = js_sys::Reflect::get(&navigator, &"gpu".into()).unwrap_or(JsValue::UNDEFINED);
    WorkerInfo {
        version: env!("CARGO_PKG_VERSION").to_string(),
        backend: "CPU (wasm SIMD128)".to_string(),
        webgpu_available: !gpu.is_undefined() && !gpu.is_null(),
    }
}

/// Fetch a file served next to the app (the worker script sits at the app's root).
async fn fetch_bytes(path: &str) -> Result<Vec<u8>, Stop> {
    let failed = |what: &str| Stop::Failed(format!("could not load {path}: {what}"));
    let response = wasm_bindgen_futures::JsFuture::from(scope().fetch_with_str(path))
        .await
        .map_err(|e| failed(&format!("{e:?}")))?;
    let response: web_sys::Response = response.dyn_into().map_err(|_| failed("not a response"))?;
    if !response.ok() {
        return Err(failed(&format!("HTTP {}", response.status())));
    }
    let buffer = response
        .array_buffer()
        .map_err(|e| failed(&format!("{e:?}")))?;
    let buffer = wasm_bindgen_futures::JsFuture::from(buffer)
        .await
        .map_err(|e| failed(&format!("{e:?}")))?;
    Ok(js_sys::Uint8Array::new(&buffer).to_vec())
}

async fn load_model(ctx: &JobContext, name: Option<String>) -> Result<Rc<LabModel>, Stop> {
    let name = match name {
        Some(name) => name,
        None => {
            let index = fetch_bytes("models/index.json").await?;
            serde_json::from_slice::<ModelIndex>(&index)
                .map_err(|e| Stop::Failed(format!("models/index.json is malformed: {e}")))?
                .default
        }
    };
    while LOADING.with(|l| l.borrow().contains(&name)) {
        ctx.progress(0, 0, format!("waiting for {name} to load"));
        gloo::timers::future::TimeoutFuture::new(50).await;
        ctx.checkpoint().await?;
    }
    if let Some(model) = MODELS.with(|m| m.borrow().get(&name).cloned()) {
        return Ok(model);
    }
    LOADING.with(|l| l.borrow_mut().insert(name.clone()));
    let loaded = download_and_build(ctx, &name).await;
    LOADING.with(|l| l.borrow_mut().remove(&name));
    let model = Rc::new(loaded?);
    MODELS.with(|m| m.borrow_mut().insert(name, model.clone()));
    Ok(model)
}

async fn download_and_build(ctx: &JobContext, name: &str) -> Result<LabModel, Stop> {
    let mut files = Vec::new();
    for (i, file) in ["config.json", "tokenizer.json", "model.safetensors"]
        .into_iter()
        .enumerate()
    {
        ctx.progress(i as u64, 4, format!("downloading {name}/{file}"));
        files.push(fetch_bytes(&format!("models/{name}/{file}")).await?);
        ctx.checkpoint().await?;
    }
    ctx.progress(3, 4, format!("building {name}"));
    Ok(LabModel::from_bytes(name, &files[0], &files[2], &files[1])?)
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
                ctx.progress(
                    step as u64 + 1,
                    steps as u64,
                    format!("step {} of {steps}", step + 1),
                );
                ctx.checkpoint().await?;
            }
            std::hint::black_box(state);
            let operations_per_second = operations as f64 / (busy_ms / 1000.0).max(1e-3);
            Ok(Outcome::SelfCheck {
                steps,
                operations_per_second,
            })
        }
        Request::LoadModel { name } => {
            Ok(Outcome::ModelLoaded(load_model(ctx, name).await?.summary()))
        }
        Request::Tokenize {
            model,
            text,
            pair,
            max_len,
            trace,
        } => {
            let model = load_model(ctx, model).await?;
            let limit = model.config.max_input_len();
            let max_len = max_len.map_or(limit, |m| m.clamp(2, limit));
            let view = token_view(
                &model.tokenizer,
                &text,
                pair.as_deref().filter(|p| !p.trim().is_empty()),
                max_len,
                model.config.position_offset(),
                trace.as_deref(),
            )?;
            Ok(Outcome::Tokenized(view))
        }
        other => Err(Stop::Failed(format!("{other:?} is not handled yet"))),
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
            Ok(ToWorker::Run { job, request }) => {
                wasm_bindgen_futures::spawn_local(run(job, request))
            }
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
