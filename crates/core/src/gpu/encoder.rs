//! The encoder and MLM head on the GPU. The structs mirror `crate::model`'s (embeddings, layers with
//! attention and feed-forward, pooler, MLM head) and are uploaded from a loaded CPU model, so every
//! family and checkpoint the CPU path loads runs here too.

use candle_core::{Device, Tensor};
use candle_nn::Linear;
use futures_util::lock::Mutex;
use wgpu::util::DeviceExt;

use super::context::{GpuContext, GpuError};
use super::kernels::{linear_kernel, Dispatch, Kernel, MAX_SEQ};
use crate::model::config::Activation;
use crate::model::embeddings::default_position_ids;
use crate::model::encoder::{additive_mask, check_input};
use crate::model::nn::LayerNorm;
use crate::model::{
    EmbeddingParts, Encoder, EncoderConfig, EncoderInput, EncoderOutput, Internals, MaskedLm,
    MlmHead,
};

fn storage(ctx: &GpuContext, label: &str, data: &[f32]) -> wgpu::Buffer {
    let bytes: Vec<u8> = data.iter().flat_map(|v| v.to_le_bytes()).collect();
    ctx.device
        .create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some(label),
            contents: &bytes,
            usage: wgpu::BufferUsages::STORAGE,
        })
}

fn values(tensor: &Tensor) -> Result<Vec<f32>, GpuError> {
    Ok(tensor
        .to_dtype(candle_core::DType::F32)?
        .flatten_all()?
        .to_vec1::<f32>()?)
}

/// A linear layer: weight `[out, in]` as in the checkpoint, and bias.
struct GpuLinear {
    weight: wgpu::Buffer,
    bias: wgpu::Buffer,
    in_dim: usize,
    out_dim: usize,
}

impl GpuLinear {
    /// Uploads one layer, or several with the same input stacked along the output (the fused
    /// query/key/value projection).
    fn upload(ctx: &GpuContext, label: &str, parts: &[&Linear]) -> Result<GpuLinear, GpuError> {
        let (mut weight, mut bias, mut out_dim, mut in_dim) = (Vec::new(), Vec::new(), 0, 0);
        for linear in parts {
            let (out, inp) = linear.weight().dims2()?;
            weight.extend(values(linear.weight())?);
            bias.extend(match linear.bias() {
                Some(b) => values(b)?,
                None => vec![0.0; out],
            });
            out_dim += out;
            in_dim = inp;
        }
        Ok(GpuLinear {
            weight: storage(ctx, label, &weight),
            bias: storage(ctx, label, &bias),
            in_dim,
            out_dim,
        })
    }

    /// `out[out_offset..] = act(a[a_offset..] · Wᵀ + b)` for `rows` rows.
    #[allow(clippy::too_many_arguments)]
    fn dispatch(
        &self,
        ctx: &GpuContext,
        rows: usize,
        a: &wgpu::Buffer,
        a_offset: usize,
        out: &wgpu::Buffer,
        out_offset: usize,
        activation: Option<Activation>,
    ) -> Dispatch {
        let act = match activation {
            None => 0,
            Some(Activation::Gelu) => 1,
            Some(Activation::GeluNew) => 2,
            Some(Activation::Relu) => 3,
            Some(Activation::Silu) => 4,
            Some(Activation::Tanh) => 5,
        };
        let (kernel, groups) = linear_kernel(rows, self.out_dim);
        Dispatch::new(
            &ctx.device,
            &ctx.kernels,
            kernel,
            [
                rows as u32,
                self.out_dim as u32,
                self.in_dim as u32,
                act,
                a_offset as u32,
                out_offset as u32,
                0,
                0,
            ],
            &[a, &self.weight, &self.bias, out],
            groups,
        )
    }
}

struct GpuNorm {
    gamma: wgpu::Buffer,
    beta: wgpu::Buffer,
    eps: f32,
    dim: usize,
}

/// Where a kernel reads or writes: a buffer and an offset in floats.
#[derive(Clone, Copy)]
struct At<'a>(&'a wgpu::Buffer, usize);

