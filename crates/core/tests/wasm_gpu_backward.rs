//! The GPU training kernels in the browser: the cases of `gpu_backward_parity.rs` (each kernel
//! against candle's autograd on the CPU) on WebGPU in headless Chromium, where SwiftShader's
//! Vulkan runs behind Dawn (`--enable-unsafe-webgpu` in tests/harness/webdriver.json).

#![cfg(target_arch = "wasm32")]

mod gpu_backward_support;

use gpu_backward_support::{cases, gpu};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

macro_rules! on_webgpu {
    ($($case:ident),* $(,)?) => {$(
        #[wasm_bindgen_test]
        async fn $case() {
            cases::$case(&gpu().await).await
        }
    )*};
}

on_webgpu!(
    linear_layer_gradients_match_autograd,
    activation_derivatives_match_autograd,
    layer_norm_gradients_match_autograd,
    softmax_gradient_matches_autograd_and_skips_padding,
    attention_gradients_through_the_batched_matmul_match_autograd,
    embedding_gradient_scatter_adds_like_index_select_backward,
    cross_entropy_matches_candle_at_labelled_rows,
    adamw_steps_match_the_cpu_optimizer
);
