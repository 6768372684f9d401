//! The step's buffers, allocated once for the largest batch (`batch × max_seq` tokens) and reused
//! by every shorter one: the host's inputs, what the training forward keeps for the backward (per
//! layer application), the head's, and the backward's scratch.

use super::super::backward as bw;
use super::super::context::{GpuContext, GpuError};
use crate::model::EncoderConfig;

/// The sizes a trainer's buffers are made for.
#[derive(Debug, Clone, Copy)]
pub(super) struct Dims {
    pub batch: usize,
    pub max_seq: usize,
    pub embedding: usize,
    pub hidden: usize,
    pub intermediate: usize,
    pub heads: usize,
    pub classes: usize,
    /// Layer applications (ALBERT runs its shared layers once per layer).
    pub applications: usize,
}

impl Dims {
    /// `applications`: layers × the layers of a group (ALBERT's inner layers); `classes`: the
    /// first-token head's outputs.
    pub fn new(
        cfg: &EncoderConfig,
        (batch, max_seq): (usize, usize),
        applications: usize,
        classes: usize,
    ) -> Dims {
        Dims {
            batch,
            max_seq,
            embedding: cfg.embedding_size,
            hidden: cfg.hidden_size,
            intermediate: cfg.intermediate_size,
            heads: cfg.num_attention_heads,
            classes,
            applications,
        }
    }

    pub fn tokens(&self) -> usize {
        self.batch * self.max_seq
    }

    pub fn probs(&self) -> usize {
        self.batch * self.heads * self.max_seq * self.max_seq
    }
}

/// What one layer application keeps for the backward.
pub(super) struct Kept {
    /// The fused projection `[t, 3h]`: queries, keys, values.
    pub qkv: wgpu::Buffer,
    /// Attention probabilities `[b, heads, s, s]`, before dropout.
    pub probs: wgpu::Buffer,
    /// After dropout, when attention dropout is on.
    pub dropped: Option<wgpu::Buffer>,
    pub context: wgpu::Buffer,
    /// The output projection, after dropout: LayerNorm's input.
    pub attended: wgpu::Buffer,
    /// After the attention LayerNorm.
    pub mid: wgpu::Buffer,
    /// The feed-forward's pre-activation and activation `[t, i]`.
    pub pre: wgpu::Buffer,
    pub act: wgpu::Buffer,
    /// The feed-forward output, after dropout.
    pub ffn_out: wgpu::Buffer,
}

/// The encoder's buffers (none in the frozen regime).
pub(super) struct EncoderBuffers {
    /// (token, position, segment) per token, u32.
    pub ids: wgpu::Buffer,
    /// The additive attention mask per token.
    pub mask: wgpu::Buffer,
    /// Embedding-gradient indices of the word, position and segment ids (`bw::embedding_index`).
    pub index: [wgpu::Buffer; 3],
    /// Word, position, segment and summed embeddings: four `[t, e]` blocks.
    pub parts: wgpu::Buffer,
    /// ALBERT: the normalized embeddings, the projection's input.
    pub normed: Option<wgpu::Buffer>,
    /// The input of each layer application, and the last one's output.
    pub states: Vec<wgpu::Buffer>,
    pub kept: Vec<Kept>,
    /// Each sequence's first token: the gather's rows, and the index scattering its gradient back.
    pub first_rows: wgpu::Buffer,
    pub first_index: wgpu::Buffer,
    /// Backward scratch.
    pub d1: wgpu::Buffer,
    pub d2: wgpu::Buffer,
    pub masked: wgpu::Buffer,
    pub dff: wgpu::Buffer,
    pub dcontext: wgpu::Buffer,
    pub dprobs: wgpu::Buffer,
    pub dqkv: wgpu::Buffer,
    pub stats: wgpu::Buffer,
    pub de: wgpu::Buffer,
    pub de2: wgpu::Buffer,
}

/// The report a step reads back, by slot.
pub(super) mod report {
    /// The first-token head's mean loss (the classifier's, or the sentence-pair head's).
    pub const HEAD_LOSS: usize = 0;
    /// Σ g² over every trained gradient.
    pub const SQUARES: usize = 1;
    /// The MLM head's mean loss over the masked tokens, and how many it guessed right.
    pub const MLM_LOSS: usize = 2;
    pub const MLM_HITS: usize = 3;
    pub const LEN: usize = 4;
}

