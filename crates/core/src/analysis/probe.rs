//! A linear probe: how much of a label a layer's vectors hold, read off by the simplest classifier
//! there is. Each feature is standardised with the training set's mean and standard deviation, and
//! one weight vector per class is fitted by ridge regression onto the one-hot labels (least squares
//! with an L2 penalty, a closed form, so a probe has one answer and a reference computation can
//! reproduce it); a vector gets the class whose score is highest.
//!
//! Training vectors arrive a batch at a time and only their sums are kept (in f64), so a probe over
//! tens of thousands of tokens never holds them all.

use candle_core::{Device, Tensor};

/// The ridge penalty on standardised features, relative to the number of training vectors: small
/// enough not to blur what a layer holds, large enough to keep 384 weights per class well posed on
/// a few thousand vectors.
pub const RIDGE: f64 = 1e-2;

/// Running sums of a probe's training vectors (shifted by the first batch's mean, which keeps the
/// f32 products of each batch well conditioned when a feature's mean dwarfs its spread).
#[derive(Debug, Clone)]
pub struct ProbeFit {
    dim: usize,
    classes: usize,
    count: usize,
    shift: Vec<f64>,
    sum: Vec<f64>,
    /// `Σ x xᵀ`, `dim × dim`, row-major.
    scatter: Vec<f64>,
    /// `Σ x y_cᵀ`, `dim × classes`, row-major.
    cross: Vec<f64>,
    class_counts: Vec<usize>,
}

/// A fitted probe: `class = argmax(x · weights_c + bias_c)`.
#[derive(Debug, Clone)]
pub struct LinearProbe {
    dim: usize,
    /// `dim × classes`, row-major, on the raw (unstandardised) features.
    weights: Vec<f64>,
    bias: Vec<f64>,
}

impl ProbeFit {
    pub fn new(dim: usize, classes: usize) -> ProbeFit {
        ProbeFit {
            dim,
            classes,
            count: 0,
            shift: Vec::new(),
            sum: vec![0.0; dim],
            scatter: vec![0.0; dim * dim],
            cross: vec![0.0; dim * classes],
            class_counts: vec![0; classes],
        }
    }

    /// Adds `labels.len()` vectors, `rows` holding them one after another.
    pub fn add(&mut self, rows: &[f32], labels: &[usize]) -> candle_core::Result<()> {
        let (n, d) = (labels.len(), self.dim);
        if n == 0 {
            return Ok(());
        }
        if rows.len() != n * d || labels.iter().any(|&c| c >= self.classes) {
            candle_core::bail!(
                "probe batch: {} values for {n} × {d}, or a label out of range",
                rows.len()
            );
        }
        if self.shift.is_empty() {
            self.shift = (0..d)
                .map(|j| (0..n).map(|i| rows[i * d + j] as f64).sum::<f64>() / n as f64)
                .collect();
        }
        let shifted: Vec<f32> = rows
            .iter()
            .enumerate()
            .map(|(k, &v)| (v as f64 - self.shift[k % d]) as f32)
            .collect();
        let x = Tensor::from_vec(shifted, (n, d), &Device::Cpu)?;
        let mut onehot = vec![0f32; n * self.classes];
        for (i, &c) in labels.iter().enumerate() {
            onehot[i * self.classes + c] = 1.0;
            self.class_counts[c] += 1;
        }
        let y = Tensor::from_vec(onehot, (n, self.classes), &Device::Cpu)?;
        let xt = x.t()?;
        let scatter = xt.matmul(&x)?.flatten_all()?.to_vec1::<f32>()?;
        let cross = xt.matmul(&y)?.flatten_all()?.to_vec1::<f32>()?;
        let sum = x.sum(0)?.to_vec1::<f32>()?;
        add_into(&mut self.scatter, &scatter);
        add_into(&mut self.cross, &cross);
        add_into(&mut self.sum, &sum);
        self.count += n;
        Ok(())
    }

    pub fn count(&self) -> usize {
        self.count
    }

