//! The page's handle to the compute worker: starts it, sends typed requests, routes every reply to the
//! callback of the job it belongs to, and mirrors the worker's state in a signal for the status bar.

use std::cell::RefCell;
use std::collections::HashMap;

use leptos::prelude::*;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{MessageEvent, Worker};

use bertlab_protocol::messages::{
    decode, encode, FromWorker, JobId, ModelEvent, Reply, Request, Steer, ToWorker, WorkerInfo,
};

/// What the status bar shows about the worker.
#[derive(Debug, Clone, PartialEq)]
pub enum WorkerStatus {
    Starting,
    Ready {
        info: WorkerInfo,
        running: usize,
        /// The latest news of a model: none until a widget first needs one (models load on
        /// demand, so the start page and the lesson text never wait for weights).
        model: Option<ModelEvent>,
        /// Why the previous worker stopped, when this one replaced a crashed one.
        recovered: Option<String>,
    },
    Failed(String),
}

/// What the page tells a job (and the status bar) when the worker stops under it.
fn crash_words(reason: &str) -> String {
    format!(
        "the compute worker stopped ({reason}) and a new one was started: your settings and saved \
         work are kept, so press the button again"
    )
}

/// A browser's report of a trap, in words a student can act on.
fn plain_reason(message: &str) -> String {
    if message.contains("unreachable") || message.contains("memory") {
        "it ran out of memory, or hit an internal error: a smaller model, batch or text may fit"
            .to_string()
    } else {
        message.trim_start_matches("Uncaught ").to_string()
    }
}

/// More crashes than this within [`CRASH_WINDOW_MS`] mean restarting will not help.
const MAX_CRASHES: usize = 3;
const CRASH_WINDOW_MS: f64 = 60_000.0;

type ReplyHandler = Box<dyn Fn(Reply)>;

struct Connection {
    /// None in the build's snapshot run, where requests wait for good (see [`hold_requests`]).
    worker: Option<Worker>,
    /// Which worker this is since the page loaded: events of a replaced worker are ignored.
    generation: u32,
    next_job: JobId,
    handlers: HashMap<JobId, ReplyHandler>,
    /// Messages sent before the worker announced itself: the browser drops messages that arrive
    /// while the worker's wasm is still loading, so they wait here until `Ready`.
    pending: Option<Vec<String>>,
}

impl Connection {
    fn send(&mut self, text: String) -> Result<(), String> {
        match &mut self.pending {
            Some(queue) => {
                queue.push(text);
                Ok(())
            }
            None => self
                .worker
                .as_ref()
                .ok_or("the compute worker is not running")?
                .post_message(&JsValue::from_str(&text))
                .map_err(|e| format!("could not reach the compute worker: {e:?}")),
        }
    }

    /// The worker is listening: deliver what waited.
    fn open(&mut self) {
        let Some(worker) = &self.worker else { return };
        for text in self.pending.take().unwrap_or_default() {
            if let Err(e) = worker.post_message(&JsValue::from_str(&text)) {
                web_sys::console::error_1(&e);
            }
        }
    }
}

thread_local! {
    static CONNECTION: RefCell<Option<Connection>> = const { RefCell::new(None) };
    /// When the worker crashed lately (ms since the epoch), to stop restarting a worker that
    /// cannot stay up; and what the newest crash was, for the status bar.
    static CRASHES: RefCell<(Vec<f64>, Option<String>)> = const { RefCell::new((Vec::new(), None)) };
    /// Binary payloads by job, posted by the worker just before the reply that names them.
    static BYTES: RefCell<HashMap<JobId, js_sys::Uint8Array>> = RefCell::new(HashMap::new());
}

/// A binary message `{ job, bytes: Uint8Array }` from the worker.
fn keep_bytes(data: &JsValue) {
    let job = js_sys::Reflect::get(data, &"job".into())
        .ok()
        .and_then(|j| j.as_f64());
    let bytes = js_sys::Reflect::get(data, &"bytes".into())
        .ok()
        .and_then(|b| b.dyn_into::<js_sys::Uint8Array>().ok());
    if let (Some(job), Some(bytes)) = (job, bytes) {
        BYTES.with(|b| b.borrow_mut().insert(job as JobId, bytes));
    }
}

/// The bytes the worker sent for `job` (e.g. an exported model), once.
pub fn take_bytes(job: JobId) -> Option<js_sys::Uint8Array> {
    BYTES.with(|b| b.borrow_mut().remove(&job))
}

