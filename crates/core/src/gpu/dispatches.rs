//! Forward launches that both the encoder and the trainer record: a LayerNorm and a row gather.
//! They live apart from `kernels` because they take the context, which owns the kernels.

use super::context::GpuContext;
use super::kernels::{At, Dispatch, Kernel};

/// A LayerNorm launch: `out = LayerNorm(x (+ residual))` over `rows` rows of `dim`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn layer_norm(
    ctx: &GpuContext,
    (gamma, beta): (&wgpu::Buffer, &wgpu::Buffer),
    (dim, eps): (usize, f32),
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
            dim as u32,
            x.1 as u32,
            res.1 as u32,
            out.1 as u32,
            residual.is_some() as u32,
            eps.to_bits(),
            0,
        ],
        &[x.0, res.0, gamma, beta, out.0],
        [rows as u32, 1, 1],
    )
}

/// A row gather: `dst[r] = src[index[r]]` for `rows` rows of `dim`.
pub(crate) fn gather(
    ctx: &GpuContext,
    index: &wgpu::Buffer,
    (rows, dim): (usize, usize),
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
