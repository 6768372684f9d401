//! GELU with the exact Gaussian CDF, `x · Φ(x)`, and its derivative `Φ(x) + x · φ(x)`.
//!
//! Both need `e^{−x²/2}` once: it is φ up to a constant and, as `e^{−(x/√2)²}`, the factor erf's
//! approximation takes.

use candle_core::{CpuStorage, CustomOp1, CustomOp2, Layout, Result, Shape, Tensor};

use super::{contiguous_f32, for_row_chunks, math, reference};

const FRAC_1_SQRT_2: f32 = std::f32::consts::FRAC_1_SQRT_2;
/// 1/√(2π)
const FRAC_1_SQRT_2PI: f32 = 0.398_942_3;

/// GELU (erf form, BERT's `gelu`), differentiable.
pub fn gelu_erf(xs: &Tensor) -> Result<Tensor> {
    if reference::active() {
        return xs.gelu_erf();
    }
    xs.contiguous()?.apply_op1(Gelu)
}

/// (Φ(x), φ(x))
#[inline(always)]
fn cdf_pdf(x: f32) -> (f32, f32) {
    let g = math::exp(-0.5 * x * x);
    (
        0.5 * (1.0 + math::erf_with(x * FRAC_1_SQRT_2, g)),
        FRAC_1_SQRT_2PI * g,
    )
}

/// The passes four lanes at a time in wasm32 (see [`super::math_simd128`]); each returns how many
/// leading elements it wrote (all but the last `len % 4`), and the scalar loops do the rest.
/// Natively it writes none: LLVM vectorises the scalar loops for SSE and AVX itself.
#[cfg(target_arch = "wasm32")]
mod lanes {
    use core::arch::wasm32::*;

    use super::super::math_simd128 as math;
    use super::{FRAC_1_SQRT_2, FRAC_1_SQRT_2PI};

    /// [`super::cdf_pdf`] on four lanes.
    #[inline(always)]
    fn cdf_pdf(x: v128) -> (v128, v128) {
        let g = math::exp(f32x4_mul(f32x4_mul(f32x4_splat(-0.5), x), x));
        let erf = math::erf_with(f32x4_mul(x, f32x4_splat(FRAC_1_SQRT_2)), g);
        (
            f32x4_mul(f32x4_splat(0.5), f32x4_add(f32x4_splat(1.0), erf)),
            f32x4_mul(f32x4_splat(FRAC_1_SQRT_2PI), g),
        )
    }

    /// `out[i] = f(a[i], b[i])` over the whole groups of four.
    #[inline(always)]
    fn map2(out: &mut [f32], a: &[f32], b: &[f32], f: impl Fn(v128, v128) -> v128) -> usize {
        let whole = out.len() - out.len() % 4;
        assert!(a.len() >= whole && b.len() >= whole);
        for i in (0..whole).step_by(4) {
            // SAFETY: i + 4 ≤ whole, inside all three slices.
            unsafe {
                let (x, y) = (
                    v128_load(a.as_ptr().add(i).cast()),
                    v128_load(b.as_ptr().add(i).cast()),
                );
                v128_store(out.as_mut_ptr().add(i).cast(), f(x, y));
            }
        }
        whole
    }

    pub fn forward(ys: &mut [f32], xs: &[f32]) -> usize {
        map2(ys, xs, xs, |x, _| f32x4_mul(x, cdf_pdf(x).0))
    }

    pub fn backward(dxs: &mut [f32], xs: &[f32], dys: &[f32]) -> usize {
        map2(dxs, xs, dys, |x, dy| {
            let (cdf, pdf) = cdf_pdf(x);
            f32x4_mul(dy, f32x4_add(cdf, f32x4_mul(x, pdf)))
        })
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod lanes {
    pub fn forward(_: &mut [f32], _: &[f32]) -> usize {
        0
    }

    pub fn backward(_: &mut [f32], _: &[f32], _: &[f32]) -> usize {
        0
    }
}

struct Gelu;

impl CustomOp1 for Gelu {
    fn name(&self) -> &'static str {
        "gelu-erf"
    }

    fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> Result<(CpuStorage, Shape)> {
        let xs = contiguous_f32(storage, layout, self.name())?;
        let mut out = vec![0f32; xs.len()];
        for_row_chunks(&mut out, 1, xs.len(), |first, ys| {
            let xs = &xs[first..];
            let done = lanes::forward(ys, xs);
            for (y, &x) in ys[done..].iter_mut().zip(&xs[done..]) {
                *y = x * cdf_pdf(x).0;
            }
        });
        Ok((CpuStorage::F32(out), layout.shape().clone()))
    }

    fn bwd(&self, xs: &Tensor, _res: &Tensor, grad: &Tensor) -> Result<Option<Tensor>> {
        Ok(Some(
            xs.apply_op2_no_bwd(&grad.contiguous()?, &GeluBackward)?,
        ))
    }
}

/// (x, dy) → dx.
struct GeluBackward;

impl CustomOp2 for GeluBackward {
    fn name(&self) -> &'static str {
        "gelu-erf-backward"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let xs = contiguous_f32(s1, l1, self.name())?;
        let dys = contiguous_f32(s2, l2, self.name())?;
        let mut out = vec![0f32; xs.len()];
        for_row_chunks(&mut out, 1, xs.len(), |first, dxs| {
            let (xs, dys) = (&xs[first..], &dys[first..]);
            let done = lanes::backward(dxs, xs, dys);
            for ((dx, &x), &dy) in dxs[done..].iter_mut().zip(&xs[done..]).zip(&dys[done..]) {
                let (cdf, pdf) = cdf_pdf(x);
                *dx = dy * (cdf + x * pdf);
            }
        });
        Ok((CpuStorage::F32(out), l1.shape().clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::super::check::{gradient_matches_differences, max_diff};
    use super::*;
    use candle_core::{Device, Var};

    /// On one chunk and on a tensor large enough to be split over threads.
    #[test]
    fn agrees_with_candle_forward_and_backward() {
        for side in [20, 200] {
            let dev = Device::Cpu;
            let n = side * side;
            let vals: Vec<f32> = (0..n)
                .map(|i| (i as f32 - n as f32 / 2.0) * 16.0 / n as f32)
                .collect();
            let x =
                Var::from_tensor(&Tensor::from_slice(&vals, (side, side), &dev).unwrap()).unwrap();
            let ours = gelu_erf(&x).unwrap();
            let theirs = x.gelu_erf().unwrap();
            assert!(max_diff(&ours, &theirs) < 1e-5);
            let g1 = ours.sum_all().unwrap().backward().unwrap();
            let g2 = theirs.sum_all().unwrap().backward().unwrap();
            assert!(max_diff(g1.get(&x).unwrap(), g2.get(&x).unwrap()) < 1e-5);
        }
    }

    #[test]
    fn gradient_matches_finite_differences() {
        let vals: Vec<f32> = (0..9).map(|i| i as f32 - 4.3).collect();
        gradient_matches_differences(&vals, &[9], |x| gelu_erf(x).unwrap());
    }
}
