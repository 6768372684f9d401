//! The plan of one input shape: every buffer the forward needs and every kernel launch recorded
//! once, in forward order (embeddings, each layer application, pooler, MLM head), so a repeated
//! shape only uploads its input and replays the dispatches.

use wgpu::util::DeviceExt;

use super::weights::{GpuEmbeddings, GpuLayer, GpuLinear, GpuMlmHead};
use super::GpuEncoder;
use crate::gpu::context::{GpuContext, GpuError};
use crate::gpu::dispatches::gather;
use crate::gpu::kernels::{At, Dispatch, Kernel};
use crate::model::config::Activation;
use crate::model::EncoderConfig;

/// What a plan is kept for: the input's size and the rows the MLM head runs on.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) struct Shape {
    pub batch: usize,
    pub seq: usize,
    /// Rows the MLM head runs on (0: no head).
    pub head_rows: usize,
}

/// The lengths of one forward, in tokens and floats: the shape with the model's sizes.
pub(super) struct Sizes {
    pub shape: Shape,
    /// `batch * seq`.
    pub tokens: usize,
    pub embedding: usize,
    pub hidden: usize,
    pub intermediate: usize,
    pub heads: usize,
    pub layers: usize,
    pub vocab: usize,
    /// Layer applications (ALBERT runs each group's inner layers per layer): one attention map each.
    pub applications: usize,
}

impl Sizes {
    pub fn new(config: &EncoderConfig, shape: Shape, applications: usize) -> Sizes {
        Sizes {
            shape,
            tokens: shape.batch * shape.seq,
            embedding: config.embedding_size,
            hidden: config.hidden_size,
            intermediate: config.intermediate_size,
            heads: config.num_attention_heads,
            layers: config.num_hidden_layers,
            vocab: config.vocab_size,
            applications,
        }
    }

    /// One application's attention probabilities, `[batch, heads, seq, seq]`.
    pub fn probs_block(&self) -> usize {
        self.shape.batch * self.heads * self.shape.seq * self.shape.seq
    }

    /// Every hidden state, `[layers + 1, tokens, hidden]`.
    pub fn hidden_states(&self) -> usize {
        (self.layers + 1) * self.tokens * self.hidden
    }

    /// The largest buffer the plan binds, which must fit the device's binding limit.
    fn largest_binding(&self) -> usize {
        let (t, h) = (self.tokens, self.hidden);
        [
            self.probs_block() * self.applications,
            self.hidden_states(),
            t * 3 * h,
            t * self.intermediate,
            4 * t * self.embedding,
            self.shape.head_rows * self.vocab,
        ]
        .into_iter()
        .max()
        .unwrap_or(0)
    }

    /// Everything a forward may read back: embedding parts and their LayerNorm, hidden states,
    /// attention maps, pooled output and logits.
    fn readable(&self) -> usize {
        5 * self.tokens * self.embedding
            + self.hidden_states()
            + self.probs_block() * self.applications
            + self.shape.batch * self.hidden
            + self.shape.head_rows * self.vocab
    }
}

/// Everything one input shape needs on the device, built once and reused while the shape repeats.
pub(super) struct Plan {
    pub shape: Shape,
    pub buffers: Buffers,
    pub dispatches: Vec<Dispatch>,
}

/// The buffers of a plan that the host writes or reads back.
pub(super) struct Buffers {
    /// (id, position, segment) per token.
    pub ids: wgpu::Buffer,
    /// Additive attention mask per token.
    pub mask: wgpu::Buffer,
    /// Token rows the MLM head reads.
    pub head_rows: wgpu::Buffer,
    /// word, position, segment and summed embeddings: four `[tokens, E]` blocks.
    pub parts: wgpu::Buffer,
    /// LayerNorm of the embedding sum, when it is not already `hidden[0]` (ALBERT).
    pub normalized: Option<wgpu::Buffer>,
    /// `layers + 1` blocks of `[tokens, H]`: the hidden states.
    pub hidden: wgpu::Buffer,
    /// One `[batch, heads, seq, seq]` block per layer application.
    pub probs: wgpu::Buffer,
    pub pooled: Option<wgpu::Buffer>,
    pub logits: Option<wgpu::Buffer>,
    pub staging: wgpu::Buffer,
}

impl Buffers {
    fn new(ctx: &GpuContext, sizes: &Sizes, projection: bool, pooler: bool, head: bool) -> Buffers {
        let (t, e, h) = (sizes.tokens, sizes.embedding, sizes.hidden);
        let staging = ctx.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("staging"),
            size: (sizes.readable() * 4) as u64,
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        Buffers {
            ids: scratch(ctx, "ids", 3 * t),
            mask: scratch(ctx, "mask", t),
            head_rows: scratch(ctx, "head rows", sizes.shape.head_rows),
            parts: scratch(ctx, "embedding parts", 4 * t * e),
            normalized: projection.then(|| scratch(ctx, "normalized", t * e)),
            hidden: scratch(ctx, "hidden states", sizes.hidden_states()),
            probs: scratch(ctx, "attention", sizes.probs_block() * sizes.applications),
            pooled: pooler.then(|| scratch(ctx, "pooled", sizes.shape.batch * h)),
            logits: head.then(|| scratch(ctx, "logits", sizes.shape.head_rows * sizes.vocab)),
            staging,
        }
    }
}

