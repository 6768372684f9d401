//! Softmax over the last dimension with its backward, `dx = y ⊙ (dy − Σ dy·y)`.

use candle_core::{CpuStorage, CustomOp1, CustomOp2, Layout, Result, Shape, Tensor};

use super::{contiguous_f32, for_row_chunks, math};

/// Softmax of `xs` over its last dimension, differentiable.
pub fn softmax_last_dim(xs: &Tensor) -> Result<Tensor> {
    xs.contiguous()?.apply_op1(Softmax)
}

struct Softmax;

fn last_dim(layout: &Layout) -> usize {
    layout.dims().last().copied().unwrap_or(1).max(1)
}

impl CustomOp1 for Softmax {
    fn name(&self) -> &'static str {
        "softmax-last-dim"
    }

    fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> Result<(CpuStorage, Shape)> {
        let xs = contiguous_f32(storage, layout, self.name())?;
        let dim = last_dim(layout);
        let mut out = vec![0f32; xs.len()];
        for_row_chunks(&mut out, dim, |first, ys| {
            for (x, y) in xs[first * dim..]
                .chunks_exact(dim)
                .zip(ys.chunks_exact_mut(dim))
            {
                let max = x.iter().copied().fold(f32::NEG_INFINITY, f32::max);
                let mut sum = 0f32;
                for (y, &x) in y.iter_mut().zip(x) {
                    *y = math::exp(x - max);
                    sum += *y;
                }
                let inv = 1.0 / sum;
                y.iter_mut().for_each(|y| *y *= inv);
            }
        });
        Ok((CpuStorage::F32(out), layout.shape().clone()))
    }

    fn bwd(&self, _xs: &Tensor, res: &Tensor, grad: &Tensor) -> Result<Option<Tensor>> {
        Ok(Some(
            res.apply_op2_no_bwd(&grad.contiguous()?, &SoftmaxBackward)?,
        ))
    }
}

/// (y, dy) → dx.
struct SoftmaxBackward;

impl CustomOp2 for SoftmaxBackward {
    fn name(&self) -> &'static str {
        "softmax-last-dim-backward"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let ys = contiguous_f32(s1, l1, self.name())?;
        let dys = contiguous_f32(s2, l2, self.name())?;
        let dim = last_dim(l1);
        let mut out = vec![0f32; ys.len()];
        for_row_chunks(&mut out, dim, |first, dxs| {
            let rows_in = ys[first * dim..]
                .chunks_exact(dim)
                .zip(dys[first * dim..].chunks_exact(dim));
            for ((y, dy), dx) in rows_in.zip(dxs.chunks_exact_mut(dim)) {
                let dot: f32 = y.iter().zip(dy).map(|(y, dy)| y * dy).sum();
                for i in 0..dim {
                    dx[i] = y[i] * (dy[i] - dot);
                }
            }
        });
        Ok((CpuStorage::F32(out), l1.shape().clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::super::check::{gradient_matches_differences, max_diff};
    use super::*;
    use candle_core::{Device, Var, D};

    /// On one chunk of rows and on a tensor large enough to be split over threads.
    #[test]
    fn agrees_with_candle_forward_and_backward() {
        for shape in [(2, 3, 7), (4, 16, 600)] {
            let dev = Device::Cpu;
            let n = shape.0 * shape.1 * shape.2;
            let vals: Vec<f32> = (0..n)
                .map(|i| ((i * 37 % 23) as f32 - 11.0) / 3.0)
                .collect();
            let x = Var::from_tensor(&Tensor::from_slice(&vals, shape, &dev).unwrap()).unwrap();
            let probe: Vec<f32> = (0..n).map(|i| (i % 5) as f32 - 2.0).collect();
            let probe = Tensor::from_slice(&probe, shape, &dev).unwrap();
            let ours = softmax_last_dim(&x).unwrap();
            let theirs = candle_nn::ops::softmax(&x, D::Minus1).unwrap();
            assert!(max_diff(&ours, &theirs) < 1e-6);
            let g1 = (ours * &probe)
                .unwrap()
                .sum_all()
                .unwrap()
                .backward()
                .unwrap();
            let g2 = (theirs * &probe)
                .unwrap()
                .sum_all()
                .unwrap()
                .backward()
                .unwrap();
            assert!(max_diff(g1.get(&x).unwrap(), g2.get(&x).unwrap()) < 1e-5);
        }
    }

    #[test]
    fn masked_positions_get_zero_probability_and_rows_sum_to_one() {
        let dev = Device::Cpu;
        let x = Tensor::new(&[[1f32, -10000.0, 2.0], [f32::MIN, 0.0, f32::MIN]], &dev).unwrap();
        let y = softmax_last_dim(&x).unwrap().to_vec2::<f32>().unwrap();
        assert!(y[0][1] < 1e-30 && y[1] == vec![0.0, 1.0, 0.0]);
        assert!((y[0].iter().sum::<f32>() - 1.0).abs() < 1e-6);
    }

    #[test]
    fn gradient_matches_finite_differences() {
        let vals: Vec<f32> = (0..10).map(|i| (i as f32 * 0.37).sin()).collect();
        gradient_matches_differences(&vals, &[2, 5], |x| softmax_last_dim(x).unwrap());
    }
}
