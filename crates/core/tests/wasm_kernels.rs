//! The wasm32-only kernels against candle's composed ops, in headless Chromium: a linear layer's
//! output and its three gradients, on layers wide enough for our kernels with every remainder their
//! tiles and transposes have (rows not a multiple of the tile's, columns not a multiple of four, a
//! contraction not a multiple of four lanes), the default model's own, and narrow ones (gemm's);
//! GELU's four-lane pass, forward and backward.
#![cfg(target_arch = "wasm32")]

use bertlab_core::model::fused::{gelu_erf, linear, with_composed_ops};
use candle_core::{Device, Tensor, Var};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn values(n: usize, seed: usize) -> Vec<f32> {
    (0..n)
        .map(|i| (((i as u64 * 7919 + seed as u64 * 104_729) % 1000) as f32 - 500.0) / 400.0)
        .collect()
}

/// Relative to the largest sum of the terms' magnitudes (`|A| · |B|`): a float sum taken in another
/// order differs by a few ulps of that, and a 30,522-term contraction's rounding grows with its
/// length, not with its result.
const TOLERANCE: f32 = 1e-5;

fn largest(t: &Tensor) -> f32 {
    t.abs()
        .unwrap()
        .max_all()
        .unwrap()
        .to_scalar::<f32>()
        .unwrap()
}

#[wasm_bindgen_test]
fn the_linear_kernels_match_the_composed_ops() {
    let dev = Device::Cpu;
    for (m, k, n) in [
        (1, 1, 1),
        (2, 3, 5),
        (3, 4, 4),
        (4, 7, 9),
        (5, 33, 6),
        (7, 20, 300),
        (1, 128, 128),
        (5, 130, 129),
        (7, 131, 258),
        (10, 129, 301),
        (17, 384, 384),
        (16, 384, 1536),
        (13, 1536, 384),
        (2, 384, 30_522),
    ] {
        let x = Var::from_tensor(&Tensor::from_slice(&values(m * k, 1), (m, k), &dev).unwrap())
            .unwrap();
        let w = Var::from_tensor(&Tensor::from_slice(&values(n * k, 2), (n, k), &dev).unwrap())
            .unwrap();
        let b = Var::from_tensor(&Tensor::from_slice(&values(n, 3), n, &dev).unwrap()).unwrap();
        let probe = Tensor::from_slice(&values(m * n, 4), (m, n), &dev).unwrap();
        let ours = linear(&x, &w, &b).unwrap();
        let theirs = with_composed_ops(|| linear(&x, &w, &b)).unwrap();
        let grads = |y: &Tensor| (y * &probe).unwrap().sum_all().unwrap().backward().unwrap();
        let (g1, g2) = (grads(&ours), grads(&theirs));
        let abs = |t: &Tensor| t.abs().unwrap();
        let magnitudes = [
            abs(&x).matmul(&abs(&w).t().unwrap()).unwrap(),
            abs(&probe).matmul(&abs(&w)).unwrap(),
            abs(&probe).t().unwrap().matmul(&abs(&x)).unwrap(),
            abs(&probe).sum(0).unwrap(),
        ];
        let mut pairs = vec![("output", ours, theirs)];
        for (name, v) in [("dx", &x), ("dW", &w), ("db", &b)] {
            pairs.push((name, g1.get(v).unwrap().clone(), g2.get(v).unwrap().clone()));
        }
        for ((name, a, c), magnitude) in pairs.into_iter().zip(magnitudes) {
            let diff = largest(&(&a - &c).unwrap());
            let scale = largest(&magnitude).max(1.0);
            assert!(
                diff <= TOLERANCE * scale,
                "{name} of {m}×{k} · ({n}×{k})ᵀ: off by {diff} (terms' magnitudes up to {scale})"
            );
        }
    }
}

/// Across GELU's whole range (both tails, where `exp` underflows and `erf` saturates, and zero), on
/// lengths that leave 0–3 elements to the scalar loop: within 1e-6 of candle's `gelu_erf` forward
/// and backward (the erf approximation's own error is below 5e-7).
#[wasm_bindgen_test]
fn gelu_by_fours_matches_the_composed_op() {
    let dev = Device::Cpu;
    for n in [1, 3, 4, 5, 6, 7, 1001] {
        let xs: Vec<f32> = (0..n)
            .map(|i| -14.0 + 28.0 * i as f32 / (n.max(2) - 1) as f32)
            .chain([0.0, -0.0, 1e-20, -60.0, 60.0])
            .collect();
        let len = xs.len();
        let x = Var::from_tensor(&Tensor::from_slice(&xs, len, &dev).unwrap()).unwrap();
        let probe = Tensor::from_slice(&values(len, 5), len, &dev).unwrap();
        let ours = gelu_erf(&x).unwrap();
        let theirs = with_composed_ops(|| gelu_erf(&x)).unwrap();
        let grads = |y: &Tensor| (y * &probe).unwrap().sum_all().unwrap().backward().unwrap();
        let (g1, g2) = (grads(&ours), grads(&theirs));
        let forward = largest(&(&ours - &theirs).unwrap());
        let backward = largest(&(g1.get(&x).unwrap() - g2.get(&x).unwrap()).unwrap());
        let scale = largest(&x).max(1.0);
        assert!(
            forward <= 1e-6 * scale && backward <= 1e-6 * scale,
            "GELU on {len} values: forward off by {forward}, backward by {backward}"
        );
    }
}
