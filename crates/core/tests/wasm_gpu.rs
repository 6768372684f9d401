//! The GPU encoder in the browser: WebGPU in headless Chromium (SwiftShader's Vulkan behind Dawn,
//! `--enable-unsafe-webgpu` in tests/harness/webdriver.json) against candle's wasm CPU path, on the
//! tiny fixtures of all four families and on a model of the default's size (random weights, so the
//! 45 MB checkpoint need not be embedded in the test binary). Tolerance: `parity::TOLERANCE` (1e-3).

#![cfg(target_arch = "wasm32")]

use bertlab_core::gpu::parity::{compare, sample_batch};
use bertlab_core::gpu::{GpuContext, GpuMaskedLm};
use bertlab_core::model::{Checkpoint, EncoderConfig, Loaded, MaskedLm};
use candle_core::Device;
use wasm_bindgen_test::{console_log, wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

async fn context() -> GpuContext {
    GpuContext::new().await.unwrap_or_else(|e| {
        panic!("{e}: Chromium needs --enable-unsafe-webgpu (tests/harness/webdriver.json)")
    })
}

async fn check(ctx: &GpuContext, name: &str, model: &MaskedLm, seq: usize) {
    let gpu = GpuMaskedLm::upload(ctx, model)
        .await
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    let input = sample_batch(model.encoder.config(), seq).unwrap();
    let report = compare(ctx, name, model, &gpu, &input)
        .await
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    console_log!("{}  on {}", report.render(), ctx.adapter_name());
    assert!(report.passed(), "{}", report.render());
}

macro_rules! fixture {
    ($dir:literal) => {
        (
            $dir,
            include_bytes!(concat!(
                "../../../tests/fixtures/parity/",
                $dir,
                "/config.json"
            ))
            .as_slice(),
            include_bytes!(concat!(
                "../../../tests/fixtures/parity/",
                $dir,
                "/model.safetensors"
            ))
            .as_slice(),
        )
    };
}

#[wasm_bindgen_test]
async fn tiny_models_of_every_family_match_the_cpu_on_webgpu() {
    let ctx = context().await;
    for (name, config, weights) in [
        fixture!("bert-mlm"),
        fixture!("roberta-mlm"),
        fixture!("albert-mlm"),
        fixture!("distilbert-mlm"),
        fixture!("bert-pretraining"),
        fixture!("albert-pretraining"),
    ] {
        let model = Checkpoint::from_bytes(config, weights)
            .and_then(|c| c.load::<MaskedLm>(&Device::Cpu))
            .unwrap_or_else(|e| panic!("{name}: {e}"))
            .model;
        check(&ctx, name, &model, 9).await;
    }
}

#[wasm_bindgen_test]
async fn a_model_of_the_defaults_size_matches_the_cpu_on_webgpu() {
    let ctx = context().await;
    let config = EncoderConfig::from_hf_json(include_bytes!(
        "../../../models/bertlab-minilm-mlm/config.json"
    ))
    .unwrap();
    let model = Loaded::<MaskedLm>::random(&config, 7, &Device::Cpu)
        .unwrap()
        .model;
    check(&ctx, "MiniLM-sized (random weights)", &model, 24).await;
}
