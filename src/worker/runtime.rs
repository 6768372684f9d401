//! The compute runtime inside the Web Worker: decodes requests, runs each as an async job, streams
//! progress, honours cancellation, and turns every failure into a readable [`Reply::Failed`].

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

use super::accelerator::{self, GpuWeights};
use super::backend::BackendTimings;
use super::lab_model::{safetensors_header_len, summary_from_header, LabModel};
use super::protocol::{
    decode, encode, FinetuneRequest, FromWorker, JobId, ModelSummary, Outcome, PretrainRequest,
    Progress, Reply, Request, Steer, ToWorker, TrainingPoint, WorkerInfo,
};
use crate::gpu::bench::{bench_input, bert_base_config, time_cpu, time_gpu, BenchRow, SEQ_LENS};
use crate::gpu::GpuMaskedLm;
use crate::model::views::AttentionQuery;
use crate::model::{Checkpoint, Internals, Loaded, MaskedLm, ModelError};
use crate::text::tokenizer::Tokenizer;
use crate::text::view::{token_view, COMPARED_TOKENIZERS};
use crate::train::baseline::{BagOfWords, BaselineConfig};
use crate::train::export::{export_files, ExportMetrics};
use crate::train::finetune::{FineTuner, FinetuneConfig, SheetRow};
use crate::train::labelled::parse_csv;
use crate::train::zip::stored_zip;

thread_local! {
    /// Jobs the page asked to stop; a job sees this at its next [`JobContext::checkpoint`].
    static CANCELLED: RefCell<HashSet<JobId>> = RefCell::new(HashSet::new());
    /// Training jobs told to hold, and those told to finish early ([`JobContext::between_updates`]).
    static PAUSED: RefCell<HashSet<JobId>> = RefCell::new(HashSet::new());
    static STOPPING: RefCell<HashSet<JobId>> = RefCell::new(HashSet::new());
    /// The latest fine-tuned encoder, by the job that trained it, until it is exported or replaced
    /// (one at a time: a MiniLM-sized model and its optimizer state take a few hundred MB).
    static TUNED: RefCell<Option<Tuned>> = const { RefCell::new(None) };
    /// Models loaded so far, by folder name; loading is slow, so each is loaded once.
    static MODELS: RefCell<HashMap<String, Rc<LabModel>>> = RefCell::new(HashMap::new());
    /// Models being loaded right now; other jobs wanting one wait for that load instead of repeating it.
    static LOADING: RefCell<HashSet<String>> = RefCell::new(HashSet::new());
    /// `models/index.json`, once fetched.
    static INDEX: RefCell<Option<Rc<ModelIndex>>> = const { RefCell::new(None) };
    /// The tokenizer lab's BPE and Unigram tokenizers, by path, once fetched.
    static TOKENIZERS: RefCell<HashMap<String, Rc<Tokenizer>>> = RefCell::new(HashMap::new());
}

/// `models/index.json`: which one the lab opens with and which model folders it ships (older
/// indexes name only the default).
#[derive(serde::Deserialize)]
struct ModelIndex {
    default: String,
    #[serde(default)]
    models: Vec<String>,
}

impl ModelIndex {
    /// The deployment's index, fetched once: every job naming no model needs it, and typing sends
    /// a job per keystroke.
    async fn get() -> Result<Rc<ModelIndex>, Stop> {
        if let Some(index) = INDEX.with(|i| i.borrow().clone()) {
            return Ok(index);
        }
        let index = fetch_bytes("models/index.json").await?;
        let mut index = serde_json::from_slice::<ModelIndex>(&index)
            .map_err(|e| Stop::Failed(format!("models/index.json is malformed: {e}")))?;
        if index.models.is_empty() {
            index.models.push(index.default.clone());
        }
        let index = Rc::new(index);
        INDEX.with(|i| *i.borrow_mut() = Some(index.clone()));
        Ok(index)
    }
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
        yield_to_event_loop().await;
        if CANCELLED.with(|c| c.borrow_mut().remove(&self.job)) {
            Err(Stop::Cancelled)
        } else {
            Ok(())
        }
    }
}

