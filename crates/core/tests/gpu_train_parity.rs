//! Fine-tuning a sequence classifier on the GPU (crates/core/src/gpu/train, wgpu on Vulkan:
//! Debian's lavapipe here) against the CPU trainer (candle's autograd), dropout off on both sides:
//! one whole step's loss and every trained gradient for the four families in the full and the
//! frozen regime, the weights after that AdamW step, 50-step loss curves, the fallback to the CPU
//! after a lost device, and a run with dropout on; then the same for pretraining (masked LM with
//! NSP, SOP or alone). The cases live in `gpu_train_support/{cases,pretraining}.rs`;
//! `wasm_gpu_train.rs` runs them in headless Chromium. Run with `--nocapture --test-threads 1` for
//! the tables.

#![cfg(not(target_arch = "wasm32"))]

mod gpu_train_support;

use bertlab_core::model::Checkpoint;
use bertlab_core::text::tokenizer::Tokenizer;
use bertlab_core::train::finetune::{FinetuneConfig, Regime};
use gpu_train_support::cases::{self, check_curve, curve_runs, curves};
use gpu_train_support::{context, pretraining, without_dropout};

#[test]
fn one_step_matches_the_cpu_for_every_family_and_regime() {
    pollster::block_on(async {
        cases::one_step_matches_the_cpu_for_every_family_and_regime(&context().await).await
    })
}

#[test]
fn a_fifty_step_run_follows_the_cpu_loss_curve() {
    pollster::block_on(async {
        cases::fifty_step_runs_follow_the_cpu_loss_curve(&context().await, &curve_runs()).await
    })
}

#[test]
fn after_a_lost_device_the_cpu_goes_on_from_the_last_sync_as_if_nothing_happened() {
    pollster::block_on(async {
        cases::after_a_lost_device_the_cpu_goes_on_from_the_last_sync(&context().await).await
    })
}

#[test]
fn with_dropout_on_the_gpu_trains_like_the_cpu() {
    pollster::block_on(async {
        cases::with_dropout_on_the_gpu_trains_like_the_cpu(&context().await).await
    })
}

#[test]
fn one_pretraining_step_matches_the_cpu_for_every_family() {
    pollster::block_on(async {
        pretraining::one_pretraining_step_matches_the_cpu_for_every_family(&context().await).await
    })
}

#[test]
fn fifty_pretraining_updates_follow_the_cpu_loss_curve() {
    pollster::block_on(async {
        pretraining::fifty_pretraining_updates_follow_the_cpu_loss_curve(
            &context().await,
            &pretraining::pretraining_curve_recipes(),
        )
        .await
    })
}

#[test]
fn after_a_lost_device_pretraining_goes_on_from_the_last_sync() {
    pollster::block_on(async {
        pretraining::after_a_lost_device_pretraining_goes_on_from_the_last_sync(&context().await)
            .await
    })
}

/// The default model (MiniLM, 6 layers of 384; 45 MB, read from models/ rather than embedded):
/// 7.6 s a step on lavapipe, so 20 steps; `--ignored` runs it.
#[test]
#[ignore]
fn the_default_model_follows_the_cpu_loss_curve() {
    let dir = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../models/bertlab-minilm-mlm"
    );
    let base = without_dropout(Checkpoint::from_dir(dir).unwrap_or_else(|e| panic!("{dir}: {e}")));
    let tok =
        Tokenizer::from_bytes(&std::fs::read(format!("{dir}/tokenizer.json")).unwrap()).unwrap();
    let config = FinetuneConfig {
        regime: Regime::Full,
        epochs: 25,
        min_updates: 0,
        batch_size: 8,
        ..FinetuneConfig::default()
    };
    pollster::block_on(async {
        let c = curves(&context().await, &base, &tok, config, 20).await;
        check_curve("bertlab-minilm-mlm Full", &c);
    })
}
