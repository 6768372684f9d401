//! Training steps on the GPU ([`GpuTrainer`]) for the four families: a sequence classifier
//! (fine-tuning) or the pretraining heads (masked LM, with or without the NSP / SOP head). The
//! weights, their gradients and AdamW's moments are uploaded once and stay on the GPU; a step
//! writes its batch, runs the training forward, the losses and the backward in one submission,
//! reads back a few floats (the losses, the squared gradient norm, the MLM hit count and the
//! first-token head's logits: the host needs the norm to clip, exactly as `AdamW::clipped_step`
//! does, and to refuse a non-finite one before any weight changes), then submits the AdamW
//! update. [`GpuTrainer::download`] brings weights and moments back into the CPU optimizer.
//! `train::finetune` and `train::pretrain` drive it (`attach_gpu`).
//!
//! - `params`: the weights on the GPU and the optimizer's view of them, upload and download;
//! - `buffers`: what the forward keeps for the backward, and the scratch, for the largest batch;
//! - `forward` / `backward`: the launches of one sequence length, recorded once;
//! - `mlm`: the masked-LM head, on the masked rows only, its decoder tied to the word table;
//! - `kernels`: the few kernels training adds (activation, dropout, sums of squares, hits);
//! - `step`: one step's inputs, submission and readback.
//!
//! Full regime: everything the model's forward reads is trained. Frozen regime (classifiers only):
//! only the head (and a fresh pooler) is; its input, the encoder's first-token states, comes from
//! the tuner's frozen cache (computed once, on the CPU or handed in), so no encoder runs per step.

mod backward;
mod buffers;
mod forward;
mod kernels;
mod mlm;
mod params;
mod step;

use std::collections::HashMap;

use candle_core::TensorId;

use super::backward::{AdamWStep, Launch};
use super::context::{GpuContext, GpuError};
use super::kernels::{At, MAX_SEQ};
use crate::model::heads::{MlmHead, PairHead};
use crate::model::layer::LayerNames;
use crate::model::{Encoder, EncoderConfig, ForSequenceClassification};
use crate::train::optimizer::AdamW;
use buffers::{report, Dims, EncoderBuffers, HeadBuffers};
use forward::{Dropouts, Recorder};
use kernels::{Op, TrainKernels};
use mlm::{MlmBuffers, MlmParams};
use params::{trained_by_id, EncoderParams, HeadParams, Store, Trained};

pub use step::{MaskedTargets, PretrainReport, StepInput, StepReport};

/// The launches of one sequence length.
struct Plan {
    ops: Vec<Op>,
}

/// The heads on the encoder.
struct Heads {
    /// On the first token: the classifier, or pretraining's sentence-pair head.
    first: Option<HeadParams>,
    /// Pretraining's masked-LM head; its buffers come with the first batch (their size follows
    /// the masked tokens).
    mlm: Option<(MlmParams, Option<MlmBuffers>)>,
}

/// A model's weights, gradients and moments on the GPU, and the recorded steps.
pub struct GpuTrainer {
    config: EncoderConfig,
    kernels: TrainKernels,
    store: Store,
    /// `None` in the frozen regime: the encoder is not trained and does not run.
    encoder: Option<(EncoderParams, EncoderBuffers)>,
    heads: Heads,
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

/// What a trainer is built for: batches of `batch` rows of at most `max_seq` tokens, and whether
/// the encoder runs and trains.
#[derive(Clone, Copy)]
struct Shape {
    batch: usize,
    max_seq: usize,
    train_encoder: bool,
    /// The first-token head's outputs.
    classes: usize,
}

impl GpuTrainer {
    /// Uploads the classifier `model` and the optimizer `opt` over it for batches of `batch`
    /// rows of at most `max_seq` tokens. `train_encoder`: the full regime (the encoder runs and
    /// trains on the GPU); otherwise only the head runs, on first-token states the caller
    /// supplies each step.
    pub async fn upload(
        ctx: &GpuContext,
        model: &ForSequenceClassification,
        opt: &AdamW,
        batch: usize,
        max_seq: usize,
        train_encoder: bool,
    ) -> Result<GpuTrainer, GpuError> {
        let shape = Shape {
            batch,
            max_seq,
            train_encoder,
            classes: model.encoder.config().num_labels(),
        };
        ctx.checked(|| {
            Self::build(ctx, &model.encoder, opt, shape, |store, trained, _| {
                Ok(Heads {
                    first: Some(HeadParams::upload(ctx, store, model, trained)?),
                    mlm: None,
                })
            })
        })
        .await?
    }

