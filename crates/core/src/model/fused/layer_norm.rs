//! LayerNorm over the last dimension, `y = (x − mean) / sqrt(var + eps) · w + b`, with its backward.
//!
//! The backward recomputes each row's mean and 1/σ from x rather than keeping them: a pass over a
//! row that is in cache anyway, and no extra tensors in the graph.

use candle_core::{CpuStorage, CustomOp3, Layout, Result, Shape, Tensor};

use super::{add_partials, contiguous_f32, fill_rows, for_row_chunks, math, reference, row};

/// LayerNorm of `xs` over its last dimension with weight `w` and bias `b` (both `[dim]`),
/// differentiable with respect to all three.
pub fn layer_norm(xs: &Tensor, w: &Tensor, b: &Tensor, eps: f64) -> Result<Tensor> {
    if reference::active() {
        return reference::layer_norm(xs, w, b, eps);
    }
    xs.contiguous()?.apply_op3(
        &w.contiguous()?,
        &b.contiguous()?,
        LayerNorm { eps: eps as f32 },
    )
}

struct LayerNorm {
    eps: f32,
}

/// Mean and 1/σ of one row.
#[inline]
fn moments(row: &[f32], eps: f32) -> (f32, f32) {
    let n = row.len() as f32;
    let mean = math::sum_by(row, |v| v) / n;
    let var = math::sum_by(row, |v| (v - mean) * (v - mean)) / n;
    (mean, 1.0 / (var + eps).sqrt())
}

/// The row length, which every per-feature parameter (weight, bias) must have.
fn row_dim(layout: &Layout, params: &[&[f32]]) -> Result<usize> {
    let dim = layout.dims().last().copied().unwrap_or(0);
    if dim == 0 || params.iter().any(|p| p.len() != dim) {
        candle_core::bail!(
            "layer norm over {dim} features with parameters of {:?}",
            params.iter().map(|p| p.len()).collect::<Vec<_>>()
        )
    }
    Ok(dim)
}

impl CustomOp3 for LayerNorm {
    fn name(&self) -> &'static str {
        "layer-norm"
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
        let (w, b) = (
            contiguous_f32(s2, l2, self.name())?,
            contiguous_f32(s3, l3, self.name())?,
        );
        let dim = row_dim(l1, &[w, b])?;
        let out = fill_rows(xs.len(), dim, xs.len(), |r, y| {
            let x = row(xs, r, dim);
            let (mean, rstd) = moments(x, self.eps);
            for i in 0..dim {
                y[i] = (x[i] - mean) * rstd * w[i] + b[i];
            }
        });
        Ok((CpuStorage::F32(out), l1.shape().clone()))
    }

    fn bwd(
        &self,
        xs: &Tensor,
        w: &Tensor,
        _b: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let dim = w.elem_count();
        let rows = xs.elem_count() / dim;
        // one op computes all three gradients: rows of dx, then dw, then db
        let packed =
            xs.apply_op3_no_bwd(w, &grad.contiguous()?, &LayerNormBackward { eps: self.eps })?;
        let dx = packed.narrow(0, 0, rows)?.reshape(xs.shape())?;
        let dw = packed.narrow(0, rows, 1)?.reshape(dim)?;
        let db = packed.narrow(0, rows + 1, 1)?.reshape(dim)?;
        Ok((Some(dx), Some(dw), Some(db)))
    }
}

/// (x, w, dy) → `[rows + 2, dim]`: dx, then dw and db summed over the rows.
struct LayerNormBackward {
    eps: f32,
}

