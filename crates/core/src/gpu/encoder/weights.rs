//! The uploaded weights, one struct per module of `crate::model` (linear, LayerNorm, embeddings,
//! transformer layer, MLM head), and the kernel launches that read them.

use candle_core::Tensor;
use wgpu::util::DeviceExt;

use crate::gpu::context::{GpuContext, GpuError};
use crate::gpu::dispatches::layer_norm;
use crate::gpu::kernels::{activation_code, linear_kernel, At, Dispatch};
use crate::model::config::Activation;
use crate::model::embeddings::Embeddings;
use crate::model::layer::Layer;
use crate::model::nn::{LayerNorm, Linear};
use crate::model::MlmHead;

/// A read-only storage buffer holding `data`.
pub(super) fn storage(ctx: &GpuContext, label: &str, data: &[f32]) -> wgpu::Buffer {
    let bytes: Vec<u8> = data.iter().flat_map(|v| v.to_le_bytes()).collect();
    ctx.device
        .create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some(label),
            contents: &bytes,
            usage: wgpu::BufferUsages::STORAGE,
        })
}

/// A tensor's values as F32, flattened.
pub(super) fn values(tensor: &Tensor) -> Result<Vec<f32>, GpuError> {
    Ok(tensor
        .to_dtype(candle_core::DType::F32)?
        .flatten_all()?
        .to_vec1::<f32>()?)
}

/// A linear layer: weight `[out, in]` as in the checkpoint, and bias.
pub(super) struct GpuLinear {
    weight: wgpu::Buffer,
    bias: wgpu::Buffer,
    in_dim: usize,
    out_dim: usize,
}

impl GpuLinear {
    /// Uploads one layer, or several with the same input stacked along the output (the fused
    /// query/key/value projection).
    pub fn upload(ctx: &GpuContext, label: &str, parts: &[&Linear]) -> Result<GpuLinear, GpuError> {
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

    /// `out = act(a · Wᵀ + b)` for `rows` rows.
    pub fn dispatch(
        &self,
        ctx: &GpuContext,
        rows: usize,
        a: At,
        out: At,
        activation: Option<Activation>,
    ) -> Dispatch {
        let act = activation_code(activation);
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
                a.1 as u32,
                out.1 as u32,
                0,
                0,
            ],
            &[a.0, &self.weight, &self.bias, out.0],
            groups,
        )
    }
}

pub(super) struct GpuNorm {
    gamma: wgpu::Buffer,
    beta: wgpu::Buffer,
    eps: f32,
    dim: usize,
}

impl GpuNorm {
    pub fn upload(ctx: &GpuContext, label: &str, norm: &LayerNorm) -> Result<GpuNorm, GpuError> {
        let (gamma, beta, eps) = norm.parts();
        Ok(GpuNorm {
            gamma: storage(ctx, label, &values(gamma)?),
            beta: storage(ctx, label, &values(beta)?),
            eps: eps as f32,
            dim: gamma.dims1()?,
        })
    }

    /// `out = LayerNorm(x (+ residual))` over `rows` rows.
    pub fn dispatch(
        &self,
        ctx: &GpuContext,
        rows: usize,
        x: At,
        residual: Option<At>,
        out: At,
    ) -> Dispatch {
        layer_norm(
            ctx,
            (&self.gamma, &self.beta),
            (self.dim, self.eps),
            rows,
            x,
            residual,
            out,
        )
    }
}

pub(super) struct GpuEmbeddings {
    pub word: wgpu::Buffer,
    pub position: wgpu::Buffer,
    pub segment: Option<wgpu::Buffer>,
    pub norm: GpuNorm,
}

impl GpuEmbeddings {
    pub fn upload(ctx: &GpuContext, emb: &Embeddings) -> Result<GpuEmbeddings, GpuError> {
        let table = |label: &str, table: &candle_nn::Embedding| {
            Ok::<_, GpuError>(storage(ctx, label, &values(table.embeddings())?))
        };
        Ok(GpuEmbeddings {
            word: table("word embeddings", &emb.word_embeddings)?,
            position: table("position embeddings", &emb.position_embeddings)?,
            segment: match &emb.token_type_embeddings {
                Some(segment) => Some(table("segment embeddings", segment)?),
                None => None,
            },
            norm: GpuNorm::upload(ctx, "embedding norm", &emb.layer_norm)?,
        })
    }
}

/// One transformer block; `qkv` is the query, key and value projections stacked.
pub(super) struct GpuLayer {
    pub qkv: GpuLinear,
    pub output: GpuLinear,
    pub attention_norm: GpuNorm,
    pub ffn_in: GpuLinear,
    pub activation: Activation,
    pub ffn_out: GpuLinear,
    pub output_norm: GpuNorm,
}

impl GpuLayer {
    pub fn upload(ctx: &GpuContext, layer: &Layer) -> Result<GpuLayer, GpuError> {
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
    pub(super) dense: GpuLinear,
    pub(super) activation: Activation,
    pub(super) norm: GpuNorm,
    pub(super) decoder: GpuLinear,
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
