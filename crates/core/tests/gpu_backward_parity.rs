//! The GPU training kernels (crates/core/src/gpu/backward) against candle's autograd on the CPU,
//! natively on Debian's lavapipe: every gradient, the loss and the AdamW update, on seeded random
//! inputs at sizes that are not multiples of the kernels' tiles and at a BERT-ish size. The cases
//! live in `gpu_backward_support/cases.rs`; `wasm_gpu_backward.rs` runs them in headless Chromium.
//! Run with `--nocapture --test-threads 1` for the per-kernel table.

#![cfg(not(target_arch = "wasm32"))]

mod gpu_backward_support;

use gpu_backward_support::{cases, gpu};

macro_rules! on_lavapipe {
    ($($case:ident),* $(,)?) => {$(
        #[test]
        fn $case() {
            pollster::block_on(async { cases::$case(&gpu().await).await })
        }
    )*};
}

on_lavapipe!(
    linear_layer_gradients_match_autograd,
    activation_derivatives_match_autograd,
    layer_norm_gradients_match_autograd,
    softmax_gradient_matches_autograd_and_skips_padding,
    attention_gradients_through_the_batched_matmul_match_autograd,
    embedding_gradient_scatter_adds_like_index_select_backward,
    cross_entropy_matches_candle_at_labelled_rows,
    adamw_steps_match_the_cpu_optimizer
);
