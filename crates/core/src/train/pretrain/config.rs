//! A pretraining run's settings.

use serde::{Deserialize, Serialize};

use crate::masking::MaskingConfig;
use crate::train::data::PairTask;
use crate::train::optimizer::AdamWParams;
use crate::train::schedule::LinearSchedule;
use crate::train::TrainError;

/// Everything that shapes a run. Defaults suit continued MLM of a small encoder (MiniLM-L6).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TrainConfig {
    /// Optimizer updates in the run (the schedule's length). Default 1000.
    pub steps: usize,
    /// Sequences per micro-batch. Default 32.
    pub batch_size: usize,
    /// Micro-batches per update (gradient accumulation). Default 1.
    pub grad_accum: usize,
    /// Peak learning rate of the encoder (embeddings and layers). Default 1e-4.
    pub lr_encoder: f64,
    /// Peak learning rate of the heads (MLM transform and bias, NSP/SOP). Default 1e-3.
    pub lr_head: f64,
    /// Linear warmup updates. Default 100.
    pub warmup_steps: usize,
    pub adam: AdamWParams,
    /// Clip the global gradient norm to this (0 = no clipping). Default 1.0.
    pub max_grad_norm: f64,
    /// Seeds data order, dropout and (unless set apart) masking. Default 42.
    pub seed: u64,
    /// Dropout as configured by the model (true) or none (false). Default true.
    pub dropout: bool,
    pub pair_task: PairTask,
    pub masking: MaskingConfig,
    /// Validate every this many updates (0 = never). Default 100.
    pub eval_every: usize,
    /// At most this many validation batches. Default 20.
    pub eval_batches: usize,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            steps: 1000,
            batch_size: 32,
            grad_accum: 1,
            lr_encoder: 1e-4,
            lr_head: 1e-3,
            warmup_steps: 100,
            adam: AdamWParams::default(),
            max_grad_norm: 1.0,
            seed: 42,
            dropout: true,
            pair_task: PairTask::None,
            masking: MaskingConfig::default(),
            eval_every: 100,
            eval_batches: 20,
        }
    }
}

impl TrainConfig {
    pub fn validate(&self) -> Result<(), TrainError> {
        let bad = |m: String| Err(TrainError::Config(m));
        if self.steps == 0 || self.batch_size == 0 || self.grad_accum == 0 {
            return bad("steps, batch size and gradient accumulation must be at least 1".into());
        }
        for (name, lr) in [("encoder", self.lr_encoder), ("head", self.lr_head)] {
            if !(lr.is_finite() && lr >= 0.0) {
                return bad(format!(
                    "the {name} learning rate {lr} is not a non-negative number"
                ));
            }
        }
        if !(self.max_grad_norm >= 0.0) {
            return bad(format!(
                "max gradient norm {} must be >= 0",
                self.max_grad_norm
            ));
        }
        self.masking.validate()?;
        Ok(())
    }

    pub fn schedule(&self) -> LinearSchedule {
        LinearSchedule {
            warmup_steps: self.warmup_steps,
            total_steps: self.steps,
        }
    }
}