    /// The ridge solution on standardised features, mapped back onto raw features.
    pub fn solve(&self, ridge: f64) -> Result<LinearProbe, String> {
        let (n, d, k) = (self.count as f64, self.dim, self.classes);
        if self.count == 0 {
            return Err("a probe needs training vectors".to_string());
        }
        let mean: Vec<f64> = self.sum.iter().map(|s| s / n).collect();
        // Centred second moments: Σ(x-μ)(x-μ)ᵀ/n and Σ(x-μ)(y-p)ᵀ/n.
        let mut cov = vec![0.0; d * d];
        for i in 0..d {
            for j in 0..d {
                cov[i * d + j] = self.scatter[i * d + j] / n - mean[i] * mean[j];
            }
        }
        let prior: Vec<f64> = self.class_counts.iter().map(|&c| c as f64 / n).collect();
        let scale: Vec<f64> = (0..d)
            .map(|j| {
                let sd = cov[j * d + j].max(0.0).sqrt();
                // A feature that never varies carries nothing; its weight stays 0.
                if sd > 1e-12 {
                    1.0 / sd
                } else {
                    0.0
                }
            })
            .collect();
        let mut system = vec![0.0; d * d];
        for i in 0..d {
            for j in 0..d {
                system[i * d + j] = scale[i] * cov[i * d + j] * scale[j];
            }
            system[i * d + i] += ridge;
        }
        let mut rhs = vec![0.0; d * k];
        for i in 0..d {
            for c in 0..k {
                rhs[i * k + c] = scale[i] * (self.cross[i * k + c] / n - mean[i] * prior[c]);
            }
        }
        let standardised = solve_spd(&mut system, &rhs, d, k)?;
        let weights: Vec<f64> = (0..d * k)
            .map(|ic| standardised[ic] * scale[ic / k])
            .collect();
        // The features' true mean is the shift plus the shifted mean.
        let bias = (0..k)
            .map(|c| {
                prior[c]
                    - (0..d)
                        .map(|i| (self.shift[i] + mean[i]) * weights[i * k + c])
                        .sum::<f64>()
            })
            .collect();
        Ok(LinearProbe {
            dim: d,
            weights,
            bias,
        })
    }
}

impl LinearProbe {
    pub fn classes(&self) -> usize {
        self.bias.len()
    }

    /// The class of each of the vectors in `rows`.
    pub fn predict(&self, rows: &[f32]) -> Vec<usize> {
        let k = self.classes();
        rows.chunks(self.dim)
            .map(|x| {
                let score = |c: usize| {
                    self.bias[c]
                        + x.iter()
                            .enumerate()
                            .map(|(i, &v)| v as f64 * self.weights[i * k + c])
                            .sum::<f64>()
                };
                (1..k).fold(0, |best, c| if score(c) > score(best) { c } else { best })
            })
            .collect()
    }
}

fn add_into(total: &mut [f64], batch: &[f32]) {
    for (t, &b) in total.iter_mut().zip(batch) {
        *t += b as f64;
    }
}