/// Lets the worker's event loop handle the messages queued so far. A message to ourselves through a
/// `MessageChannel` queues behind them like `setTimeout(0)` would, without its 1–4 ms clamp, which
/// adds up over a job that yields once per encoder layer.
async fn yield_to_event_loop() {
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

impl JobContext {
    fn point(&self, point: TrainingPoint) {
        post(&FromWorker::Job {
            job: self.job,
            reply: Reply::Point(point),
        });
    }

    /// Between two updates of a training run: let messages in, hold while paused (saying so
    /// once), and report whether the user asked to end training now.
    async fn between_updates(&self, last: &TrainingPoint) -> Result<bool, Stop> {
        self.checkpoint().await?;
        let paused = || PAUSED.with(|p| p.borrow().contains(&self.job));
        let stopping = || STOPPING.with(|s| s.borrow().contains(&self.job));
        if paused() && !stopping() {
            self.point(TrainingPoint {
                paused: true,
                ..last.clone()
            });
            while paused() && !stopping() {
                gloo::timers::future::TimeoutFuture::new(100).await;
                self.checkpoint().await?;
            }
        }
        Ok(stopping())
    }
}

/// A fine-tuned model kept for export.
struct Tuned {
    job: JobId,
    tuner: FineTuner,
    tokenizer_json: Vec<u8>,
    metrics: ExportMetrics,
}

/// One line of the experiment sheet: train `request.approach` on the training split (or a
/// balanced part of it), streaming the curve, then test on the held-out split.
async fn finetune(ctx: &JobContext, request: FinetuneRequest) -> Result<SheetRow, Stop> {
    let failed = |e: crate::train::TrainError| Stop::Failed(e.to_string());
    let dataset = match request.csv {
        Some(_) => "your CSV".to_string(),
        None => request.dataset.slug().to_string(),
    };
    let csv = match request.csv {
        Some(text) => text.into_bytes(),
        None => fetch_bytes(request.dataset.path()).await?,
    };
    let split = parse_csv(&csv, 0.2, request.seed).map_err(failed)?;
    let train = split
        .train
        .balanced_subset(request.train_examples.unwrap_or(usize::MAX), request.seed);
    let started = js_sys::Date::now();
    let seconds = || (js_sys::Date::now() - started) / 1000.0;
    let Some(regime) = request.approach.regime() else {
        ctx.progress(
            0,
            0,
            format!("fitting the bag of words on {} texts", train.len()),
        );
        ctx.checkpoint().await?;
        let config = BaselineConfig::default();
        let model = BagOfWords::train(&train, &config).map_err(failed)?;
        let test = model.evaluate(&split.test);
        return Ok(SheetRow {
            approach: request.approach,
            model: String::new(),
            dataset,
            train_examples: train.len(),
            accuracy: test.accuracy,
            macro_f1: test.macro_f1,
            trainable_parameters: model.trainable_parameters(),
            wall_seconds: seconds(),
            updates: config.epochs,
            stopped_early: false,
            note: String::new(),
        });
    };
    let name = match request.model {
        Some(name) => name,
        None => ModelIndex::get().await?.default.clone(),
    };
    let mut files = Vec::new();
    for file in ["config.json", "model.safetensors", "tokenizer.json"] {
        ctx.progress(0, 0, format!("loading {name}/{file}"));
        files.push(fetch_bytes(&format!("models/{name}/{file}")).await?);
        ctx.checkpoint().await?;
    }
    let checkpoint = Checkpoint::from_bytes(&files[0], &files[1])
        .map_err(|e| Stop::Failed(format!("{name}: {e}")))?;
    let tokenizer =
        Tokenizer::from_bytes(&files[2]).map_err(|e| Stop::Failed(format!("{name}: {e}")))?;
    let tokenizer_json = files.swap_remove(2);
    drop(files);
    // The previous model gives its memory back before this one is built.
    TUNED.with(|t| t.borrow_mut().take());
    ctx.progress(0, 0, format!("preparing {} training texts", train.len()));
    ctx.checkpoint().await?;
    let config = FinetuneConfig {
        epochs: request.epochs.max(1),
        seed: request.seed,
        ..FinetuneConfig::for_regime(regime)
    };
    let mut tuner = FineTuner::new(&checkpoint, tokenizer, &train, config).map_err(failed)?;
    drop(checkpoint);
    let mut stopped_early = false;
    let mut note = String::new();
    while !tuner.is_done() {
        let step = match tuner.train_step() {
            Ok(step) => step,
            // The update was not applied: test what the last good weights learned.
            Err(e @ crate::train::TrainError::NonFinite { .. }) => {
                note = e.to_string();
                break;
            }
            Err(e) => return Err(failed(e)),
        };
        let point = TrainingPoint {
            step: step.step,
            total_steps: step.total_steps,
            loss: step.loss,
            accuracy: step.accuracy,
            paused: false,
            held_out_accuracy: None,
            probe: Vec::new(),
        };
        ctx.point(point.clone());
        if ctx.between_updates(&point).await? {
            stopped_early = !tuner.is_done();
            break;
        }
    }
    ctx.progress(
        0,
        0,
        format!("testing on {} held-out texts", split.test.len()),
    );
    ctx.checkpoint().await?;
    let test = tuner.evaluate(&split.test).map_err(failed)?;
    let row = SheetRow {
        approach: request.approach,
        model: name.clone(),
        dataset: dataset.clone(),
        train_examples: train.len(),
        accuracy: test.accuracy,
        macro_f1: test.macro_f1,
        trainable_parameters: tuner.trainable_parameters(),
        wall_seconds: seconds(),
        updates: tuner.step(),
        stopped_early,
        note,
    };
    let metrics = ExportMetrics {
        base_model: name,
        dataset,
        train_examples: train.len(),
        test_examples: split.test.len(),
        trainable_parameters: row.trainable_parameters,
        steps: row.updates,
        wall_seconds: row.wall_seconds,
        config: tuner.config().clone(),
        test,
    };
    TUNED.with(|t| {
        *t.borrow_mut() = Some(Tuned {
            job: ctx.job,
            tuner,
            tokenizer_json,
            metrics,
        })
    });
    Ok(row)
}

/// The corpus sample the pretraining lab trains on (public domain; see `assets/corpus/SOURCES.md`).
const CORPUS_SAMPLE: &str = "assets/corpus/train.txt";
const CORPUS_HELD_OUT: &str = "assets/corpus/valid.txt";

/// A tiny encoder pretrained from scratch in the tab with one recipe, for the side-by-side lab.
async fn pretrain(ctx: &JobContext, request: PretrainRequest) -> Result<Outcome, Stop> {
    use crate::masking::{MaskingConfig, Strategy};
    use crate::model::views::{fill_mask_view, ContextSide};
    use crate::model::{EncoderConfig, Family};
    use crate::train::checkpoint::fresh_model;
    use crate::train::data::build_examples;
    use crate::train::pretrain::masker_for;
    use crate::train::{TrainConfig, Trainer};

    let failed = |e: crate::train::TrainError| Stop::Failed(e.to_string());
    let bad = |m: &str| Stop::Failed(m.to_string());
    if !(1..=6).contains(&request.layers) || !(1..=8).contains(&request.heads) {
        return Err(bad("choose 1 to 6 layers and 1 to 8 heads"));
    }
    if request.hidden_size % (request.heads * 2) != 0 || !(16..=256).contains(&request.hidden_size)
    {
        return Err(bad(
            "the hidden size must be 16 to 256 and split evenly into the heads",
        ));
    }
    ctx.progress(0, 0, "loading the corpus sample");
    let index = ModelIndex::get().await?;
    let tokenizer_json = fetch_bytes(&format!("models/{}/tokenizer.json", index.default)).await?;
    let tokenizer = Tokenizer::from_bytes(&tokenizer_json)
        .map_err(|e| Stop::Failed(format!("the tokenizer: {e}")))?;
    let train_text = String::from_utf8_lossy(&fetch_bytes(CORPUS_SAMPLE).await?).into_owned();
    let valid_text = String::from_utf8_lossy(&fetch_bytes(CORPUS_HELD_OUT).await?).into_owned();
    ctx.checkpoint().await?;
    let config = TrainConfig {
        steps: request.steps.clamp(1, 5000),
        batch_size: 8,
        lr_encoder: 3e-3,
        lr_head: 3e-3,
        warmup_steps: 10,
        eval_every: 0,
        eval_batches: 4,
        seed: request.seed,
        pair_task: request.pair_task,
        masking: MaskingConfig {
            strategy: if request.dynamic_masking {
                Strategy::Dynamic
            } else {
                Strategy::Static { duplicates: 10 }
            },
            seed: request.seed,
            ..MaskingConfig::default()
        },
        ..TrainConfig::default()
    };
    ctx.progress(0, 0, "cutting the sample into sequences of 64 tokens");
    // The first part of the sample is plenty for a run of minutes, and keeps start-up quick.
    let head = |text: &str, lines: usize| {
        text.lines().take(lines).collect::<Vec<_>>().join(
            "
",
        )
    };
    let examples = build_examples(
        &head(&train_text, 3000),
        &tokenizer,
        64,
        request.pair_task,
        request.seed,
    )
    .map_err(failed)?;
    let valid = build_examples(
        &head(&valid_text, 400),
        &tokenizer,
        64,
        request.pair_task,
        request.seed,
    )
    .map_err(failed)?;
    let model_config = EncoderConfig {
        vocab_size: tokenizer.vocab_size(),
        num_hidden_layers: request.layers,
        hidden_size: request.hidden_size,
        num_attention_heads: request.heads,
        intermediate_size: request.hidden_size * 4,
        ..EncoderConfig::tiny(Family::Bert)
    };
    let (model, varmap) =
        fresh_model(&model_config, request.pair_task, request.seed).map_err(failed)?;
    let parameters = varmap.all_vars().iter().map(|v| v.elem_count()).sum();
    let masker = masker_for(&tokenizer, config.masking.clone()).map_err(failed)?;
    let mut trainer =
        Trainer::new(model, &varmap, examples, valid, masker, config).map_err(failed)?;
    let total = trainer.config().steps;
    while trainer.step() < total {
        let step = trainer.train_step().map_err(failed)?;
        // Every tenth update (and the last): held-out accuracy and the probe's guesses.
        let report = step.step % 10 == 0 || step.step == total;
        let held_out = if report {
            trainer.validate().map_err(failed)?.map(|m| m.accuracy)
        } else {
            None
        };
        let probe = if report {
            fill_mask_view(
                &trainer.model().masked_lm(),
                &tokenizer,
                &request.probe,
                3,
                ContextSide::Both,
            )
            .map(|v| {
                v.masks
                    .first()
                    .map(|m| m.candidates.iter().map(|c| c.piece.clone()).collect())
                    .unwrap_or_default()
            })
            .unwrap_or_default()
        } else {
            Vec::new()
        };
        let point = TrainingPoint {
            step: step.step,
            total_steps: total,
            loss: step.mlm_loss,
            accuracy: step.mlm_accuracy,
            paused: false,
            held_out_accuracy: held_out,
            probe,
        };
        ctx.point(point.clone());
        if ctx.between_updates(&point).await? {
            break;
        }
    }
    ctx.progress(0, 0, "testing on the held-out sample");
    ctx.checkpoint().await?;
    let held_out = trainer
        .validate()
        .map_err(failed)?
        .ok_or_else(|| bad("the held-out sample gave no sequences"))?;
    Ok(Outcome::Pretrained {
        steps: trainer.step(),
        tokens_seen: trainer.tokens_seen(),
        held_out_accuracy: held_out.accuracy,
        held_out_perplexity: held_out.perplexity,
        parameters,
    })
}

/// The model `run` trained, zipped, posted as bytes; `None` when it is no longer kept.
fn export_model(job: JobId, run: JobId) -> Result<Outcome, Stop> {
    let zipped = TUNED.with(|t| {
        let kept = t.borrow();
        let tuned = kept.as_ref().filter(|t| t.job == run)?;
        Some(
            export_files(&tuned.tuner, &tuned.tokenizer_json, &tuned.metrics)
                .map_err(|e| Stop::Failed(e.to_string()))
                .and_then(|files| {
                    let folder = format!(
                        "{}-{:?}-{}",
                        tuned.metrics.base_model, tuned.metrics.config.regime, run
                    )
                    .to_lowercase();
                    let files: Vec<(String, Vec<u8>)> = files
                        .into_iter()
                        .map(|(name, bytes)| (format!("{folder}/{name}"), bytes))
                        .collect();
                    stored_zip(&files)
                        .map(|zip| (format!("{folder}.zip"), zip))
                        .map_err(Stop::Failed)
                }),
        )
    });
    let (file_name, zip) = zipped.ok_or_else(|| {
        Stop::Failed(
            "that model is no longer in memory (the lab keeps the latest run): train it again to download it"
                .to_string(),
        )
    })??;
    let bytes = zip.len();
    let array = js_sys::Uint8Array::from(zip.as_slice());
    let message = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&message, &"job".into(), &JsValue::from(job));
    let _ = js_sys::Reflect::set(&message, &"bytes".into(), &array);
    let transfer = js_sys::Array::of1(&array.buffer());
    scope()
        .post_message_with_transfer(&message, &transfer)
        .map_err(|e| Stop::Failed(format!("could not hand over the model: {e:?}")))?;
    Ok(Outcome::Exported { file_name, bytes })
}

