//! The worker's end of the page's message port: posting replies, handing over bytes, the clock, and
//! yielding to the event loop so that queued messages (a cancel, a newer job) get in.

use bertlab_protocol::messages::{encode, FromWorker, JobId};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::DedicatedWorkerGlobalScope;

/// The worker's global scope, where messages come in and go out.
pub(crate) fn scope() -> DedicatedWorkerGlobalScope {
    js_sys::global().unchecked_into()
}

/// Sends `message` to the page as JSON; a failure is logged, since there is no one else to tell.
pub(crate) fn post(message: &FromWorker) {
    match encode(message) {
        Ok(text) => {
            if let Err(e) = scope().post_message(&JsValue::from_str(&text)) {
                web_sys::console::error_2(&"worker could not post a message".into(), &e);
            }
        }
        Err(e) => web_sys::console::error_1(&e.into()),
    }
}

/// Hands `bytes` to the page for `job` as a transferred buffer (no copy, no JSON): the page picks
/// them up when the job's reply arrives.
pub(crate) fn transfer_bytes(job: JobId, bytes: &[u8]) -> Result<(), String> {
    let array = js_sys::Uint8Array::from(bytes);
    let message = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&message, &"job".into(), &JsValue::from(job));
    let _ = js_sys::Reflect::set(&message, &"bytes".into(), &array);
    let transfer = js_sys::Array::of1(&array.buffer());
    scope()
        .post_message_with_transfer(&message, &transfer)
        .map_err(|e| format!("could not hand over the model: {e:?}"))
}

/// Milliseconds, from the worker's high-resolution clock.
pub(crate) fn now_ms() -> f64 {
    scope()
        .performance()
        .map_or_else(js_sys::Date::now, |p| p.now())
}

/// Lets the worker's event loop handle the messages queued so far. A message to ourselves through a
/// `MessageChannel` queues behind them like `setTimeout(0)` would, without its 1–4 ms clamp, which
/// adds up over a job that yields once per encoder layer.
pub(crate) async fn yield_to_event_loop() {
    let Ok(channel) = web_sys::MessageChannel::new() else {
        gloo::timers::future::TimeoutFuture::new(0).await;
        return;
    };
    let delivered = js_sys::Promise::new(&mut |resolve, _reject| {
        channel.port1().set_onmessage(Some(resolve.unchecked_ref()));
        if channel.port2().post_message(&JsValue::NULL).is_err() {
            let _ = resolve.call0(&JsValue::NULL);
        }
    });
    // `channel` lives until the message arrived.
    let _ = wasm_bindgen_futures::JsFuture::from(delivered).await;
    channel.port1().set_onmessage(None);
}