/// Solves `a x = b` for a symmetric positive definite `a` (`d × d`, overwritten by its Cholesky
/// factor) and `k` right-hand sides (`d × k`, row-major).
fn solve_spd(a: &mut [f64], b: &[f64], d: usize, k: usize) -> Result<Vec<f64>, String> {
    for j in 0..d {
        let mut diag = a[j * d + j];
        for p in 0..j {
            diag -= a[j * d + p] * a[j * d + p];
        }
        if diag <= 0.0 || !diag.is_finite() {
            return Err(format!(
                "the probe's system is not positive definite at row {j}"
            ));
        }
        let diag = diag.sqrt();
        a[j * d + j] = diag;
        for i in j + 1..d {
            let mut v = a[i * d + j];
            for p in 0..j {
                v -= a[i * d + p] * a[j * d + p];
            }
            a[i * d + j] = v / diag;
        }
    }
    let mut x = b.to_vec();
    for c in 0..k {
        // L y = b, then Lᵀ x = y.
        for i in 0..d {
            let mut v = x[i * k + c];
            for p in 0..i {
                v -= a[i * d + p] * x[p * k + c];
            }
            x[i * k + c] = v / a[i * d + i];
        }
        for i in (0..d).rev() {
            let mut v = x[i * k + c];
            for p in i + 1..d {
                v -= a[p * d + i] * x[p * k + c];
            }
            x[i * k + c] = v / a[i * d + i];
        }
    }
    Ok(x)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// Points of 3 classes in 5-D, separable along features 1 and 3 with an offset of 100 (the
    /// shift must keep that from costing precision), feature 4 constant.
    fn blobs(n: usize, seed: u64) -> (Vec<f32>, Vec<usize>) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let (mut rows, mut labels) = (Vec::new(), Vec::new());
        for i in 0..n {
            let c = i % 3;
            let centre = [[0.0, 0.0], [3.0, 0.0], [0.0, 3.0]][c];
            rows.extend([
                rng.random_range(-1.0..1.0f32),
                100.0 + centre[0] + rng.random_range(-0.5..0.5f32),
                rng.random_range(-1.0..1.0f32),
                centre[1] + rng.random_range(-0.5..0.5f32),
                7.0,
            ]);
            labels.push(c);
        }
        (rows, labels)
    }

    #[test]
    fn separates_classes_that_a_linear_map_can_separate() {
        let (rows, labels) = blobs(300, 1);
        let mut fit = ProbeFit::new(5, 3);
        // Uneven batches: the sums must not care how the vectors arrived.
        fit.add(&rows[..5 * 7], &labels[..7]).unwrap();
        fit.add(&rows[5 * 7..], &labels[7..]).unwrap();
        assert_eq!(fit.count(), 300);
        let probe = fit.solve(RIDGE).unwrap();
        let (test, truth) = blobs(150, 2);
        let right = probe
            .predict(&test)
            .iter()
            .zip(&truth)
            .filter(|(a, b)| a == b)
            .count();
        assert_eq!(right, 150);
    }

    #[test]
    fn matches_the_direct_ridge_solution_on_standardised_features() {
        let (rows, labels) = blobs(60, 3);
        let d = 5;
        let mut fit = ProbeFit::new(d, 3);
        fit.add(&rows, &labels).unwrap();
        let probe = fit.solve(0.5).unwrap();
        // Direct: standardise, build XᵀX/n + λI and Xᵀ(Y − p)/n, solve by Gaussian elimination.
        let n = labels.len();
        let x: Vec<Vec<f64>> = rows
            .chunks(d)
            .map(|r| r.iter().map(|&v| v as f64).collect())
            .collect();
        let mean: Vec<f64> = (0..d)
            .map(|j| x.iter().map(|r| r[j]).sum::<f64>() / n as f64)
            .collect();
        let sd: Vec<f64> = (0..d)
            .map(|j| (x.iter().map(|r| (r[j] - mean[j]).powi(2)).sum::<f64>() / n as f64).sqrt())
            .collect();
        let z: Vec<Vec<f64>> = x
            .iter()
            .map(|r| {
                (0..d)
                    .map(|j| {
                        if sd[j] > 1e-12 {
                            (r[j] - mean[j]) / sd[j]
                        } else {
                            0.0
                        }
                    })
                    .collect()
            })
            .collect();
        for c in 0..3 {
            let p = labels.iter().filter(|&&l| l == c).count() as f64 / n as f64;
            let mut m: Vec<Vec<f64>> = (0..d)
                .map(|i| {
                    let mut row: Vec<f64> = (0..d)
                        .map(|j| z.iter().map(|r| r[i] * r[j]).sum::<f64>() / n as f64)
                        .collect();
                    row[i] += 0.5;
                    let y = z
                        .iter()
                        .zip(&labels)
                        .map(|(r, &l)| r[i] * (f64::from(l == c) - p))
                        .sum::<f64>()
                        / n as f64;
                    row.push(y);
                    row
                })
                .collect();
            for col in 0..d {
                for r in 0..d {
                    if r != col {
                        let f = m[r][col] / m[col][col];
                        for cc in 0..=d {
                            m[r][cc] -= f * m[col][cc];
                        }
                    }
                }
            }
            for i in 0..d {
                let direct = m[i][d] / m[i][i] * if sd[i] > 1e-12 { 1.0 / sd[i] } else { 0.0 };
                let ours = probe.weights[i * 3 + c];
                assert!(
                    (direct - ours).abs() < 1e-4 * (1.0 + direct.abs()),
                    "w[{i}][{c}] {direct} vs {ours}"
                );
            }
        }
    }

    #[test]
    fn refuses_bad_batches_and_an_empty_fit() {
        let mut fit = ProbeFit::new(2, 2);
        assert!(fit.add(&[1.0, 2.0, 3.0], &[0, 1]).is_err());
        assert!(fit.add(&[1.0, 2.0], &[2]).is_err());
        assert!(fit.solve(RIDGE).is_err());
    }
}
