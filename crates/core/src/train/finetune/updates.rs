//! What every fine-tuning run (a sentence classifier, a tagger) steps through: the optimizer over
//! the weights it trains, the seeded order of its training examples, and its updates done and
//! planned.

use std::collections::HashMap;

use bertlab_protocol::training::planned_updates;
use candle_core::Tensor;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::{FinetuneConfig, FinetuneStep, Regime};
use crate::train::data::Order;
use crate::train::optimizer::AdamW;
use crate::train::pretrain::{count_correct, dropout_seed};
use crate::train::schedule::LinearSchedule;
use crate::train::TrainError;

/// Batches per window of the seeded order within which [`Updates::next_batch`] groups examples by
/// length: wide enough to find similar lengths, narrow enough that the run still sees its examples
/// in a random order.
const GROUP_BATCHES: usize = 8;

pub(crate) struct Updates {
    pub(crate) opt: AdamW,
    order: Order,
    /// Each training example's length in tokens, for grouping batches by length where the
    /// encoder runs every update (not with a frozen encoder, whose head trains on cached
    /// features and pays nothing for padding).
    lengths: Option<Vec<usize>>,
    seed: u64,
    /// Updates done.
    pub(crate) step: usize,
    /// `epochs` passes over the examples in batches, or `min_updates` if more.
    pub(crate) total_steps: usize,
    /// Weights the optimizer updates.
    pub(crate) trainable: usize,
}

