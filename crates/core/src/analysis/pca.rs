//! A 2-D principal-component projection: the plane along which a cloud of feature vectors spreads
//! most, so a scatter plot shows as much of its structure as two axes can.
//!
//! The covariance matrix (`dim × dim`, in f64) is built once; its two leading eigenvectors come from
//! orthogonal (subspace) iteration, which converges at the ratio of the second and third
//! eigenvalues. Each axis's sign is fixed so that its largest component is positive, as a
//! reference computation can reproduce.

/// The projected points and how much of the variance each axis holds.
#[derive(Debug, Clone, PartialEq)]
pub struct Projection {
    /// One `[pc1, pc2]` per input row.
    pub points: Vec<[f32; 2]>,
    /// Share of the total variance along each axis (0..1).
    pub explained: [f32; 2],
}

/// Iterations of the subspace iteration at most; it stops earlier once the axes no longer move.
const MAX_ITERATIONS: usize = 500;
/// The axes have converged when no component moves by more than this between iterations.
const CONVERGED: f64 = 1e-10;
/// A cloud whose total variance is below this share of its mean squared length is flat.
const FLAT: f64 = 1e-10;

/// Projects `rows` (equal lengths, at least two rows) onto their first two principal axes.
pub fn pca_2d(rows: &[Vec<f32>]) -> Result<Projection, String> {
    let n = rows.len();
    let dim = rows.first().map_or(0, Vec::len);
    if n < 2 || dim < 2 {
        return Err(format!(
            "a projection needs at least 2 vectors of at least 2 values (got {n} of {dim})"
        ));
    }
    if rows.iter().any(|r| r.len() != dim) {
        return Err("the feature vectors differ in length".into());
    }
    if rows.iter().flatten().any(|v| !v.is_finite()) {
        return Err("a feature vector holds a value that is not a number".into());
    }
    let mut mean = vec![0f64; dim];
    for row in rows {
        for (m, &v) in mean.iter_mut().zip(row) {
            *m += v as f64 / n as f64;
        }
    }
    let centred: Vec<Vec<f64>> = rows
        .iter()
        .map(|r| r.iter().zip(&mean).map(|(&v, m)| v as f64 - m).collect())
        .collect();
    let mut cov = vec![0f64; dim * dim];
    for row in &centred {
        for i in 0..dim {
            let (ri, line) = (row[i], &mut cov[i * dim..(i + 1) * dim]);
            for (c, rj) in line[i..].iter_mut().zip(&row[i..]) {
                *c += ri * rj;
            }
        }
    }
    for i in 0..dim {
        for j in i..dim {
            let v = cov[i * dim + j] / (n - 1) as f64;
            cov[i * dim + j] = v;
            cov[j * dim + i] = v;
        }
    }
    let total: f64 = (0..dim).map(|i| cov[i * dim + i]).sum();
    // Spread this small against the vectors' own size is rounding, not structure (e.g. every
    // text's [CLS] vector at the embeddings is the same): a flat cloud, all points at the centre.
    let size: f64 = rows
        .iter()
        .flatten()
        .map(|&v| (v as f64) * (v as f64))
        .sum::<f64>()
        / n as f64;
    if total <= FLAT * size.max(f64::MIN_POSITIVE) {
        return Ok(Projection {
            points: vec![[0.0, 0.0]; n],
            explained: [0.0, 0.0],
        });
    }
    let axes = leading_eigenvectors(&cov, dim);
    let variance = |axis: &[f64]| -> f64 {
        let product = multiply(&cov, dim, axis);
        axis.iter().zip(&product).map(|(a, b)| a * b).sum()
    };
    let explained = [
        (variance(&axes[0]) / total) as f32,
        (variance(&axes[1]) / total) as f32,
    ];
    let dot = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f64>();
    let points = centred
        .iter()
        .map(|r| [dot(r, &axes[0]) as f32, dot(r, &axes[1]) as f32])
        .collect();
    Ok(Projection { points, explained })
}

fn multiply(matrix: &[f64], dim: usize, v: &[f64]) -> Vec<f64> {
    (0..dim)
        .map(|i| {
            matrix[i * dim..(i + 1) * dim]
                .iter()
                .zip(v)
                .map(|(a, b)| a * b)
                .sum()
        })
        .collect()
}

/// The two leading eigenvectors of the symmetric `matrix`, unit length, largest component positive.
fn leading_eigenvectors(matrix: &[f64], dim: usize) -> [Vec<f64>; 2] {
    // A fixed, generic start: not orthogonal to the leading axes of any real feature cloud.
    let mut axes = [
        (0..dim)
            .map(|i| 1.0 + (i as f64 * 0.37).sin())
            .collect::<Vec<_>>(),
        (0..dim)
            .map(|i| (i as f64 * 1.71).cos())
            .collect::<Vec<_>>(),
    ];
    orthonormalise(&mut axes);
    for _ in 0..MAX_ITERATIONS {
        let mut next = [
            multiply(matrix, dim, &axes[0]),
            multiply(matrix, dim, &axes[1]),
        ];
        orthonormalise(&mut next);
        let moved = next
            .iter()
            .zip(&axes)
            .flat_map(|(a, b)| a.iter().zip(b).map(|(x, y)| (x - y).abs()))
            .fold(0f64, f64::max);
        axes = next;
        if moved < CONVERGED {
            break;
        }
    }
    for axis in &mut axes {
        let largest = axis
            .iter()
            .copied()
            .fold(0f64, |m, v| if v.abs() > m.abs() { v } else { m });
        if largest < 0.0 {
            axis.iter_mut().for_each(|v| *v = -*v);
        }
    }
    axes
}

