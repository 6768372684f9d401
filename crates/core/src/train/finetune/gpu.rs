//! Fine-tuning on the GPU: [`FineTuner::attach_gpu`] uploads the classifier and the optimizer's
//! state once; [`FineTuner::train_step_gpu`] then makes the same update [`FineTuner::train_step`]
//! would (same batches, schedule, clipping and AdamW scalars: `Updates` decides them for both),
//! with the weights staying on the GPU and only the loss, the squared gradient norm and the
//! batch's logits read back. [`FineTuner::sync_from_gpu`] copies weights and moments back into
//! the CPU model and optimizer (to export, evaluate, snapshot, or as a fallback point);
//! [`FineTuner::detach_gpu`] drops the GPU copy and rewinds the run to the last sync, so that
//! after a GPU failure the CPU redoes the updates since then on the same batches (with dropout
//! off, the same updates; with dropout, other masks of the same rate).
//!
//! Everything is async because reading from the GPU is (the browser's worker awaits it; native
//! callers block on it, e.g. with `pollster`). While a GPU is attached the CPU model's weights
//! are those of the last sync: `predict`, `evaluate` and `varmap` read them.

use std::collections::HashMap;

use candle_core::Tensor;

use super::frozen::{rows_input, TokenRow};
use super::updates::gradients_by_name;
use super::{FineTuner, FinetuneStep, Regime};
use crate::gpu::train::{GpuTrainer, StepInput};
use crate::gpu::GpuContext;
use crate::model::Mode;
use crate::train::optimizer::clip_scale;
use crate::train::pretrain::count_correct;
use crate::train::TrainError;

/// A run's GPU copy, and where the CPU's copy last matched it.
pub(super) struct GpuRun {
    trainer: GpuTrainer,
    /// (updates done, optimizer updates) at the last sync.
    synced: (usize, usize),
}

impl FineTuner {
    /// Uploads the classifier's weights, gradients and AdamW moments to `ctx`'s device; later
    /// updates go through [`FineTuner::train_step_gpu`]. The full regime trains the encoder on the
    /// GPU; the frozen regime trains the head there, on the encoder states of the frozen cache
    /// (computed on the first update, or handed in through [`FineTuner::frozen_rows`]).
    pub async fn attach_gpu(&mut self, ctx: &GpuContext) -> Result<(), TrainError> {
        let max_seq = self
            .train
            .rows
            .iter()
            .map(|r| r.ids.len())
            .max()
            .unwrap_or(1);
        let trainer = GpuTrainer::upload(
            ctx,
            &self.model,
            &self.run.opt,
            self.config.batch_size,
            max_seq,
            self.config.regime != Regime::Frozen,
        )
        .await?;
        self.gpu = Some(GpuRun {
            trainer,
            synced: (self.run.step, self.run.opt.steps_taken()),
        });
        Ok(())
    }

    /// Whether updates run on the GPU.
    pub fn on_gpu(&self) -> bool {
        self.gpu.is_some()
    }

    /// One update on the GPU, as [`FineTuner::train_step`] makes it on the CPU. A non-finite
    /// loss or gradient norm returns [`TrainError::NonFinite`] before any weight changes; a GPU
    /// failure returns [`TrainError::Gpu`]: then [`FineTuner::detach_gpu`] and go on with
    /// [`FineTuner::train_step`].
    pub async fn train_step_gpu(&mut self, ctx: &GpuContext) -> Result<FinetuneStep, TrainError> {
        let Some(gpu) = self.gpu.as_mut() else {
            return Err(TrainError::Config(
                "no GPU attached: call attach_gpu first".into(),
            ));
        };
        let indices = self.run.next_batch(self.config.batch_size);
        let seed = self.run.dropout_seed(self.config.seed);
        let labels: Vec<u32> = indices.iter().map(|&i| self.train.labels[i]).collect();
        let report = if gpu.trainer.trains_encoder() {
            let batch: Vec<&TokenRow> = indices.iter().map(|&i| &self.train.rows[i]).collect();
            let input = rows_input(self.model.encoder.config(), &batch)?;
            gpu.trainer
                .forward_backward(ctx, StepInput::Tokens(&input), &labels, seed)
                .await?
        } else {
            let Some(states) = self
                .frozen
                .get(&self.model.encoder, self.train.rows.iter())?
            else {
                return Err(TrainError::Config(
                    "the frozen regime has no encoder states".into(),
                ));
            };
            let mut first =
                Vec::with_capacity(indices.len() * self.model.encoder.config().hidden_size);
            for &i in &indices {
                first.extend(states[i].flatten_all()?.to_vec1::<f32>()?);
            }
            gpu.trainer
                .forward_backward(ctx, StepInput::Features(&first), &labels, seed)
                .await?
        };
        let step = self.run.step + 1;
        let loss = TrainError::ensure_finite("loss", report.loss as f64, step)?;
        let classes = self.model.encoder.config().labels.len();
        let logits = Tensor::from_vec(report.logits, (indices.len(), classes), &self.device)?;
        let targets = Tensor::new(labels, &self.device)?;
        let accuracy = count_correct(&logits, &targets)? as f64 / indices.len().max(1) as f64;
        let grad_norm = (report.sum_of_squares as f64).sqrt();
        TrainError::ensure_finite("gradient norm", grad_norm, step)?;
        let rates = self.run.rates(&self.config);
        let t = self.run.opt.steps_taken() + 1;
        let hp = *self.run.opt.hyper_parameters();
        gpu.trainer
            .update(
                ctx,
                &hp,
                t,
                rates,
                clip_scale(grad_norm, self.config.max_grad_norm),
            )
            .await?;
        self.run.opt.set_steps_taken(t);
        Ok(self
            .run
            .finish(&self.config, loss, accuracy, grad_norm, rates))
    }

    /// Copies the GPU's weights and moments into the CPU model and optimizer; a later
    /// [`FineTuner::detach_gpu`] resumes from here.
    pub async fn sync_from_gpu(&mut self, ctx: &GpuContext) -> Result<(), TrainError> {
        let Some(gpu) = self.gpu.as_mut() else {
            return Ok(());
        };
        gpu.trainer.download(ctx, &mut self.run.opt).await?;
        gpu.synced = (self.run.step, self.run.opt.steps_taken());
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
        let indices = self.run.next_batch(self.config.batch_size);
        self.model
            .encoder
            .set_dropout_seed(self.run.dropout_seed(self.config.seed));
        let logits = self.logits_for(&indices, Mode::Train)?;
        let labels: Vec<u32> = indices.iter().map(|&i| self.train.labels[i]).collect();
        let labels = Tensor::new(labels, &self.device)?;
        let loss = crate::model::fused::cross_entropy(&logits, &labels)?;
        let grads = gradients_by_name(&self.run.opt, &loss.backward()?);
        Ok((loss.to_scalar::<f32>()? as f64, grads))
    }

    /// Drops the GPU copy and goes back to the last sync (or the attach): the next
    /// [`FineTuner::train_step`] redoes, on the CPU, the updates made since. Returns the updates
    /// done from there, or `None` if no GPU was attached.
    pub fn detach_gpu(&mut self) -> Option<usize> {
        let gpu = self.gpu.take()?;
        let (step, steps_taken) = gpu.synced;
        self.run.step = step;
        self.run.opt.set_steps_taken(steps_taken);
        Some(step)
    }
}
