//! The fill-mask forward timed in headless Chromium (wasm32, one thread, as in the lab's worker):
//! the quick loop for work on the wasm kernels, `cargo test --release --target
//! wasm32-unknown-unknown -p bertlab-core --test forward_speed_wasm`. Not part of `make test`: it
//! measures and asserts nothing beyond the work succeeding; `make bench-peer` is the comparison.
#![cfg(target_arch = "wasm32")]

use bertlab_core::gpu::bench::{bench_input, time_cpu, CpuForward, BENCH_SEQ_LENS};
use bertlab_core::model::{EncoderConfig, Loaded, MaskedLm};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const DEFAULT_CONFIG: &[u8] = include_bytes!("../../../models/bertlab-minilm-mlm/config.json");

fn now() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or_else(js_sys::Date::now, |p| p.now())
}

#[wasm_bindgen_test]
fn forward_latency_in_the_browser() {
    let config = EncoderConfig::from_hf_json(DEFAULT_CONFIG).expect("the default model's config");
    // Timing does not depend on the weights' values.
    let model = Loaded::<MaskedLm>::random(&config, 0, &candle_core::Device::Cpu)
        .expect("a model of the default shape")
        .model;
    for seq in BENCH_SEQ_LENS {
        let input = bench_input(&config, seq).expect("input");
        let encoder = time_cpu(&model, &input, CpuForward::Encoder, 10, f64::INFINITY, &now)
            .expect("encoder forward");
        let fill = time_cpu(
            &model,
            &input,
            CpuForward::FillMask,
            10,
            f64::INFINITY,
            &now,
        )
        .expect("fill-mask forward");
        console_log!("wasm forward {seq} tokens: encoder {encoder:.1} ms, fill-mask {fill:.1} ms");
    }
}