fn scope() -> DedicatedWorkerGlobalScope {
    js_sys::global().unchecked_into()
}

pub(super) fn post(message: &FromWorker) {
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
    WorkerInfo {
        version: env!("CARGO_PKG_VERSION").to_string(),
        backend: accelerator::status(),
    }
}

/// Milliseconds, from the worker's high-resolution clock.
fn now_ms() -> f64 {
    scope()
        .performance()
        .map_or_else(js_sys::Date::now, |p| p.now())
}

/// One fill-mask forward of the default model on each backend, ~0.5 s each; with `Auto` the
/// faster one is used from then on.
async fn measure_backends(ctx: &JobContext) -> Result<Outcome, Stop> {
    let model = load_model(ctx, None).await?;
    let mlm = model.masked_lm()?;
    let tokens = 16;
    let input = bench_input(&model.config, tokens).map_err(|e| Stop::Failed(e.to_string()))?;
    ctx.progress(0, 2, "timing the CPU");
    ctx.checkpoint().await?;
    // At most 5 forwards or half a second per backend, after a warm-up.
    const REPS: usize = 5;
    const BUDGET_MS: f64 = 500.0;
    let cpu_ms =
        time_cpu(mlm, &input, REPS, BUDGET_MS, &now_ms).map_err(|e| Stop::Failed(e.to_string()))?;
    ctx.progress(1, 2, "timing WebGPU");
    ctx.checkpoint().await?;
    let gpu_ms = match accelerator::upload(&model).await {
        Some(gpu) => match gpu.weights.as_ref() {
            GpuWeights::MaskedLm(m) => {
                match time_gpu(&gpu.ctx, m, &input, REPS, BUDGET_MS, &now_ms).await {
                    Ok(ms) => Some(ms),
                    Err(e) => {
                        accelerator::failed(e);
                        None
                    }
                }
            }
            GpuWeights::EncoderOnly(_) => None,
        },
        None => None,
    };
    accelerator::record_timings(BackendTimings {
        model: model.name.clone(),
        tokens,
        cpu_ms,
        gpu_ms,
    });
    Ok(Outcome::Backend(accelerator::status()))
}

