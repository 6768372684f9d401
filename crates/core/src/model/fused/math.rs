//! `exp` and `erf` for f32 without branches or library calls, and row reductions in independent
//! lanes, so that loops over them vectorise. (A plain `iter().sum()` over f32 stays scalar: the
//! compiler may not reorder float additions.)

pub(super) const LOG2_E: f32 = std::f32::consts::LOG2_E;
/// ln 2 split in two so that `x − n·ln 2` is exact for the `n` that occur (Cody–Waite).
pub(super) const LN_2_HI: f32 = 0.693_145_75;
pub(super) const LN_2_LO: f32 = 1.428_606_8e-6;
/// 1.5 · 2²³: adding and subtracting it rounds an f32 of magnitude < 2²² to the nearest integer.
pub(super) const ROUND: f32 = 12_582_912.0;
/// The range `exp` computes: 0 below, saturated above.
pub(super) const EXP_MIN: f32 = -87.0;
pub(super) const EXP_MAX: f32 = 88.0;
/// e^r's Taylor coefficients from r⁷ down to r⁰, in Horner's order.
pub(super) const EXP_TAYLOR: [f32; 8] = [
    1.0 / 5040.0,
    1.0 / 720.0,
    1.0 / 120.0,
    1.0 / 24.0,
    1.0 / 6.0,
    0.5,
    1.0,
    1.0,
];
/// Abramowitz & Stegun 7.1.26: `t = 1 / (1 + p·|x|)`, and a₅ … a₁ in Horner's order.
pub(super) const ERF_P: f32 = 0.327_591_1;
pub(super) const ERF_A: [f32; 5] = [
    1.061_405_4,
    -1.453_152,
    1.421_413_7,
    -0.284_496_74,
    0.254_829_6,
];

/// e^x with a relative error below 3e-7 on [−87, 88]; 0 below (a masked score's weight is exactly
/// zero) and saturating at e^88 above rather than overflowing to infinity.
#[inline(always)]
pub fn exp(x: f32) -> f32 {
    let underflow = x < EXP_MIN;
    let x = x.clamp(EXP_MIN, EXP_MAX);
    let n = (x * LOG2_E + ROUND) - ROUND;
    let r = x - n * LN_2_HI - n * LN_2_LO;
    // e^r on |r| ≤ ln2/2 by its Taylor series to r⁷ (truncation error < 6e-9)
    let p = EXP_TAYLOR[1..]
        .iter()
        .fold(EXP_TAYLOR[0], |p, &c| p * r + c);
    let e = p * f32::from_bits(((n as i32 + 127) as u32) << 23);
    if underflow {
        0.0
    } else {
        e
    }
}

/// Partial sums kept apart in a reduction: two SSE or one AVX register's worth.
const LANES: usize = 8;

/// Σ f(x) over `xs`.
#[inline(always)]
pub fn sum_by(xs: &[f32], f: impl Fn(f32) -> f32) -> f32 {
    let mut acc = [0f32; LANES];
    let chunks = xs.chunks_exact(LANES);
    let rest: f32 = chunks.remainder().iter().map(|&x| f(x)).sum();
    for c in chunks {
        for i in 0..LANES {
            acc[i] += f(c[i]);
        }
    }
    acc.iter().sum::<f32>() + rest
}

/// Σ a·b over two rows of the same length.
#[inline(always)]
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0f32; LANES];
    let (ca, cb) = (a.chunks_exact(LANES), b.chunks_exact(LANES));
    let rest: f32 = ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .map(|(a, b)| a * b)
        .sum();
    for (a, b) in ca.zip(cb) {
        for i in 0..LANES {
            acc[i] += a[i] * b[i];
        }
    }
    acc.iter().sum::<f32>() + rest
}

/// The largest element (−∞ for an empty row).
#[inline(always)]
pub fn max(xs: &[f32]) -> f32 {
    let mut acc = [f32::NEG_INFINITY; LANES];
    let chunks = xs.chunks_exact(LANES);
    let rest = chunks
        .remainder()
        .iter()
        .copied()
        .fold(f32::NEG_INFINITY, f32::max);
    for c in chunks {
        for i in 0..LANES {
            acc[i] = acc[i].max(c[i]);
        }
    }
    acc.iter().copied().fold(rest, f32::max)
}

/// erf(x) given `e^{−x²}` (which callers often need anyway), with an absolute error below 5e-7
/// (Abramowitz & Stegun 7.1.26: 1.5e-7, plus f32 rounding).
#[inline(always)]
pub fn erf_with(x: f32, exp_minus_x2: f32) -> f32 {
    let a = x.abs();
    let t = 1.0 / (1.0 + ERF_P * a);
    let poly = t * ERF_A[1..].iter().fold(ERF_A[0], |p, &c| c + t * p);
    let e = 1.0 - poly * exp_minus_x2;
    e.copysign(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lane_reductions_match_plain_ones() {
        for n in [0, 1, 7, 8, 9, 100, 1001] {
            let xs: Vec<f32> = (0..n)
                .map(|i| ((i * 37 % 101) as f32 - 50.0) / 7.0)
                .collect();
            let ys: Vec<f32> = (0..n).map(|i| ((i * 11 % 13) as f32 - 6.0) / 3.0).collect();
            let plain_sq: f64 = xs.iter().map(|&x| (x * x) as f64).sum();
            assert!((sum_by(&xs, |x| x * x) as f64 - plain_sq).abs() < 1e-4 * (1.0 + plain_sq));
            let plain_dot: f64 = xs.iter().zip(&ys).map(|(a, b)| (a * b) as f64).sum();
            assert!((dot(&xs, &ys) as f64 - plain_dot).abs() < 1e-4 * (1.0 + plain_dot.abs()));
            assert_eq!(
                max(&xs),
                xs.iter().copied().fold(f32::NEG_INFINITY, f32::max)
            );
        }
    }

    #[test]
    fn exp_matches_the_standard_library() {
        let mut worst = 0f64;
        for i in -87_000..88_000 {
            let x = i as f32 / 1000.0;
            let want = (x as f64).exp();
            worst = worst.max(((exp(x) as f64) - want).abs() / want);
        }
        assert!(worst < 3e-7, "relative error {worst}");
        assert_eq!(exp(-87.5), 0.0);
        assert_eq!(exp(f32::MIN), 0.0);
        assert!(exp(1000.0).is_finite());
    }

    #[test]
    fn erf_matches_its_series_and_limits() {
        // erf by its Maclaurin series in f64, accurate for |x| ≤ 3
        let series = |x: f64| {
            let (mut term, mut sum) = (x, x);
            for n in 1..200 {
                term *= -x * x / n as f64;
                sum += term / (2 * n + 1) as f64;
            }
            sum * 2.0 / std::f64::consts::PI.sqrt()
        };
        let mut worst = 0f64;
        for i in -3000..=3000 {
            let x = i as f32 / 1000.0;
            let got = erf_with(x, exp(-x * x)) as f64;
            worst = worst.max((got - series(x as f64)).abs());
        }
        assert!(worst < 5e-7, "absolute error {worst}");
        assert!((erf_with(6.0, exp(-36.0)) - 1.0).abs() < 1e-7);
    }
}
