//! Softmax over the last dimension with its backward, `dx = y ⊙ (dy − Σ dy·y)`; for attention,
//! with the score scaling and the additive padding mask folded in (two fewer ops, forward and back).

use candle_core::{bail, CpuStorage, CustomOp1, CustomOp2, Layout, Result, Shape, Tensor};

use super::{contiguous_f32, fill_rows, math, reference, row};

/// `softmax(scores · scale + mask)` over the last dimension of `[b, …, k]` attention scores, with
/// `mask` additive and holding `b × k` elements (`[b, 1, 1, k]`: one row per sequence, shared by
/// its heads and queries); differentiable with respect to the scores.
pub fn attention_softmax(scores: &Tensor, mask: Option<&Tensor>, scale: f64) -> Result<Tensor> {
    if reference::active() {
        return reference::attention_softmax(scores, mask, scale);
    }
    let op = Softmax {
        scale: scale as f32,
    };
    match mask {
        Some(mask) => scores.contiguous()?.apply_op2(&mask.contiguous()?, op),
        None => scores.contiguous()?.apply_op1(op),
    }
}

struct Softmax {
    scale: f32,
}

fn last_dim(layout: &Layout) -> usize {
    layout.dims().last().copied().unwrap_or(1).max(1)
}

impl Softmax {
    /// `mask`, when given, is one additive row of `dim` per `rows_per_mask` rows of `xs`.
    fn rows(&self, xs: &[f32], dim: usize, mask: Option<(&[f32], usize)>) -> Vec<f32> {
        fill_rows(xs.len(), dim, xs.len(), |r, y| {
            let x = row(xs, r, dim);
            match mask {
                Some((mask, per)) => {
                    let m = row(mask, r / per, dim);
                    for i in 0..dim {
                        y[i] = x[i] * self.scale + m[i];
                    }
                }
                None => y.iter_mut().zip(x).for_each(|(y, x)| *y = x * self.scale),
            }
            let max = math::max(y);
            y.iter_mut().for_each(|y| *y = math::exp(*y - max));
            let inv = 1.0 / math::sum_by(y, |v| v);
            y.iter_mut().for_each(|y| *y *= inv);
        })
    }

    fn backward(&self, res: &Tensor, grad: &Tensor) -> Result<Tensor> {
        res.apply_op2_no_bwd(&grad.contiguous()?, &SoftmaxBackward { scale: self.scale })
    }
}

impl CustomOp1 for Softmax {
    fn name(&self) -> &'static str {
        "softmax-last-dim"
    }

    fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> Result<(CpuStorage, Shape)> {
        let xs = contiguous_f32(storage, layout, CustomOp1::name(self))?;
        let out = self.rows(xs, last_dim(layout), None);
        Ok((CpuStorage::F32(out), layout.shape().clone()))
    }

    fn bwd(&self, _xs: &Tensor, res: &Tensor, grad: &Tensor) -> Result<Option<Tensor>> {
        Ok(Some(self.backward(res, grad)?))
    }
}

impl CustomOp2 for Softmax {
    fn name(&self) -> &'static str {
        "masked-softmax-last-dim"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let xs = contiguous_f32(s1, l1, CustomOp2::name(self))?;
        let mask = contiguous_f32(s2, l2, CustomOp2::name(self))?;
        let dim = last_dim(l1);
        let batch = l1.dims().first().copied().unwrap_or(1);
        if l1.dims().len() < 2 || mask.len() != batch * dim {
            bail!(
                "attention scores {:?} with a mask of {} elements (want {batch} × {dim})",
                l1.dims(),
                mask.len()
            )
        }
        let out = self.rows(xs, dim, Some((mask, xs.len() / dim / batch)));
        Ok((CpuStorage::F32(out), l1.shape().clone()))
    }

    fn bwd(
        &self,
        _xs: &Tensor,
        _mask: &Tensor,
        res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>)> {
        Ok((Some(self.backward(res, grad)?), None))
    }
}