/// The head's buffers and the step's small inputs and outputs.
pub(super) struct HeadBuffers {
    /// The step's dropout seed, two u32 words.
    pub seed: wgpu::Buffer,
    pub labels: wgpu::Buffer,
    /// First-token states `[b, h]`: gathered, or written by the host (frozen regime).
    pub first: wgpu::Buffer,
    pub dense_pre: wgpu::Buffer,
    pub dense_out: wgpu::Buffer,
    pub logits: wgpu::Buffer,
    pub dlogits: wgpu::Buffer,
    pub row_loss: wgpu::Buffer,
    /// See [`report`].
    pub report: wgpu::Buffer,
    pub da: wgpu::Buffer,
    pub db: wgpu::Buffer,
    /// Where the report and the logits are copied for the one readback of a step.
    pub staging: wgpu::Buffer,
}

impl HeadBuffers {
    pub fn new(ctx: &GpuContext, d: &Dims) -> HeadBuffers {
        let (b, h, c) = (d.batch, d.hidden, d.classes);
        let z = |label: &str, floats: usize| bw::zeros(ctx, label, floats);
        HeadBuffers {
            seed: z("dropout seed", 2),
            labels: z("labels", b),
            first: z("first tokens", b * h),
            dense_pre: z("head dense", b * h),
            dense_out: z("head activation", b * h),
            logits: z("logits", b * c),
            dlogits: z("logit gradient", b * c),
            row_loss: z("row losses", b),
            report: z("report", report::LEN),
            da: z("head gradient", b * h),
            db: z("head gradient", b * h),
            staging: ctx.device.create_buffer(&wgpu::BufferDescriptor {
                label: Some("step readback"),
                size: ((report::LEN + b * c) * 4) as u64,
                usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            }),
        }
    }
}

impl EncoderBuffers {
    pub fn new(
        ctx: &GpuContext,
        d: &Dims,
        albert: bool,
        attention_dropout: bool,
    ) -> Result<EncoderBuffers, GpuError> {
        let (t, e, h, i) = (d.tokens(), d.embedding, d.hidden, d.intermediate);
        let limit = ctx.device.limits().max_storage_buffer_binding_size as usize / 4;
        let biggest = [d.probs(), t * i, t * 3 * h, 4 * t * e]
            .into_iter()
            .max()
            .unwrap_or(0);
        if biggest > limit {
            return Err(GpuError::Unsupported(format!(
                "a batch of {} × {} tokens needs a buffer of {} MB; the device binds {} MB",
                d.batch,
                d.max_seq,
                (biggest * 4) >> 20,
                (limit * 4) >> 20
            )));
        }
        let z = |label: &str, floats: usize| bw::zeros(ctx, label, floats);
        let kept = (0..d.applications)
            .map(|_| Kept {
                qkv: z("qkv", t * 3 * h),
                probs: z("attention", d.probs()),
                dropped: attention_dropout.then(|| z("attention dropped", d.probs())),
                context: z("context", t * h),
                attended: z("attended", t * h),
                mid: z("mid", t * h),
                pre: z("ffn pre-activation", t * i),
                act: z("ffn activation", t * i),
                ffn_out: z("ffn out", t * h),
            })
            .collect();
        Ok(EncoderBuffers {
            ids: z("ids", 3 * t),
            mask: z("mask", t),
            index: [
                z("word index", 3 * t + 2),
                z("position index", 3 * t + 2),
                z("segment index", 3 * t + 2),
            ],
            parts: z("embedding parts", 4 * t * e),
            normed: albert.then(|| z("normalized embeddings", t * e)),
            states: (0..=d.applications).map(|_| z("states", t * h)).collect(),
            kept,
            first_rows: z("first rows", d.batch),
            first_index: z("first index", 3 * d.batch + 2),
            d1: z("d1", t * h),
            d2: z("d2", t * h),
            masked: z("masked gradient", t * h),
            dff: z("ffn gradient", t * i),
            dcontext: z("context gradient", t * h),
            dprobs: z("attention gradient", d.probs()),
            dqkv: z("qkv gradient", t * 3 * h),
            stats: z("norm statistics", 2 * t),
            de: z("embedding gradient", t * e),
            de2: z("embedding sum gradient", t * e),
        })
    }
}
