//! Column sums over tokens: the bias gradient, and the LayerNorm backward (a row kernel for dx, a
//! column kernel for dgamma and dbeta).

use super::super::context::{GpuContext, GpuError};
use super::super::kernels::At;
use super::launch::{check, word, Launch};
use super::BackwardKernels;

/// Columns per workgroup of the column-sum kernels (`shaders/columns.wgsl`).
const COLUMNS: usize = 64;

/// `db (+)= Σ_rows dY` for `dy` `[rows, cols]`.
pub fn bias_grad(
    ctx: &GpuContext,
    kernels: &BackwardKernels,
    (rows, cols): (usize, usize),
    dy: At,
    db: At,
    accumulate: bool,
) -> Result<Launch, GpuError> {
    check("bias gradient input", dy, rows * cols)?;
    check("bias gradient", db, cols)?;
    let params = [
        word("rows", rows)?,
        word("columns", cols)?,
        word("offset", dy.1)?,
        word("offset", db.1)?,
        accumulate as u32,
        0,
        0,
        0,
    ];
    Launch::new(
        ctx,
        &kernels.bias,
        &params,
        &[dy.0, db.0],
        [cols.div_ceil(COLUMNS), 1, 1],
    )
}

/// The backward of `y = LayerNorm(x (+ residual)) · gamma + beta` over `rows` rows of `dim`,
/// `eps` as in the model's config.
pub struct NormGrads<'a> {
    pub rows: usize,
    pub dim: usize,
    pub eps: f32,
    /// The forward's input, and the residual it added (the gradient of both is `dx`).
    pub x: At<'a>,
    pub residual: Option<At<'a>>,
    pub gamma: At<'a>,
    pub dy: At<'a>,
    pub dx: At<'a>,
    pub dgamma: At<'a>,
    pub dbeta: At<'a>,
    /// Scratch for each row's mean and inverse deviation: `2 · rows` floats.
    pub stats: &'a wgpu::Buffer,
    pub accumulate_dx: bool,
    pub accumulate_params: bool,
}

/// Two launches, in order: `dx`, then `dgamma` and `dbeta` (which read the first's statistics).
pub fn layer_norm_grad(
    ctx: &GpuContext,
    kernels: &BackwardKernels,
    g: &NormGrads,
) -> Result<[Launch; 2], GpuError> {
    let len = g.rows * g.dim;
    let residual = g.residual.unwrap_or(g.x);
    check("LayerNorm input", g.x, len)?;
    check("LayerNorm residual", residual, len)?;
    check("LayerNorm gamma", g.gamma, g.dim)?;
    check("LayerNorm output gradient", g.dy, len)?;
    check("LayerNorm input gradient", g.dx, len)?;
    check("LayerNorm gamma gradient", g.dgamma, g.dim)?;
    check("LayerNorm beta gradient", g.dbeta, g.dim)?;
    check("LayerNorm statistics", At(g.stats, 0), 2 * g.rows)?;
    if g.gamma.1 != 0 {
        return Err(GpuError::Unsupported(
            "LayerNorm gamma must start its buffer".into(),
        ));
    }
    let params = |out: usize, accumulate: bool, beta: usize| -> Result<[u32; 12], GpuError> {
        Ok([
            word("rows", g.rows)?,
            word("dim", g.dim)?,
            word("offset", g.x.1)?,
            word("offset", residual.1)?,
            word("offset", g.dy.1)?,
            word("offset", out)?,
            g.residual.is_some() as u32,
            accumulate as u32,
            g.eps.to_bits(),
            word("offset", beta)?,
            0,
            0,
        ])
    };
    let inputs = [g.x.0, residual.0, g.dy.0];
    let rows = Launch::new(
        ctx,
        &kernels.norm_rows,
        &params(g.dx.1, g.accumulate_dx, 0)?,
        &[&inputs[..], &[g.gamma.0, g.dx.0, g.stats]].concat(),
        [g.rows, 1, 1],
    )?;
    let columns = Launch::new(
        ctx,
        &kernels.norm_params,
        &params(g.dgamma.1, g.accumulate_params, g.dbeta.1)?,
        &[&inputs[..], &[g.stats, g.dgamma.0, g.dbeta.0]].concat(),
        [g.dim.div_ceil(COLUMNS), 1, 1],
    )?;
    Ok([rows, columns])
}
