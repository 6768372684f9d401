//! The batched, strided matmul with transposes (`shaders/batched_matmul.wgsl`), and the linear
//! layer's operand gradients through it.

use super::super::context::{GpuContext, GpuError};
use super::super::kernels::At;
use super::launch::{check, word, Launch};
use super::BackwardKernels;

/// Output tile of the kernel.
const TILE: usize = 64;

/// One operand of [`matmul`]: matrix `z = (o, i)` of the batch starts `o·outer + i·inner` floats
/// after `at`, its stored rows `ld` floats apart; `transposed` reads it as its transpose.
#[derive(Clone, Copy)]
pub struct Operand<'a> {
    pub at: At<'a>,
    pub ld: usize,
    pub outer: usize,
    pub inner: usize,
    pub transposed: bool,
}

impl<'a> Operand<'a> {
    /// One row-major matrix with rows `ld` floats apart.
    pub fn rows(at: At<'a>, ld: usize) -> Operand<'a> {
        Operand {
            at,
            ld,
            outer: 0,
            inner: 0,
            transposed: false,
        }
    }

    /// The same storage read as its transpose.
    pub fn t(self) -> Operand<'a> {
        Operand {
            transposed: !self.transposed,
            ..self
        }
    }

    /// One matrix per (sequence, head), `outer` and `inner` floats apart.
    pub fn batched(self, outer: usize, inner: usize) -> Operand<'a> {
        Operand {
            outer,
            inner,
            ..self
        }
    }

    /// Checks that every matrix of the batch, `rows × cols` as read, lies inside the buffer, and
    /// returns the kernel's words (offset, ld, outer, inner).
    fn words(
        &self,
        what: &str,
        (rows, cols): (usize, usize),
        s: &MatmulShape,
    ) -> Result<[u32; 4], GpuError> {
        let (rows, cols) = if self.transposed {
            (cols, rows)
        } else {
            (rows, cols)
        };
        if cols > self.ld {
            return Err(GpuError::Unsupported(format!(
                "{what}: rows of {cols} floats but a row stride of {}",
                self.ld
            )));
        }
        let last = (s.batch.0 - 1) * self.outer + (s.batch.1 - 1) * self.inner;
        check(
            what,
            At(self.at.0, self.at.1 + last),
            (rows - 1) * self.ld + cols,
        )?;
        Ok([
            word(what, self.at.1)?,
            word(what, self.ld)?,
            word(what, self.outer)?,
            word(what, self.inner)?,
        ])
    }
}

/// `c = alpha · op(a) · op(b)`, `op(a)` `m × k` and `op(b)` `k × n`, for each of `batch.0 ×
/// batch.1` matrices (sequences × heads; (1, 1) for one), added to `c` when `accumulate`.
#[derive(Debug, Clone, Copy)]
pub struct MatmulShape {
    pub m: usize,
    pub n: usize,
    pub k: usize,
    pub batch: (usize, usize),
    pub alpha: f32,
    pub accumulate: bool,
}

impl MatmulShape {
    /// One `m × k` by `k × n` product, overwriting.
    pub fn new(m: usize, n: usize, k: usize) -> MatmulShape {
        MatmulShape {
            m,
            n,
            k,
            batch: (1, 1),
            alpha: 1.0,
            accumulate: false,
        }
    }
}

/// The batched matmul. `c` must not be transposed and, as WebGPU requires, not share a buffer with
/// `a` or `b`.
pub fn matmul(
    ctx: &GpuContext,
    kernels: &BackwardKernels,
    shape: MatmulShape,
    a: Operand,
    b: Operand,
    c: Operand,
) -> Result<Launch, GpuError> {
    let MatmulShape { m, n, k, batch, .. } = shape;
    if [m, n, k, batch.0, batch.1].contains(&0) {
        return Err(GpuError::Unsupported(format!(
            "an empty matmul ({m} × {k} by {k} × {n}, batch {batch:?})"
        )));
    }
    if c.transposed {
        return Err(GpuError::Unsupported(
            "the matmul writes its output untransposed".into(),
        ));
    }
    let mut params = Vec::with_capacity(20);
    params.extend(a.words("matmul operand a", (m, k), &shape)?);
    params.extend(b.words("matmul operand b", (k, n), &shape)?);
    params.extend(c.words("matmul output", (m, n), &shape)?);
    params.extend([
        word("m", m)?,
        word("n", n)?,
        word("k", k)?,
        word("heads", batch.1)?,
        a.transposed as u32,
        b.transposed as u32,
        shape.accumulate as u32,
        shape.alpha.to_bits(),
    ]);
    Launch::new(
        ctx,
        &kernels.matmul,
        &params,
        &[a.at.0, b.at.0, c.at.0],
        [n.div_ceil(TILE), m.div_ceil(TILE), batch.0 * batch.1],
    )
}

/// A linear layer `y = x·Wᵀ + b` over `rows` contiguous rows, `W` `[out_dim, in_dim]` as in the
/// checkpoint.
#[derive(Debug, Clone, Copy)]
pub struct LinearShape {
    pub rows: usize,
    pub in_dim: usize,
    pub out_dim: usize,
}

/// `dX (+)= dY · W`: `[rows, out] · [out, in]`.
pub fn linear_input_grad(
    ctx: &GpuContext,
    kernels: &BackwardKernels,
    s: LinearShape,
    (dy, w, dx): (At, At, At),
    accumulate: bool,
) -> Result<Launch, GpuError> {
    let shape = MatmulShape {
        accumulate,
        ..MatmulShape::new(s.rows, s.in_dim, s.out_dim)
    };
    let (dy, w, dx) = (
        Operand::rows(dy, s.out_dim),
        Operand::rows(w, s.in_dim),
        Operand::rows(dx, s.in_dim),
    );
    matmul(ctx, kernels, shape, dy, w, dx)
}

/// `dW (+)= dYᵀ · X`: `[out, rows] · [rows, in]`.
pub fn linear_weight_grad(
    ctx: &GpuContext,
    kernels: &BackwardKernels,
    s: LinearShape,
    (dy, x, dw): (At, At, At),
    accumulate: bool,
) -> Result<Launch, GpuError> {
    let shape = MatmulShape {
        accumulate,
        ..MatmulShape::new(s.out_dim, s.in_dim, s.rows)
    };
    let (dy, x, dw) = (
        Operand::rows(dy, s.out_dim).t(),
        Operand::rows(x, s.in_dim),
        Operand::rows(dw, s.in_dim),
    );
    matmul(ctx, kernels, shape, dy, x, dw)
}