/// The worker's loader script, resolved against the document base so deep links work: the build
/// with fused multiply-add kernels where the browser has relaxed SIMD, the SIMD128 one elsewhere
/// (a module with relaxed SIMD instructions does not load at all in a browser without them).
fn worker_url() -> String {
    let base = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.base_uri().ok().flatten())
        .unwrap_or_else(|| "/".to_string());
    let name = if relaxed_simd() {
        "bertlab-worker-fma"
    } else {
        "bertlab-worker"
    };
    format!("{}{name}_loader.js", base.trim_end_matches(|c| c != '/'))
}

/// A module of one function, `() -> v128`, computing `f32x4.relaxed_madd` of three zero vectors.
const RELAXED_SIMD_PROBE: [u8; 82] = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version 1
    0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, // types: () -> v128
    0x03, 0x02, 0x01, 0x00, // functions: one of type 0
    0x0a, 0x3d, 0x01, 0x3b, 0x00, // code: one body of 59 bytes, no locals
    0xfd, 0x0c, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // v128.const 0
    0xfd, 0x0c, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // v128.const 0
    0xfd, 0x0c, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // v128.const 0
    0xfd, 0x85, 0x02, // f32x4.relaxed_madd
    0x0b, // end
];

/// Whether this browser validates relaxed SIMD (`?cpu=simd128` in the page's URL says no, so the
/// SIMD128 build can be tried in any browser).
fn relaxed_simd() -> bool {
    let forced_off = web_sys::window()
        .and_then(|w| w.location().search().ok())
        .and_then(|q| web_sys::UrlSearchParams::new_with_str(&q).ok())
        .and_then(|q| q.get("cpu"))
        .is_some_and(|cpu| cpu == "simd128");
    !forced_off
        && js_sys::WebAssembly::validate(&js_sys::Uint8Array::from(&RELAXED_SIMD_PROBE[..]))
            .unwrap_or(false)
}

fn update_running(status: RwSignal<WorkerStatus>, running: usize) {
    status.update(|s| {
        if let WorkerStatus::Ready { running: r, .. } = s {
            *r = running;
        }
    });
}

/// Start the worker; `status` follows its lifecycle from then on, and a worker that crashes is
/// replaced (see [`recover`]).
pub fn start(status: RwSignal<WorkerStatus>) {
    expose_crash_test(status);
    start_worker(status, 0, 1);
}

fn start_worker(status: RwSignal<WorkerStatus>, generation: u32, next_job: JobId) {
    let worker = match Worker::new(&worker_url()) {
        Ok(worker) => worker,
        Err(e) => {
            status.set(WorkerStatus::Failed(format!(
                "the compute worker could not start: {e:?}"
            )));
            return;
        }
    };
    let current = move || {
        CONNECTION.with(|c| {
            c.borrow()
                .as_ref()
                .is_some_and(|c| c.generation == generation)
        })
    };
    let onmessage = Closure::<dyn Fn(MessageEvent)>::new(move |event: MessageEvent| {
        if !current() {
            return;
        }
        let data = event.data();
        let Some(text) = data.as_string() else {
            keep_bytes(&data);
            return;
        };
        match decode::<FromWorker>(&text) {
            Ok(FromWorker::Ready(info)) => {
                CONNECTION.with(|c| c.borrow_mut().as_mut().map(Connection::open));
                status.set(WorkerStatus::Ready {
                    info,
                    running: 0,
                    model: None,
                    recovered: CRASHES.with(|c| c.borrow().1.clone()),
                });
            }
            Ok(FromWorker::Crashed { message }) => recover(status, message),
            Ok(FromWorker::Model(event)) => set_model_event(status, event),
            Ok(FromWorker::Backend(backend)) => status.update(|s| {
                if let WorkerStatus::Ready { info, .. } = s {
                    info.backend = backend;
                }
            }),
            Ok(FromWorker::Job { job, reply }) => dispatch(status, job, reply),
            Err(message) => status.set(WorkerStatus::Failed(message)),
        }
    });
    worker.set_onmessage(Some(onmessage.as_ref().unchecked_ref()));
    onmessage.forget();
    // A trap (out of memory, an abort) reaches the page as an error event, not as a message.
    let onerror = Closure::<dyn Fn(web_sys::ErrorEvent)>::new(move |event: web_sys::ErrorEvent| {
        if current() {
            recover(status, plain_reason(&event.message()));
        }
    });
    worker.set_onerror(Some(onerror.as_ref().unchecked_ref()));
    onerror.forget();
    connect(Some(worker), generation, next_job);
}

