//! Adding a bias to every row, with a backward that sums the bias gradient over contiguous rows.
//!
//! `broadcast_add`'s backward reduces the gradient through candle's generic strided reduction (a
//! division and a remainder per element): after the matmuls it was the training step's largest cost.

use candle_core::{CpuStorage, CustomOp2, Layout, Result, Shape, Tensor};

use super::{contiguous_f32, for_row_chunks, reference};

/// `xs + bias` with `bias` of shape `[dim]` added to every row of `xs`'s last dimension,
/// differentiable with respect to both.
pub fn add_bias(xs: &Tensor, bias: &Tensor) -> Result<Tensor> {
    if reference::active() {
        return xs.broadcast_add(bias);
    }
    xs.contiguous()?.apply_op2(&bias.contiguous()?, AddBias)
}

struct AddBias;

fn check(layout: &Layout, bias: &[f32]) -> Result<usize> {
    let dim = layout.dims().last().copied().unwrap_or(0);
    if dim == 0 || bias.len() != dim {
        candle_core::bail!("a bias of {} added to rows of {dim}", bias.len())
    }
    Ok(dim)
}

impl CustomOp2 for AddBias {
    fn name(&self) -> &'static str {
        "add-bias"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let xs = contiguous_f32(s1, l1, self.name())?;
        let bias = contiguous_f32(s2, l2, self.name())?;
        let dim = check(l1, bias)?;
        let mut out = vec![0f32; xs.len()];
        for_row_chunks(&mut out, dim, |first, ys| {
            for (y, x) in ys
                .chunks_exact_mut(dim)
                .zip(xs[first * dim..].chunks_exact(dim))
            {
                for i in 0..dim {
                    y[i] = x[i] + bias[i];
                }
            }
        });
        Ok((CpuStorage::F32(out), l1.shape().clone()))
    }

    fn bwd(
        &self,
        _xs: &Tensor,
        bias: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>)> {
        let db = grad.contiguous()?.apply_op1_no_bwd(&SumRows {
            dim: bias.elem_count(),
        })?;
        Ok((Some(grad.clone()), Some(db)))
    }
}

/// `[…, dim]` → `[dim]`, the sum of all rows.
struct SumRows {
    dim: usize,
}

impl candle_core::CustomOp1 for SumRows {
    fn name(&self) -> &'static str {
        "sum-rows"
    }

    fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> Result<(CpuStorage, Shape)> {
        let xs = contiguous_f32(storage, layout, self.name())?;
        let mut sum = vec![0f32; self.dim];
        for row in xs.chunks_exact(self.dim) {
            sum.iter_mut().zip(row).for_each(|(s, x)| *s += x);
        }
        Ok((CpuStorage::F32(sum), Shape::from(self.dim)))
    }
}

#[cfg(test)]
mod tests {
    use super::super::check::{max_diff, probed_grads};
    use super::*;
    use candle_core::{Device, Var};

    /// On one chunk of rows and on a tensor large enough to be split over threads.
    #[test]
    fn agrees_with_broadcast_add_forward_and_backward() {
        for (rows, dim) in [(6, 4), (300, 128)] {
            let dev = Device::Cpu;
            let xv: Vec<f32> = (0..rows * dim)
                .map(|i| (i % 97) as f32 * 0.5 - 3.0)
                .collect();
            let x = Var::from_tensor(&Tensor::from_slice(&xv, (2, rows / 2, dim), &dev).unwrap())
                .unwrap();
            let bv: Vec<f32> = (0..dim).map(|i| (i % 5) as f32 * 0.75 - 1.0).collect();
            let b = Var::from_tensor(&Tensor::from_slice(&bv, dim, &dev).unwrap()).unwrap();
            let probe: Vec<f32> = (0..xv.len()).map(|i| (i % 7) as f32 - 3.0).collect();
            let probe = Tensor::from_slice(&probe, (2, rows / 2, dim), &dev).unwrap();
            let ours = add_bias(&x, &b).unwrap();
            let theirs = x.broadcast_add(&b).unwrap();
            assert_eq!(max_diff(&ours, &theirs), 0.0);
            let g1 = probed_grads(&ours, &probe);
            let g2 = probed_grads(&theirs, &probe);
            for v in [&x, &b] {
                let (a, c) = (g1.get(v).unwrap(), g2.get(v).unwrap());
                assert_eq!(a.dims(), c.dims());
                assert!(max_diff(a, c) < 1e-4);
            }
        }
    }

    #[test]
    fn a_bias_of_the_wrong_length_is_an_error() {
        let dev = Device::Cpu;
        let x = Tensor::zeros((2, 4), candle_core::DType::F32, &dev).unwrap();
        assert!(add_bias(
            &x,
            &Tensor::zeros(3, candle_core::DType::F32, &dev).unwrap()
        )
        .is_err());
    }
}
