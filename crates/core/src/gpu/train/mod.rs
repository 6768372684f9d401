//! A sequence classifier's training step on the GPU ([`GpuClassifierTrainer`]), for the four
//! families: the weights, their gradients and AdamW's moments are uploaded once and stay on the
//! GPU; a step writes its batch, runs the training forward, the loss and the backward in one
//! submission, reads back the loss, the squared gradient norm and the logits (a few floats: the
//! host needs the norm to clip, exactly as `AdamW::clipped_step` does, and to refuse a non-finite
//! one before any weight changes), then submits the AdamW update. [`GpuClassifierTrainer::download`]
//! brings weights and moments back into the CPU optimizer. `train::finetune` drives it
//! (`FineTuner::attach_gpu`).
//!
//! - `params`: the weights on the GPU and the optimizer's view of them, upload and download;
//! - `buffers`: what the forward keeps for the backward, and the scratch, for the largest batch;
//! - `forward` / `backward`: the launches of one sequence length, recorded once;
//! - `kernels`: the few kernels training adds (activation, dropout, sums of squares);
//! - `step`: one step's inputs, submission and readback.
//!
//! Full regime: everything the classifier's forward reads is trained. Frozen regime: only the head
//! (and a fresh pooler) is; its input, the encoder's first-token states, comes from the tuner's
//! frozen cache (computed once, on the CPU or handed in), so no encoder runs per step.

mod backward;
mod buffers;
mod forward;
mod kernels;
mod params;
mod step;

use std::collections::HashMap;

use super::backward::{AdamWStep, Launch};
use super::context::{GpuContext, GpuError};
use super::kernels::{At, MAX_SEQ};
use crate::model::layer::LayerNames;
use crate::model::{EncoderConfig, ForSequenceClassification};
use crate::train::optimizer::AdamW;
use buffers::{Dims, EncoderBuffers, HeadBuffers};
use forward::{Dropouts, Recorder};
use kernels::{Op, TrainKernels};
use params::{trained_by_id, EncoderParams, HeadParams, Store};

pub use step::{StepInput, StepReport};

/// The launches of one sequence length.
struct Plan {
    ops: Vec<Op>,
}

/// A classifier's weights, gradients and moments on the GPU, and the recorded steps.
pub struct GpuClassifierTrainer {
    config: EncoderConfig,
    kernels: TrainKernels,
    store: Store,
    /// `None` in the frozen regime: the encoder is not trained and does not run.
    encoder: Option<(EncoderParams, EncoderBuffers)>,
    head: HeadParams,
    head_buffers: HeadBuffers,
    dims: Dims,
    dropouts: Dropouts,
    /// By sequence length (0 in the frozen regime).
    plans: HashMap<usize, Plan>,
    adamw_step: AdamWStep,
    updates: Vec<Launch>,
    /// Σ g² of the trained gradients into the report, and its partial sums' buffer.
    norm: (Vec<Launch>, wgpu::Buffer),
}

impl GpuClassifierTrainer {
    /// Uploads `model` and the optimizer `opt` over it for batches of `batch` rows of at most
    /// `max_seq` tokens. `train_encoder`: the full regime (the encoder runs and trains on the GPU);
    /// otherwise only the head runs, on first-token states the caller supplies each step.
    pub async fn upload(
        ctx: &GpuContext,
        model: &ForSequenceClassification,
        opt: &AdamW,
        batch: usize,
        max_seq: usize,
        train_encoder: bool,
    ) -> Result<GpuClassifierTrainer, GpuError> {
        ctx.checked(|| Self::upload_now(ctx, model, opt, batch, max_seq, train_encoder))
            .await?
    }