/// The worker stopped: every job it had fails with words that say so, and a new worker takes its
/// place (the labs' state lives in the page and its URL, so nothing the student set is lost),
/// unless it keeps crashing.
fn recover(status: RwSignal<WorkerStatus>, reason: String) {
    let Some(old) = CONNECTION.with(|c| c.borrow_mut().take()) else {
        return;
    };
    if let Some(worker) = &old.worker {
        worker.terminate();
    }
    let now = js_sys::Date::now();
    let crashes = CRASHES.with(|c| {
        let mut c = c.borrow_mut();
        c.0.retain(|t| now - t < CRASH_WINDOW_MS);
        c.0.push(now);
        c.1 = Some(reason.clone());
        c.0.len()
    });
    if crashes > MAX_CRASHES {
        status.set(WorkerStatus::Failed(format!(
            "it stopped {crashes} times within a minute (last: {reason}). Reload the page: your \
             progress and saved models are kept"
        )));
    } else {
        status.set(WorkerStatus::Starting);
        // Started first, so a job a failure handler starts again queues for the new worker.
        start_worker(status, old.generation + 1, old.next_job);
    }
    let message = crash_words(&reason);
    for (_, handler) in old.handlers {
        handler(Reply::Failed {
            message: message.clone(),
        });
    }
}

/// `window.bertlabCrashWorker(outOfMemory)`: makes the worker crash (see [`Request::Crash`]), so
/// the browser tests can check that the page recovers.
fn expose_crash_test(status: RwSignal<WorkerStatus>) {
    let crash = Closure::<dyn Fn(bool)>::new(move |out_of_memory: bool| {
        if let Err(e) = run(status, Request::Crash { out_of_memory }, |_| {}) {
            web_sys::console::error_1(&e.into());
        }
    });
    if let Some(window) = web_sys::window() {
        let _ = js_sys::Reflect::set(&window, &"bertlabCrashWorker".into(), crash.as_ref());
    }
    crash.forget();
}

/// The build's snapshot run: no worker, and requests wait as they do before a worker answers, so
/// every widget is captured in the state a first visit sees, never with an error.
pub fn hold_requests() {
    connect(None, 0, 1);
}

fn connect(worker: Option<Worker>, generation: u32, next_job: JobId) {
    CONNECTION.with(|c| {
        *c.borrow_mut() = Some(Connection {
            worker,
            generation,
            next_job,
            handlers: HashMap::new(),
            pending: Some(Vec::new()),
        })
    });
}

fn set_model_event(status: RwSignal<WorkerStatus>, event: ModelEvent) {
    status.update(|s| {
        if let WorkerStatus::Ready { model, .. } = s {
            *model = Some(event);
        }
    });
}

fn dispatch(status: RwSignal<WorkerStatus>, job: JobId, reply: Reply) {
    let finished = reply.is_final();
    // Take the handler out while it runs so it may itself start or cancel jobs.
    let handler = CONNECTION.with(|c| {
        c.borrow_mut()
            .as_mut()
            .and_then(|c| c.handlers.remove(&job))
    });
    if let Some(handler) = handler {
        handler(reply);
        if !finished {
            CONNECTION.with(|c| {
                if let Some(c) = c.borrow_mut().as_mut() {
                    c.handlers.insert(job, handler);
                }
            });
        }
    }
    let running = CONNECTION.with(|c| c.borrow().as_ref().map_or(0, |c| c.handlers.len()));
    update_running(status, running);
}

/// Send `request` to the worker; `on_reply` sees each of its progress events and its final reply.
/// Returns the job id (for [`cancel`]), or an error message when the worker is not running.
pub fn run(
    status: RwSignal<WorkerStatus>,
    request: Request,
    on_reply: impl Fn(Reply) + 'static,
) -> Result<JobId, String> {
    let sent = CONNECTION.with(|c| {
        let mut guard = c.borrow_mut();
        let connection = guard.as_mut().ok_or("the compute worker is not running")?;
        let job = connection.next_job;
        connection.next_job += 1;
        connection.send(encode(&ToWorker::Run { job, request })?)?;
        connection.handlers.insert(job, Box::new(on_reply));
        Ok::<_, String>((job, connection.handlers.len()))
    })?;
    update_running(status, sent.1);
    Ok(sent.0)
}

/// Ask the worker to stop `job`; its handler then receives [`Reply::Cancelled`].
pub fn cancel(job: JobId) {
    CONNECTION.with(|c| {
        if let (Some(connection), Ok(text)) =
            (c.borrow_mut().as_mut(), encode(&ToWorker::Cancel { job }))
        {
            // A worker that cannot be reached has no job left to cancel.
            let _ = connection.send(text);
        }
    });
}

/// Pause, resume or end training `job` (see [`Steer`]).
pub fn steer(job: JobId, action: Steer) {
    CONNECTION.with(|c| {
        if let (Some(connection), Ok(text)) = (
            c.borrow_mut().as_mut(),
            encode(&ToWorker::Steer { job, action }),
        ) {
            let _ = connection.send(text);
        }
    });
}
