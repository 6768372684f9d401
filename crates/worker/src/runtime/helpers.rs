//! Helper workers: copies of this worker that compute a frozen encoder's hidden states for the job
//! running here, so that a frozen-encoder run uses more than one core (wasm threads cannot be
//! built here; more workers can). A helper loads the shipped model by its name, the same weights
//! the job's frozen encoder holds, and answers one batch of rows at a time; the job and its helpers
//! take batches from one queue as each frees up. A helper that fails to start or to answer leaves
//! its batches to this worker, so the result never depends on whether helpers ran.

use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::rc::Rc;

use bertlab_core::model::{Checkpoint, Encoder};
use bertlab_core::train::finetune::frozen::{
    last_hidden_states, length_sorted_batches, FrozenRows, TokenRow, EVAL_BATCH,
};
use candle_core::{Device, Tensor};
use futures_channel::oneshot;
use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::MessageEvent;

use super::assets::fetch_bytes;
use super::jobs::{JobContext, Stop};
use super::port;

/// The name a helper is started with, which tells it apart from the page's worker.
const HELPER_NAME: &str = "bertlab-helper";

/// At most this many helpers: each holds its own copy of the model.
const MAX_HELPERS: usize = 3;

/// A batch of rows to run through the encoder of the shipped model `model`.
#[derive(Serialize, Deserialize)]
struct EncodeRequest {
    id: u32,
    model: String,
    ids: Vec<Vec<u32>>,
    types: Vec<Vec<u32>>,
}

/// Whether this worker was started as a helper.
pub(crate) fn is_helper() -> bool {
    port::scope().name() == HELPER_NAME
}

/// A helper's life: answer each request with the rows' last hidden states, concatenated row after
/// row as one transferred `Float32Array`, or with an error's words.
pub(crate) fn serve() {
    let onmessage = Closure::<dyn Fn(MessageEvent)>::new(|event: MessageEvent| {
        let Some(text) = event.data().as_string() else {
            return;
        };
        wasm_bindgen_futures::spawn_local(async move {
            let (id, answer) = match serde_json::from_str::<EncodeRequest>(&text) {
                Ok(request) => (request.id, encode_here(request).await),
                Err(e) => (0, Err(format!("a helper could not read its request: {e}"))),
            };
            answer_request(id, answer);
        });
    });
    port::scope().set_onmessage(Some(onmessage.as_ref().unchecked_ref()));
    // The handler lives as long as the helper.
    onmessage.forget();
    let ready = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&ready, &"ready".into(), &JsValue::TRUE);
    let _ = port::scope().post_message(&ready);
}

thread_local! {
    /// A helper's encoder, by the name of the model it came from.
    static ENCODER: RefCell<Option<(String, Rc<Encoder>)>> = const { RefCell::new(None) };
}

async fn encode_here(request: EncodeRequest) -> Result<Vec<f32>, String> {
    let kept = ENCODER.with(|e| {
        e.borrow()
            .as_ref()
            .filter(|(name, _)| *name == request.model)
            .map(|(_, encoder)| encoder.clone())
    });
    let encoder = match kept {
        Some(encoder) => encoder,
        None => {
            ENCODER.with(|e| e.borrow_mut().take());
            let encoder = Rc::new(load_encoder(&request.model).await?);
            ENCODER.with(|e| *e.borrow_mut() = Some((request.model.clone(), encoder.clone())));
            encoder
        }
    };
    let rows: Vec<TokenRow> = request
        .ids
        .into_iter()
        .zip(request.types)
        .map(|(ids, types)| TokenRow { ids, types })
        .collect();
    let states = last_hidden_states(&encoder, &rows.iter().collect::<Vec<_>>())
        .map_err(|e| e.to_string())?;
    let mut flat = Vec::new();
    for state in states {
        flat.extend(
            state
                .flatten_all()
                .and_then(|s| s.to_vec1::<f32>())
                .map_err(|e| e.to_string())?,
        );
    }
    Ok(flat)
}

