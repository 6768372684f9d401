//! One step: the batch written into the plan's input buffers (the tokens, a classifier's labels or
//! the masked tokens and pair labels of pretraining), one submission (gradients cleared, forward,
//! losses, backward, Σ g², the copies to read back), one readback of a few floats, and the AdamW
//! update in a second submission once the host knows the clipping factor.

use candle_core::Tensor;

use super::super::backward::{self as bw, embedding_index, label_words};
use super::super::context::{read_back, GpuContext, GpuError};
use super::super::kernels::At;
use super::buffers::{report, EncoderBuffers};
use super::mlm::MlmBuffers;
use super::GpuTrainer;
use crate::model::embeddings::default_position_ids;
use crate::model::encoder::{additive_mask, check_input};
use crate::model::EncoderInput;
use crate::train::optimizer::AdamWParams;

/// What a step trains on.
pub enum StepInput<'a> {
    /// The batch as the encoder reads it (full regime): `batch` rows, padded, with their mask.
    Tokens(&'a EncoderInput),
    /// The encoder's first-token states `[batch, hidden]`, row-major (frozen regime).
    Features(&'a [f32]),
}

/// What a classifier's step reads back.
#[derive(Debug, Clone)]
pub struct StepReport {
    /// The mean cross-entropy of the batch.
    pub loss: f32,
    /// Σ g² over every trained gradient (the clipping norm is its root).
    pub sum_of_squares: f32,
    /// `[batch, classes]`, row-major: the batch accuracy.
    pub logits: Vec<f32>,
}

/// The masked tokens of a pretraining batch: flat positions (row · seq + column) and the
/// original token at each.
pub struct MaskedTargets<'a> {
    pub positions: &'a [u32],
    pub tokens: &'a [u32],
}

/// What a pretraining step reads back.
#[derive(Debug, Clone)]
pub struct PretrainReport {
    /// The mean cross-entropy over the masked tokens, and how many the model guessed right.
    pub mlm_loss: f32,
    pub mlm_hits: usize,
    /// The sentence-pair head's mean loss and logits `[batch, 2]`, when the model has one.
    pub pair: Option<(f32, Vec<f32>)>,
    /// Σ g² over every trained gradient (the clipping norm is its root).
    pub sum_of_squares: f32,
}

impl GpuTrainer {
    /// The forward, the loss and the gradients of one batch, labels `labels` (one per row) and
    /// dropout drawn from `seed`. The weights are unchanged until [`Self::update`].
    pub async fn forward_backward(
        &mut self,
        ctx: &GpuContext,
        input: StepInput<'_>,
        labels: &[u32],
        seed: u64,
    ) -> Result<StepReport, GpuError> {
        if self.heads.first.is_none() || self.heads.mlm.is_some() {
            return Err(GpuError::Model(
                "this trainer does not train a classifier".into(),
            ));
        }
        let seq = match (input, &self.encoder) {
            (StepInput::Tokens(input), Some((_, buffers))) => {
                self.write_tokens(ctx, input, buffers)?
            }
            (StepInput::Features(first), None) => {
                let want = self.dims.batch * self.dims.hidden;
                if first.len() != want {
                    return Err(GpuError::Model(format!(
                        "{} floats of first-token states; the batch needs {want}",
                        first.len()
                    )));
                }
                bw::write(ctx, At(&self.head_buffers.first, 0), first)?;
                0
            }
            (StepInput::Tokens(_), None) => {
                return Err(GpuError::Model(
                    "this trainer runs the head alone: give it first-token states".into(),
                ))
            }
            (StepInput::Features(_), Some(_)) => {
                return Err(GpuError::Model(
                    "this trainer runs the encoder: give it tokens".into(),
                ))
            }
        };
        self.write_labels(ctx, labels)?;
        let data = self.run(ctx, seq, seed).await?;
        Ok(StepReport {
            loss: data[report::HEAD_LOSS],
            sum_of_squares: data[report::SQUARES],
            logits: data[report::LEN..].to_vec(),
        })
    }

