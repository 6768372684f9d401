//! `nn.Linear` as one op, `y = x · Wᵀ + b`, with a backward that writes each gradient in its own
//! layout.
//!
//! Composed, the weight's gradient comes out of the matmul as `[in, out]` and candle's transpose
//! node adds it, element by strided element, into a zeroed `[out, in]` accumulator (for the tied MLM
//! decoder that is 11.7M elements an update), and the bias is another pass forward and a
//! broadcast reduction back. Here gemm starts from the bias rows and accumulates `x · Wᵀ` onto them,
//! and the backward computes `dW = dyᵀ · x` straight into `[out, in]`.

use candle_core::{bail, CpuStorage, CustomOp1, CustomOp3, Layout, Result, Shape, Tensor};

use super::{contiguous_f32, reference};

/// `xs · weightᵀ + bias` over the last dimension of `xs` (`weight` `[out, in]`, `bias` `[out]`),
/// differentiable with respect to all three.
pub fn linear(xs: &Tensor, weight: &Tensor, bias: &Tensor) -> Result<Tensor> {
    if reference::active() {
        return reference::linear(xs, weight, bias);
    }
    let dims = xs.dims();
    let Some((&k, lead)) = dims.split_last() else {
        bail!("a linear layer over a scalar")
    };
    let rows = lead.iter().product::<usize>();
    let y = xs.contiguous()?.reshape((rows, k))?.apply_op3(
        &weight.contiguous()?,
        &bias.contiguous()?,
        Linear,
    )?;
    let mut out = lead.to_vec();
    out.push(weight.dim(0)?);
    y.reshape(out)
}

struct Linear;

impl CustomOp3 for Linear {
    fn name(&self) -> &'static str {
        "linear"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
        s3: &CpuStorage,
        l3: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let xs = contiguous_f32(s1, l1, self.name())?;
        let w = contiguous_f32(s2, l2, self.name())?;
        let b = contiguous_f32(s3, l3, self.name())?;
        let (rows, k) = l1.shape().dims2()?;
        let (n, wk) = l2.shape().dims2()?;
        if wk != k || b.len() != n {
            bail!(
                "linear: input of {k} features, weight {:?}, bias of {}",
                l2.dims(),
                b.len()
            )
        }
        // every row starts as the bias; x · Wᵀ is added onto it
        let mut out: Vec<f32> = Vec::with_capacity(rows * n);
        for _ in 0..rows {
            out.extend_from_slice(b);
        }
        #[cfg(target_arch = "wasm32")]
        if own_kernel(k, n) {
            super::simd128::matmul_nt(xs, w, &mut out, rows, n, k);
            return Ok((CpuStorage::F32(out), Shape::from((rows, n))));
        }
        // SAFETY: out is rows × n, xs rows × k and w n × k, all contiguous row-major, and the
        // strides below stay inside them: dst (i, j) = i·n + j, lhs (i, p) = i·k + p, and rhs (p, j)
        // is Wᵀ, read from w as j·k + p.
        unsafe {
            gemm::gemm(
                rows,
                n,
                k,
                out.as_mut_ptr(),
                1,
                n as isize,
                true,
                xs.as_ptr(),
                1,
                k as isize,
                w.as_ptr(),
                k as isize,
                1,
                1.0,
                1.0,
                false,
                false,
                false,
                parallelism(),
            )
        }
        Ok((CpuStorage::F32(out), Shape::from((rows, n))))
    }

    fn bwd(
        &self,
        xs: &Tensor,
        w: &Tensor,
        _b: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let grad = grad.contiguous()?;
        let db = grad.apply_op1_no_bwd(&SumRows)?;
        #[cfg(target_arch = "wasm32")]
        if own_kernel(w.dim(1)?, w.dim(0)?) {
            let dx = grad.apply_op2_no_bwd(w, &Product::InputGrad)?;
            let dw = grad.apply_op2_no_bwd(xs, &Product::WeightGrad)?;
            return Ok((Some(dx), Some(dw), Some(db)));
        }
        let (dx, dw) = (grad.matmul(w)?, grad.t()?.matmul(xs)?);
        Ok((Some(dx), Some(dw), Some(db)))
    }
}

/// Whether a layer of `k` inputs and `n` outputs runs on our SIMD128 kernels ([`super::simd128`]): in
/// wasm, and only for layers at least [`OWN_KERNEL_MIN_WIDTH`] wide both ways. gemm packs its
/// operands with scalar code, which a wide layer's product pays for many times over, but on narrow
/// ones (the pretraining lab's 32 × 64 encoder) its packed tiles win: in Chromium here our kernel
/// ran a 32-wide layer at 17 GFLOP/s against gemm's 21, and the backward's transposes cost the
/// tiny encoder 7–9 % of its training speed.
#[cfg(target_arch = "wasm32")]
fn own_kernel(k: usize, n: usize) -> bool {
    k >= OWN_KERNEL_MIN_WIDTH && n >= OWN_KERNEL_MIN_WIDTH
}

#[cfg(target_arch = "wasm32")]
const OWN_KERNEL_MIN_WIDTH: usize = 128;

/// The backward's two products through our SIMD128 kernel: `dy · W` for the input and `dyᵀ · x`
/// for the weight. The kernel reads both operands along the contraction, so each gets transposed
/// first (a fraction of the product's time on the layers [`own_kernel`] picks).
#[cfg(target_arch = "wasm32")]
enum Product {
    /// `dy` `[rows, n]` · `W` `[n, k]` → `[rows, k]`.
    InputGrad,
    /// `dyᵀ` · `x` `[rows, k]` → `[n, k]`.
    WeightGrad,
}