/// Gram–Schmidt on the two vectors. A second vector that vanishes (the matrix has rank one) is
/// replaced by the unit axis least aligned with the first, made orthogonal to it.
fn orthonormalise(axes: &mut [Vec<f64>; 2]) {
    fn normalise(v: &mut [f64]) -> bool {
        let n = v.iter().map(|x| x * x).sum::<f64>().sqrt();
        if n > 1e-300 {
            v.iter_mut().for_each(|x| *x /= n);
        }
        n > 1e-300
    }
    fn remove_along(v: &mut [f64], unit: &[f64]) {
        let along: f64 = unit.iter().zip(v.iter()).map(|(a, b)| a * b).sum();
        v.iter_mut().zip(unit).for_each(|(b, a)| *b -= along * a);
    }
    let [first, second] = axes;
    if !normalise(first) {
        first
            .iter_mut()
            .enumerate()
            .for_each(|(i, x)| *x = f64::from(i == 0));
    }
    remove_along(second, first);
    if !normalise(second) {
        let least = (0..first.len())
            .min_by(|&a, &b| first[a].abs().total_cmp(&first[b].abs()))
            .unwrap_or(0);
        second
            .iter_mut()
            .enumerate()
            .for_each(|(i, x)| *x = f64::from(i == least));
        remove_along(second, first);
        normalise(second);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Points spread along known, orthogonal directions of a 5-D space, with set variances.
    fn cloud() -> (Vec<Vec<f32>>, [Vec<f64>; 2]) {
        let s = 0.5f64.sqrt();
        let u = vec![s, s, 0.0, 0.0, 0.0];
        let v = vec![0.0, 0.0, 0.6, 0.8, 0.0];
        let w = [s, -s, 0.0, 0.0, 0.0];
        let rows = (0..200)
            .map(|k| {
                let t = k as f64 / 200.0 * std::f64::consts::TAU;
                // Spreads 9, 4 and 1 along u, v and w (amplitudes 3√2, 2√2, √2 on a circle).
                let (a, b, c) = (
                    3.0 * 2f64.sqrt() * t.cos(),
                    2.0 * 2f64.sqrt() * t.sin(),
                    2f64.sqrt() * (3.0 * t).cos(),
                );
                (0..5)
                    .map(|i| (10.0 + a * u[i] + b * v[i] + c * w[i]) as f32)
                    .collect()
            })
            .collect();
        (rows, [u, v])
    }

    #[test]
    fn finds_the_directions_of_largest_spread_and_their_share() {
        let (rows, [u, v]) = cloud();
        let p = pca_2d(&rows).unwrap();
        // Variances 9, 4, 1 (sample variance: × n/(n-1)) → shares 9/14 and 4/14.
        assert!(
            (p.explained[0] - 9.0 / 14.0).abs() < 1e-3,
            "{:?}",
            p.explained
        );
        assert!(
            (p.explained[1] - 4.0 / 14.0).abs() < 1e-3,
            "{:?}",
            p.explained
        );
        // Each point's coordinates are its centred offsets along u and v (up to the axis sign).
        for (row, point) in rows.iter().zip(&p.points) {
            let centred: Vec<f64> = row.iter().map(|&x| x as f64 - 10.0).collect();
            for (axis, got) in [&u, &v].into_iter().zip(point) {
                let want: f64 = centred.iter().zip(axis).map(|(a, b)| a * b).sum();
                assert!(
                    (want.abs() - got.abs() as f64).abs() < 1e-3,
                    "{want} vs {got}"
                );
            }
        }
    }

    #[test]
    fn the_projection_is_centred_and_its_axes_uncorrelated() {
        let (rows, _) = cloud();
        let p = pca_2d(&rows).unwrap();
        let n = p.points.len() as f64;
        let mean = |k: usize| p.points.iter().map(|q| q[k] as f64).sum::<f64>() / n;
        assert!(mean(0).abs() < 1e-4 && mean(1).abs() < 1e-4);
        let covariance: f64 = p
            .points
            .iter()
            .map(|q| q[0] as f64 * q[1] as f64)
            .sum::<f64>()
            / n;
        assert!(covariance.abs() < 1e-3, "{covariance}");
    }

    #[test]
    fn bad_input_is_refused_with_a_reason() {
        assert!(pca_2d(&[vec![1.0, 2.0]])
            .unwrap_err()
            .contains("at least 2"));
        assert!(pca_2d(&[vec![1.0, 2.0], vec![1.0]])
            .unwrap_err()
            .contains("length"));
        assert!(pca_2d(&[vec![1.0, f32::NAN], vec![1.0, 2.0]])
            .unwrap_err()
            .contains("not a number"));
        // Identical points, or points apart by rounding only: no spread, no share, but a
        // projection all the same.
        let flat = pca_2d(&vec![vec![1.0, 2.0, 3.0]; 4]).unwrap();
        assert_eq!(flat.explained, [0.0, 0.0]);
        assert!(flat.points.iter().all(|p| p == &[0.0, 0.0]));
        let rounding: Vec<Vec<f32>> = (0..4)
            .map(|i| vec![1.0 + i as f32 * 1e-7, 2.0, 3.0 - i as f32 * 1e-7])
            .collect();
        assert_eq!(pca_2d(&rounding).unwrap().explained, [0.0, 0.0]);
    }

    #[test]
    fn a_cloud_on_one_line_has_one_axis_and_shares_that_add_up() {
        let line: Vec<Vec<f32>> = (0..10)
            .map(|i| vec![i as f32, 2.0 * i as f32, 0.0])
            .collect();
        let p = pca_2d(&line).unwrap();
        assert!((p.explained[0] - 1.0).abs() < 1e-5, "{:?}", p.explained);
        assert!(p.explained[1].abs() < 1e-5, "{:?}", p.explained);
    }
}