/// The benchmark page's table: both backends at every length, for the default model and
/// optionally a bert-base-sized random one.
async fn benchmark(ctx: &JobContext, bert_base: bool, reps: usize) -> Result<Outcome, Stop> {
    let failed = |e: crate::gpu::GpuError| Stop::Failed(e.to_string());
    let lab = load_model(ctx, None).await?;
    // Cloning a model shares its weight tensors.
    let mut models = vec![(lab.name.clone(), lab.masked_lm()?.clone())];
    if bert_base {
        ctx.progress(0, 0, "building a bert-base-sized model (random weights)");
        ctx.checkpoint().await?;
        let base = Loaded::<MaskedLm>::random(&bert_base_config(), 0, &candle_core::Device::Cpu)
            .map_err(|e| Stop::Failed(e.to_string()))?;
        models.push(("bert-base (random, 12x768)".into(), base.model));
    }
    let gpu_ctx = accelerator::context().await;
    let total = (models.len() * SEQ_LENS.len()) as u64;
    let mut rows = Vec::new();
    for (name, model) in &models {
        let gpu = match &gpu_ctx {
            Some(c) => Some(GpuMaskedLm::upload(c, model).await.map_err(failed)?),
            None => None,
        };
        for seq in SEQ_LENS {
            ctx.progress(rows.len() as u64, total, format!("{name}, {seq} tokens"));
            ctx.checkpoint().await?;
            let input = bench_input(model.encoder.config(), seq).map_err(failed)?;
            let cpu_ms = time_cpu(model, &input, reps, f64::INFINITY, &now_ms).map_err(failed)?;
            let gpu_ms = match (&gpu_ctx, gpu.as_ref()) {
                (Some(c), Some(g)) => Some(
                    time_gpu(c, g, &input, reps, f64::INFINITY, &now_ms)
                        .await
                        .map_err(failed)?,
                ),
                _ => None,
            };
            rows.push(BenchRow {
                model: name.clone(),
                seq,
                cpu_ms,
                gpu_ms,
            });
        }
    }
    Ok(Outcome::Benchmark {
        adapter: gpu_ctx.as_ref().map(|c| c.adapter_name()),
        software: gpu_ctx.as_ref().is_some_and(|c| c.is_software()),
        rows,
    })
}