/// A zeroed storage buffer of `floats` that kernels write and the readback copies from.
fn scratch(ctx: &GpuContext, label: &str, floats: usize) -> wgpu::Buffer {
    ctx.device.create_buffer(&wgpu::BufferDescriptor {
        label: Some(label),
        // Zero-length bindings are invalid: keep at least one element.
        size: (floats.max(1) * 4) as u64,
        usage: wgpu::BufferUsages::STORAGE
            | wgpu::BufferUsages::COPY_DST
            | wgpu::BufferUsages::COPY_SRC,
        mapped_at_creation: false,
    })
}

impl GpuEncoder {
    /// Allocates the buffers for `sizes` and records the forward; the MLM head runs when given
    /// and rows are asked for.
    pub(super) fn build_plan(
        &self,
        ctx: &GpuContext,
        sizes: &Sizes,
        head: Option<&GpuMlmHead>,
    ) -> Result<Plan, GpuError> {
        let limit = ctx.device.limits().max_storage_buffer_binding_size as usize / 4;
        let biggest = sizes.largest_binding();
        if biggest > limit {
            return Err(GpuError::Unsupported(format!(
                "this batch needs a buffer of {} MB; the device allows {} MB",
                (biggest * 4) >> 20,
                (limit * 4) >> 20
            )));
        }
        let head = head.filter(|_| sizes.shape.head_rows > 0);
        let buffers = Buffers::new(
            ctx,
            sizes,
            self.projection.is_some(),
            self.pooler.is_some(),
            head.is_some(),
        );
        let mut recorder = Recorder {
            ctx,
            sizes,
            buffers: &buffers,
            dispatches: Vec::new(),
        };
        recorder.embeddings(&self.embeddings, self.projection.as_ref());
        recorder.layers(&self.groups);
        if let (Some(pooler), Some(pooled)) = (&self.pooler, &buffers.pooled) {
            recorder.pooler(pooler, pooled);
        }
        if let (Some(head), Some(logits)) = (head, &buffers.logits) {
            recorder.mlm_head(head, logits);
        }
        let dispatches = recorder.dispatches;
        Ok(Plan {
            shape: sizes.shape,
            buffers,
            dispatches,
        })
    }
}

/// A layer's intermediates, reused by every layer application.
struct LayerScratch {
    qkv: wgpu::Buffer,
    context: wgpu::Buffer,
    attended: wgpu::Buffer,
    mid: wgpu::Buffer,
    ffn: wgpu::Buffer,
    ffn_out: wgpu::Buffer,
    /// ALBERT groups with several inner layers pass between them through these two.
    inner: [wgpu::Buffer; 2],
}

/// Records a plan's dispatches, one method per stage of the forward.
struct Recorder<'a> {
    ctx: &'a GpuContext,
    sizes: &'a Sizes,
    buffers: &'a Buffers,
    dispatches: Vec<Dispatch>,
}

