//! The attention softmax's backward (`shaders/softmax_backward.wgsl`). The matmuls around it (dP =
//! dC·Vᵀ, dV = Pᵀ·dC, dQ = dS·K, dK = dSᵀ·Q) are [`super::matmul`] with per-head operands.

use super::super::context::{GpuContext, GpuError};
use super::super::kernels::At;
use super::launch::{check, word, Launch};
use super::BackwardKernels;

/// `grad := scale · P ⊙ (grad − rowsum(grad ⊙ P))` in place, for the probabilities `probs`
/// `[batch, heads, seq, seq]`: the gradient at the probabilities becomes the gradient at the
/// unscaled scores Q·Kᵀ (the forward multiplied them by `scale`, 1/√head_dim). `mask` is the
/// forward's additive mask, one float per token (`[batch, seq]`): padded keys get zero gradient.
pub fn softmax_grad(
    ctx: &GpuContext,
    kernels: &BackwardKernels,
    (batch, heads, seq): (usize, usize, usize),
    scale: f32,
    (probs, mask): (At, &wgpu::Buffer),
    grad: At,
) -> Result<Launch, GpuError> {
    let len = batch * heads * seq * seq;
    check("attention probabilities", probs, len)?;
    check("attention mask", At(mask, 0), batch * seq)?;
    check("attention gradient", grad, len)?;
    let params = [
        word("seq", seq)?,
        word("heads", heads)?,
        word("offset", probs.1)?,
        word("offset", grad.1)?,
        scale.to_bits(),
        0,
        0,
        0,
    ];
    Launch::new(
        ctx,
        &kernels.softmax,
        &params,
        &[probs.0, mask, grad.0],
        [seq, heads, batch],
    )
}