impl GpuNorm {
    fn upload(ctx: &GpuContext, label: &str, norm: &LayerNorm) -> Result<GpuNorm, GpuError> {
        let (gamma, beta, eps) = norm.parts();
        Ok(GpuNorm {
            gamma: storage(ctx, label, &values(gamma)?),
            beta: storage(ctx, label, &values(beta)?),
            eps: eps as f32,
            dim: gamma.dims1()?,
        })
    }

    /// `out = LayerNorm(x (+ residual))` over `rows` rows.
    fn dispatch(
        &self,
        ctx: &GpuContext,
        rows: usize,
        x: At,
        residual: Option<At>,
        out: At,
    ) -> Dispatch {
        let res = residual.unwrap_or(x);
        Dispatch::new(
            &ctx.device,
            &ctx.kernels,
            Kernel::LayerNorm,
            [
                rows as u32,
                self.dim as u32,
                x.1 as u32,
                res.1 as u32,
                out.1 as u32,
                residual.is_some() as u32,
                self.eps.to_bits(),
                0,
            ],
            &[x.0, res.0, &self.gamma, &self.beta, out.0],
            [rows as u32, 1, 1],
        )
    }
}

fn gather(
    ctx: &GpuContext,
    index: &wgpu::Buffer,
    rows: usize,
    dim: usize,
    src: At,
    dst: &wgpu::Buffer,
) -> Dispatch {
    Dispatch::new(
        &ctx.device,
        &ctx.kernels,
        Kernel::Gather,
        [rows as u32, dim as u32, src.1 as u32, 0, 0, 0, 0, 0],
        &[index, src.0, dst],
        [rows as u32, 1, 1],
    )
}

struct GpuEmbeddings {
    word: wgpu::Buffer,
    position: wgpu::Buffer,
    segment: Option<wgpu::Buffer>,
    norm: GpuNorm,
}

/// One transformer block; `qkv` is the query, key and value projections stacked.
struct GpuLayer {
    qkv: GpuLinear,
    output: GpuLinear,
    attention_norm: GpuNorm,
    ffn_in: GpuLinear,
    activation: Activation,
    ffn_out: GpuLinear,
    output_norm: GpuNorm,
}

impl GpuLayer {
    fn upload(ctx: &GpuContext, layer: &crate::model::layer::Layer) -> Result<GpuLayer, GpuError> {
        let att = &layer.attention;
        Ok(GpuLayer {
            qkv: GpuLinear::upload(ctx, "qkv", &[&att.query, &att.key, &att.value])?,
            output: GpuLinear::upload(ctx, "attention output", &[&att.output])?,
            attention_norm: GpuNorm::upload(ctx, "attention norm", &layer.attention_norm)?,
            ffn_in: GpuLinear::upload(ctx, "ffn in", &[&layer.ffn_in])?,
            activation: layer.activation,
            ffn_out: GpuLinear::upload(ctx, "ffn out", &[&layer.ffn_out])?,
            output_norm: GpuNorm::upload(ctx, "output norm", &layer.output_norm)?,
        })
    }
}

/// The MLM head: dense → activation → LayerNorm → decoder (the tied word embeddings) + bias.
pub struct GpuMlmHead {
    dense: GpuLinear,
    activation: Activation,
    norm: GpuNorm,
    decoder: GpuLinear,
}

impl GpuMlmHead {
    pub fn upload(ctx: &GpuContext, head: &MlmHead) -> Result<GpuMlmHead, GpuError> {
        Ok(GpuMlmHead {
            dense: GpuLinear::upload(ctx, "mlm dense", &[&head.dense])?,
            activation: head.activation,
            norm: GpuNorm::upload(ctx, "mlm norm", &head.norm)?,
            decoder: GpuLinear::upload(ctx, "mlm decoder", &[&head.decoder])?,
        })
    }
}

/// What a GPU forward returns: the encoder's output, as the CPU path shapes it, and the MLM logits
/// `[rows, vocab]` at the rows asked for.
#[derive(Debug, Clone)]
pub struct GpuOutput {
    pub encoder: EncoderOutput,
    pub logits: Option<Tensor>,
}

