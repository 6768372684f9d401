//! The wasm32-only kernels against candle's composed ops, in headless Chromium: shapes with every
//! remainder the tiles have (rows not a multiple of the tile's, columns not a multiple of four,
//! a contraction not a multiple of four lanes) and the default model's own.
#![cfg(target_arch = "wasm32")]

use bertlab_core::model::fused::{linear, with_composed_ops};
use candle_core::{Device, Tensor};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn values(n: usize, seed: usize) -> Vec<f32> {
    (0..n)
        .map(|i| (((i as u64 * 7919 + seed as u64 * 104_729) % 1000) as f32 - 500.0) / 400.0)
        .collect()
}

/// Relative to the largest output, as float sums in another order differ by a few ulps of it.
const TOLERANCE: f32 = 1e-5;

#[wasm_bindgen_test]
fn the_linear_kernel_matches_the_composed_matmul() {
    let dev = Device::Cpu;
    for (m, k, n) in [
        (1, 1, 1),
        (2, 3, 5),
        (3, 4, 4),
        (4, 7, 9),
        (5, 33, 6),
        (17, 384, 384),
        (16, 384, 1536),
        (13, 1536, 384),
        (2, 384, 30_522),
    ] {
        let x = Tensor::from_slice(&values(m * k, 1), (m, k), &dev).unwrap();
        let w = Tensor::from_slice(&values(n * k, 2), (n, k), &dev).unwrap();
        let b = Tensor::from_slice(&values(n, 3), n, &dev).unwrap();
        let ours = linear(&x, &w, &b).unwrap();
        let theirs = with_composed_ops(|| linear(&x, &w, &b)).unwrap();
        let scale = theirs
            .abs()
            .unwrap()
            .max_all()
            .unwrap()
            .to_scalar::<f32>()
            .unwrap();
        let diff = (&ours - &theirs)
            .unwrap()
            .abs()
            .unwrap()
            .max_all()
            .unwrap()
            .to_scalar::<f32>()
            .unwrap();
        assert!(
            diff <= TOLERANCE * scale.max(1.0),
            "{m}×{k} · ({n}×{k})ᵀ: off by {diff} (largest output {scale})"
        );
    }
}
