//! A fine-tuning run's settings, with per-regime defaults.

use serde::{Deserialize, Serialize};

use bertlab_protocol::training::{SegmentIds, FINETUNE_BATCH, FINETUNE_MIN_UPDATES};

use super::Regime;
use crate::train::labelled::LabelledSet;
use crate::train::optimizer::AdamWParams;
use crate::train::TrainError;

/// The least encoder learning rate of a sentence-pair run (see [`FinetuneConfig::for_data`]).
pub const PAIR_LR_ENCODER: f64 = 2e-4;

/// Everything that shapes a fine-tuning run. Defaults suit a MiniLM-sized encoder on a few
/// hundred short messages.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct FinetuneConfig {
    pub regime: Regime,
    /// Passes over the training set. Default 4.
    pub epochs: usize,
    /// At least this many updates, whatever `epochs` gives: 16 examples make one batch, and a
    /// label-efficiency run on them still needs room to learn. Default 40.
    pub min_updates: usize,
    /// Examples per update. Default 16.
    pub batch_size: usize,
    /// Tokens per example, special tokens included; longer texts are cut. Default 64.
    pub max_len: usize,
    /// Peak learning rate of pretrained (or, from scratch, all encoder) weights. Default 5e-5,
    /// BERT's usual fine-tuning rate; from scratch use more (1e-4).
    pub lr_encoder: f64,
    /// Peak learning rate of the new weights. Default 1e-3.
    pub lr_head: f64,
    /// Share of the updates spent warming up. Default 0.1.
    pub warmup_fraction: f64,
    pub adam: AdamWParams,
    /// Clip the global gradient norm to this (0 = no clipping). Default 1.0.
    pub max_grad_norm: f64,
    /// Seeds the head's init, data order and dropout. Default 42.
    pub seed: u64,
    /// A sentence pair's segment ids: A and B apart (default), or all 0 for the ablation.
    pub segments: SegmentIds,
}

impl Default for FinetuneConfig {
    fn default() -> Self {
        FinetuneConfig {
            regime: Regime::Full,
            epochs: 4,
            min_updates: FINETUNE_MIN_UPDATES,
            batch_size: FINETUNE_BATCH,
            max_len: 64,
            lr_encoder: 5e-5,
            lr_head: 1e-3,
            warmup_fraction: 0.1,
            adam: AdamWParams::default(),
            max_grad_norm: 1.0,
            seed: 42,
            segments: SegmentIds::PerText,
        }
    }
}

impl FinetuneConfig {
    /// The defaults for `regime`: from random weights the encoder learns at 4× the rate (2e-4),
    /// since it has nothing to preserve and far to go.
    pub fn for_regime(regime: Regime) -> FinetuneConfig {
        let base = FinetuneConfig::default();
        FinetuneConfig {
            regime,
            lr_encoder: match regime {
                Regime::Scratch => base.lr_encoder * 4.0,
                Regime::Frozen | Regime::Full => base.lr_encoder,
            },
            ..base
        }
    }

    /// The same settings for training on `train`. For sentence pairs the encoder learns at least
    /// at 2e-4, since it must learn to compare two texts, which its pretraining never asked of it:
    /// on the support pairs at 5e-5, 64 or 256 pairs left the default model at chance (53.5 %,
    /// 50.5 %); at 2e-4, 256 pairs reached 78 %.
    pub fn for_data(self, train: &LabelledSet) -> FinetuneConfig {
        if !train.is_pairs() {
            return self;
        }
        FinetuneConfig {
            lr_encoder: self.lr_encoder.max(PAIR_LR_ENCODER),
            ..self
        }
    }

    pub(crate) fn validate(&self) -> Result<(), TrainError> {
        let bad = |m: &str| Err(TrainError::Config(m.to_string()));
        if self.epochs == 0 || self.batch_size == 0 {
            return bad("epochs and batch size must be at least 1");
        }
        if self.max_len < 3 {
            return bad("max_len must leave room for [CLS], a token and [SEP]");
        }
        if ![self.lr_encoder, self.lr_head]
            .iter()
            .all(|lr| lr.is_finite() && *lr >= 0.0)
        {
            return bad("learning rates must be non-negative numbers");
        }
        if !(0.0..1.0).contains(&self.warmup_fraction) {
            return bad("the warmup fraction must be in [0, 1)");
        }
        Ok(())
    }
}
