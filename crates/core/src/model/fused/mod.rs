//! Training kernels with their own backward pass: the linear layer, LayerNorm, softmax over the last
//! dimension, GELU (erf) and the cross-entropy loss.
//!
//! Composed from candle primitives, each of these is 5–12 tensor ops forward and more backward, every
//! one a pass over the activations with a fresh allocation; candle's own fused LayerNorm and softmax
//! have no backward at all. Here each is one pass forward and one pass backward over contiguous f32
//! rows, with an `exp` and an `erf` written so that the loops vectorise (SSE/AVX natively, SIMD128 in
//! wasm). The results agree with the composed ops within 1e-5 (see the tests beside each kernel).

mod cross_entropy;
mod gelu;
mod layer_norm;
mod linear;
pub(crate) mod math;
#[cfg(target_arch = "wasm32")]
mod math_simd128;
mod reference;
#[cfg(target_arch = "wasm32")]
mod simd128;
mod softmax;

use bertlab_protocol::backend::CpuKernels;
use candle_core::backend::BackendStorage;
use candle_core::{bail, CpuStorage, Layout, Result};

pub use cross_entropy::cross_entropy;
pub use gelu::gelu_erf;
pub use layer_norm::layer_norm;
pub use linear::linear;
pub use reference::with_composed_ops;
pub use softmax::attention_softmax;

/// The CPU kernels this build runs: relaxed SIMD's fused multiply-add in wasm's matrix products with
/// the `relaxed-simd` feature (the second worker build), SIMD128 otherwise.
pub const CPU_KERNELS: CpuKernels = if cfg!(all(target_arch = "wasm32", feature = "relaxed-simd")) {
    CpuKernels::Simd128Fma
} else {
    CpuKernels::Simd128
};

/// Below this many elements a kernel runs on the calling thread: splitting costs more than it saves.
#[cfg(not(target_arch = "wasm32"))]
const PARALLEL_MIN: usize = 1 << 15;

/// Calls `f(first_row, rows)` on consecutive chunks of whole `dim`-element rows of `out`, on all
/// cores natively (rayon's pool, which gemm uses too) when filling `out` reads at least
/// [`PARALLEL_MIN`] elements (`work`: a loss per row of a vocabulary reads the whole vocabulary), and
/// in one go in wasm (one thread per worker). Returns each chunk's result in order (per-chunk partial
/// sums, for reductions over rows).
fn for_row_chunks<R: Send>(
    out: &mut [f32],
    dim: usize,
    work: usize,
    f: impl Fn(usize, &mut [f32]) -> R + Sync + Send,
) -> Vec<R> {
    debug_assert!(
        dim > 0 && out.len().is_multiple_of(dim),
        "whole rows of {dim}"
    );
    #[cfg(not(target_arch = "wasm32"))]
    {
        let rows = out.len() / dim;
        if work >= PARALLEL_MIN && rows > 1 {
            use rayon::prelude::*;
            let chunk_rows = rows.div_ceil(2 * rayon::current_num_threads()).max(1);
            return out
                .par_chunks_mut(chunk_rows * dim)
                .enumerate()
                .map(|(i, chunk)| f(i * chunk_rows, chunk))
                .collect();
        }
    }
    let _ = work; // wasm: one thread, whatever the size
    vec![f(0, out)]
}

/// A new buffer of `len` elements whose `dim`-element rows are each written by `fill(row, out_row)`,
/// split over the cores as [`for_row_chunks`] does.
fn fill_rows(
    len: usize,
    dim: usize,
    work: usize,
    fill: impl Fn(usize, &mut [f32]) + Sync + Send,
) -> Vec<f32> {
    let mut out = vec![0f32; len];
    for_row_chunks(&mut out, dim, work, |first, rows| {
        for (r, row) in rows.chunks_exact_mut(dim).enumerate() {
            fill(first + r, row);
        }
    });
    out
}

/// Row `r` of `dim`-element rows.
#[inline(always)]
fn row(xs: &[f32], r: usize, dim: usize) -> &[f32] {
    &xs[r * dim..(r + 1) * dim]
}

/// Adds per-chunk partial sums into `total`.
fn add_partials(total: &mut [f32], partials: &[Vec<f32>]) {
    for part in partials {
        total.iter_mut().zip(part).for_each(|(t, p)| *t += p);
    }
}

/// The f32 elements a contiguous layout covers.
fn contiguous_f32<'a>(storage: &'a CpuStorage, layout: &Layout, op: &str) -> Result<&'a [f32]> {
    let CpuStorage::F32(data) = storage else {
        bail!("{op} takes f32 tensors, got {:?}", storage.dtype())
    };
    match layout.contiguous_offsets() {
        Some((start, end)) => Ok(&data[start..end]),
        None => bail!("{op} takes contiguous tensors"),
    }
}

#[cfg(test)]
pub(crate) mod check {
    //! Finite-difference checks of a backward pass.
    use candle_core::{Tensor, Var};

    /// Compares `d(sum(f(x) · probe))/dx` from backprop with central differences at every element of
    /// `x`, in f64 arithmetic on the f32 function (step 1e-2 keeps the f32 rounding noise small).
    pub fn gradient_matches_differences(x: &[f32], shape: &[usize], f: impl Fn(&Tensor) -> Tensor) {
        let dev = candle_core::Device::Cpu;
        let var = Var::from_tensor(&Tensor::from_slice(x, shape, &dev).unwrap()).unwrap();
        let out = f(var.as_tensor());
        let probe: Vec<f32> = (0..out.elem_count())
            .map(|i| ((i * 7 % 11) as f32 - 5.0) / 5.0)
            .collect();
        let probe = Tensor::from_slice(&probe, out.shape(), &dev).unwrap();
        let objective = |t: &Tensor| -> f64 {
            (f(t) * &probe)
                .unwrap()
                .sum_all()
                .unwrap()
                .to_scalar::<f32>()
                .unwrap() as f64
        };
        let grads = (out * &probe)
            .unwrap()
            .sum_all()
            .unwrap()
            .backward()
            .unwrap();
        let analytic = grads
            .get(var.as_tensor())
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1::<f32>()
            .unwrap();
        let h = 1e-2f32;
        for i in 0..x.len() {
            let mut plus = x.to_vec();
            plus[i] += h;
            let mut minus = x.to_vec();
            minus[i] -= h;
            let fp = objective(&Tensor::from_slice(&plus, shape, &dev).unwrap());
            let fm = objective(&Tensor::from_slice(&minus, shape, &dev).unwrap());
            let numeric = (fp - fm) / (2.0 * h as f64);
            let err = (numeric - analytic[i] as f64).abs();
            assert!(
                err < 2e-3 * (1.0 + numeric.abs()),
                "element {i}: backprop {} vs differences {numeric}",
                analytic[i]
            );
        }
    }

    /// The gradients of `Σ out · probe`: a weighted sum, so that every output element matters.
    pub fn probed_grads(out: &Tensor, probe: &Tensor) -> candle_core::backprop::GradStore {
        (out * probe)
            .unwrap()
            .sum_all()
            .unwrap()
            .backward()
            .unwrap()
    }

    /// The largest absolute value in a tensor.
    pub fn max_abs(t: &Tensor) -> f32 {
        t.abs()
            .unwrap()
            .max_all()
            .unwrap()
            .to_scalar::<f32>()
            .unwrap()
    }

    /// The largest absolute difference between two tensors of the same shape.
    pub fn max_diff(a: &Tensor, b: &Tensor) -> f32 {
        max_abs(&(a - b).unwrap())
    }
}
