//! The two workloads the wasm-versus-native benchmark times (`make bench-train`): updates of a
//! tiny encoder pretrained with MLM, and updates of full fine-tuning for sentence classification.
//! The same code runs in both places; only the clock differs, so the caller passes it in
//! (milliseconds; `Instant` natively, `performance.now()` in the browser).

use bertlab_protocol::training::planned_updates;
use candle_core::Device;

use crate::masking::MaskingConfig;
use crate::model::{Checkpoint, EncoderConfig, Family, Loaded, MaskedLm};
use crate::text::tokenizer::Tokenizer;

use super::checkpoint::fresh_model;
use super::data::build_examples;
use super::finetune::{FineTuner, FinetuneConfig, Regime};
use super::labelled::parse_csv;
use super::pretrain::masker_for;
use super::{PairTask, TrainConfig, TrainError, Trainer};

/// Units of work per second, measured after one warm-up update.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Throughput {
    pub units: f64,
    pub seconds: f64,
}

impl Throughput {
    pub fn per_second(&self) -> f64 {
        self.units / self.seconds.max(1e-9)
    }
}

/// The pretraining lab's tiny encoder (2 layers × 32) over `tokenizer`'s vocabulary.
pub fn tiny_encoder(tokenizer: &Tokenizer) -> EncoderConfig {
    EncoderConfig {
        vocab_size: tokenizer.vocab_size(),
        ..EncoderConfig::tiny(Family::Bert)
    }
}

/// What an MLM pretraining benchmark trains: an encoder's shape and the batch of each update.
#[derive(Debug, Clone)]
pub struct PretrainWorkload {
    pub config: EncoderConfig,
    /// Sequences per update.
    pub batch_size: usize,
    /// Tokens per sequence, `[CLS]` and `[SEP]` included.
    pub seq_len: usize,
}

impl PretrainWorkload {
    /// The pretraining lab's tiny encoder, 8 sequences of 64 tokens per update.
    pub fn tiny(tokenizer: &Tokenizer) -> Self {
        PretrainWorkload {
            config: tiny_encoder(tokenizer),
            batch_size: 8,
            seq_len: 64,
        }
    }

    /// An encoder of `config`'s shape (the default model's: 6 layers × 384, 22.7M parameters),
    /// 16 sequences of 64 tokens per update: the workload the PyTorch peer trains.
    pub fn sixteen_by_64(config: EncoderConfig) -> Self {
        PretrainWorkload {
            config,
            batch_size: 16,
            seq_len: 64,
        }
    }
}

/// Tokens per second over `steps` MLM updates of `workload`, from a fresh random init, on full
/// sequences cut from `corpus` (AdamW, gradient clipping, dropout, the head only at masked positions).
pub fn pretraining(
    workload: &PretrainWorkload,
    tokenizer: &Tokenizer,
    corpus: &str,
    steps: usize,
    now_ms: impl Fn() -> f64,
) -> Result<Throughput, TrainError> {
    let config = TrainConfig {
        steps: steps + 1,
        batch_size: workload.batch_size,
        warmup_steps: 1,
        eval_every: 0,
        masking: MaskingConfig::default(),
        ..TrainConfig::default()
    };
    // One long "sentence": the packer cuts it into full rows, so every update has the workload's
    // exact shape (sentence-wise packing leaves rows short, and the peer's rows are full).
    let text = corpus.split_whitespace().collect::<Vec<_>>().join(" ");
    let examples = build_examples(
        &text,
        tokenizer,
        workload.seq_len,
        PairTask::None,
        config.seed,
    )?;
    let (model, varmap) = fresh_model(&workload.config, PairTask::None, 1)?;
    let masker = masker_for(tokenizer, config.masking.clone())?;
    let mut trainer = Trainer::new(model, &varmap, examples, Vec::new(), masker, config)?;
    trainer.train_step()?;
    let started = now_ms();
    let mut tokens = 0;
    for _ in 0..steps {
        tokens += trainer.train_step()?.tokens;
    }
    Ok(Throughput {
        units: tokens as f64,
        seconds: (now_ms() - started) / 1000.0,
    })
}

/// Updates timed in the tiny-encoder workloads, natively and in the browser alike.
pub const TINY_STEPS: usize = 30;

/// The tiny-encoder pretraining figure both halves of the wasm-versus-native benchmark print:
/// [`TINY_STEPS`] updates of [`PretrainWorkload::tiny`] on the first 2,000 lines of `corpus`.
pub fn tiny_pretraining(
    tokenizer: &Tokenizer,
    corpus: &str,
    now_ms: impl Fn() -> f64,
) -> Result<Throughput, TrainError> {
    let corpus: String = corpus.lines().take(2000).collect::<Vec<_>>().join("\n");
    let workload = PretrainWorkload::tiny(tokenizer);
    pretraining(&workload, tokenizer, &corpus, TINY_STEPS, now_ms)
}

/// A fine-tuning figure: examples per second, and how many updates the fine-tuning lab's defaults
/// make on the same set (so the time of a whole run in the lab can be estimated).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FineTuning {
    pub throughput: Throughput,
    pub updates_at_defaults: usize,
    pub batch_size: usize,
}

impl FineTuning {
    /// Seconds a whole run at the lab's defaults takes at this speed.
    pub fn seconds_at_defaults(&self) -> f64 {
        (self.updates_at_defaults * self.batch_size) as f64 / self.throughput.per_second()
    }
}

/// Full fine-tuning of an encoder of `config`'s shape (random weights: speed does not depend on
/// them) on the labelled `csv`, at the lab's defaults, timed over `steps` updates after one warm-up.
pub fn fine_tuning(
    config: EncoderConfig,
    tokenizer: Tokenizer,
    csv: &[u8],
    steps: usize,
    now_ms: impl Fn() -> f64,
) -> Result<FineTuning, TrainError> {
    let split = parse_csv(csv, 0.2, 0)?;
    let config = EncoderConfig {
        architectures: vec!["BertForMaskedLM".into()],
        ..config
    };
    let base = Loaded::<MaskedLm>::random(&config, 1, &Device::Cpu)?;
    let json =
        serde_json::to_vec(&config.to_hf_json()).map_err(|e| TrainError::Config(e.to_string()))?;
    let checkpoint = Checkpoint::from_bytes(&json, &base.to_safetensors()?)?;
    let defaults = FinetuneConfig::for_regime(Regime::Full);
    let updates_at_defaults = planned_updates(
        split.train.len(),
        defaults.batch_size,
        defaults.epochs,
        defaults.min_updates,
    );
    let finetune = FinetuneConfig {
        min_updates: steps + 1,
        ..defaults
    };
    let batch = finetune.batch_size;
    let mut tuner = FineTuner::new(&checkpoint, tokenizer, &split.train, finetune)?;
    tuner.train_step()?;
    let started = now_ms();
    for _ in 0..steps {
        tuner.train_step()?;
    }
    Ok(FineTuning {
        throughput: Throughput {
            units: (steps * batch) as f64,
            seconds: (now_ms() - started) / 1000.0,
        },
        updates_at_defaults,
        batch_size: batch,
    })
}
