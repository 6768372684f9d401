//! Mean cross-entropy of `[n, classes]` logits against `[n]` class ids, with its backward
//! `(softmax − one_hot) / n`.
//!
//! candle-nn's composes log-softmax from six ops and their backward; for the MLM head the rows are
//! the 30,522-word vocabulary, so each of those is a pass over megabytes.

use candle_core::{bail, CpuStorage, CustomOp2, DType, Layout, Result, Shape, Tensor};

use super::{contiguous_f32, fill_rows, math, reference, row};

/// Mean over rows of `−log softmax(logits)[target]`, differentiable with respect to the logits.
pub fn cross_entropy(logits: &Tensor, targets: &Tensor) -> Result<Tensor> {
    if reference::active() {
        return reference::cross_entropy(logits, targets);
    }
    let (n, _) = logits.dims2()?;
    if targets.dims() != [n] {
        bail!(
            "cross-entropy of {n} rows against targets of shape {:?}",
            targets.dims()
        )
    }
    logits
        .contiguous()?
        .apply_op2(&targets.to_dtype(DType::U32)?.contiguous()?, CrossEntropy)?
        .reshape(())
}

struct CrossEntropy;

/// The targets as indices, each checked against the row length.
fn targets<'a>(storage: &'a CpuStorage, layout: &Layout, classes: usize) -> Result<&'a [u32]> {
    let CpuStorage::U32(data) = storage else {
        bail!("cross-entropy targets must be u32")
    };
    let Some((start, end)) = layout.contiguous_offsets() else {
        bail!("cross-entropy targets must be contiguous")
    };
    let targets = &data[start..end];
    if let Some(t) = targets.iter().find(|&&t| t as usize >= classes) {
        bail!("target {t} is not below {classes} classes")
    }
    Ok(targets)
}

/// (max, log Σ e^(x − max)) of one row.
#[inline]
fn log_sum_exp(row: &[f32]) -> (f32, f32) {
    let max = math::max(row);
    (max, math::sum_by(row, |x| math::exp(x - max)).ln())
}

impl CustomOp2 for CrossEntropy {
    fn name(&self) -> &'static str {
        "cross-entropy"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let logits = contiguous_f32(s1, l1, self.name())?;
        let (n, classes) = l1.shape().dims2()?;
        let targets = targets(s2, l2, classes)?;
        let losses = fill_rows(n, 1, logits.len(), |r, loss| {
            let x = row(logits, r, classes);
            let (max, lse) = log_sum_exp(x);
            loss[0] = max + lse - x[targets[r] as usize];
        });
        let total: f64 = losses.iter().map(|&l| l as f64).sum();
        Ok((
            CpuStorage::F32(vec![(total / n.max(1) as f64) as f32]),
            Shape::from(1),
        ))
    }

    fn bwd(
        &self,
        logits: &Tensor,
        targets: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>)> {
        let (n, _) = logits.dims2()?;
        let scale = grad.sum_all()?.to_scalar::<f32>()? / n.max(1) as f32;
        Ok((
            Some(logits.apply_op2_no_bwd(targets, &CrossEntropyBackward { scale })?),
            None,
        ))
    }
}

/// (logits, targets) → `scale · (softmax − one_hot)`.
struct CrossEntropyBackward {
    scale: f32,
}

impl CustomOp2 for CrossEntropyBackward {
    fn name(&self) -> &'static str {
        "cross-entropy-backward"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let logits = contiguous_f32(s1, l1, self.name())?;
        let (_, classes) = l1.shape().dims2()?;
        let targets = targets(s2, l2, classes)?;
        let out = fill_rows(logits.len(), classes, logits.len(), |r, g| {
            let x = row(logits, r, classes);
            let (max, lse) = log_sum_exp(x);
            let shift = max + lse;
            for (g, &x) in g.iter_mut().zip(x) {
                *g = self.scale * math::exp(x - shift);
            }
            g[targets[r] as usize] -= self.scale;
        });
        Ok((CpuStorage::F32(out), l1.shape().clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::super::check::{gradient_matches_differences, max_diff};
    use super::*;
    use candle_core::{Device, Var};

    /// Loss and gradient against candle-nn's composed cross-entropy, on one chunk of rows and on
    /// rows as long as a vocabulary (split over threads).
    #[test]
    fn agrees_with_candle_nn() {
        for (n, classes) in [(5, 7), (6, 30_522)] {
            let dev = Device::Cpu;
            let vals: Vec<f32> = (0..n * classes)
                .map(|i| ((i * 7919 % 1000) as f32 - 500.0) / 80.0)
                .collect();
            let x =
                Var::from_tensor(&Tensor::from_slice(&vals, (n, classes), &dev).unwrap()).unwrap();
            let t: Vec<u32> = (0..n).map(|i| (i * 31 % classes) as u32).collect();
            let t = Tensor::from_slice(&t, n, &dev).unwrap();
            let ours = cross_entropy(&x, &t).unwrap();
            let theirs = candle_nn::loss::cross_entropy(&x, &t).unwrap();
            assert!(max_diff(&ours, &theirs) < 1e-4, "{} vs {}", ours, theirs);
            let g1 = (ours * 3.0).unwrap().backward().unwrap();
            let g2 = (theirs * 3.0).unwrap().backward().unwrap();
            let d = max_diff(g1.get(&x).unwrap(), g2.get(&x).unwrap());
            // entries are at most 3/n: a difference of a few 1e-6 is f32 rounding of the two sums
            assert!(d < 5e-6, "gradient differs by {d}");
        }
    }

    #[test]
    fn gradient_matches_finite_differences() {
        let vals: Vec<f32> = (0..12).map(|i| (i as f32 * 0.71).cos() * 2.0).collect();
        let t = Tensor::new(&[3u32, 0, 2], &Device::Cpu).unwrap();
        gradient_matches_differences(&vals, &[3, 4], |x| cross_entropy(x, &t).unwrap());
    }

    #[test]
    fn a_target_out_of_range_is_an_error() {
        let x = Tensor::zeros((2, 3), DType::F32, &Device::Cpu).unwrap();
        let t = Tensor::new(&[0u32, 3], &Device::Cpu).unwrap();
        assert!(cross_entropy(&x, &t).is_err());
    }
}