async fn load_encoder(name: &str) -> Result<Encoder, String> {
    let stopped = |stop: Stop| match stop {
        Stop::Failed(message) => message,
        Stop::Cancelled => "cancelled".to_string(),
    };
    let config = fetch_bytes(&format!("models/{name}/config.json"))
        .await
        .map_err(stopped)?;
    let weights = fetch_bytes(&format!("models/{name}/model.safetensors"))
        .await
        .map_err(stopped)?;
    let checkpoint =
        Checkpoint::from_bytes(&config, &weights).map_err(|e| format!("{name}: {e}"))?;
    drop(weights);
    Ok(checkpoint
        .load::<Encoder>(&Device::Cpu)
        .map_err(|e| format!("{name}: {e}"))?
        .model)
}

fn answer_request(id: u32, answer: Result<Vec<f32>, String>) {
    let message = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&message, &"id".into(), &JsValue::from(id));
    let posted = match answer {
        Ok(states) => {
            let array = js_sys::Float32Array::from(states.as_slice());
            let _ = js_sys::Reflect::set(&message, &"states".into(), &array);
            port::scope().post_message_with_transfer(&message, &js_sys::Array::of1(&array.buffer()))
        }
        Err(error) => {
            let _ = js_sys::Reflect::set(&message, &"error".into(), &JsValue::from_str(&error));
            port::scope().post_message(&message)
        }
    };
    if let Err(e) = posted {
        web_sys::console::error_2(&"a helper could not answer".into(), &e);
    }
}

/// A helper's answer: the rows' states flattened row after row, or why there are none.
type Answer = Result<Vec<f32>, String>;

/// The job's side: a started helper, the requests it has not answered yet, and those held until
/// it is ready (a worker drops what arrives before its script has installed a handler).
struct Helper {
    worker: web_sys::Worker,
    waiting: RefCell<HashMap<u32, oneshot::Sender<Answer>>>,
    held: RefCell<Option<Vec<String>>>,
}

impl Helper {
    /// Starts a copy of this worker's own script under [`HELPER_NAME`].
    fn start() -> Result<Rc<Helper>, String> {
        let script = port::scope().location().href();
        let options = web_sys::WorkerOptions::new();
        options.set_name(HELPER_NAME);
        let worker = web_sys::Worker::new_with_options(&script, &options)
            .map_err(|e| format!("no helper worker: {e:?}"))?;
        let helper = Rc::new(Helper {
            worker,
            waiting: RefCell::new(HashMap::new()),
            held: RefCell::new(Some(Vec::new())),
        });
        let weak = Rc::downgrade(&helper);
        let onmessage = Closure::<dyn Fn(MessageEvent)>::new(move |event: MessageEvent| {
            if let Some(helper) = weak.upgrade() {
                helper.take_reply(&event.data());
            }
        });
        helper
            .worker
            .set_onmessage(Some(onmessage.as_ref().unchecked_ref()));
        onmessage.forget();
        let weak = Rc::downgrade(&helper);
        let onerror = Closure::<dyn Fn(web_sys::ErrorEvent)>::new(move |e: web_sys::ErrorEvent| {
            if let Some(helper) = weak.upgrade() {
                helper.fail_all(&format!("a helper worker stopped: {}", e.message()));
            }
        });
        helper
            .worker
            .set_onerror(Some(onerror.as_ref().unchecked_ref()));
        onerror.forget();
        Ok(helper)
    }

    fn take_reply(&self, data: &JsValue) {
        // A helper's panic reaches us as the page's `Crashed` message, a string.
        if data.is_string() {
            self.fail_all("a helper worker crashed");
            return;
        }
        let get = |key: &str| js_sys::Reflect::get(data, &key.into()).ok();
        if get("ready").is_some_and(|r| r.is_truthy()) {
            let held = self.held.borrow_mut().take().unwrap_or_default();
            for text in held {
                if self.worker.post_message(&JsValue::from_str(&text)).is_err() {
                    self.fail_all("could not reach a helper");
                }
            }
            return;
        }
        let Some(id) = get("id").and_then(|id| id.as_f64()) else {
            return;
        };
        let Some(sender) = self.waiting.borrow_mut().remove(&(id as u32)) else {
            return;
        };
        let answer = match get("states").filter(|s| s.is_instance_of::<js_sys::Float32Array>()) {
            Some(states) => Ok(states.unchecked_into::<js_sys::Float32Array>().to_vec()),
            None => Err(get("error")
                .and_then(|e| e.as_string())
                .unwrap_or_else(|| "a helper answered without states".into())),
        };
        let _ = sender.send(answer);
    }