/// (y, dy) → dx, times the scale the scores were multiplied by.
struct SoftmaxBackward {
    scale: f32,
}

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
        let out = fill_rows(ys.len(), dim, ys.len(), |r, dx| {
            let (y, dy) = (row(ys, r, dim), row(dys, r, dim));
            let dot = math::dot(y, dy);
            for i in 0..dim {
                dx[i] = self.scale * y[i] * (dy[i] - dot);
            }
        });
        Ok((CpuStorage::F32(out), l1.shape().clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::super::check::{gradient_matches_differences, max_diff, probed_grads};
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
            let ours = attention_softmax(&x, None, 1.0).unwrap();
            let theirs = candle_nn::ops::softmax(&x, D::Minus1).unwrap();
            assert!(max_diff(&ours, &theirs) < 1e-6);
            let g1 = probed_grads(&ours, &probe);
            let g2 = probed_grads(&theirs, &probe);
            assert!(max_diff(g1.get(&x).unwrap(), g2.get(&x).unwrap()) < 1e-5);
        }
    }

    /// Scaling and the padding mask folded in: the same as scaling, adding and a softmax.
    #[test]
    fn attention_softmax_agrees_with_the_composed_ops() {
        let dev = Device::Cpu;
        let (b, h, s) = (2, 3, 5);
        let vals: Vec<f32> = (0..b * h * s * s)
            .map(|i| ((i * 13 % 17) as f32 - 8.0) / 2.0)
            .collect();
        let x = Var::from_tensor(&Tensor::from_slice(&vals, (b, h, s, s), &dev).unwrap()).unwrap();
        let mask = Tensor::new(
            &[0f32, 0., 0., f32::MIN, f32::MIN, 0., 0., 0., 0., 0.],
            &dev,
        )
        .unwrap()
        .reshape((b, 1, 1, s))
        .unwrap();
        let probe: Vec<f32> = (0..vals.len()).map(|i| (i % 3) as f32 - 1.0).collect();
        let probe = Tensor::from_slice(&probe, (b, h, s, s), &dev).unwrap();
        let scale = 0.125f64;
        let ours = attention_softmax(&x, Some(&mask), scale).unwrap();
        let theirs = candle_nn::ops::softmax(
            &(x.as_tensor() * scale)
                .unwrap()
                .broadcast_add(&mask)
                .unwrap(),
            D::Minus1,
        )
        .unwrap();
        assert!(max_diff(&ours, &theirs) < 1e-6);
        let g1 = probed_grads(&ours, &probe);
        let g2 = probed_grads(&theirs, &probe);
        assert!(max_diff(g1.get(&x).unwrap(), g2.get(&x).unwrap()) < 1e-6);
        let unmasked = attention_softmax(&x, None, scale).unwrap();
        let composed =
            candle_nn::ops::softmax(&(x.as_tensor() * scale).unwrap(), D::Minus1).unwrap();
        assert!(max_diff(&unmasked, &composed) < 1e-6);
    }

    #[test]
    fn a_mask_of_the_wrong_size_is_an_error() {
        let dev = Device::Cpu;
        let x = Tensor::zeros((2, 1, 3, 3), candle_core::DType::F32, &dev).unwrap();
        let mask = Tensor::zeros((1, 1, 1, 3), candle_core::DType::F32, &dev).unwrap();
        assert!(attention_softmax(&x, Some(&mask), 1.0).is_err());
    }

    #[test]
    fn masked_positions_get_zero_probability_and_rows_sum_to_one() {
        let dev = Device::Cpu;
        let x = Tensor::new(&[[1f32, -10000.0, 2.0], [f32::MIN, 0.0, f32::MIN]], &dev).unwrap();
        let y = attention_softmax(&x, None, 1.0)
            .unwrap()
            .to_vec2::<f32>()
            .unwrap();
        assert!(y[0][1] < 1e-30 && y[1] == vec![0.0, 1.0, 0.0]);
        assert!((y[0].iter().sum::<f32>() - 1.0).abs() < 1e-6);
    }

    #[test]
    fn gradient_matches_finite_differences() {
        let vals: Vec<f32> = (0..10).map(|i| (i as f32 * 0.37).sin()).collect();
        gradient_matches_differences(&vals, &[2, 5], |x| attention_softmax(x, None, 1.0).unwrap());
    }
}
