//! The pretraining loop as a library: [`Trainer`] owns the model, the optimizer, the packed data
//! and the masker; [`Trainer::train_step`] makes one optimizer update (over `grad_accum`
//! micro-batches) and returns its [`StepMetrics`]; [`Trainer::run`] repeats it with a progress
//! callback and a stop check. No filesystem, threads or clock: the same code runs in the browser's
//! worker and behind `bertlab pretrain`.
//!
//! Reproducibility: the data order, every mask and every dropout draw are pure functions of
//! (seed, step), so the same seed gives the same curve and a resumed run continues exactly where
//! the saved one stopped (given the weights and the optimizer moments, see [`ResumeState`]).

mod batch;
mod config;
mod gpu;
mod model;
pub mod race;
mod snapshot;

use std::collections::HashMap;

use candle_core::{DType, Device, Tensor, D};
use candle_nn::VarMap;
use serde::{Deserialize, Serialize};

use crate::masking::{MaskedSequence, Masker, MaskingConfig, ReplacementIds, Sequence};
use crate::model::Mode;
use crate::text::tokenizer::Tokenizer;

use super::data::{Example, Order, PairTask};
use super::optimizer::{named_vars, AdamW, Group};
use super::TrainError;

pub use batch::Batch;
pub use config::TrainConfig;
pub use model::PretrainModel;

/// What one optimizer update did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepMetrics {
    /// Updates done, this one included (1-based).
    pub step: usize,
    /// Total loss (MLM + pair) of the update.
    pub loss: f64,
    pub mlm_loss: f64,
    pub mlm_accuracy: f64,
    /// exp(mlm_loss).
    pub perplexity: f64,
    pub pair_loss: Option<f64>,
    pub pair_accuracy: Option<f64>,
    /// Encoder learning rate used for this update.
    pub lr: f64,
    /// Gradient norm before clipping.
    pub grad_norm: f64,
    /// Real tokens in this update, and in the run so far.
    pub tokens: usize,
    pub tokens_seen: u64,
}

/// Held-out evaluation with fixed masks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvalMetrics {
    pub step: usize,
    pub loss: f64,
    pub accuracy: f64,
    pub perplexity: f64,
    pub pair_accuracy: Option<f64>,
    pub sequences: usize,
    pub masked_tokens: usize,
}

/// Reported by [`Trainer::run`].
#[derive(Debug, Clone, PartialEq)]
pub enum TrainEvent {
    Step(StepMetrics),
    Validation(EvalMetrics),
}

/// Where a run stands, besides the weights and optimizer moments (saved next to it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResumeState {
    pub step: usize,
    pub tokens_seen: u64,
    pub optimizer_steps: usize,
    pub config: TrainConfig,
}

/// The masker for a tokenizer: its `[MASK]`, and random replacements drawn from every non-special
/// token.
pub fn masker_for(tok: &Tokenizer, config: MaskingConfig) -> Result<Masker, TrainError> {
    let (_, mask_id) = tok
        .mask_token()
        .ok_or_else(|| TrainError::Config("the tokenizer has no mask token".into()))?;
    Ok(Masker::new(
        config,
        mask_id,
        ReplacementIds::vocab_excluding(tok.vocab_size() as u32, &tok.special_ids()),
    )?)
}

/// Mixed into the run's seed for [`Trainer::evaluate_new_masks`]'s masks.
const NEW_MASKS_SEED: u64 = 0x6E65_775F_6D61_736B;

fn mask_with(
    masker: &Masker,
    ex: &Example,
    index: usize,
    epoch: u64,
) -> Result<MaskedSequence, TrainError> {
    let words = masker.config().whole_word.then_some(ex.word_ids.as_slice());
    Ok(masker.mask(
        &Sequence {
            ids: &ex.ids,
            special: &ex.special,
            word_ids: words,
        },
        index as u64,
        epoch,
    )?)
}

pub struct Trainer {
    model: PretrainModel,
    opt: AdamW,
    config: TrainConfig,
    masker: Masker,
    /// Draws masks the run is never shown, for [`Trainer::evaluate_new_masks`].
    new_masks: Masker,
    train: Vec<Example>,
    valid: Vec<Example>,
    order: Order,
    pad_id: u32,
    segments: bool,
    step: usize,
    tokens_seen: u64,
    device: Device,
    /// The run's weights and moments on the GPU, once attached (see `gpu.rs`).
    gpu: Option<gpu::GpuRun>,
}

