//! What every fine-tuning run (a sentence classifier, a tagger) steps through: the optimizer over
//! the weights it trains, the seeded order of its training examples, and its updates done and
//! planned.

use std::collections::HashMap;

use bertlab_protocol::training::planned_updates;
use candle_core::Tensor;

use super::{FinetuneConfig, FinetuneStep, Regime};
use crate::train::data::Order;
use crate::train::optimizer::AdamW;
use crate::train::pretrain::{count_correct, dropout_seed};
use crate::train::schedule::LinearSchedule;
use crate::train::TrainError;

pub(crate) struct Updates {
    pub(crate) opt: AdamW,
    order: Order,
    /// Updates done.
    pub(crate) step: usize,
    /// `epochs` passes over the examples in batches, or `min_updates` if more.
    pub(crate) total_steps: usize,
    /// Weights the optimizer updates.
    pub(crate) trainable: usize,
}

impl Updates {
    /// The plan for `examples` training examples under `config`, from the first update.
    pub(crate) fn plan(
        opt: AdamW,
        trainable: usize,
        examples: usize,
        config: &FinetuneConfig,
    ) -> Updates {
        Updates {
            opt,
            order: Order::new(examples, config.seed),
            step: 0,
            total_steps: planned_updates(
                examples,
                config.batch_size,
                config.epochs,
                config.min_updates,
            ),
            trainable,
        }
    }

    pub(crate) fn is_done(&self) -> bool {
        self.step >= self.total_steps
    }

    /// The examples of the next update, `batch` of them in the seeded order.
    pub(crate) fn next_batch(&mut self, batch: usize) -> Vec<usize> {
        let start = (self.step * batch) as u64;
        (start..start + batch as u64)
            .map(|pos| self.order.at(pos).1)
            .collect()
    }

    /// Dropout's seed for the next update, so a resumed run drops what the whole run would.
    pub(crate) fn dropout_seed(&self, seed: u64) -> u64 {
        dropout_seed(seed, self.step)
    }

    /// One update: cross-entropy of `logits` (`[rows, classes]`) against `labels`, backpropagated,
    /// then a clipped AdamW step at the rates `config`'s warm-up and linear decay give it. A
    /// non-finite loss or gradient returns [`TrainError::NonFinite`] and leaves the weights and the
    /// count as they were.
    pub(crate) fn apply(
        &mut self,
        config: &FinetuneConfig,
        logits: &Tensor,
        labels: &Tensor,
    ) -> Result<FinetuneStep, TrainError> {
        let loss_t = crate::model::fused::cross_entropy(logits, labels)?;
        let loss = loss_t.to_scalar::<f32>()? as f64;
        let step = self.step + 1;
        TrainError::ensure_finite("loss", loss, step)?;
        let accuracy = count_correct(logits, labels)? as f64 / labels.dims()[0].max(1) as f64;
        let store = loss_t.backward()?;
        let grads: HashMap<String, Tensor> = self
            .opt
            .vars()
            .filter_map(|(name, var)| {
                store
                    .get(var.as_tensor())
                    .map(|g| (name.to_string(), g.clone()))
            })
            .collect();
        let schedule = LinearSchedule {
            warmup_steps: (self.total_steps as f64 * config.warmup_fraction) as usize,
            total_steps: self.total_steps,
        };
        let factor = schedule.factor(self.step);
        let (lr_enc, lr_head) = (config.lr_encoder * factor, config.lr_head * factor);
        let grad_norm =
            self.opt
                .clipped_step(&grads, config.max_grad_norm, (lr_enc, lr_head), step)?;
        self.step = step;
        Ok(FinetuneStep {
            step,
            total_steps: self.total_steps,
            loss,
            accuracy,
            lr: if config.regime == Regime::Frozen {
                lr_head
            } else {
                lr_enc
            },
            grad_norm,
        })
    }
}