    /// A pretraining step's forward, losses and gradients: the MLM loss at `masked`, plus the
    /// sentence-pair loss on `pair_labels` when the model has that head, dropout drawn from
    /// `seed`. The weights are unchanged until [`Self::update`].
    pub async fn pretraining_step(
        &mut self,
        ctx: &GpuContext,
        input: &EncoderInput,
        masked: &MaskedTargets<'_>,
        pair_labels: Option<&[u32]>,
        seed: u64,
    ) -> Result<PretrainReport, GpuError> {
        let Some((_, buffers)) = &self.encoder else {
            return Err(GpuError::Model("this trainer does not pretrain".into()));
        };
        let seq = self.write_tokens(ctx, input, buffers)?;
        self.write_masked(ctx, masked, self.dims.batch * seq)?;
        match (&self.heads.first, pair_labels) {
            (Some(_), Some(labels)) => self.write_labels(ctx, labels)?,
            (None, None) => {}
            (Some(_), None) => {
                return Err(GpuError::Model(
                    "the sentence-pair head needs labels".into(),
                ))
            }
            (None, Some(_)) => {
                return Err(GpuError::Model(
                    "this model has no sentence-pair head".into(),
                ))
            }
        }
        let data = self.run(ctx, seq, seed).await?;
        Ok(PretrainReport {
            mlm_loss: data[report::MLM_LOSS],
            mlm_hits: data[report::MLM_HITS] as usize,
            pair: pair_labels.map(|_| (data[report::HEAD_LOSS], data[report::LEN..].to_vec())),
            sum_of_squares: data[report::SQUARES],
        })
    }

    /// One label per row for the first-token head.
    fn write_labels(&self, ctx: &GpuContext, labels: &[u32]) -> Result<(), GpuError> {
        let (batch, classes) = (self.dims.batch, self.dims.classes);
        if labels.len() != batch {
            return Err(GpuError::Model(format!(
                "{} labels for a batch of {batch}",
                labels.len()
            )));
        }
        let labels: Vec<i64> = labels.iter().map(|&l| i64::from(l)).collect();
        bw::write_u32(
            ctx,
            &self.head_buffers.labels,
            &label_words(&labels, classes)?,
        )
    }

    /// The masked positions of a batch of `tokens` tokens and their targets, padded with
    /// unlabelled rows to the MLM buffers' capacity, which grows (and the plans are recorded
    /// again) when a batch masks more than it holds.
    fn write_masked(
        &mut self,
        ctx: &GpuContext,
        masked: &MaskedTargets<'_>,
        tokens: usize,
    ) -> Result<(), GpuError> {
        let n = masked.positions.len();
        if n == 0 || masked.tokens.len() != n {
            return Err(GpuError::Model(format!(
                "{n} masked positions and {} targets",
                masked.tokens.len()
            )));
        }
        let dims = self.dims;
        let Some((params, buffers)) = &mut self.heads.mlm else {
            return Err(GpuError::Model("this trainer has no MLM head".into()));
        };
        if buffers.as_ref().is_none_or(|b| b.rows < n) {
            // Room for a little more than this batch, so that the next few fit.
            let rows = (n + n / 4).next_multiple_of(16).min(dims.tokens()).max(n);
            *buffers = Some(MlmBuffers::new(ctx, &dims, params, rows)?);
            self.plans.clear();
        }
        let Some(b) = buffers.as_ref() else {
            return Err(GpuError::Model("the MLM head has no buffers".into()));
        };
        let vocab = params.decoder.out_dim;
        let mut positions = masked.positions.to_vec();
        positions.resize(b.rows, 0);
        let mut labels: Vec<i64> = masked.tokens.iter().map(|&t| i64::from(t)).collect();
        labels.resize(b.rows, -100);
        bw::write_u32(ctx, &b.positions, &positions)?;
        bw::write_u32(ctx, &b.index, &embedding_index(&positions, tokens)?)?;
        bw::write_u32(ctx, &b.labels, &label_words(&labels, vocab)?)
    }

