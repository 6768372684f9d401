//! Which positions become targets.
//!
//! Exact count, not per-token Bernoulli: each sequence gets `rate * candidates` targets, rounded
//! *stochastically* (up with probability equal to the fractional part). Per-token Bernoulli (Hugging
//! Face's collator) has the right mean but lets one short sentence show 0 or 4 targets across epochs,
//! which makes the lab's grid noisy. BERT's `max(1, round(rate * n))` overshoots on short sequences
//! (10 tokens at 15 % gives 2 = 20 %, 3 tokens give 33 %), so measured rates would not converge to
//! the configured one. Stochastic rounding keeps the count within one of `rate * n` and makes its
//! expectation exactly `rate * n`, for any sequence length; the price is that a sequence with
//! `rate * n < 1` sometimes has no target, which a batch of several sequences absorbs.

use std::ops::Range;

use rand::Rng;

/// `x` rounded down or up, up with probability `x - floor(x)`; the expectation is `x`.
fn stochastic_round(x: f64, rng: &mut impl Rng) -> usize {
    let floor = x.floor();
    floor as usize + usize::from(rng.random::<f64>() < x - floor)
}

/// A uniform index below `n` (n > 0), drawn as u64 so that native and wasm32 draw the same numbers.
pub(crate) fn index_below(n: usize, rng: &mut impl Rng) -> usize {
    rng.random_range(0..n as u64) as usize
}

/// Selects targets among `units` (single tokens, or the pieces of one word) so that the expected
/// number of selected tokens is `rate * (tokens in all units)`.
///
/// Units are visited in a uniformly random order (a lazy Fisher-Yates shuffle) and taken while they
/// fit the token budget. The first unit that would overshoot is taken with probability
/// `remaining / unit length`, then selection stops: that adds `remaining` tokens in expectation, so
/// whole-word masking keeps the configured rate in expectation although words never split. With
/// single-token units nothing overshoots and the count is exact.
///
/// Returns a flag per position (`len` positions).
pub(crate) fn select(
    mut units: Vec<Range<usize>>,
    len: usize,
    rate: f64,
    rng: &mut impl Rng,
) -> Vec<bool> {
    let candidates: usize = units.iter().map(|u| u.len()).sum();
    let budget = stochastic_round(rate * candidates as f64, rng).min(candidates);
    let mut selected = vec![false; len];
    let mut taken = 0;
    for i in 0..units.len() {
        if taken == budget {
            break;
        }
        let j = i + index_below(units.len() - i, rng);
        units.swap(i, j);
        let unit = units[i].clone();
        let remaining = budget - taken;
        if unit.len() > remaining {
            if rng.random::<f64>() * unit.len() as f64 >= remaining as f64 {
                break;
            }
            // Taken as the last unit, overshooting the budget by less than one word.
            selected[unit].fill(true);
            break;
        }
        taken += unit.len();
        selected[unit].fill(true);
    }
    selected
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn stochastic_rounding_has_the_right_mean() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let n = 200_000;
        let sum: usize = (0..n).map(|_| stochastic_round(1.3, &mut rng)).sum();
        let mean = sum as f64 / n as f64;
        // Each draw is 1 or 2 with p = 0.3: sd of the mean = sqrt(0.21 / n) ≈ 0.001; allow 5 sd.
        assert!(
            (mean - 1.3).abs() < 5.0 * (0.21f64 / n as f64).sqrt(),
            "{mean}"
        );
        assert_eq!(stochastic_round(4.0, &mut rng), 4);
    }

    #[test]
    fn token_units_give_the_exact_count() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let units: Vec<_> = (0..20).map(|p| p..p + 1).collect();
        for _ in 0..100 {
            // 0.25 * 20 = 5 exactly: no rounding draw can change it.
            let picked = select(units.clone(), 20, 0.25, &mut rng);
            assert_eq!(picked.iter().filter(|&&s| s).count(), 5);
        }
        assert!(select(units.clone(), 20, 1.0, &mut rng).iter().all(|&s| s));
        assert!(!select(units, 20, 0.0, &mut rng).iter().any(|&s| s));
    }
}