    fn fail_all(&self, why: &str) {
        for (_, sender) in self.waiting.borrow_mut().drain() {
            let _ = sender.send(Err(why.to_string()));
        }
        HELPERS.with(|h| {
            h.borrow_mut()
                .retain(|kept| !std::ptr::eq(kept.as_ref(), self))
        });
    }

    /// Asks the helper for the last hidden states of `rows`, flattened row after row.
    async fn encode(&self, model: &str, rows: &[&TokenRow]) -> Result<Vec<f32>, String> {
        let id = NEXT_REQUEST.with(|n| {
            let id = n.get();
            n.set(id.wrapping_add(1));
            id
        });
        let request = EncodeRequest {
            id,
            model: model.to_string(),
            ids: rows.iter().map(|r| r.ids.clone()).collect(),
            types: rows.iter().map(|r| r.types.clone()).collect(),
        };
        let text = serde_json::to_string(&request).map_err(|e| e.to_string())?;
        let (sender, receiver) = oneshot::channel();
        self.waiting.borrow_mut().insert(id, sender);
        if let Some(held) = self.held.borrow_mut().as_mut() {
            held.push(text);
        } else if let Err(e) = self.worker.post_message(&JsValue::from_str(&text)) {
            self.waiting.borrow_mut().remove(&id);
            return Err(format!("could not reach a helper: {e:?}"));
        }
        receiver
            .await
            .map_err(|_| "a helper went away".to_string())?
    }
}

impl Drop for Helper {
    fn drop(&mut self) {
        self.worker.terminate();
    }
}

thread_local! {
    /// The helpers started so far; one that fails leaves, and the next job starts another.
    static HELPERS: RefCell<Vec<Rc<Helper>>> = const { RefCell::new(Vec::new()) };
    static NEXT_REQUEST: std::cell::Cell<u32> = const { std::cell::Cell::new(1) };
}

/// The helpers this machine has cores for (one core stays with this worker), started on first use.
fn helpers() -> Vec<Rc<Helper>> {
    let wanted = port::scope().navigator().hardware_concurrency().max(1.0) as usize - 1;
    HELPERS.with(|h| {
        let mut helpers = h.borrow_mut();
        while helpers.len() < wanted.min(MAX_HELPERS) {
            match Helper::start() {
                Ok(helper) => helpers.push(helper),
                Err(e) => {
                    web_sys::console::warn_1(&e.into());
                    break;
                }
            }
        }
        helpers.clone()
    })
}

/// Hands a frozen tuner the states of its training rows, computed here and by the helpers with
/// the shipped model `shipped`; nothing to do once they are there or when the encoder trains.
pub(crate) async fn provide_frozen_states(
    ctx: &JobContext,
    shipped: &str,
    frozen: FrozenRows<'_>,
    what: &str,
) -> Result<(), Stop> {
    let Some(rows) = frozen.pending() else {
        return Ok(());
    };
    let states = encode_rows(ctx, Some(shipped), frozen.encoder(), rows, what).await?;
    frozen
        .provide(states)
        .map_err(|e| Stop::Failed(e.to_string()))
}

/// Has the helpers load the shipped model `model` now, while this worker loads its own copy, so
/// that they are ready when [`encode_rows`] hands out the first batches.
pub(crate) fn warm_up(model: &str) {
    for helper in helpers() {
        let model = model.to_string();
        wasm_bindgen_futures::spawn_local(async move {
            if let Err(e) = helper.encode(&model, &[]).await {
                web_sys::console::warn_1(&e.into());
            }
        });
    }
}