/// Fetch a file served next to the app (the worker script sits at the app's root).
async fn fetch_bytes(path: &str) -> Result<Vec<u8>, Stop> {
    Ok(fetch(path, None).await?.1)
}

/// Bytes `start..end` of a file, by an HTTP range request. A server that ignores ranges answers
/// 200 with the whole file, which is cut here.
async fn fetch_range(path: &str, start: usize, end: usize) -> Result<Vec<u8>, Stop> {
    match fetch(path, Some((start, end))).await? {
        (206, part) => Ok(part),
        (_, whole) => whole
            .get(start..end)
            .map(<[u8]>::to_vec)
            .ok_or_else(|| Stop::Failed(format!("{path} is shorter than {end} bytes"))),
    }
}

/// The HTTP status and body of a GET, optionally of a byte range.
async fn fetch(path: &str, range: Option<(usize, usize)>) -> Result<(u16, Vec<u8>), Stop> {
    let failed = |what: &str| Stop::Failed(format!("could not load {path}: {what}"));
    let request = match range {
        Some((start, end)) => {
            let headers = web_sys::Headers::new().map_err(|e| failed(&format!("{e:?}")))?;
            headers
                .set("Range", &format!("bytes={start}-{}", end.saturating_sub(1)))
                .map_err(|e| failed(&format!("{e:?}")))?;
            let init = web_sys::RequestInit::new();
            init.set_headers(&headers);
            web_sys::Request::new_with_str_and_init(path, &init)
                .map_err(|e| failed(&format!("{e:?}")))?
        }
        None => web_sys::Request::new_with_str(path).map_err(|e| failed(&format!("{e:?}")))?,
    };
    let response = wasm_bindgen_futures::JsFuture::from(scope().fetch_with_request(&request))
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
    Ok((response.status(), js_sys::Uint8Array::new(&buffer).to_vec()))
}

