//! One function per request: `run` executes a job and posts its reply; `execute` only routes.

mod backends;
mod classify;
mod feature_space;
mod finetune;
mod inspect;
mod pretrain;
mod probes;
mod span_qa;
mod tagger;
mod training_device;

use bertlab_protocol::messages::{
    FromWorker, JobId, Outcome, Reply, Request, SavedRequest, StorageUse, WorkerInfo,
};

use super::accelerator;
use super::assets::{describe_model, forget_model, load_model, ModelIndex};
use super::jobs::{self, JobContext, Stop};
use super::model_files::kept_models;
use super::port::post;
use super::saved_run;

/// Runs `request` as job `job` and posts its one final reply.
pub(super) async fn run(job: JobId, request: Request) {
    let ctx = JobContext { job };
    let reply = match execute(&ctx, request).await {
        Ok(outcome) => Reply::Done(outcome),
        Err(Stop::Cancelled) => Reply::Cancelled,
        Err(Stop::Failed(message)) => Reply::Failed { message },
    };
    jobs::forget(job);
    post(&FromWorker::Job { job, reply });
}

/// What the page learns about the worker when it starts and on `Hello`.
pub(super) fn worker_info() -> WorkerInfo {
    WorkerInfo {
        version: env!("CARGO_PKG_VERSION").to_string(),
        backend: accelerator::status(),
    }
}

/// A second sentence, unless it is blank.
fn pair(pair: &Option<String>) -> Option<&str> {
    pair.as_deref().filter(|p| !p.trim().is_empty())
}

async fn execute(ctx: &JobContext, request: Request) -> Result<Outcome, Stop> {
    match request {
        Request::Hello => Ok(Outcome::Hello(worker_info())),
        Request::SelfCheck { steps, step_ms } => self_check(ctx, steps, step_ms).await,
        Request::Crash { out_of_memory } => crash(out_of_memory),
        Request::LoadModel { name } => {
            Ok(Outcome::ModelLoaded(load_model(ctx, name).await?.summary()))
        }
        Request::ForgetModel { name } => {
            accelerator::forget(&name);
            forget_model(&name).await;
            Ok(Outcome::ModelForgotten { name })
        }
        Request::Tokenize {
            model,
            text,
            pair: second,
            max_len,
            trace,
        } => {
            let model = load_model(ctx, model).await?;
            inspect::tokenize(&model, &text, pair(&second), max_len, trace.as_deref())
        }
        Request::CompareTokenizers { text } => {
            let model = load_model(ctx, None).await?;
            inspect::compare_tokenizers(ctx, &model, &text).await
        }
        Request::FillMask {
            model,
            text,
            top_k,
            side,
        } => {
            let model = load_model(ctx, model).await?;
            inspect::fill_mask(ctx, model, &text, top_k, side).await
        }
        Request::LogitLens { model, text, top_k } => {
            let model = load_model(ctx, model).await?;
            inspect::logit_lens(ctx, &model, &text, top_k).await
        }
        Request::Surprisal { model, text } => {
            let model = load_model(ctx, model).await?;
            inspect::surprisal(ctx, &model, &text).await
        }
        Request::Embeddings {
            model,
            text,
            pair: second,
            segments,
        } => {
            let model = load_model(ctx, model).await?;
            inspect::embeddings(ctx, &model, &text, pair(&second), segments.as_deref()).await
        }
        Request::Attention {
            model,
            text,
            pair: second,
        } => {
            let model = load_model(ctx, model).await?;
            inspect::attention(ctx, model, &text, pair(&second)).await
        }
        Request::MaskEpochs {
            model,
            text,
            config,
            epochs,
        } => {
            let model = load_model(ctx, model).await?;
            inspect::mask_epochs(&model, &text, config, epochs)
        }
        Request::ListModels => list_models(ctx).await,
        Request::Finetune(request) => Ok(Outcome::FineTuned(
            finetune::finetune(ctx, request, None).await?,
        )),
        Request::ResumeRun { lab, lane } => match saved_run::resume(lab, lane).await? {
            (SavedRequest::Finetune(request), resume) => Ok(Outcome::FineTuned(
                finetune::finetune(ctx, request, Some(resume)).await?,
            )),
            (SavedRequest::Pretrain(request), resume) => {
                pretrain::pretrain(ctx, request, Some(resume)).await
            }
        },
        Request::InterruptedRuns { lab } => Ok(Outcome::Interrupted(saved_run::records(lab).await)),
        Request::DiscardInterruptedRuns { lab } => {
            for lane in 0..lab.lanes() {
                saved_run::discard(lab, lane).await;
            }
            Ok(Outcome::Interrupted(Vec::new()))
        }
        Request::Pretrain(request) => pretrain::pretrain(ctx, request, None).await,
        Request::SetBackend { choice } => {
            accelerator::choose(choice);
            Ok(Outcome::Backend(accelerator::status()))
        }
        Request::MeasureBackends => backends::measure_backends(ctx).await,
        Request::LoseGpu => {
            // The failure surfaces at the next GPU forward, through the usual fallback.
            match accelerator::context().await {
                Some(gpu) => gpu.lose_device(),
                None => return Err("there is no WebGPU device to lose".to_string().into()),
            }
            Ok(Outcome::Backend(accelerator::status()))
        }
        Request::Benchmark {
            bert_base,
            reps,
            lens,
        } => backends::benchmark(ctx, bert_base, reps.clamp(1, 20), &lens).await,
        Request::Classify {
            model,
            text,
            pair: second,
        } => classify::classify(model, &text, pair(&second)).await,
        Request::Explain {
            model,
            text,
            pair: second,
        } => classify::explain(model, &text, pair(&second)).await,
        Request::DescribeClassifier { model } => classify::describe(model).await,
        Request::FeatureSpace(request) => feature_space::feature_space(ctx, request).await,
        Request::LayerProbes(request) => probes::layer_probes(ctx, request).await,
        Request::TrainTagger(request) => tagger::train(ctx, request).await,
        Request::Tag { text } => tagger::tag(&text),
        Request::TrainQa(request) => span_qa::train(ctx, request).await,
        Request::Answer { question, text } => span_qa::answer_question(&question, &text),
        Request::ExportModel { run } => {
            ctx.progress(0, 0, "packing the model");
            ctx.yield_or_stop().await?;
            finetune::export_model(ctx.job, run)
        }
    }
}