pub struct GpuEncoder {
    config: EncoderConfig,
    embeddings: GpuEmbeddings,
    /// ALBERT's embedding → hidden projection.
    projection: Option<GpuLinear>,
    groups: Vec<Vec<GpuLayer>>,
    pooler: Option<GpuLinear>,
    /// Buffers and recorded dispatches for the last input shape. Held across the readback, so
    /// overlapping requests (the worker runs jobs concurrently) take turns.
    plan: Mutex<Option<Plan>>,
}

/// Sizes of one forward, in tokens and floats.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Shape {
    batch: usize,
    seq: usize,
    /// Rows the MLM head runs on (0: no head).
    head_rows: usize,
}

impl Shape {
    fn tokens(&self) -> usize {
        self.batch * self.seq
    }
}

/// Everything one input shape needs on the device, built once and reused while the shape repeats.
struct Plan {
    shape: Shape,
    /// (id, position, segment) per token.
    ids: wgpu::Buffer,
    /// Additive attention mask per token.
    mask: wgpu::Buffer,
    /// Token rows the MLM head reads.
    head_rows: wgpu::Buffer,
    /// word, position, segment and summed embeddings: four `[tokens, E]` blocks.
    parts: wgpu::Buffer,
    /// LayerNorm of the embedding sum, when it is not already `hidden[0]` (ALBERT).
    normalized: Option<wgpu::Buffer>,
    /// `layers + 1` blocks of `[tokens, H]`: the hidden states.
    hidden: wgpu::Buffer,
    /// One `[batch, heads, seq, seq]` block per layer application.
    probs: wgpu::Buffer,
    pooled: Option<wgpu::Buffer>,
    logits: Option<wgpu::Buffer>,
    staging: wgpu::Buffer,
    dispatches: Vec<Dispatch>,
}

const COPY: wgpu::BufferUsages = wgpu::BufferUsages::COPY_SRC;

fn scratch(ctx: &GpuContext, label: &str, floats: usize) -> wgpu::Buffer {
    ctx.device.create_buffer(&wgpu::BufferDescriptor {
        label: Some(label),
        // Zero-length bindings are invalid: keep at least one element.
        size: (floats.max(1) * 4) as u64,
        usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST | COPY,
        mapped_at_creation: false,
    })
}

impl GpuEncoder {
    /// Uploads the weights; a failure (a table over the device's binding limit, out of memory)
    /// comes back here rather than at the first forward.
    pub async fn upload(ctx: &GpuContext, encoder: &Encoder) -> Result<GpuEncoder, GpuError> {
        ctx.checked(|| Self::upload_now(ctx, encoder)).await?
    }

    fn upload_now(ctx: &GpuContext, encoder: &Encoder) -> Result<GpuEncoder, GpuError> {
        let emb = &encoder.embeddings;
        let embeddings = GpuEmbeddings {
            word: storage(
                ctx,
                "word embeddings",
                &values(emb.word_embeddings.embeddings())?,
            ),
            position: storage(
                ctx,
                "position embeddings",
                &values(emb.position_embeddings.embeddings())?,
            ),
            segment: match &emb.token_type_embeddings {
                Some(table) => Some(storage(
                    ctx,
                    "segment embeddings",
                    &values(table.embeddings())?,
                )),
                None => None,
            },
            norm: GpuNorm::upload(ctx, "embedding norm", &emb.layer_norm)?,
        };
        let projection = match &encoder.projection {
            Some(p) => Some(GpuLinear::upload(ctx, "projection", &[p])?),
            None => None,
        };
        let groups = encoder
            .groups
            .iter()
            .map(|group| group.iter().map(|l| GpuLayer::upload(ctx, l)).collect())
            .collect::<Result<Vec<Vec<_>>, _>>()?;
        let pooler = match &encoder.pooler {
            Some(p) => Some(GpuLinear::upload(ctx, "pooler", &[p])?),
            None => None,
        };
        Ok(GpuEncoder {
            config: encoder.config().clone(),
            embeddings,
            projection,
            groups,
            pooler,
            plan: Mutex::new(None),
        })
    }

    pub fn config(&self) -> &EncoderConfig {
        &self.config
    }