/// Each row's last hidden state from `encoder`, as [`last_hidden_states`] gives them. When
/// `shipped` names the shipped model that `encoder` is an unchanged copy of (a frozen encoder),
/// helper workers compute some of the batches. Progress goes to the page as `what`.
pub(crate) async fn encode_rows(
    ctx: &JobContext,
    shipped: Option<&str>,
    encoder: &Encoder,
    rows: &[&TokenRow],
    what: &str,
) -> Result<Vec<Tensor>, Stop> {
    let failed = |e: &dyn std::fmt::Display| Stop::Failed(e.to_string());
    let lengths: Vec<usize> = rows.iter().map(|r| r.ids.len()).collect();
    let hidden = encoder.config().hidden_size;
    let queue = RefCell::new(VecDeque::from(length_sorted_batches(&lengths, EVAL_BATCH)));
    let states: RefCell<Vec<Option<Tensor>>> = RefCell::new(vec![None; rows.len()]);
    let done = std::cell::Cell::new(0usize);
    let report = |batch: &[usize]| {
        done.set(done.get() + batch.len());
        ctx.progress(
            done.get() as u64,
            rows.len() as u64,
            format!("{what}: {} of {}", done.get(), rows.len()),
        );
    };
    let here = async {
        // A batch a helper gives back after this loop ended is computed after the join below.
        // Each borrow of the queue ends before the next await (a `while let` keeps its guard).
        let next = || queue.borrow_mut().pop_front();
        while let Some(batch) = next() {
            let chunk: Vec<&TokenRow> = batch.iter().map(|&i| rows[i]).collect();
            let computed = last_hidden_states(encoder, &chunk).map_err(|e| failed(&e))?;
            for (&i, state) in batch.iter().zip(computed) {
                states.borrow_mut()[i] = Some(state);
            }
            report(&batch);
            ctx.yield_or_stop().await?;
        }
        Ok::<(), Stop>(())
    };
    let (queue_ref, states_ref, report_ref, lengths_ref) = (&queue, &states, &report, &lengths);
    let helped = shipped.map(|model| {
        helpers().into_iter().map(move |helper| {
            let (queue, states, report, lengths) = (queue_ref, states_ref, report_ref, lengths_ref);
            async move {
                // The longest rows go to the helpers: they start a little later.
                let next = || queue.borrow_mut().pop_back();
                while let Some(batch) = next() {
                    let chunk: Vec<&TokenRow> = batch.iter().map(|&i| rows[i]).collect();
                    match helper.encode(model, &chunk).await {
                        Ok(flat) => {
                            let mut states = states.borrow_mut();
                            let mut at = 0;
                            for &i in &batch {
                                let size = lengths[i] * hidden;
                                let Some(values) = flat.get(at..at + size) else {
                                    break;
                                };
                                states[i] =
                                    Tensor::from_slice(values, (lengths[i], hidden), &Device::Cpu)
                                        .ok();
                                at += size;
                            }
                            report(&batch);
                        }
                        Err(e) => {
                            web_sys::console::warn_1(&e.into());
                            queue.borrow_mut().push_back(batch);
                            return;
                        }
                    }
                }
            }
        })
    });
    let helping = futures_util::future::join_all(helped.into_iter().flatten());
    // The helpers go first, so that their requests are out before this worker starts computing.
    futures_util::future::try_join(
        async {
            helping.await;
            Ok(())
        },
        here,
    )
    .await?;
    // Whatever a failed helper left, or an answer of the wrong size, is computed here.
    let missing: Vec<usize> = (0..rows.len())
        .filter(|&i| states.borrow()[i].is_none())
        .collect();
    if !missing.is_empty() {
        let chunk: Vec<&TokenRow> = missing.iter().map(|&i| rows[i]).collect();
        let computed = last_hidden_states(encoder, &chunk).map_err(|e| failed(&e))?;
        for (&i, state) in missing.iter().zip(computed) {
            states.borrow_mut()[i] = Some(state);
        }
    }
    Ok(states.into_inner().into_iter().flatten().collect())
}
