//! The workloads GPU and CPU are timed on, forward latency and pretraining updates:
//! `benches/gpu.rs` natively (wgpu against candle) and the lab's benchmark page in the browser
//! (WebGPU against candle in wasm) run these same functions, so their figures describe the same
//! work.

use super::{GpuContext, GpuError, GpuMaskedLm};
use crate::model::{EncoderConfig, EncoderInput, Family, Internals, MaskedLm};
use crate::train::{PairTask, TrainError, Trainer};
use bertlab_protocol::messages::PretrainRequest;

/// What one timed CPU forward computes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CpuForward {
    /// The encoder alone, up to the last hidden state: the work an embedding model's ONNX file
    /// does, so the figure compares with other runtimes on the same checkpoint.
    Encoder,
    /// The encoder, then the MLM head at one position: what the fill-mask lab does per sentence.
    FillMask,
}

/// bert-base-uncased's shape (12 layers × 768, 12 heads, FFN 3072, 30,522 pieces): the size most
/// course material means by "BERT", run with random weights since no such checkpoint ships.
pub fn bert_base_config() -> EncoderConfig {
    EncoderConfig::sized(Family::Bert, 12, 768, 12, 3072)
}

/// One sequence of `seq` tokens with a mask in the middle, as the fill-mask lab sends it.
pub fn bench_input(config: &EncoderConfig, seq: usize) -> Result<EncoderInput, GpuError> {
    let ids: Vec<u32> = (0..seq as u32)
        .map(|i| 1000 + (i * 7919) % (config.vocab_size as u32 - 1000))
        .collect();
    Ok(EncoderInput::from_rows(
        &[ids],
        None,
        config.pad_token_id,
        &candle_core::Device::Cpu,
    )?)
}

pub use bertlab_protocol::views::{BenchRow, BENCH_SEQ_LENS};

/// Mean milliseconds of CPU forwards doing `work` after a warm-up: `reps` of them, or fewer (at
/// least one) once `budget_ms` is spent; `now` is a millisecond clock.
pub fn time_cpu(
    model: &MaskedLm,
    input: &EncoderInput,
    work: CpuForward,
    reps: usize,
    budget_ms: f64,
    now: &dyn Fn() -> f64,
) -> Result<f64, GpuError> {
    let (_, seq) = input.input_ids.dims2()?;
    let once = || -> Result<(), GpuError> {
        let out = model.encoder.forward(input, &Internals::none())?;
        if work == CpuForward::FillMask {
            let at_mask = out.last_hidden_state.narrow(1, seq / 2, 1)?;
            model.head.forward(&at_mask, input.mode)?;
        }
        Ok(())
    };
    once()?;
    let mut runs = Runs::start(reps, budget_ms, now);
    while runs.another(now) {
        once()?;
    }
    Ok(runs.mean_ms(now))
}

/// Mean milliseconds of GPU forwards (uploading the ids, one submission, reading the logits at one
/// position back) after a warm-up that builds the shape's buffers; `reps` and `budget_ms` as for
/// [`time_cpu`].
pub async fn time_gpu(
    ctx: &GpuContext,
    model: &GpuMaskedLm,
    input: &EncoderInput,
    reps: usize,
    budget_ms: f64,
    now: &dyn Fn() -> f64,
) -> Result<f64, GpuError> {
    let (_, seq) = input.input_ids.dims2()?;
    let rows = [seq / 2];
    model.forward(ctx, input, &Internals::none(), &rows).await?;
    let mut runs = Runs::start(reps, budget_ms, now);
    while runs.another(now) {
        model.forward(ctx, input, &Internals::none(), &rows).await?;
    }
    Ok(runs.mean_ms(now))
}

/// The training workload both benchmarks time: the pretraining lab's default race model (recipe
/// A, BERT's static masking with NSP; 2 layers of 64 over the default tokenizer's pieces) on its
/// 32 training sequences.
pub fn race_bench_request() -> PretrainRequest {
    PretrainRequest {
        dynamic_masking: false,
        pair_task: PairTask::Nsp,
        layers: 2,
        hidden_size: 64,
        heads: 2,
        steps: 1000,
        seed: 42,
        probe: String::new(),
        lane: 0,
        sequences: 32,
        static_copies: 1,
    }
}

/// Updates per second of `trainer`, on `gpu` when given (attached here) or on the CPU: `steps`
/// timed after one warm-up update, which takes the first-use costs (the GPU's upload and plan).
pub async fn updates_per_second(
    trainer: &mut Trainer,
    gpu: Option<&GpuContext>,
    steps: usize,
    now: &dyn Fn() -> f64,
) -> Result<f64, TrainError> {
    if let Some(ctx) = gpu {
        trainer.attach_gpu(ctx).await?;
    }
    let mut start = 0.0;
    for done in 0..=steps.max(1) {
        if done == 1 {
            start = now();
        }
        match gpu {
            Some(ctx) => trainer.train_step_gpu(ctx).await?,
            None => trainer.train_step()?,
        };
    }
    Ok(steps.max(1) as f64 * 1e3 / (now() - start).max(1e-9))
}

/// Counts timed runs: at least one, at most `reps`, none started once `budget_ms` is spent.
struct Runs {
    reps: usize,
    budget_ms: f64,
    start: f64,
    done: usize,
}

impl Runs {
    fn start(reps: usize, budget_ms: f64, now: &dyn Fn() -> f64) -> Runs {
        Runs {
            reps: reps.max(1),
            budget_ms,
            start: now(),
            done: 0,
        }
    }

    /// Whether to run once more (and count it).
    fn another(&mut self, now: &dyn Fn() -> f64) -> bool {
        let more = self.done < self.reps && (self.done == 0 || now() - self.start < self.budget_ms);
        self.done += usize::from(more);
        more
    }

    fn mean_ms(&self, now: &dyn Fn() -> f64) -> f64 {
        (now() - self.start) / self.done.max(1) as f64
    }
}