/// The start page's check that the worker computes without blocking the page: `steps` busy
/// slices of `step_ms`, yielding between them.
async fn self_check(ctx: &JobContext, steps: u32, step_ms: u32) -> Result<Outcome, Stop> {
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
        ctx.yield_or_stop().await?;
    }
    std::hint::black_box(state);
    let operations_per_second = operations as f64 / (busy_ms / 1000.0).max(1e-3);
    Ok(Outcome::SelfCheck {
        steps,
        operations_per_second,
    })
}

/// Stops the worker as a bug or an oversized model would (see [`Request::Crash`]).
fn crash(out_of_memory: bool) -> Result<Outcome, Stop> {
    if out_of_memory {
        // Reserving (not touching) 256 MB at a time grows the wasm memory until the browser
        // refuses; the allocator then aborts, as it would for a model too large for the tab.
        let mut hoard: Vec<Vec<u8>> = Vec::new();
        loop {
            hoard.push(Vec::with_capacity(256 << 20));
            std::hint::black_box(&hoard);
        }
    }
    panic!("the page asked the worker to stop (the crash-recovery test)")
}

/// The models the lab ships, described from their headers without loading them, then those the
/// student added, with the browser's storage use.
async fn list_models(ctx: &JobContext) -> Result<Outcome, Stop> {
    let index = ModelIndex::get().await?;
    let total = index.models.len() as u64;
    let mut models = Vec::new();
    for (i, name) in index.models.iter().enumerate() {
        ctx.progress(i as u64, total, format!("reading {name}/config.json"));
        models.push(describe_model(name).await?);
        ctx.yield_or_stop().await?;
    }
    models.extend(kept_models().await);
    Ok(Outcome::Models {
        default: index.default.clone(),
        models,
        storage: storage_use().await,
    })
}

/// `navigator.storage.estimate()`, where the browser answers.
async fn storage_use() -> Option<StorageUse> {
    let storage = super::port::scope().navigator().storage();
    let estimate = wasm_bindgen_futures::JsFuture::from(storage.estimate().ok()?)
        .await
        .ok()?;
    let number = |key: &str| js_sys::Reflect::get(&estimate, &key.into()).ok()?.as_f64();
    Some(StorageUse {
        usage: number("usage")? as u64,
        quota: number("quota")? as u64,
    })
}