    fn upload_now(
        ctx: &GpuContext,
        model: &ForSequenceClassification,
        opt: &AdamW,
        batch: usize,
        max_seq: usize,
        train_encoder: bool,
    ) -> Result<GpuClassifierTrainer, GpuError> {
        let config = model.encoder.config().clone();
        if batch == 0 || max_seq == 0 {
            return Err(GpuError::Unsupported("an empty batch".into()));
        }
        if max_seq > MAX_SEQ {
            return Err(GpuError::Unsupported(format!(
                "{max_seq} tokens; the attention kernel takes at most {MAX_SEQ}"
            )));
        }
        let trained = trained_by_id(opt);
        let mut store = Store::default();
        let kernels = TrainKernels::new(ctx);
        let groups = &model.encoder.groups;
        let applications = config.num_hidden_layers * groups.first().map_or(1, Vec::len);
        let dims = Dims::new(&config, batch, max_seq, applications);
        let names = LayerNames::of(config.family);
        let dropouts = Dropouts {
            hidden: config.hidden_dropout_prob,
            attention: config.attention_probs_dropout_prob,
            classifier: config.classifier_dropout,
            attention_out: names.attention_out_dropout,
            ffn_out: names.ffn_out_dropout,
        };
        let encoder = if train_encoder {
            if groups.is_empty() || groups.iter().any(Vec::is_empty) {
                return Err(GpuError::Model("an encoder without layers".into()));
            }
            let params = EncoderParams::upload(ctx, &mut store, &model.encoder, &trained)?;
            let buffers = EncoderBuffers::new(
                ctx,
                &dims,
                params.projection.is_some(),
                dropouts.attention > 0.0,
            )?;
            Some((params, buffers))
        } else {
            None
        };
        let head = HeadParams::upload(ctx, &mut store, model, &trained)?;
        if store.grads().next().is_none() {
            return Err(GpuError::Model(
                "the optimizer trains none of the classifier's weights".into(),
            ));
        }
        let head_buffers = HeadBuffers::new(ctx, &dims);
        let adamw_step = AdamWStep::new(ctx);
        let updates = store.adamw(ctx, &kernels, &adamw_step)?;
        let norm = store.sum_of_squares(ctx, &kernels, At(&head_buffers.report, 1))?;
        Ok(GpuClassifierTrainer {
            config,
            kernels,
            store,
            encoder,
            head,
            head_buffers,
            dims,
            dropouts,
            plans: HashMap::new(),
            adamw_step,
            updates,
            norm,
        })
    }

    /// Whether the encoder trains here (the full regime).
    pub fn trains_encoder(&self) -> bool {
        self.encoder.is_some()
    }

    pub fn config(&self) -> &EncoderConfig {
        &self.config
    }

    /// The plan of sequences of `seq` tokens, recorded on first use.
    fn plan(&mut self, ctx: &GpuContext, seq: usize) -> Result<&Plan, GpuError> {
        if !self.plans.contains_key(&seq) {
            let mut rec = Recorder {
                ctx,
                k: &self.kernels,
                store: &self.store,
                dims: self.dims,
                drop: self.dropouts,
                head: &self.head_buffers,
                seq: seq.max(1),
                ops: Vec::new(),
            };
            if let Some((params, buffers)) = &self.encoder {
                rec.encoder(params, buffers)?;
            }
            rec.head(&self.head)?;
            rec.head_backward(&self.head, self.encoder.as_ref().map(|(_, b)| b))?;
            if let Some((params, buffers)) = &self.encoder {
                rec.encoder_backward(params, buffers)?;
            }
            let ops = rec.ops;
            self.plans.insert(seq, Plan { ops });
        }
        self.plans
            .get(&seq)
            .ok_or_else(|| GpuError::Model("no plan for this batch".into()))
    }

    /// The last step's gradient of every trained weight, by name (before clipping): for parity
    /// checks against the CPU's autograd.
    pub async fn gradients(&self, ctx: &GpuContext) -> Result<HashMap<String, Vec<f32>>, GpuError> {
        self.store.gradients(ctx).await
    }

    /// Writes the trained weights and their moments back into `opt`'s variables (the CPU
    /// model's weights) and moments. The update count is the caller's to keep.
    pub async fn download(&self, ctx: &GpuContext, opt: &mut AdamW) -> Result<(), GpuError> {
        self.store.download(ctx, opt).await
    }
}
