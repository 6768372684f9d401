//! The activations' derivatives (`shaders/activation_backward.wgsl`).

use super::super::context::{GpuContext, GpuError};
use super::super::kernels::{activation_code, At};
use super::launch::{check, stride_groups, word, Launch};
use super::BackwardKernels;
use crate::model::config::Activation;

/// `grad (*)= act'(x)` over `len` floats, in place: the gradient at the activation's output becomes
/// the gradient at its input `x` (the pre-activation the forward kept). `None` is the identity.
pub fn activation_grad(
    ctx: &GpuContext,
    kernels: &BackwardKernels,
    activation: Option<Activation>,
    len: usize,
    x: At,
    grad: At,
) -> Result<Launch, GpuError> {
    check("activation input", x, len)?;
    check("activation gradient", grad, len)?;
    let params = [
        word("length", len)?,
        word("offset", x.1)?,
        word("offset", grad.1)?,
        activation_code(activation),
    ];
    Launch::new(
        ctx,
        &kernels.activation,
        &params,
        &[x.0, grad.0],
        stride_groups(len),
    )
}