impl Recorder<'_> {
    /// Embedding gather + sum, its LayerNorm, and ALBERT's projection into `hidden[0]`.
    fn embeddings(&mut self, emb: &GpuEmbeddings, projection: Option<&GpuLinear>) {
        let (ctx, b) = (self.ctx, self.buffers);
        let (t, e) = (self.sizes.tokens, self.sizes.embedding);
        self.dispatches.push(Dispatch::new(
            &ctx.device,
            &ctx.kernels,
            Kernel::Embed,
            [
                t as u32,
                e as u32,
                emb.segment.is_some() as u32,
                0,
                0,
                0,
                0,
                0,
            ],
            &[
                &b.ids,
                &emb.word,
                &emb.position,
                emb.segment.as_ref().unwrap_or(&emb.word),
                &b.parts,
            ],
            [t as u32, 1, 1],
        ));
        let normalized = At(b.normalized.as_ref().unwrap_or(&b.hidden), 0);
        self.dispatches.push(
            emb.norm
                .dispatch(ctx, t, At(&b.parts, 3 * t * e), None, normalized),
        );
        if let Some(projection) = projection {
            self.dispatches
                .push(projection.dispatch(ctx, t, normalized, At(&b.hidden, 0), None));
        }
    }

    /// Every layer application, `hidden[l]` → `hidden[l + 1]`; layer `l` runs group
    /// `l / (layers / groups)`.
    fn layers(&mut self, groups: &[Vec<GpuLayer>]) {
        let (ctx, b) = (self.ctx, self.buffers);
        let (t, h, i) = (
            self.sizes.tokens,
            self.sizes.hidden,
            self.sizes.intermediate,
        );
        let work = LayerScratch {
            qkv: scratch(ctx, "qkv", t * 3 * h),
            context: scratch(ctx, "context", t * h),
            attended: scratch(ctx, "attended", t * h),
            mid: scratch(ctx, "mid", t * h),
            ffn: scratch(ctx, "ffn", t * i),
            ffn_out: scratch(ctx, "ffn out", t * h),
            inner: [
                scratch(ctx, "inner a", t * h),
                scratch(ctx, "inner b", t * h),
            ],
        };
        let layers = self.sizes.layers;
        let per_group = layers / groups.len();
        for l in 0..layers {
            let group = &groups[l / per_group];
            for (j, layer) in group.iter().enumerate() {
                let input = if j == 0 {
                    At(&b.hidden, l * t * h)
                } else {
                    At(&work.inner[(j - 1) % 2], 0)
                };
                let output = if j + 1 == group.len() {
                    At(&b.hidden, (l + 1) * t * h)
                } else {
                    At(&work.inner[j % 2], 0)
                };
                self.layer(layer, &work, input, output, l * group.len() + j);
            }
        }
    }

    /// One transformer block from `input` to `output`: fused QKV projection, attention (its map
    /// into block `application` of `probs`), output projection + residual LayerNorm, feed-forward
    /// + residual LayerNorm.
    fn layer(
        &mut self,
        layer: &GpuLayer,
        work: &LayerScratch,
        input: At,
        output: At,
        application: usize,
    ) {
        let (ctx, b, s) = (self.ctx, self.buffers, self.sizes);
        let (t, h, heads) = (s.tokens, s.hidden, s.heads);
        let head_dim = h / heads;
        let scale = 1.0 / (head_dim as f32).sqrt();
        let attention = Dispatch::new(
            &ctx.device,
            &ctx.kernels,
            Kernel::Attention,
            [
                s.shape.seq as u32,
                heads as u32,
                head_dim as u32,
                h as u32,
                (application * s.probs_block()) as u32,
                scale.to_bits(),
                0,
                0,
            ],
            &[&work.qkv, &b.mask, &b.probs, &work.context],
            [s.shape.seq as u32, heads as u32, s.shape.batch as u32],
        );
        self.dispatches.extend([
            layer.qkv.dispatch(ctx, t, input, At(&work.qkv, 0), None),
            attention,
            layer
                .output
                .dispatch(ctx, t, At(&work.context, 0), At(&work.attended, 0), None),
            layer.attention_norm.dispatch(
                ctx,
                t,
                At(&work.attended, 0),
                Some(input),
                At(&work.mid, 0),
            ),
            layer.ffn_in.dispatch(
                ctx,
                t,
                At(&work.mid, 0),
                At(&work.ffn, 0),
                Some(layer.activation),
            ),
            layer
                .ffn_out
                .dispatch(ctx, t, At(&work.ffn, 0), At(&work.ffn_out, 0), None),
            layer.output_norm.dispatch(
                ctx,
                t,
                At(&work.ffn_out, 0),
                Some(At(&work.mid, 0)),
                output,
            ),
        ]);
    }

    /// The pooler: each sequence's first token of the last hidden state → dense → tanh.
    fn pooler(&mut self, pooler: &GpuLinear, pooled: &wgpu::Buffer) {
        let (ctx, b) = (self.ctx, self.buffers);
        let (batch, seq, h) = (
            self.sizes.shape.batch,
            self.sizes.shape.seq,
            self.sizes.hidden,
        );
        let first: Vec<u8> = (0..batch as u32)
            .flat_map(|row| (row * seq as u32).to_le_bytes())
            .collect();
        let first = ctx
            .device
            .create_buffer_init(&wgpu::util::BufferInitDescriptor {
                label: Some("first tokens"),
                contents: &first,
                usage: wgpu::BufferUsages::STORAGE,
            });
        let pool_in = scratch(ctx, "pool in", batch * h);
        let last = At(&b.hidden, self.sizes.layers * self.sizes.tokens * h);
        self.dispatches.extend([
            gather(ctx, &first, (batch, h), last, &pool_in),
            pooler.dispatch(
                ctx,
                batch,
                At(&pool_in, 0),
                At(pooled, 0),
                Some(Activation::Tanh),
            ),
        ]);
    }

    /// The MLM head at the requested rows: gather → dense + activation → LayerNorm → decoder.
    fn mlm_head(&mut self, head: &GpuMlmHead, logits: &wgpu::Buffer) {
        let (ctx, b, s) = (self.ctx, self.buffers, self.sizes);
        let (n, e, h) = (s.shape.head_rows, s.embedding, s.hidden);
        let picked = scratch(ctx, "head in", n * h);
        let dense = scratch(ctx, "head dense", n * e);
        let normed = scratch(ctx, "head norm", n * e);
        let last = At(&b.hidden, s.layers * s.tokens * h);
        self.dispatches.extend([
            gather(ctx, &b.head_rows, (n, h), last, &picked),
            head.dense
                .dispatch(ctx, n, At(&picked, 0), At(&dense, 0), Some(head.activation)),
            head.norm
                .dispatch(ctx, n, At(&dense, 0), None, At(&normed, 0)),
            head.decoder
                .dispatch(ctx, n, At(&normed, 0), At(logits, 0), None),
        ]);
    }
}