    /// Records the plan of `seq` if new, then one submission (gradients cleared, the plan, Σ g²,
    /// the copies to read back) and one readback: the report, then the first-token head's logits.
    async fn run(&mut self, ctx: &GpuContext, seq: usize, seed: u64) -> Result<Vec<f32>, GpuError> {
        let hb = &self.head_buffers;
        bw::write_u32(ctx, &hb.seed, &[seed as u32, (seed >> 32) as u32])?;
        self.plan(ctx, seq)?;
        let Some(plan) = self.plans.get(&seq) else {
            return Err(GpuError::Model("no plan for this batch".into()));
        };
        let hb = &self.head_buffers;
        let logits_len = self.dims.batch * self.dims.classes;
        let report_bytes = (report::LEN * 4) as u64;
        ctx.checked(|| {
            let mut commands = ctx.device.create_command_encoder(&Default::default());
            for grad in self.store.grads() {
                commands.clear_buffer(grad, 0, None);
            }
            if let Some((_, b)) = &self.encoder {
                commands.clear_buffer(&b.d1, 0, None);
            }
            {
                let mut pass = commands.begin_compute_pass(&Default::default());
                for op in plan.ops.iter() {
                    op.record(ctx, &mut pass);
                }
                for launch in &self.norm.0 {
                    launch.record(&mut pass);
                }
            }
            commands.copy_buffer_to_buffer(&hb.report, 0, &hb.staging, 0, report_bytes);
            commands.copy_buffer_to_buffer(
                &hb.logits,
                0,
                &hb.staging,
                report_bytes,
                (logits_len * 4) as u64,
            );
            ctx.queue.submit([commands.finish()]);
        })
        .await?;
        read_back(ctx, &hb.staging, report::LEN + logits_len)
            .await
            .map_err(|e| ctx.failure().unwrap_or(e))
    }

    /// The AdamW update of every trained weight with the last [`Self::forward_backward`]'s
    /// gradients: update number `t` (from 1), at the encoder's and the heads' rates, gradients
    /// scaled by `grad_scale` (the clipping factor).
    pub async fn update(
        &self,
        ctx: &GpuContext,
        hp: &AdamWParams,
        t: usize,
        rates: (f64, f64),
        grad_scale: f64,
    ) -> Result<(), GpuError> {
        self.adamw_step.write(ctx, hp, t, rates, grad_scale);
        bw::submit(ctx, &self.updates.iter().collect::<Vec<_>>()).await
    }

    /// Checks the batch as the CPU path does, fills in its defaults (positions, segments, mask)
    /// and writes it with the embedding gradients' indices. Returns the sequence length.
    fn write_tokens(
        &self,
        ctx: &GpuContext,
        input: &EncoderInput,
        b: &EncoderBuffers,
    ) -> Result<usize, GpuError> {
        let cfg = &self.config;
        let (ids, types, positions) = check_input(cfg, input)?;
        let (batch, seq) = ids.dims2()?;
        if batch != self.dims.batch || seq > self.dims.max_seq {
            return Err(GpuError::Unsupported(format!(
                "a batch of {batch} × {seq} tokens; this trainer takes {} rows of at most {}",
                self.dims.batch, self.dims.max_seq
            )));
        }
        let positions = match positions {
            Some(p) => p,
            None => default_position_ids(cfg.family, cfg.pad_token_id, &ids)?,
        };
        let segments = match &types {
            Some(s) => s.clone(),
            None => ids.zeros_like()?,
        };
        let t = batch * seq;
        let mask = match &input.attention_mask {
            Some(m) => flat_f32(&additive_mask(m, &ids)?)?,
            None => vec![0.0; t],
        };
        let flat = |x: &Tensor| Ok::<_, GpuError>(x.flatten_all()?.to_vec1::<u32>()?);
        let (ids, positions, segments) = (flat(&ids)?, flat(&positions)?, flat(&segments)?);
        let triples: Vec<u32> = (0..t)
            .flat_map(|i| [ids[i], positions[i], segments[i]])
            .collect();
        bw::write_u32(ctx, &b.ids, &triples)?;
        bw::write(ctx, At(&b.mask, 0), &mask)?;
        let Some((params, _)) = &self.encoder else {
            return Err(GpuError::Model("no encoder on the GPU".into()));
        };
        let [word_rows, position_rows, segment_rows] = params.rows;
        bw::write_u32(ctx, &b.index[0], &embedding_index(&ids, word_rows)?)?;
        bw::write_u32(
            ctx,
            &b.index[1],
            &embedding_index(&positions, position_rows)?,
        )?;
        if params.segment.is_some() {
            bw::write_u32(ctx, &b.index[2], &embedding_index(&segments, segment_rows)?)?;
        }
        let first: Vec<u32> = (0..batch).map(|r| (r * seq) as u32).collect();
        bw::write_u32(ctx, &b.first_rows, &first)?;
        bw::write_u32(ctx, &b.first_index, &embedding_index(&first, t)?)?;
        Ok(seq)
    }
}

fn flat_f32(t: &Tensor) -> Result<Vec<f32>, GpuError> {
    Ok(t.to_dtype(candle_core::DType::F32)?
        .flatten_all()?
        .to_vec1::<f32>()?)
}
