//! Pretraining on the GPU, as `train::finetune` fine-tunes there: [`Trainer::attach_gpu`] uploads
//! the model (encoder, MLM head with its decoder tied to the word table, NSP / SOP head) and the
//! optimizer's state once; [`Trainer::train_step_gpu`] makes the update [`Trainer::train_step`]
//! would (the same batch, masks, schedule, clipping and AdamW scalars), reading back only the
//! losses, the MLM hit count, the pair logits and the squared gradient norm;
//! [`Trainer::sync_from_gpu`] copies weights and moments back (to evaluate, probe or snapshot);
//! [`Trainer::detach_gpu`] drops the GPU copy and rewinds the run to the last sync, so the CPU
//! redoes the updates since then on the same batches and masks (the data order and the masks are
//! functions of the update number).
//!
//! One micro-batch per update: a run with gradient accumulation stays on the CPU. Dropout draws
//! the GPU's own masks at the same rates.

use std::collections::HashMap;

use candle_core::Tensor;

use super::{count_correct, dropout_seed, PretrainModel, StepMetrics, Trainer};
use crate::gpu::train::{GpuTrainer, MaskedTargets};
use crate::gpu::GpuContext;
use crate::model::Mode;
use crate::train::optimizer::clip_scale;
use crate::train::TrainError;

/// A run's GPU copy, and where the CPU's copy last matched it.
pub(super) struct GpuRun {
    trainer: GpuTrainer,
    /// (updates done, tokens seen, optimizer updates) at the last sync.
    synced: (usize, u64, usize),
}

impl Trainer {
    /// Uploads the model's weights, gradients and AdamW moments to `ctx`'s device; later updates
    /// go through [`Trainer::train_step_gpu`].
    pub async fn attach_gpu(&mut self, ctx: &GpuContext) -> Result<(), TrainError> {
        if self.config.grad_accum != 1 {
            return Err(TrainError::Config(format!(
                "the GPU takes one micro-batch per update; this run accumulates {}",
                self.config.grad_accum
            )));
        }
        let max_seq = self.train.iter().map(|e| e.ids.len()).max().unwrap_or(1);
        let heads = match &self.model {
            PretrainModel::Mlm(m) => (&m.encoder, &m.head, None),
            PretrainModel::Pair(m) => (&m.encoder, &m.mlm, Some(&m.pair)),
        };
        let trainer =
            GpuTrainer::upload_pretraining(ctx, heads, &self.opt, self.config.batch_size, max_seq)
                .await?;
        self.gpu = Some(GpuRun {
            trainer,
            synced: (self.step, self.tokens_seen, self.opt.steps_taken()),
        });
        Ok(())
    }

    /// Whether updates run on the GPU.
    pub fn on_gpu(&self) -> bool {
        self.gpu.is_some()
    }