async fn load_model(ctx: &JobContext, name: Option<String>) -> Result<Rc<LabModel>, Stop> {
    let name = match name {
        Some(name) => name,
        None => ModelIndex::get().await?.default.clone(),
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

/// A model's summary without loading it: `config.json` and the header of `model.safetensors`
/// (two range requests), or the loaded model's own when it is in memory.
async fn describe_model(name: &str) -> Result<ModelSummary, Stop> {
    if let Some(model) = MODELS.with(|m| m.borrow().get(name).cloned()) {
        return Ok(model.summary());
    }
    let config = fetch_bytes(&format!("models/{name}/config.json")).await?;
    let weights = format!("models/{name}/model.safetensors");
    let len = safetensors_header_len(&fetch_range(&weights, 0, 8).await?)
        .map_err(|e| Stop::Failed(format!("{name}: {e}")))?;
    let header = fetch_range(&weights, 8, 8 + len).await?;
    Ok(summary_from_header(name, &config, &header)?)
}

/// One of the tokenizer lab's shipped tokenizers, fetched once.
async fn shipped_tokenizer(path: &str) -> Result<Rc<Tokenizer>, Stop> {
    if let Some(tok) = TOKENIZERS.with(|t| t.borrow().get(path).cloned()) {
        return Ok(tok);
    }
    let tok = Tokenizer::from_bytes(&fetch_bytes(path).await?)
        .map_err(|e| Stop::Failed(format!("{path}: {e}")))?;
    let tok = Rc::new(tok);
    TOKENIZERS.with(|t| t.borrow_mut().insert(path.to_string(), tok.clone()));
    Ok(tok)
}

/// A second sentence, unless it is blank.
fn pair(pair: &Option<String>) -> Option<&str> {
    pair.as_deref().filter(|p| !p.trim().is_empty())
}

async fn run(job: JobId, request: Request) {
    let ctx = JobContext { job };
    let reply = match execute(&ctx, request).await {
        Ok(outcome) => Reply::Done(outcome),
        Err(Stop::Cancelled) => Reply::Cancelled,
        Err(Stop::Failed(message)) => Reply::Failed { message },
    };
    for set in [&CANCELLED, &PAUSED, &STOPPING] {
        set.with(|s| s.borrow_mut().remove(&job));
    }
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
            pair: second,
            max_len,
            trace,
        } => {
            let model = load_model(ctx, model).await?;
            let limit = model.config.max_input_len();
            let max_len = max_len.map_or(limit, |m| m.clamp(2, limit));
            let view = token_view(
                &model.tokenizer,
                &text,
                pair(&second),
                max_len,
                model.config.position_offset(),
                trace.as_deref(),
            )?;
            Ok(Outcome::Tokenized(view))
        }
        Request::CompareTokenizers { text } => {
            let model = load_model(ctx, None).await?;
            let max_len = model.config.max_input_len();
            let mut views = vec![token_view(
                &model.tokenizer,
                &text,
                None,
                max_len,
                model.config.position_offset(),
                None,
            )?];
            for (i, path) in COMPARED_TOKENIZERS.into_iter().enumerate() {
                ctx.progress(i as u64 + 1, 3, format!("tokenizing with {path}"));
                let tokenizer = shipped_tokenizer(path).await?;
                // Not a model's tokenizer: positions simply count from 0.
                views.push(token_view(&tokenizer, &text, None, max_len, 0, None)?);
                ctx.checkpoint().await?;
            }
            Ok(Outcome::TokenizersCompared(views))
        }
        Request::FillMask {
            model,
            text,
            top_k,
            side,
        } => {
            let model = load_model(ctx, model).await?;
            ctx.progress(0, 0, format!("{} is filling in the blanks", model.name));
            ctx.checkpoint().await?;
            let (mlm, query) = model.fill_mask_query(&text, top_k, side)?;
            if let Some(gpu) = accelerator::for_model(&model).await {
                if let GpuWeights::MaskedLm(m) = gpu.weights.as_ref() {
                    let rows = query.mask_rows().to_vec();
                    match m
                        .forward(&gpu.ctx, query.input(), &Internals::none(), &rows)
                        .await
                    {
                        Ok(out) => {
                            let logits = out
                                .logits
                                .ok_or_else(|| Stop::Failed("the GPU returned no logits".into()))?;
                            return Ok(Outcome::FilledMask(query.rank(&model.tokenizer, &logits)?));
                        }
                        // Tell the page, then answer this query on the CPU.
                        Err(e) => accelerator::failed(e),
                    }
                }
            }
            // Typing sends a query per keystroke: yield between layers so a newer one can stop
            // this one instead of waiting for its whole forward pass.
            let failed = |e: ModelError| Stop::Failed(e.to_string());
            let mut pass = mlm
                .encoder
                .start(query.input(), &Internals::none())
                .map_err(failed)?;
            while pass.step().map_err(failed)? {
                ctx.checkpoint().await?;
            }
            let output = pass.finish().map_err(failed)?;
            Ok(Outcome::FilledMask(query.answer(
                mlm,
                &model.tokenizer,
                &output.last_hidden_state,
            )?))
        }
        Request::Embeddings {
            model,
            text,
            pair: second,
            segments,
        } => {
            let model = load_model(ctx, model).await?;
            ctx.progress(0, 0, format!("embedding with {}", model.name));
            ctx.checkpoint().await?;
            Ok(Outcome::Embedded(model.embeddings(
                &text,
                pair(&second),
                segments.as_deref(),
            )?))
        }
        Request::Attention {
            model,
            text,
            pair: second,
        } => {
            let model = load_model(ctx, model).await?;
            ctx.progress(0, 0, format!("running {}", model.name));
            ctx.checkpoint().await?;
            if let Some(gpu) = accelerator::for_model(&model).await {
                let query =
                    AttentionQuery::new(&model.config, &model.tokenizer, &text, pair(&second))?;
                match gpu
                    .weights
                    .encoder()
                    .forward(&gpu.ctx, query.input(), &AttentionQuery::WANT)
                    .await
                {
                    Ok(out) => return Ok(Outcome::Attended(query.answer(out.attentions)?)),
                    Err(e) => accelerator::failed(e),
                }
            }
            Ok(Outcome::Attended(model.attention(&text, pair(&second))?))
        }
        Request::MaskEpochs {
            model,
            text,
            config,
            epochs,
        } => {
            let model = load_model(ctx, model).await?;
            Ok(Outcome::MaskedEpochs(
                model.mask_epochs(&text, config, epochs)?,
            ))
        }
        Request::ListModels => {
            let index = ModelIndex::get().await?;
            let total = index.models.len() as u64;
            let mut models = Vec::new();
            for (i, name) in index.models.iter().enumerate() {
                ctx.progress(i as u64, total, format!("reading {name}/config.json"));
                models.push(describe_model(name).await?);
                ctx.checkpoint().await?;
            }
            Ok(Outcome::Models {
                default: index.default.clone(),
                models,
            })
        }
        Request::Finetune(request) => Ok(Outcome::FineTuned(finetune(ctx, request).await?)),
        Request::Pretrain(request) => pretrain(ctx, request).await,
        Request::SetBackend { choice } => {
            accelerator::choose(choice);
            Ok(Outcome::Backend(accelerator::status()))
        }
        Request::MeasureBackends => measure_backends(ctx).await,
        Request::LoseGpu => {
            // The failure surfaces at the next GPU forward, through the usual fallback.
            match accelerator::context().await {
                Some(gpu) => gpu.lose_device(),
                None => return Err("there is no WebGPU device to lose".to_string().into()),
            }
            Ok(Outcome::Backend(accelerator::status()))
        }
        Request::Benchmark { bert_base, reps } => {
            benchmark(ctx, bert_base, reps.clamp(1, 20)).await
        }
        Request::ExportModel { run } => {
            ctx.progress(0, 0, "packing the model");
            ctx.checkpoint().await?;
            export_model(ctx.job, run)
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
            Ok(ToWorker::Run { job, request }) => {
                wasm_bindgen_futures::spawn_local(run(job, request))
            }
            Ok(ToWorker::Cancel { job }) => {
                CANCELLED.with(|c| c.borrow_mut().insert(job));
            }
            Ok(ToWorker::Steer { job, action }) => match action {
                Steer::Pause => {
                    PAUSED.with(|p| p.borrow_mut().insert(job));
                }
                Steer::Resume => {
                    PAUSED.with(|p| p.borrow_mut().remove(&job));
                }
                Steer::Stop => {
                    STOPPING.with(|s| s.borrow_mut().insert(job));
                }
            },
            Err(message) => web_sys::console::error_1(&message.into()),
        }
    });
    scope().set_onmessage(Some(onmessage.as_ref().unchecked_ref()));
    // The handler lives as long as the worker.
    onmessage.forget();
    post(&FromWorker::Ready(worker_info()));
    wasm_bindgen_futures::spawn_local(accelerator::probe());
}