impl Trainer {
    /// `varmap` holds every weight of `model` by HF name; weights under the family prefix
    /// (`bert.` ...) follow `lr_encoder`, the others (heads) `lr_head`.
    pub fn new(
        model: PretrainModel,
        varmap: &VarMap,
        train: Vec<Example>,
        valid: Vec<Example>,
        masker: Masker,
        config: TrainConfig,
    ) -> Result<Trainer, TrainError> {
        config.validate()?;
        if train.is_empty() {
            return Err(TrainError::Data("no training sequences".into()));
        }
        let has_pair = matches!(model, PretrainModel::Pair(_));
        if has_pair != (config.pair_task != PairTask::None) {
            return Err(TrainError::Config(format!(
                "pair task {:?} does not match a {} model",
                config.pair_task,
                model.architecture()
            )));
        }
        if has_pair && train.iter().any(|e| e.pair_label.is_none()) {
            return Err(TrainError::Data(
                "pair training needs sentence-pair examples".into(),
            ));
        }
        let cfg = model.encoder().config().clone();
        let prefix = format!("{}.", cfg.family.base_prefix());
        let vars: Vec<(String, candle_core::Var, Group)> = named_vars(varmap)?
            .into_iter()
            .map(|(name, var)| {
                let group = if name.starts_with(&prefix) {
                    Group::Encoder
                } else {
                    Group::Head
                };
                (name, var, group)
            })
            .collect();
        let device = vars
            .first()
            .map(|v| v.1.device().clone())
            .unwrap_or(Device::Cpu);
        let opt = AdamW::new(vars, config.adam)?;
        Ok(Trainer {
            order: Order::new(train.len(), config.seed),
            pad_id: cfg.pad_token_id,
            segments: cfg.type_vocab_size > 0,
            model,
            opt,
            new_masks: masker.with_fresh_draws(config.seed ^ NEW_MASKS_SEED),
            masker,
            train,
            valid,
            step: 0,
            tokens_seen: 0,
            device,
            config,
            gpu: None,
        })
    }

    pub fn model(&self) -> &PretrainModel {
        &self.model
    }

    pub fn config(&self) -> &TrainConfig {
        &self.config
    }

    /// Updates done so far.
    pub fn step(&self) -> usize {
        self.step
    }

    pub fn tokens_seen(&self) -> u64 {
        self.tokens_seen
    }

    pub fn train_len(&self) -> usize {
        self.train.len()
    }

    /// Extends the run (the schedule decays to the new end) — e.g. for a resumed run given more steps.
    pub fn set_total_steps(&mut self, steps: usize) {
        self.config.steps = steps;
    }

    fn mask(&self, ex: &Example, index: usize, epoch: u64) -> Result<MaskedSequence, TrainError> {
        mask_with(&self.masker, ex, index, epoch)
    }

    /// The micro-batches of the next update: the following `batch_size * grad_accum` sequences of
    /// the seeded order, each masked for the epoch it is seen in.
    pub fn next_batches(&mut self) -> Result<Vec<Batch>, TrainError> {
        let per_update = (self.config.batch_size * self.config.grad_accum) as u64;
        let start = self.step as u64 * per_update;
        let mut batches = Vec::with_capacity(self.config.grad_accum);
        for micro in 0..self.config.grad_accum as u64 {
            let first = start + micro * self.config.batch_size as u64;
            let mut examples = Vec::new();
            let mut masked = Vec::new();
            for pos in first..first + self.config.batch_size as u64 {
                let (epoch, index) = self.order.at(pos);
                masked.push(self.mask(&self.train[index], index, epoch)?);
                examples.push(&self.train[index]);
            }
            batches.push(Batch::new(&examples, &masked, self.pad_id, &self.device)?);
        }
        Ok(batches)
    }

    /// One update on the next batches of the run.
    pub fn train_step(&mut self) -> Result<StepMetrics, TrainError> {
        let batches = self.next_batches()?;
        self.step_on(&batches)
    }

