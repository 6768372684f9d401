//! The backend jobs: timing fill-mask on the CPU and on WebGPU (which `Auto` then follows), and
//! the benchmark page's tables (forward latency, and pretraining updates per second).

use bertlab_core::gpu::bench::{
    bench_input, bert_base_config, race_bench_request, time_cpu, time_gpu, updates_per_second,
    BenchRow, CpuForward,
};
use bertlab_core::gpu::{GpuContext, GpuMaskedLm};
use bertlab_core::model::{Loaded, MaskedLm};
use bertlab_core::train::pretrain::race::{race_sequences, race_trainer, RACE_SEQ};
use bertlab_core::train::TrainError;
use bertlab_protocol::backend::BackendTimings;
use bertlab_protocol::messages::Outcome;
use bertlab_protocol::training::RACE_BATCH;
use bertlab_protocol::views::TrainingBenchRow;

use crate::runtime::accelerator::{self, GpuWeights};
use crate::runtime::assets::load_model;
use crate::runtime::jobs::{JobContext, Stop};
use crate::runtime::port::now_ms;

use super::pretrain::lab_text;

/// One fill-mask forward of the default model on each backend, ~0.5 s each; with `Auto` the
/// faster one is used from then on.
pub(super) async fn measure_backends(ctx: &JobContext) -> Result<Outcome, Stop> {
    let model = load_model(ctx, None).await?;
    let mlm = model.masked_lm()?;
    let tokens = 16;
    let input = bench_input(&model.config, tokens).map_err(|e| Stop::Failed(e.to_string()))?;
    ctx.progress(0, 2, "timing the CPU");
    ctx.yield_or_stop().await?;
    // At most 5 forwards or half a second per backend, after a warm-up.
    const REPS: usize = 5;
    const BUDGET_MS: f64 = 500.0;
    let cpu_ms = time_cpu(mlm, &input, CpuForward::FillMask, REPS, BUDGET_MS, &now_ms)
        .map_err(|e| Stop::Failed(e.to_string()))?;
    ctx.progress(1, 2, "timing WebGPU");
    ctx.yield_or_stop().await?;
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

/// The benchmark page's table: both backends at each of `lens`, for the default model and
/// optionally a bert-base-sized random one.
pub(super) async fn benchmark(
    ctx: &JobContext,
    bert_base: bool,
    reps: usize,
    lens: &[usize],
) -> Result<Outcome, Stop> {
    let failed = |e: bertlab_core::gpu::GpuError| Stop::Failed(e.to_string());
    let lab = load_model(ctx, None).await?;
    // Cloning a model shares its weight tensors.
    let mut models = vec![(lab.name.clone(), lab.masked_lm()?.clone())];
    if bert_base {
        ctx.progress(0, 0, "building a bert-base-sized model (random weights)");
        ctx.yield_or_stop().await?;
        let base = Loaded::<MaskedLm>::random(&bert_base_config(), 0, &candle_core::Device::Cpu)
            .map_err(|e| Stop::Failed(e.to_string()))?;
        models.push(("bert-base (random, 12x768)".into(), base.model));
    }
    let gpu_ctx = accelerator::context().await;
    let total = (models.len() * lens.len()) as u64;
    let mut rows = Vec::new();
    for (name, model) in &models {
        let gpu = match &gpu_ctx {
            Some(c) => Some(GpuMaskedLm::upload(c, model).await.map_err(failed)?),
            None => None,
        };
        for &seq in lens {
            let positions = model.encoder.config().max_position_embeddings;
            if seq < 3 || seq > positions {
                return Err(Stop::Failed(format!(
                    "{seq} tokens cannot be timed: {name} takes 3 to {positions} tokens"
                )));
            }
            ctx.progress(rows.len() as u64, total, format!("{name}, {seq} tokens"));
            ctx.yield_or_stop().await?;
            let input = bench_input(model.encoder.config(), seq).map_err(failed)?;
            let time = |work| time_cpu(model, &input, work, reps, f64::INFINITY, &now_ms);
            let cpu_encoder_ms = time(CpuForward::Encoder).map_err(failed)?;
            let cpu_ms = time(CpuForward::FillMask).map_err(failed)?;
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
                cpu_encoder_ms,
                cpu_ms,
                gpu_ms,
            });
        }
    }
    let training = training_row(ctx, gpu_ctx.as_deref()).await?;
    Ok(Outcome::Benchmark {
        adapter: gpu_ctx.as_ref().map(|c| c.adapter_name()),
        software: gpu_ctx.as_ref().is_some_and(|c| c.is_software()),
        rows,
        training: Some(training),
    })
}

/// Updates timed per path after the warm-up: the race model's update takes a few hundred
/// milliseconds on the CPU here, a second or more on a software adapter.
const TRAINING_STEPS: usize = 3;

/// Pretraining updates per second of the lab's race model, on the CPU and on `gpu`, each from the
/// same fresh start. A GPU failure is reported in the row, as the forward's would be.
async fn training_row(
    ctx: &JobContext,
    gpu: Option<&GpuContext>,
) -> Result<TrainingBenchRow, Stop> {
    ctx.progress(0, 0, "training: the pretraining lab's race model");
    ctx.yield_or_stop().await?;
    let request = race_bench_request();
    let (tokenizer, train_text, valid_text) = lab_text(ctx).await?;
    let failed = |e: TrainError| Stop::Failed(e.to_string());
    let trainer = || {
        let (train, valid) = race_sequences(&request, &tokenizer, (&train_text, &valid_text))?;
        Ok::<_, TrainError>(race_trainer(&request, &tokenizer, train, valid)?.0)
    };
    let cpu = updates_per_second(
        &mut trainer().map_err(failed)?,
        None,
        TRAINING_STEPS,
        &now_ms,
    )
    .await
    .map_err(failed)?;
    ctx.yield_or_stop().await?;
    let (gpu_rate, gpu_error) = match gpu {
        Some(gpu) => {
            let mut run = trainer().map_err(failed)?;
            match updates_per_second(&mut run, Some(gpu), TRAINING_STEPS, &now_ms).await {
                Ok(rate) => (Some(rate), None),
                Err(TrainError::Gpu(e)) => {
                    let message = e.to_string();
                    accelerator::failed(e);
                    (None, Some(message))
                }
                Err(e) => return Err(failed(e)),
            }
        }
        None => (None, None),
    };
    Ok(TrainingBenchRow {
        workload: format!(
            "pretraining race model (BERT + NSP, {} × {}, {} pieces)",
            request.layers,
            request.hidden_size,
            tokenizer.vocab_size()
        ),
        batch: RACE_BATCH,
        seq: RACE_SEQ,
        steps: TRAINING_STEPS,
        cpu_updates_per_s: cpu,
        gpu_updates_per_s: gpu_rate,
        gpu_error,
    })
}
