//! The training kernels on the GPU: the backward of every operation the encoder and its heads use,
//! the loss, and the AdamW update, each checked against candle's autograd on the CPU
//! (`tests/gpu_backward_parity.rs`).
//!
//! Each kernel is a typed function that checks shapes and buffer bounds and returns a [`Launch`]
//! (pipeline, bindings, grid); a training step records its launches once per input shape and
//! replays them in one submission, as the forward does. Gradients can overwrite or accumulate into
//! their buffer (several uses of one weight, micro-batches). Within the WebGPU defaults a browser
//! grants (SwiftShader included): f32 only, at most 256 invocations and 8 KiB of workgroup memory
//! (of 16) per workgroup, at most 6 storage buffers per kernel (of 8), at most 65,535 workgroups
//! per grid dimension.
//!
//! - `matmul`: the batched, strided matmul with transposes, and the linear layer's gradients;
//! - `norm`: bias gradients and the LayerNorm backward;
//! - `activation`: the activations' derivatives (GELU erf and tanh, ReLU, SiLU, tanh);
//! - `attention`: the attention softmax's backward;
//! - `embedding`: the deterministic scatter-add into embedding tables;
//! - `loss`: cross-entropy at labelled positions, reduced on the GPU;
//! - `adamw`: the optimizer update, in `train::optimizer`'s arithmetic;
//! - `launch`: a recorded launch, the bounds checks, one submission of many;
//! - `buffers`: uploads, writes and readback.

mod activation;
mod adamw;
mod attention;
mod buffers;
mod embedding;
mod launch;
mod loss;
mod matmul;
mod norm;

pub use activation::activation_grad;
pub use adamw::{adamw, AdamWStep, AdamWTensor};
pub use attention::softmax_grad;
pub use buffers::{read, upload, upload_u32, write, write_u32, zeros};
pub use embedding::{embedding_grad, embedding_index};
pub(crate) use launch::{check, stride_groups, word};
pub use launch::{submit, Launch};
pub use loss::{cross_entropy, label_words, CrossEntropy};
pub use matmul::{
    linear_input_grad, linear_weight_grad, matmul, LinearShape, MatmulShape, Operand,
};
pub use norm::{bias_grad, layer_norm_grad, NormGrads};

use super::context::GpuContext;
use super::kernels::{compile, ACTIVATION_WGSL, REDUCE_WGSL};

/// The backward kernels, compiled once per device (separate from the forward's, which inference
/// alone needs).
pub struct BackwardKernels {
    matmul: wgpu::ComputePipeline,
    bias: wgpu::ComputePipeline,
    activation: wgpu::ComputePipeline,
    norm_rows: wgpu::ComputePipeline,
    norm_params: wgpu::ComputePipeline,
    softmax: wgpu::ComputePipeline,
    embedding: wgpu::ComputePipeline,
    loss_rows: wgpu::ComputePipeline,
    loss_total: wgpu::ComputePipeline,
    adamw: wgpu::ComputePipeline,
}

impl BackwardKernels {
    pub fn new(ctx: &GpuContext) -> BackwardKernels {
        let device = &ctx.device;
        // Shared code goes by prefix, as in the forward's kernels.
        let columns = include_str!("shaders/columns.wgsl");
        let norm = include_str!("shaders/layer_norm_input.wgsl");
        let loss = format!(
            "{REDUCE_WGSL}{}",
            include_str!("shaders/cross_entropy.wgsl")
        );
        let build = |label: &str, parts: &[&str]| compile(device, label, &parts.concat());
        BackwardKernels {
            matmul: build(
                "batched_matmul",
                &[include_str!("shaders/batched_matmul.wgsl")],
            ),
            bias: build(
                "bias_grad",
                &[columns, include_str!("shaders/bias_grad.wgsl")],
            ),
            activation: build(
                "activation_backward",
                &[
                    ACTIVATION_WGSL,
                    include_str!("shaders/activation_backward.wgsl"),
                ],
            ),
            norm_rows: build(
                "layer_norm_backward",
                &[
                    REDUCE_WGSL,
                    norm,
                    include_str!("shaders/layer_norm_backward.wgsl"),
                ],
            ),
            norm_params: build(
                "layer_norm_params",
                &[
                    columns,
                    norm,
                    include_str!("shaders/layer_norm_params.wgsl"),
                ],
            ),
            softmax: build(
                "softmax_backward",
                &[REDUCE_WGSL, include_str!("shaders/softmax_backward.wgsl")],
            ),
            embedding: build(
                "embedding_backward",
                &[include_str!("shaders/embedding_backward.wgsl")],
            ),
            loss_rows: build(
                "cross_entropy_rows",
                &[&loss, include_str!("shaders/cross_entropy_rows.wgsl")],
            ),
            loss_total: build(
                "cross_entropy_total",
                &[&loss, include_str!("shaders/cross_entropy_total.wgsl")],
            ),
            adamw: build("adamw", &[include_str!("shaders/adamw.wgsl")]),
        }
    }
}
