//! A second job runner: on the CPU, the pretraining lab's second lane runs in a copy of this
//! worker, so that the two recipes of its race train on two cores instead of taking turns on one. The page still
//! talks to this worker alone: the orders for that job (cancel, pause, stop) are passed on, and the
//! copy's messages about it are passed back as they are. Its saves go to the same Cache Storage,
//! so a reload resumes it like any other run.

use std::cell::RefCell;
use std::collections::HashSet;

use bertlab_protocol::backend::Backend;
use bertlab_protocol::messages::{decode, FromWorker, JobId, Reply, Request, TrainingLab};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::MessageEvent;

use super::port;

/// The name the runner is started with, which tells it apart from the page's worker.
const RUNNER_NAME: &str = "bertlab-job-runner";

/// Whether this worker was started as the runner.
pub(crate) fn is_runner() -> bool {
    port::scope().name() == RUNNER_NAME
}

/// The runner, the jobs it has not finished, and the messages for it held until it is ready (a
/// worker drops what arrives before its script has installed a handler).
struct Runner {
    worker: web_sys::Worker,
    jobs: HashSet<JobId>,
    held: Option<Vec<String>>,
}

impl Runner {
    fn send(&mut self, text: &str) -> bool {
        match &mut self.held {
            Some(held) => {
                held.push(text.to_string());
                true
            }
            None => self.worker.post_message(&JsValue::from_str(text)).is_ok(),
        }
    }
}

thread_local! {
    static RUNNER: RefCell<Option<Runner>> = const { RefCell::new(None) };
}

/// Whether `request` goes to the runner: the pretraining lab's second lane (a new run or a
/// resumed one), where the machine has a core for it and the race trains on the CPU. On WebGPU
/// both lanes stay here and share the GPU, which the runner does not use.
pub(crate) fn takes(request: &Request) -> bool {
    if super::accelerator::status().active() == Backend::WebGpu {
        return false;
    }
    let second_lane = match request {
        Request::Pretrain(r) => r.lane == 1,
        Request::ResumeRun {
            lab: TrainingLab::Pretrain,
            lane,
        } => *lane == 1,
        _ => false,
    };
    second_lane && !is_runner() && port::scope().navigator().hardware_concurrency() >= 2.0
}

/// Hands job `job` (its `Run` message, `text`) to the runner, started on first use; false when no
/// runner could start, and the job then runs here.
pub(crate) fn pass_on_run(job: JobId, text: &str) -> bool {
    RUNNER.with(|r| {
        let mut runner = r.borrow_mut();
        if runner.is_none() {
            *runner = start().map_err(|e| web_sys::console::warn_1(&e)).ok();
        }
        let Some(runner) = runner.as_mut() else {
            return false;
        };
        if !runner.send(text) {
            return false;
        }
        runner.jobs.insert(job);
        true
    })
}

/// Passes an order for `job` (`text`, a `Cancel` or `Steer`) to the runner if the job is its;
/// false otherwise.
pub(crate) fn pass_on_order(job: JobId, text: &str) -> bool {
    RUNNER.with(|r| {
        let mut runner = r.borrow_mut();
        let Some(runner) = runner.as_mut().filter(|r| r.jobs.contains(&job)) else {
            return false;
        };
        runner.send(text)
    })
}

fn start() -> Result<Runner, JsValue> {
    let options = web_sys::WorkerOptions::new();
    options.set_name(RUNNER_NAME);
    let worker = web_sys::Worker::new_with_options(&port::scope().location().href(), &options)?;
    let onmessage = Closure::<dyn Fn(MessageEvent)>::new(|event: MessageEvent| {
        pass_back(&event.data());
    });
    worker.set_onmessage(Some(onmessage.as_ref().unchecked_ref()));
    onmessage.forget();
    let onerror = Closure::<dyn Fn(web_sys::ErrorEvent)>::new(|event: web_sys::ErrorEvent| {
        stopped(&event.message());
    });
    worker.set_onerror(Some(onerror.as_ref().unchecked_ref()));
    onerror.forget();
    Ok(Runner {
        worker,
        jobs: HashSet::new(),
        held: Some(Vec::new()),
    })
}

/// Passes a message of the runner's on to the page: a job's replies as they are (its handed-over
/// bytes too); the rest (its start, its backend) concerns this worker only.
fn pass_back(data: &JsValue) {
    let Some(text) = data.as_string() else {
        // A job's bytes: `{ job, bytes }` with the buffer to transfer.
        let bytes = js_sys::Reflect::get(data, &"bytes".into()).ok();
        let transfer = bytes
            .and_then(|b| b.dyn_into::<js_sys::Uint8Array>().ok())
            .map(|b| js_sys::Array::of1(&b.buffer()))
            .unwrap_or_default();
        let _ = port::scope().post_message_with_transfer(data, &transfer);
        return;
    };
    match decode::<FromWorker>(&text) {
        Ok(FromWorker::Job { job, reply }) => {
            if matches!(
                reply,
                Reply::Done(_) | Reply::Failed { .. } | Reply::Cancelled
            ) {
                RUNNER.with(|r| r.borrow_mut().as_mut().map(|r| r.jobs.remove(&job)));
            }
            let _ = port::scope().post_message(&JsValue::from_str(&text));
        }
        Ok(FromWorker::Crashed { message }) => stopped(&message),
        Ok(FromWorker::Ready(_)) => RUNNER.with(|r| {
            if let Some(runner) = r.borrow_mut().as_mut() {
                for text in runner.held.take().unwrap_or_default() {
                    let _ = runner.worker.post_message(&JsValue::from_str(&text));
                }
            }
        }),
        _ => {}
    }
}

/// The runner died: each of its jobs fails with the reason, and the next job starts a new runner.
fn stopped(why: &str) {
    let Some(runner) = RUNNER.with(|r| r.borrow_mut().take()) else {
        return;
    };
    runner.worker.terminate();
    for job in runner.jobs {
        port::post(&FromWorker::Job {
            job,
            reply: Reply::Failed {
                message: format!("the second training worker stopped: {why}"),
            },
        });
    }
}