    /// Uploads a model being pretrained: `encoder`, its MLM head `mlm` (the decoder tied to the
    /// word table when it is the same tensor) and its NSP / SOP head `pair`, with the optimizer
    /// `opt` over them, for batches of `batch` rows of at most `max_seq` tokens.
    pub async fn upload_pretraining(
        ctx: &GpuContext,
        (encoder, mlm, pair): (&Encoder, &MlmHead, Option<&PairHead>),
        opt: &AdamW,
        batch: usize,
        max_seq: usize,
    ) -> Result<GpuTrainer, GpuError> {
        let shape = Shape {
            batch,
            max_seq,
            train_encoder: true,
            classes: 2,
        };
        let word_table = encoder.embeddings.word_embeddings.embeddings().id();
        ctx.checked(|| {
            Self::build(ctx, encoder, opt, shape, |store, trained, params| {
                let Some(params) = params else {
                    return Err(GpuError::Model("pretraining trains the encoder".into()));
                };
                let first = match pair {
                    Some(p) => Some(HeadParams::pair(ctx, store, encoder, p, trained)?),
                    None => None,
                };
                let mlm = MlmParams::upload(ctx, store, mlm, params, word_table, trained)?;
                Ok(Heads {
                    first,
                    mlm: Some((mlm, None)),
                })
            })
        })
        .await?
    }

    /// The encoder (when it trains), then the heads `heads` uploads, then the optimizer's
    /// launches over everything trained.
    fn build(
        ctx: &GpuContext,
        encoder: &Encoder,
        opt: &AdamW,
        shape: Shape,
        heads: impl FnOnce(
            &mut Store,
            &HashMap<TensorId, Trained>,
            Option<&EncoderParams>,
        ) -> Result<Heads, GpuError>,
    ) -> Result<GpuTrainer, GpuError> {
        let config = encoder.config().clone();
        let Shape { batch, max_seq, .. } = shape;
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
        let groups = &encoder.groups;
        let applications = config.num_hidden_layers * groups.first().map_or(1, Vec::len);
        let dims = Dims::new(&config, (batch, max_seq), applications, shape.classes);
        let names = LayerNames::of(config.family);
        let dropouts = Dropouts {
            hidden: config.hidden_dropout_prob,
            attention: config.attention_probs_dropout_prob,
            attention_out: names.attention_out_dropout,
            ffn_out: names.ffn_out_dropout,
        };
        let encoder = if shape.train_encoder {
            if groups.is_empty() || groups.iter().any(Vec::is_empty) {
                return Err(GpuError::Model("an encoder without layers".into()));
            }
            let params = EncoderParams::upload(ctx, &mut store, encoder, &trained)?;
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
        let heads = heads(&mut store, &trained, encoder.as_ref().map(|(p, _)| p))?;
        if store.grads().next().is_none() {
            return Err(GpuError::Model(
                "the optimizer trains none of the model's weights".into(),
            ));
        }
        let head_buffers = HeadBuffers::new(ctx, &dims);
        let adamw_step = AdamWStep::new(ctx);
        let updates = store.adamw(ctx, &kernels, &adamw_step)?;
        let squares = At(&head_buffers.report, report::SQUARES);
        let norm = store.sum_of_squares(ctx, &kernels, squares)?;
        Ok(GpuTrainer {
            config,
            kernels,
            store,
            encoder,
            heads,
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

    /// The plan of sequences of `seq` tokens, recorded on first use: the encoder, each head's
    /// forward and backward (both add into the last state's gradient), the encoder's backward.
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
            let encoder_buffers = self.encoder.as_ref().map(|(_, b)| b);
            if let Some((params, buffers)) = &self.encoder {
                rec.encoder(params, buffers)?;
            }
            if let Some(head) = &self.heads.first {
                rec.head(head)?;
                rec.head_backward(head, encoder_buffers)?;
            }
            if let Some((params, buffers)) = &self.heads.mlm {
                let (Some(buffers), Some(encoder)) = (buffers, encoder_buffers) else {
                    return Err(GpuError::Model("the MLM head has no buffers yet".into()));
                };
                rec.mlm(params, buffers, encoder)?;
                rec.mlm_backward(params, buffers, encoder)?;
            }
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
