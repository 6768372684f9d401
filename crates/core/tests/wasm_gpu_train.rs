//! Whole-step GPU fine-tuning in the browser: the cases of `gpu_train_parity.rs` (a sequence
//! classifier trained on the GPU against the CPU trainer: one step's loss, gradients and AdamW
//! update for four families × two regimes, 50-step loss curves (two of the native three), the
//! lost-device fallback, dropout on) on WebGPU in headless Chromium, where SwiftShader's Vulkan
//! runs behind Dawn (`--enable-unsafe-webgpu` in tests/harness/webdriver.json). The fixtures are
//! embedded in the test binary (`gpu_train_support`), since the browser cannot read files. Then
//! pretraining's: one update for the four families, a 50-update curve (BERT with NSP), the fallback.

#![cfg(target_arch = "wasm32")]

mod gpu_train_support;

use gpu_train_support::cases::{self, curve_runs};
use gpu_train_support::{context, pretraining};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
async fn one_step_matches_the_cpu_for_every_family_and_regime() {
    cases::one_step_matches_the_cpu_for_every_family_and_regime(&context().await).await
}

/// BERT in full and RoBERTa frozen; ALBERT's full run (another 45–70 s on SwiftShader) only natively,
/// to keep the browser's run near 3 minutes.
#[wasm_bindgen_test]
async fn a_fifty_step_run_follows_the_cpu_loss_curve() {
    cases::fifty_step_runs_follow_the_cpu_loss_curve(&context().await, &curve_runs()[..2]).await
}

#[wasm_bindgen_test]
async fn after_a_lost_device_the_cpu_goes_on_from_the_last_sync() {
    cases::after_a_lost_device_the_cpu_goes_on_from_the_last_sync(&context().await).await
}

#[wasm_bindgen_test]
async fn with_dropout_on_the_gpu_trains_like_the_cpu() {
    cases::with_dropout_on_the_gpu_trains_like_the_cpu(&context().await).await
}

#[wasm_bindgen_test]
async fn one_pretraining_step_matches_the_cpu_for_every_family() {
    pretraining::one_pretraining_step_matches_the_cpu_for_every_family(&context().await).await
}

/// BERT with NSP: the pair head's and the tied decoder's backward along a run.
#[wasm_bindgen_test]
async fn fifty_pretraining_updates_follow_the_cpu_loss_curve() {
    let recipes = pretraining::pretraining_curve_recipes();
    pretraining::fifty_pretraining_updates_follow_the_cpu_loss_curve(
        &context().await,
        &recipes[..1],
    )
    .await
}

#[wasm_bindgen_test]
async fn after_a_lost_device_pretraining_goes_on_from_the_last_sync() {
    pretraining::after_a_lost_device_pretraining_goes_on_from_the_last_sync(&context().await).await
}