impl CustomOp3 for LayerNormBackward {
    fn name(&self) -> &'static str {
        "layer-norm-backward"
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
        let dys = contiguous_f32(s3, l3, self.name())?;
        let dim = row_dim(l1, &[w])?;
        let rows = xs.len() / dim;
        let mut out = vec![0f32; xs.len() + 2 * dim];
        let (dxs, sums) = out.split_at_mut(xs.len());
        // each chunk of rows returns its partial sums [dw, db]
        let partials = for_row_chunks(dxs, dim, xs.len(), |first, dxs| {
            let mut acc = vec![0f32; 2 * dim];
            let (dw, db) = acc.split_at_mut(dim);
            let (mut xhat, mut g) = (vec![0f32; dim], vec![0f32; dim]);
            let rows_in = xs[first * dim..]
                .chunks_exact(dim)
                .zip(dys[first * dim..].chunks_exact(dim));
            for ((x, dy), dx) in rows_in.zip(dxs.chunks_exact_mut(dim)) {
                let (mean, rstd) = moments(x, self.eps);
                for i in 0..dim {
                    xhat[i] = (x[i] - mean) * rstd;
                    g[i] = dy[i] * w[i];
                    dw[i] += dy[i] * xhat[i];
                    db[i] += dy[i];
                }
                let mean_g = math::sum_by(&g, |v| v) / dim as f32;
                let mean_gx = math::dot(&g, &xhat) / dim as f32;
                for i in 0..dim {
                    dx[i] = rstd * (g[i] - mean_g - xhat[i] * mean_gx);
                }
            }
            acc
        });
        add_partials(sums, &partials);
        Ok((CpuStorage::F32(out), Shape::from((rows + 2, dim))))
    }
}

#[cfg(test)]
mod tests {
    use super::super::check::{gradient_matches_differences, max_diff, probed_grads};
    use super::*;
    use candle_core::{Device, Var};

    fn data(n: usize, seed: u32) -> Vec<f32> {
        (0..n)
            .map(|i| (((i as u32).wrapping_mul(2_654_435_761) ^ seed) % 1000) as f32 / 250.0 - 2.0)
            .collect()
    }

    /// Forward and all three gradients against the composed ops, within 1e-5, on one chunk of rows
    /// and on a tensor large enough to be split over threads.
    #[test]
    fn agrees_with_the_composed_ops() {
        for (b, s, d) in [(3, 5, 24), (4, 100, 96)] {
            let dev = Device::Cpu;
            let x = Var::from_tensor(
                &Tensor::from_slice(&data(b * s * d, 1), (b, s, d), &dev).unwrap(),
            )
            .unwrap();
            let w = Var::from_tensor(&Tensor::from_slice(&data(d, 2), d, &dev).unwrap()).unwrap();
            let bias =
                Var::from_tensor(&Tensor::from_slice(&data(d, 3), d, &dev).unwrap()).unwrap();
            let probe = Tensor::from_slice(&data(b * s * d, 4), (b, s, d), &dev).unwrap();
            let ours = layer_norm(&x, &w, &bias, 1e-12).unwrap();
            let theirs = reference::layer_norm(&x, &w, &bias, 1e-12).unwrap();
            assert!(max_diff(&ours, &theirs) < 1e-5);
            let g1 = probed_grads(&ours, &probe);
            let g2 = probed_grads(&theirs, &probe);
            for v in [&x, &w, &bias] {
                let (a, c) = (
                    g1.get(v.as_tensor()).unwrap(),
                    g2.get(v.as_tensor()).unwrap(),
                );
                assert_eq!(a.dims(), c.dims());
                // dw and db sum 400 rows: relative to their size
                let scale = c
                    .abs()
                    .unwrap()
                    .max_all()
                    .unwrap()
                    .to_scalar::<f32>()
                    .unwrap()
                    .max(1.0);
                assert!(
                    max_diff(a, c) < 1e-5 * scale,
                    "{} (scale {scale})",
                    max_diff(a, c)
                );
            }
        }
    }

    #[test]
    fn input_gradient_matches_finite_differences() {
        let dev = Device::Cpu;
        let w = Tensor::from_slice(&data(6, 5), 6, &dev).unwrap();
        let b = Tensor::from_slice(&data(6, 6), 6, &dev).unwrap();
        gradient_matches_differences(&data(12, 7), &[2, 6], |x| {
            layer_norm(x, &w, &b, 1e-5).unwrap()
        });
    }

    #[test]
    fn mismatched_weight_is_an_error() {
        let dev = Device::Cpu;
        let x = Tensor::zeros((2, 4), candle_core::DType::F32, &dev).unwrap();
        let w = Tensor::ones(3, candle_core::DType::F32, &dev).unwrap();
        assert!(layer_norm(&x, &w, &w, 1e-5).is_err());
    }
}