    /// One optimizer update over `batches` (gradients accumulated). Each micro-batch's loss is
    /// weighted by its share of the update's targets, so the accumulated gradient equals that of
    /// one batch holding them all. A non-finite loss or gradient norm returns
    /// [`TrainError::NonFinite`] without touching the weights.
    pub fn step_on(&mut self, batches: &[Batch]) -> Result<StepMetrics, TrainError> {
        if self.gpu.is_some() {
            return Err(TrainError::Config(
                "the GPU holds this run's latest weights: step with train_step_gpu, or \
                 sync_from_gpu and detach_gpu first"
                    .into(),
            ));
        }
        let total_masked: usize = batches.iter().map(|b| b.n_masked).sum();
        let total_rows: usize = batches.iter().map(|b| b.rows).sum();
        if total_masked == 0 {
            return Err(TrainError::Data(
                "no masked tokens in this update (sequences too short?)".into(),
            ));
        }
        self.model
            .encoder()
            .set_dropout_seed(dropout_seed(self.config.seed, self.step));
        let sums = self.accumulate(batches, total_masked, total_rows)?;
        let has_pair = matches!(self.model, PretrainModel::Pair(_));
        let mlm_loss = sums.mlm_loss / total_masked as f64;
        let pair_loss = has_pair.then(|| sums.pair_loss / total_rows as f64);
        let loss = mlm_loss + pair_loss.unwrap_or(0.0);
        let step = self.step + 1;
        TrainError::ensure_finite("loss", loss, step)?;
        let factor = self.config.schedule().factor(self.step);
        let lr_enc = self.config.lr_encoder * factor;
        let grad_norm = self.opt.clipped_step(
            &sums.grads,
            self.config.max_grad_norm,
            (lr_enc, self.config.lr_head * factor),
            step,
        )?;
        self.step = step;
        self.tokens_seen += sums.tokens as u64;
        Ok(StepMetrics {
            step,
            loss,
            mlm_loss,
            mlm_accuracy: sums.correct as f64 / total_masked as f64,
            perplexity: mlm_loss.exp(),
            pair_loss,
            pair_accuracy: has_pair.then(|| sums.pair_correct as f64 / total_rows as f64),
            lr: lr_enc,
            grad_norm,
            tokens: sums.tokens,
            tokens_seen: self.tokens_seen,
        })
    }

    /// Forward and backward over each micro-batch, its losses weighted by its share of the
    /// update's `total_masked` targets and `total_rows` pairs, gradients summed.
    fn accumulate(
        &self,
        batches: &[Batch],
        total_masked: usize,
        total_rows: usize,
    ) -> Result<Accumulated, TrainError> {
        let mode = if self.config.dropout {
            Mode::Train
        } else {
            Mode::Grad
        };
        let has_pair = matches!(self.model, PretrainModel::Pair(_));
        let mut sums = Accumulated::default();
        for batch in batches.iter().filter(|b| b.n_masked > 0 || has_pair) {
            let input = batch.input(mode, self.segments);
            let (logits, pair) = self.model.forward_masked(&input, &batch.masked)?;
            let mut loss = Tensor::zeros((), DType::F32, &self.device)?;
            if batch.n_masked > 0 {
                let mlm = crate::model::fused::cross_entropy(&logits, &batch.targets)?;
                let mean = mlm.to_scalar::<f32>()? as f64;
                sums.mlm_loss += mean * batch.n_masked as f64;
                sums.correct += count_correct(&logits, &batch.targets)?;
                loss = (loss + (mlm * (batch.n_masked as f64 / total_masked as f64))?)?;
            }
            if let (Some(pair), Some(labels)) = (pair, &batch.pair_labels) {
                let pl = crate::model::fused::cross_entropy(&pair, labels)?;
                sums.pair_loss += pl.to_scalar::<f32>()? as f64 * batch.rows as f64;
                sums.pair_correct += count_correct(&pair, labels)?;
                loss = (loss + (pl * (batch.rows as f64 / total_rows as f64))?)?;
            }
            sums.tokens += batch.tokens;
            let store = loss.backward()?;
            for (name, var) in self.opt.vars() {
                if let Some(g) = store.get(var.as_tensor()) {
                    let acc = match sums.grads.remove(name) {
                        Some(prev) => (prev + g)?,
                        None => g.clone(),
                    };
                    sums.grads.insert(name.to_string(), acc);
                }
            }
        }
        Ok(sums)
    }

    /// MLM loss, accuracy and perplexity on up to `eval_batches` batches of `examples`, with masks
    /// fixed by the masking seed (the same every evaluation), dropout off.
    pub fn evaluate(&self, examples: &[Example]) -> Result<EvalMetrics, TrainError> {
        self.evaluate_masked(examples, &self.masker)
    }

    /// [`Trainer::evaluate`] on the training text itself, under masks drawn from another seed
    /// (the same every time). On text seen many times, this is where static masking shows its
    /// cost: a model can learn the answers to the few masks it was shown without learning to
    /// fill any other gap of the same sentences.
    pub fn evaluate_new_masks(&self) -> Result<EvalMetrics, TrainError> {
        self.evaluate_masked(&self.train, &self.new_masks)
    }