#[cfg(target_arch = "wasm32")]
impl candle_core::CustomOp2 for Product {
    fn name(&self) -> &'static str {
        "linear-backward"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let dy = contiguous_f32(s1, l1, self.name())?;
        let rhs = contiguous_f32(s2, l2, self.name())?;
        let (rows, n) = l1.shape().dims2()?;
        let (rhs_rows, k) = l2.shape().dims2()?;
        let depth = match self {
            Product::InputGrad => n,
            Product::WeightGrad => rows,
        };
        if rhs_rows != depth {
            bail!(
                "linear backward: gradient {:?} against {:?}",
                l1.dims(),
                l2.dims()
            )
        }
        use super::simd128::{matmul_nt, transpose};
        let (m, out) = match self {
            Product::InputGrad => {
                let mut out = vec![0f32; rows * k];
                matmul_nt(dy, &transpose(rhs, n, k), &mut out, rows, k, n);
                (rows, out)
            }
            Product::WeightGrad => {
                let mut out = vec![0f32; n * k];
                let (dyt, xt) = (transpose(dy, rows, n), transpose(rhs, rows, k));
                matmul_nt(&dyt, &xt, &mut out, n, k, rows);
                (n, out)
            }
        };
        Ok((CpuStorage::F32(out), Shape::from((m, k))))
    }
}

/// `[rows, n]` → `[n]`, the sum of the rows (the bias gradient), over contiguous rows: candle's
/// broadcast backward reduces with a division and a remainder per element.
struct SumRows;

impl CustomOp1 for SumRows {
    fn name(&self) -> &'static str {
        "sum-rows"
    }

    fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> Result<(CpuStorage, Shape)> {
        let xs = contiguous_f32(storage, layout, self.name())?;
        let (_, n) = layout.shape().dims2()?;
        let mut sum = vec![0f32; n];
        for row in xs.chunks_exact(n) {
            sum.iter_mut().zip(row).for_each(|(s, x)| *s += x);
        }
        Ok((CpuStorage::F32(sum), Shape::from(n)))
    }
}

/// Both cores natively (rayon's pool, as candle's own matmul).
#[cfg(not(target_arch = "wasm32"))]
fn parallelism() -> gemm::Parallelism {
    if rayon::current_num_threads() > 1 {
        return gemm::Parallelism::Rayon(rayon::current_num_threads());
    }
    gemm::Parallelism::None
}

/// One thread per worker.
#[cfg(target_arch = "wasm32")]
fn parallelism() -> gemm::Parallelism {
    gemm::Parallelism::None
}

#[cfg(test)]
mod tests {
    use super::super::check::{gradient_matches_differences, max_abs, max_diff, probed_grads};
    use super::*;
    use candle_core::{Device, Var};

    fn values(n: usize, seed: usize) -> Vec<f32> {
        (0..n)
            .map(|i| (((i * 7919 + seed * 104_729) % 1000) as f32 - 500.0) / 400.0)
            .collect()
    }

    /// Forward and the three gradients against `matmul` + `broadcast_add`, on a small layer and on
    /// one as wide as the default model's feed-forward (split over threads).
    #[test]
    fn agrees_with_the_composed_ops() {
        for (b, s, k, n) in [(2, 3, 5, 4), (4, 64, 384, 1536)] {
            let dev = Device::Cpu;
            let x = Var::from_tensor(
                &Tensor::from_slice(&values(b * s * k, 1), (b, s, k), &dev).unwrap(),
            )
            .unwrap();
            let w = Var::from_tensor(&Tensor::from_slice(&values(n * k, 2), (n, k), &dev).unwrap())
                .unwrap();
            let bias =
                Var::from_tensor(&Tensor::from_slice(&values(n, 3), n, &dev).unwrap()).unwrap();
            let probe = Tensor::from_slice(&values(b * s * n, 4), (b, s, n), &dev).unwrap();
            let ours = linear(&x, &w, &bias).unwrap();
            let theirs = reference::linear(&x, &w, &bias).unwrap();
            assert_eq!(ours.dims(), theirs.dims());
            let scale = |t: &Tensor| max_abs(t).max(1.0);
            assert!(max_diff(&ours, &theirs) < 1e-5 * scale(&theirs));
            let (g1, g2) = (probed_grads(&ours, &probe), probed_grads(&theirs, &probe));
            for v in [&x, &w, &bias] {
                let (a, c) = (g1.get(v).unwrap(), g2.get(v).unwrap());
                assert_eq!(a.dims(), c.dims());
                assert!(
                    max_diff(a, c) < 1e-5 * scale(c),
                    "{} (scale {})",
                    max_diff(a, c),
                    scale(c)
                );
            }
        }
    }

    #[test]
    fn input_gradient_matches_finite_differences() {
        let dev = Device::Cpu;
        let w = Tensor::from_slice(&values(12, 5), (3, 4), &dev).unwrap();
        let b = Tensor::from_slice(&values(3, 6), 3, &dev).unwrap();
        gradient_matches_differences(&values(8, 7), &[2, 4], |x| linear(x, &w, &b).unwrap());
    }

    #[test]
    fn mismatched_shapes_are_an_error() {
        let dev = Device::Cpu;
        let x = Tensor::zeros((2, 4), candle_core::DType::F32, &dev).unwrap();
        let w = Tensor::zeros((3, 5), candle_core::DType::F32, &dev).unwrap();
        let b = Tensor::zeros(3, candle_core::DType::F32, &dev).unwrap();
        assert!(linear(&x, &w, &b).is_err());
    }
}