impl Updates {
    /// The plan for training examples of `lengths` tokens under `config`, from the first update.
    pub(crate) fn plan(
        opt: AdamW,
        trainable: usize,
        lengths: Vec<usize>,
        config: &FinetuneConfig,
    ) -> Updates {
        let examples = lengths.len();
        Updates {
            opt,
            order: Order::new(examples, config.seed),
            lengths: (config.regime != Regime::Frozen).then_some(lengths),
            seed: config.seed,
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

    /// The examples of the next update, `batch` of them in the seeded order; where the encoder
    /// trains, grouped by length as Hugging Face's `group_by_length` does: the seeded order is cut
    /// into windows of [`GROUP_BATCHES`] batches, each window's examples are sorted by length and
    /// cut into batches, and the window's batches are taken in a seeded random order. Every
    /// example still comes once per pass over the seeded order, but a batch is padded to a length
    /// near its examples' own (random batches of support messages were a quarter padding).
    pub(crate) fn next_batch(&mut self, batch: usize) -> Vec<usize> {
        match &self.lengths {
            Some(lengths) => {
                length_grouped_batch(&mut self.order, lengths, self.seed, self.step, batch)
            }
            None => {
                let start = (self.step * batch) as u64;
                (start..start + batch as u64)
                    .map(|pos| self.order.at(pos).1)
                    .collect()
            }
        }
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
        let grads = gradients_by_name(&self.opt, &loss_t.backward()?);
        let rates = self.rates(config);
        let grad_norm = self
            .opt
            .clipped_step(&grads, config.max_grad_norm, rates, step)?;
        Ok(self.finish(config, loss, accuracy, grad_norm, rates))
    }

    /// The encoder's and the heads' learning rates of the next update: `config`'s warm-up and
    /// linear decay.
    pub(crate) fn rates(&self, config: &FinetuneConfig) -> (f64, f64) {
        let schedule = LinearSchedule {
            warmup_steps: (self.total_steps as f64 * config.warmup_fraction) as usize,
            total_steps: self.total_steps,
        };
        let factor = schedule.factor(self.step);
        (config.lr_encoder * factor, config.lr_head * factor)
    }

    /// Counts an update made at `rates` (here or on the GPU) and reports it.
    pub(crate) fn finish(
        &mut self,
        config: &FinetuneConfig,
        loss: f64,
        accuracy: f64,
        grad_norm: f64,
        (lr_enc, lr_head): (f64, f64),
    ) -> FinetuneStep {
        self.step += 1;
        FinetuneStep {
            step: self.step,
            total_steps: self.total_steps,
            loss,
            accuracy,
            lr: if config.regime == Regime::Frozen {
                lr_head
            } else {
                lr_enc
            },
            grad_norm,
        }
    }
}

/// Batch `step` of `batch` examples, grouped by length (see [`Updates::next_batch`]).
/// The gradient of every weight `opt` trains that `store` holds, by the weight's name.
pub(crate) fn gradients_by_name(
    opt: &AdamW,
    store: &candle_core::backprop::GradStore,
) -> HashMap<String, Tensor> {
    opt.vars()
        .filter_map(|(name, var)| {
            store
                .get(var.as_tensor())
                .map(|g| (name.to_string(), g.clone()))
        })
        .collect()
}

fn length_grouped_batch(
    order: &mut Order,
    lengths: &[usize],
    seed: u64,
    step: usize,
    batch: usize,
) -> Vec<usize> {
    let batch = batch.max(1);
    let window = (step / GROUP_BATCHES) as u64;
    let start = window * (GROUP_BATCHES * batch) as u64;
    let mut members: Vec<usize> = (start..start + (GROUP_BATCHES * batch) as u64)
        .map(|pos| order.at(pos).1)
        .collect();
    members.sort_by_key(|&i| lengths[i]);
    let mut slots: Vec<usize> = (0..GROUP_BATCHES).collect();
    slots.shuffle(&mut ChaCha8Rng::seed_from_u64(
        seed ^ window.wrapping_mul(0xD1B5_4A32_D192_ED03),
    ));
    let slot = slots[step % GROUP_BATCHES];
    members[slot * batch..(slot + 1) * batch].to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lengths(n: usize) -> Vec<usize> {
        (0..n).map(|i| 3 + (i * 7919) % 23).collect()
    }

    /// A window's batches hold exactly the examples the seeded order puts in that window, so a
    /// pass over the order still trains on every example once.
    #[test]
    fn grouping_only_regroups_the_seeded_order() {
        let (n, batch) = (600, 16);
        let lengths = lengths(n);
        let window = GROUP_BATCHES * batch;
        for w in 0..6 {
            let mut grouped: Vec<usize> = (w * GROUP_BATCHES..(w + 1) * GROUP_BATCHES)
                .flat_map(|step| {
                    length_grouped_batch(&mut Order::new(n, 7), &lengths, 7, step, batch)
                })
                .collect();
            let mut order = Order::new(n, 7);
            let mut seeded: Vec<usize> = (w * window..(w + 1) * window)
                .map(|pos| order.at(pos as u64).1)
                .collect();
            grouped.sort_unstable();
            seeded.sort_unstable();
            assert_eq!(grouped, seeded, "window {w}");
        }
    }

    /// Batches are padded to far fewer tokens than batches taken straight from the seeded order,
    /// and the same seed gives the same batches.
    #[test]
    fn grouped_batches_need_less_padding() {
        let (n, batch) = (600, 16);
        let lengths = lengths(n);
        let padded = |batches: Vec<Vec<usize>>| -> usize {
            batches
                .iter()
                .map(|b| b.iter().map(|&i| lengths[i]).max().unwrap_or(0) * b.len())
                .sum()
        };
        let steps = 0..150;
        let mut order = Order::new(n, 3);
        let grouped: Vec<Vec<usize>> = steps
            .clone()
            .map(|step| length_grouped_batch(&mut order, &lengths, 3, step, batch))
            .collect();
        let mut order = Order::new(n, 3);
        let plain: Vec<Vec<usize>> = steps
            .clone()
            .map(|step| {
                (step * batch..(step + 1) * batch)
                    .map(|pos| order.at(pos as u64).1)
                    .collect()
            })
            .collect();
        let real: usize = plain.iter().flatten().map(|&i| lengths[i]).sum();
        let (grouped_tokens, plain_tokens) = (padded(grouped.clone()), padded(plain));
        assert!(
            (grouped_tokens as f64) < 0.85 * plain_tokens as f64,
            "grouped {grouped_tokens}, plain {plain_tokens}, real {real}"
        );
        let mut order = Order::new(n, 3);
        let again: Vec<Vec<usize>> = steps
            .map(|step| length_grouped_batch(&mut order, &lengths, 3, step, batch))
            .collect();
        assert_eq!(grouped, again);
    }
}