    /// The encoder forward on the GPU, with the same checks, defaults and outputs as
    /// [`Encoder::forward`] in eval mode.
    pub async fn forward(
        &self,
        ctx: &GpuContext,
        input: &EncoderInput,
        want: &Internals,
    ) -> Result<EncoderOutput, GpuError> {
        Ok(self.run(ctx, input, want, None).await?.encoder)
    }

    fn layer_applications(&self) -> usize {
        self.config.num_hidden_layers * self.groups[0].len()
    }

    fn build_plan(
        &self,
        ctx: &GpuContext,
        shape: Shape,
        head: Option<&GpuMlmHead>,
    ) -> Result<Plan, GpuError> {
        let cfg = &self.config;
        let (t, e, h, i) = (
            shape.tokens(),
            cfg.embedding_size,
            cfg.hidden_size,
            cfg.intermediate_size,
        );
        let (heads, layers) = (cfg.num_attention_heads, cfg.num_hidden_layers);
        let head_dim = h / heads;
        let applications = self.layer_applications();
        let probs_block = shape.batch * heads * shape.seq * shape.seq;
        let limit = ctx.device.limits().max_storage_buffer_binding_size as usize / 4;
        let biggest = [
            probs_block * applications,
            (layers + 1) * t * h,
            t * 3 * h,
            t * i,
            4 * t * e,
            shape.head_rows * cfg.vocab_size,
        ]
        .into_iter()
        .max()
        .unwrap_or(0);
        if biggest > limit {
            return Err(GpuError::Unsupported(format!(
                "this batch needs a buffer of {} MB; the device allows {} MB",
                (biggest * 4) >> 20,
                (limit * 4) >> 20
            )));
        }
        let ids = scratch(ctx, "ids", 3 * t);
        let mask = scratch(ctx, "mask", t);
        let head_rows = scratch(ctx, "head rows", shape.head_rows);
        let parts = scratch(ctx, "embedding parts", 4 * t * e);
        let normalized = self
            .projection
            .as_ref()
            .map(|_| scratch(ctx, "normalized", t * e));
        let hidden = scratch(ctx, "hidden states", (layers + 1) * t * h);
        let probs = scratch(ctx, "attention", probs_block * applications);
        let qkv = scratch(ctx, "qkv", t * 3 * h);
        let context = scratch(ctx, "context", t * h);
        let attended = scratch(ctx, "attended", t * h);
        let mid = scratch(ctx, "mid", t * h);
        let ffn = scratch(ctx, "ffn", t * i);
        let ffn_out = scratch(ctx, "ffn out", t * h);
        // ALBERT groups with several inner layers pass between them through these two.
        let inner = [
            scratch(ctx, "inner a", t * h),
            scratch(ctx, "inner b", t * h),
        ];

        let mut dispatches = Vec::new();
        let emb = &self.embeddings;
        dispatches.push(Dispatch::new(
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
                &ids,
                &emb.word,
                &emb.position,
                emb.segment.as_ref().unwrap_or(&emb.word),
                &parts,
            ],
            [t as u32, 1, 1],
        ));
        let normalized_at = At(normalized.as_ref().unwrap_or(&hidden), 0);
        dispatches.push(
            emb.norm
                .dispatch(ctx, t, At(&parts, 3 * t * e), None, normalized_at),
        );
        if let Some(projection) = &self.projection {
            dispatches.push(projection.dispatch(ctx, t, normalized_at.0, 0, &hidden, 0, None));
        }
        let per_group = layers / self.groups.len();
        let scale = 1.0 / (head_dim as f32).sqrt();
        for l in 0..layers {
            let group = &self.groups[l / per_group];
            for (j, layer) in group.iter().enumerate() {
                let input = if j == 0 {
                    At(&hidden, l * t * h)
                } else {
                    At(&inner[(j - 1) % 2], 0)
                };
                let output = if j + 1 == group.len() {
                    At(&hidden, (l + 1) * t * h)
                } else {
                    At(&inner[j % 2], 0)
                };
                let application = l * group.len() + j;
                dispatches.push(layer.qkv.dispatch(ctx, t, input.0, input.1, &qkv, 0, None));
                dispatches.push(Dispatch::new(
                    &ctx.device,
                    &ctx.kernels,
                    Kernel::Attention,
                    [
                        shape.seq as u32,
                        heads as u32,
                        head_dim as u32,
                        h as u32,
                        (application * probs_block) as u32,
                        scale.to_bits(),
                        0,
                        0,
                    ],
                    &[&qkv, &mask, &probs, &context],
                    [shape.seq as u32, heads as u32, shape.batch as u32],
                ));
                dispatches.push(
                    layer
                        .output
                        .dispatch(ctx, t, &context, 0, &attended, 0, None),
                );
                dispatches.push(layer.attention_norm.dispatch(
                    ctx,
                    t,
                    At(&attended, 0),
                    Some(input),
                    At(&mid, 0),
                ));
                dispatches.push(layer.ffn_in.dispatch(
                    ctx,
                    t,
                    &mid,
                    0,
                    &ffn,
                    0,
                    Some(layer.activation),
                ));
                dispatches.push(layer.ffn_out.dispatch(ctx, t, &ffn, 0, &ffn_out, 0, None));
                dispatches.push(layer.output_norm.dispatch(
                    ctx,
                    t,
                    At(&ffn_out, 0),
                    Some(At(&mid, 0)),
                    output,
                ));
            }
        }
        let last = At(&hidden, layers * t * h);
        let pooled = match &self.pooler {
            Some(pooler) => {
                let first: Vec<u8> = (0..shape.batch as u32)
                    .flat_map(|b| (b * shape.seq as u32).to_le_bytes())
                    .collect();
                let first = ctx
                    .device
                    .create_buffer_init(&wgpu::util::BufferInitDescriptor {
                        label: Some("first tokens"),
                        contents: &first,
                        usage: wgpu::BufferUsages::STORAGE,
                    });
                let pool_in = scratch(ctx, "pool in", shape.batch * h);
                let pooled = scratch(ctx, "pooled", shape.batch * h);
                dispatches.push(gather(ctx, &first, shape.batch, h, last, &pool_in));
                dispatches.push(pooler.dispatch(
                    ctx,
                    shape.batch,
                    &pool_in,
                    0,
                    &pooled,
                    0,
                    Some(Activation::Tanh),
                ));
                Some(pooled)
            }
            None => None,
        };
        let logits = match head {
            Some(head) if shape.head_rows > 0 => {
                let n = shape.head_rows;
                let picked = scratch(ctx, "head in", n * h);
                let dense = scratch(ctx, "head dense", n * e);
                let normed = scratch(ctx, "head norm", n * e);
                let logits = scratch(ctx, "logits", n * cfg.vocab_size);
                dispatches.push(gather(ctx, &head_rows, n, h, last, &picked));
                dispatches.push(head.dense.dispatch(
                    ctx,
                    n,
                    &picked,
                    0,
                    &dense,
                    0,
                    Some(head.activation),
                ));
                dispatches.push(
                    head.norm
                        .dispatch(ctx, n, At(&dense, 0), None, At(&normed, 0)),
                );
                dispatches.push(head.decoder.dispatch(ctx, n, &normed, 0, &logits, 0, None));
                Some(logits)
            }
            _ => None,
        };
        let readable = 5 * t * e
            + (layers + 1) * t * h
            + probs_block * applications
            + shape.batch * h
            + shape.head_rows * cfg.vocab_size;
        let staging = ctx.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("staging"),
            size: (readable * 4) as u64,
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        Ok(Plan {
            shape,
            ids,
            mask,
            head_rows,
            parts,
            normalized,
            hidden,
            probs,
            pooled,
            logits,
            staging,
            dispatches,
        })
    }

    async fn run(
        &self,
        ctx: &GpuContext,
        input: &EncoderInput,
        want: &Internals,
        head: Option<(&GpuMlmHead, &[usize])>,
    ) -> Result<GpuOutput, GpuError> {
        let cfg = &self.config;
        let (ids, types, positions) = check_input(cfg, input)?;
        let (batch, seq) = ids.dims2()?;
        if seq > MAX_SEQ {
            return Err(GpuError::Unsupported(format!(
                "{seq} tokens; the attention kernel takes at most {MAX_SEQ}"
            )));
        }
        let t = batch * seq;
        let rows: &[usize] = head.map_or(&[], |(_, rows)| rows);
        if let Some(bad) = rows.iter().find(|&&r| r >= t) {
            return Err(GpuError::Model(format!(
                "logit row {bad} is outside the batch's {t} tokens"
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
        let mask = match &input.attention_mask {
            Some(m) => values(&additive_mask(m, &ids)?)?,
            None => vec![0.0; t],
        };
        let id_rows: Vec<u8> = ids
            .flatten_all()?
            .to_vec1::<u32>()?
            .into_iter()
            .zip(positions.flatten_all()?.to_vec1::<u32>()?)
            .zip(segments.flatten_all()?.to_vec1::<u32>()?)
            .flat_map(|((i, p), s)| [i, p, s])
            .flat_map(u32::to_le_bytes)
            .collect();

        let shape = Shape {
            batch,
            seq,
            head_rows: rows.len(),
        };
        let (e, h) = (cfg.embedding_size, cfg.hidden_size);
        let layers = cfg.num_hidden_layers;
        let heads = cfg.num_attention_heads;
        let probs_len = batch * heads * seq * seq * self.layer_applications();
        let mut slot = self.plan.lock().await;
        // Plan building, uploads and the forward's one submission, inside the error scopes.
        let lengths = ctx
            .checked(|| -> Result<Vec<usize>, GpuError> {
                if slot.as_ref().is_none_or(|p| p.shape != shape) {
                    *slot = Some(self.build_plan(ctx, shape, head.map(|(h, _)| h))?);
                }
                let Some(plan) = slot.as_ref() else {
                    return Err(GpuError::Model("no plan for this input".into()));
                };
                // What comes back: (buffer, offset, floats), in staging order.
                let mut reads: Vec<(&wgpu::Buffer, usize, usize)> = Vec::new();
                if want.hidden_states {
                    reads.push((&plan.hidden, 0, (layers + 1) * t * h));
                } else {
                    reads.push((&plan.hidden, layers * t * h, t * h));
                }
                if want.attentions {
                    reads.push((&plan.probs, 0, probs_len));
                }
                if want.embeddings {
                    reads.push((&plan.parts, 0, 4 * t * e));
                    reads.push((plan.normalized.as_ref().unwrap_or(&plan.hidden), 0, t * e));
                }
                if let Some(p) = plan.pooled.as_ref().filter(|_| want.pooled) {
                    reads.push((p, 0, batch * h));
                }
                if let Some(l) = &plan.logits {
                    reads.push((l, 0, rows.len() * cfg.vocab_size));
                }
                let queue = &ctx.queue;
                queue.write_buffer(&plan.ids, 0, &id_rows);
                let mask: Vec<u8> = mask.iter().flat_map(|v| v.to_le_bytes()).collect();
                queue.write_buffer(&plan.mask, 0, &mask);
                if !rows.is_empty() {
                    let rows: Vec<u8> = rows
                        .iter()
                        .flat_map(|&r| (r as u32).to_le_bytes())
                        .collect();
                    queue.write_buffer(&plan.head_rows, 0, &rows);
                }
                let mut commands = ctx.device.create_command_encoder(&Default::default());
                {
                    let mut pass = commands.begin_compute_pass(&Default::default());
                    for dispatch in &plan.dispatches {
                        dispatch.record(&ctx.kernels, &mut pass);
                    }
                }
                let mut at = 0u64;
                for (buffer, offset, len) in &reads {
                    let bytes = (*len * 4) as u64;
                    commands.copy_buffer_to_buffer(
                        buffer,
                        (*offset * 4) as u64,
                        &plan.staging,
                        at,
                        bytes,
                    );
                    at += bytes;
                }
                queue.submit([commands.finish()]);
                Ok(reads.iter().map(|r| r.2).collect())
            })
            .await??;
        let Some(plan) = slot.as_ref() else {
            return Err(GpuError::Model("no plan for this input".into()));
        };
        let total: usize = lengths.iter().sum();
        // A lost device shows up here as a failed map: name the cause when wgpu has reported it.
        let data = read_back(ctx, &plan.staging, total)
            .await
            .map_err(|e| ctx.failure().unwrap_or(e))?;

        let mut chunks = Vec::new();
        let mut start = 0;
        for len in &lengths {
            chunks.push(&data[start..start + len]);
            start += len;
        }
        let mut chunks = chunks.into_iter();
        let mut next = |dims: &[usize]| -> Result<Tensor, GpuError> {
            let chunk = chunks
                .next()
                .ok_or_else(|| GpuError::Readback("missing output".into()))?;
            Ok(Tensor::from_slice(chunk, dims, &Device::Cpu)?)
        };
        let (last_hidden_state, hidden_states) = if want.hidden_states {
            let all = next(&[layers + 1, batch, seq, h])?;
            let states = (0..=layers)
                .map(|l| all.get(l))
                .collect::<candle_core::Result<Vec<_>>>()?;
            (states[layers].clone(), Some(states))
        } else {
            (next(&[batch, seq, h])?, None)
        };
        let attentions = if want.attentions {
            let all = next(&[self.layer_applications(), batch, heads, seq, seq])?;
            Some(
                (0..self.layer_applications())
                    .map(|a| all.get(a))
                    .collect::<candle_core::Result<Vec<_>>>()?,
            )
        } else {
            None
        };
        let embeddings = if want.embeddings {
            let all = next(&[4, batch, seq, e])?;
            let normalized = next(&[batch, seq, e])?;
            Some(EmbeddingParts {
                word: all.get(0)?,
                position: all.get(1)?,
                token_type: if self.embeddings.segment.is_some() {
                    Some(all.get(2)?)
                } else {
                    None
                },
                sum: all.get(3)?,
                normalized,
                position_ids: positions,
            })
        } else {
            None
        };
        let pooled = match plan.pooled.as_ref().filter(|_| want.pooled) {
            Some(_) => Some(next(&[batch, h])?),
            None => None,
        };
        let logits = match plan.logits {
            Some(_) => Some(next(&[rows.len(), cfg.vocab_size])?),
            None => None,
        };
        Ok(GpuOutput {
            encoder: EncoderOutput {
                last_hidden_state,
                embeddings,
                hidden_states,
                attentions,
                pooled,
            },
            logits,
        })
    }
}

/// Maps the first `floats` of `staging` and copies them out.
async fn read_back(
    ctx: &GpuContext,
    staging: &wgpu::Buffer,
    floats: usize,
) -> Result<Vec<f32>, GpuError> {
    let slice = staging.slice(0..(floats * 4) as u64);
    let (done, mapped) = futures_channel::oneshot::channel();
    slice.map_async(wgpu::MapMode::Read, move |result| {
        let _ = done.send(result);
    });
    ctx.wait()?;
    mapped
        .await
        .map_err(|_| GpuError::Readback("the map request was dropped".into()))?
        .map_err(|e| GpuError::Readback(e.to_string()))?;
    let data = {
        let view = slice.get_mapped_range();
        view.chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect()
    };
    staging.unmap();
    Ok(data)
}

/// A masked-LM on the GPU: the encoder and its MLM head.
pub struct GpuMaskedLm {
    pub encoder: GpuEncoder,
    pub head: GpuMlmHead,
}

impl GpuMaskedLm {
    pub async fn upload(ctx: &GpuContext, model: &MaskedLm) -> Result<GpuMaskedLm, GpuError> {
        let encoder = GpuEncoder::upload(ctx, &model.encoder).await?;
        let head = ctx
            .checked(|| GpuMlmHead::upload(ctx, &model.head))
            .await??;
        Ok(GpuMaskedLm { encoder, head })
    }

    /// The forward with the MLM logits at `rows` (flat token indices, `b * seq + i`), `[rows,
    /// vocab]`: the vocabulary projection costs as much as the encoder, so it runs only where a
    /// view reads it.
    pub async fn forward(
        &self,
        ctx: &GpuContext,
        input: &EncoderInput,
        want: &Internals,
        rows: &[usize],
    ) -> Result<GpuOutput, GpuError> {
        self.encoder
            .run(ctx, input, want, Some((&self.head, rows)))
            .await
    }
}