    fn evaluate_masked(
        &self,
        examples: &[Example],
        masker: &Masker,
    ) -> Result<EvalMetrics, TrainError> {
        let n = examples
            .len()
            .min(self.config.eval_batches.max(1) * self.config.batch_size);
        let (mut sum, mut correct, mut masked, mut pair_correct) = (0f64, 0usize, 0usize, 0usize);
        let has_pair = matches!(self.model, PretrainModel::Pair(_));
        for start in (0..n).step_by(self.config.batch_size) {
            let chunk: Vec<&Example> = examples[start..(start + self.config.batch_size).min(n)]
                .iter()
                .collect();
            let m = chunk
                .iter()
                .enumerate()
                .map(|(i, ex)| mask_with(masker, ex, start + i, 0))
                .collect::<Result<Vec<_>, _>>()?;
            let batch = Batch::new(&chunk, &m, self.pad_id, &self.device)?;
            if batch.n_masked == 0 && !has_pair {
                continue;
            }
            let (logits, pair) = self
                .model
                .forward_masked(&batch.input(Mode::Eval, self.segments), &batch.masked)?;
            if batch.n_masked > 0 {
                sum += crate::model::fused::cross_entropy(&logits, &batch.targets)?
                    .to_scalar::<f32>()? as f64
                    * batch.n_masked as f64;
                correct += count_correct(&logits, &batch.targets)?;
                masked += batch.n_masked;
            }
            if let (Some(p), Some(l)) = (pair, &batch.pair_labels) {
                pair_correct += count_correct(&p, l)?;
            }
        }
        let loss = if masked == 0 {
            f64::NAN
        } else {
            sum / masked as f64
        };
        Ok(EvalMetrics {
            step: self.step,
            loss,
            accuracy: if masked == 0 {
                0.0
            } else {
                correct as f64 / masked as f64
            },
            perplexity: loss.exp(),
            pair_accuracy: has_pair.then(|| pair_correct as f64 / n.max(1) as f64),
            sequences: n,
            masked_tokens: masked,
        })
    }

    /// Validation on the held-out examples given to [`Trainer::new`], if any.
    pub fn validate(&self) -> Result<Option<EvalMetrics>, TrainError> {
        if self.valid.is_empty() {
            return Ok(None);
        }
        self.evaluate(&self.valid).map(Some)
    }

    /// Trains until `until` updates are done or `should_stop` says so (checked before each
    /// update), reporting each update and each periodic validation. Returns the updates made.
    pub fn run(
        &mut self,
        until: usize,
        should_stop: &mut dyn FnMut() -> bool,
        on_event: &mut dyn FnMut(TrainEvent),
    ) -> Result<usize, TrainError> {
        let first = self.step;
        while self.step < until && !should_stop() {
            let m = self.train_step()?;
            on_event(TrainEvent::Step(m));
            if self.config.eval_every > 0 && self.step % self.config.eval_every == 0 {
                if let Some(e) = self.validate()? {
                    on_event(TrainEvent::Validation(e));
                }
            }
        }
        Ok(self.step - first)
    }

    /// Where the run stands and the optimizer moments (`m.NAME`, `v.NAME`), for a resume file.
    pub fn resume_state(&self) -> Result<(ResumeState, Vec<(String, Tensor)>), TrainError> {
        let (moments, optimizer_steps) = self.opt.state()?;
        Ok((
            ResumeState {
                step: self.step,
                tokens_seen: self.tokens_seen,
                optimizer_steps,
                config: self.config.clone(),
            },
            moments,
        ))
    }

    /// Continues from a saved state; the model must already hold the saved weights.
    pub fn restore(
        &mut self,
        state: &ResumeState,
        moments: &HashMap<String, Tensor>,
    ) -> Result<(), TrainError> {
        self.opt.restore(moments, state.optimizer_steps)?;
        self.step = state.step;
        self.tokens_seen = state.tokens_seen;
        Ok(())
    }
}

/// What an update's micro-batches add up to.
#[derive(Default)]
struct Accumulated {
    /// By weight name.
    grads: HashMap<String, Tensor>,
    /// MLM loss summed over targets, pair loss over rows.
    mlm_loss: f64,
    pair_loss: f64,
    correct: usize,
    pair_correct: usize,
    tokens: usize,
}

/// The dropout seed of update `step`: fixed by the run's seed, different every update, so a
/// resumed run draws the same masks as an uninterrupted one.
pub(super) fn dropout_seed(seed: u64, step: usize) -> u64 {
    seed ^ (step as u64 + 1).wrapping_mul(0xA24B_AED4_963E_E407)
}

/// How many rows of `logits` `[n, C]` have their argmax at `labels` `[n]`.
pub(super) fn count_correct(logits: &Tensor, labels: &Tensor) -> Result<usize, TrainError> {
    let pred = logits.argmax(D::Minus1)?;
    Ok(pred
        .eq(labels)?
        .to_dtype(DType::U32)?
        .sum_all()?
        .to_scalar::<u32>()? as usize)
}