    /// One update on the GPU, as [`Trainer::train_step`] makes it on the CPU. A non-finite loss
    /// or gradient norm returns [`TrainError::NonFinite`] before any weight changes; a GPU failure
    /// returns [`TrainError::Gpu`]: then [`Trainer::detach_gpu`] and go on with
    /// [`Trainer::train_step`].
    pub async fn train_step_gpu(&mut self, ctx: &GpuContext) -> Result<StepMetrics, TrainError> {
        if self.gpu.is_none() {
            return Err(TrainError::Config(
                "no GPU attached: call attach_gpu first".into(),
            ));
        }
        let batches = self.next_batches()?;
        let [batch] = batches.as_slice() else {
            return Err(TrainError::Config("one micro-batch per GPU update".into()));
        };
        if batch.n_masked == 0 {
            return Err(TrainError::Data(
                "no masked tokens in this update (sequences too short?)".into(),
            ));
        }
        let mode = if self.config.dropout {
            Mode::Train
        } else {
            Mode::Grad
        };
        let input = batch.input(mode, self.segments);
        let positions = batch.masked.to_vec1::<u32>()?;
        let tokens = batch.targets.to_vec1::<u32>()?;
        let pair_labels = match &batch.pair_labels {
            Some(l) => Some(l.to_vec1::<u32>()?),
            None => None,
        };
        let seed = dropout_seed(self.config.seed, self.step);
        let Some(gpu) = self.gpu.as_mut() else {
            return Err(TrainError::Config("no GPU attached".into()));
        };
        let report = gpu
            .trainer
            .pretraining_step(
                ctx,
                &input,
                &MaskedTargets {
                    positions: &positions,
                    tokens: &tokens,
                },
                pair_labels.as_deref(),
                seed,
            )
            .await?;
        let step = self.step + 1;
        let mlm_loss = report.mlm_loss as f64;
        let (pair_loss, pair_accuracy) = match (&report.pair, &batch.pair_labels) {
            (Some((loss, logits)), Some(labels)) => {
                let logits = Tensor::from_slice(logits, (batch.rows, 2), &self.device)?;
                let right = count_correct(&logits, labels)?;
                (Some(*loss as f64), Some(right as f64 / batch.rows as f64))
            }
            _ => (None, None),
        };
        let loss = mlm_loss + pair_loss.unwrap_or(0.0);
        TrainError::ensure_finite("loss", loss, step)?;
        let grad_norm = (report.sum_of_squares as f64).sqrt();
        TrainError::ensure_finite("gradient norm", grad_norm, step)?;
        let factor = self.config.schedule().factor(self.step);
        let rates = (
            self.config.lr_encoder * factor,
            self.config.lr_head * factor,
        );
        let t = self.opt.steps_taken() + 1;
        let hp = *self.opt.hyper_parameters();
        let scale = clip_scale(grad_norm, self.config.max_grad_norm);
        gpu.trainer.update(ctx, &hp, t, rates, scale).await?;
        self.opt.set_steps_taken(t);
        self.step = step;
        self.tokens_seen += batch.tokens as u64;
        Ok(StepMetrics {
            step,
            loss,
            mlm_loss,
            mlm_accuracy: report.mlm_hits as f64 / batch.n_masked as f64,
            perplexity: mlm_loss.exp(),
            pair_loss,
            pair_accuracy,
            lr: rates.0,
            grad_norm,
            tokens: batch.tokens,
            tokens_seen: self.tokens_seen,
        })
    }

    /// Copies the GPU's weights and moments into the CPU model and optimizer; a later
    /// [`Trainer::detach_gpu`] resumes from here.
    pub async fn sync_from_gpu(&mut self, ctx: &GpuContext) -> Result<(), TrainError> {
        let Some(gpu) = self.gpu.as_mut() else {
            return Ok(());
        };
        gpu.trainer.download(ctx, &mut self.opt).await?;
        gpu.synced = (self.step, self.tokens_seen, self.opt.steps_taken());
        Ok(())
    }

    /// The last GPU update's gradients by weight name, before clipping (parity checks).
    pub async fn gpu_gradients(
        &self,
        ctx: &GpuContext,
    ) -> Result<HashMap<String, Vec<f32>>, TrainError> {
        match &self.gpu {
            Some(gpu) => Ok(gpu.trainer.gradients(ctx).await?),
            None => Err(TrainError::Config("no GPU attached".into())),
        }
    }

    /// The loss and the gradient of every trained weight (by name, before clipping) on the batch
    /// the next update takes, on the CPU, without updating: what a GPU update is checked against.
    pub fn next_gradients(&mut self) -> Result<(f64, HashMap<String, Tensor>), TrainError> {
        let batches = self.next_batches()?;
        let total_masked = batches.iter().map(|b| b.n_masked).sum();
        let total_rows = batches.iter().map(|b| b.rows).sum();
        self.model
            .encoder()
            .set_dropout_seed(dropout_seed(self.config.seed, self.step));
        let sums = self.accumulate(&batches, total_masked, total_rows)?;
        let pair = sums.pair_loss / total_rows.max(1) as f64;
        let loss = sums.mlm_loss / total_masked.max(1) as f64 + pair;
        Ok((loss, sums.grads))
    }

    /// Drops the GPU copy and goes back to the last sync (or the attach): the next
    /// [`Trainer::train_step`] redoes, on the CPU, the updates made since. Returns the updates
    /// done from there, or `None` if no GPU was attached.
    pub fn detach_gpu(&mut self) -> Option<usize> {
        let gpu = self.gpu.take()?;
        let (step, tokens_seen, steps_taken) = gpu.synced;
        self.step = step;
        self.tokens_seen = tokens_seen;
        self.opt.set_steps_taken(steps_taken);
        Some(step)
    }
}
