//! The GPU encoder (crates/core/src/gpu, wgpu on Vulkan) against candle on the CPU, natively on Debian's lavapipe:
//! every tensor the CPU path returns (embedding parts, hidden states, attention probabilities, pooled
//! output, MLM logits) within `parity::TOLERANCE` (1e-3), for the tiny fixtures of all four families
//! and for the embedded default model. Run with `--nocapture` for the per-tensor table.

#![cfg(not(target_arch = "wasm32"))]

use std::path::Path;

use bertlab_core::gpu::parity::{compare, sample_batch};
use bertlab_core::gpu::{GpuContext, GpuError, GpuMaskedLm};
use bertlab_core::model::{Checkpoint, MaskedLm};

fn context() -> GpuContext {
    pollster::block_on(GpuContext::new()).unwrap_or_else(|e| {
        panic!(
            "{e}: the GPU tests need a Vulkan adapter (apt install mesa-vulkan-drivers: lavapipe)"
        )
    })
}

fn check(ctx: &GpuContext, dir: &str, seq: usize) {
    let path = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../..")).join(dir);
    let checkpoint = Checkpoint::from_dir(&path).unwrap_or_else(|e| panic!("{dir}: {e}"));
    let model = checkpoint
        .load::<MaskedLm>(&candle_core::Device::Cpu)
        .unwrap_or_else(|e| panic!("{dir}: {e}"))
        .model;
    let gpu = pollster::block_on(GpuMaskedLm::upload(ctx, &model)).unwrap();
    let input = sample_batch(model.encoder.config(), seq).unwrap();
    let report = pollster::block_on(compare(ctx, dir, &model, &gpu, &input)).unwrap();
    println!("{}  on {}", report.render(), ctx.adapter_name());
    assert!(report.passed(), "{}", report.render());
}

#[test]
fn tiny_models_of_every_family_match_the_cpu() {
    let ctx = context();
    for family in ["bert", "roberta", "albert", "distilbert"] {
        check(&ctx, &format!("tests/fixtures/parity/{family}-mlm"), 9);
    }
    // With a pooler (tanh on the first token): the pretraining checkpoints carry one.
    for family in ["bert", "albert"] {
        check(
            &ctx,
            &format!("tests/fixtures/parity/{family}-pretraining"),
            9,
        );
    }
}

#[test]
fn the_default_model_matches_the_cpu() {
    let ctx = context();
    check(&ctx, "models/bertlab-minilm-mlm", 24);
}

#[test]
fn a_lost_device_fails_with_a_message_instead_of_a_panic() {
    let ctx = context();
    let dir = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .join("tests/fixtures/parity/bert-mlm");
    let model = Checkpoint::from_dir(&dir)
        .and_then(|c| c.load::<MaskedLm>(&candle_core::Device::Cpu))
        .unwrap()
        .model;
    let gpu = pollster::block_on(GpuMaskedLm::upload(&ctx, &model)).unwrap();
    let input = sample_batch(model.encoder.config(), 5).unwrap();
    let want = bertlab_core::model::Internals::none();
    assert!(pollster::block_on(gpu.forward(&ctx, &input, &want, &[1])).is_ok());
    ctx.lose_device();
    let err = pollster::block_on(gpu.forward(&ctx, &input, &want, &[1]))
        .expect_err("a destroyed device cannot run a forward");
    assert!(matches!(err, GpuError::DeviceLost(_)), "{err:?}");
    assert!(err.to_string().contains("lost"), "{err}");
}
