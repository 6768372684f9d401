//! The fill-mask forward and the batched eval forward timed in headless Chromium (wasm32, one
//! thread, as in the lab's worker): the quick loop for work on the wasm kernels, `cargo test --release --target
//! wasm32-unknown-unknown -p bertlab-core --test forward_speed_wasm`. Not part of `make test`: it
//! measures and asserts nothing beyond the work succeeding; `make bench-peer` is the comparison.
#![cfg(target_arch = "wasm32")]

use bertlab_core::gpu::bench::{bench_input, time_cpu, CpuForward, BENCH_SEQ_LENS};
use bertlab_core::model::{EncoderConfig, EncoderInput, Loaded, MaskedLm};
use candle_core::{Device, Tensor};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const DEFAULT_CONFIG: &[u8] = include_bytes!("../../../models/bertlab-minilm-mlm/config.json");

fn now() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or_else(js_sys::Date::now, |p| p.now())
}

/// The default model's shape with random weights: timing does not depend on the weights' values.
fn default_shaped_model() -> (EncoderConfig, MaskedLm) {
    let config = EncoderConfig::from_hf_json(DEFAULT_CONFIG).expect("the default model's config");
    let model = Loaded::<MaskedLm>::random(&config, 0, &Device::Cpu)
        .expect("a model of the default shape")
        .model;
    (config, model)
}

#[wasm_bindgen_test]
fn forward_latency_in_the_browser() {
    let (config, model) = default_shaped_model();
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

/// The batched eval forward the frozen fine-tuning runs and the probes make: 32 rows of 45 tokens
/// (a span-QA question with its message), the encoder alone, and each of its linear layers' shapes
/// on their own.
#[wasm_bindgen_test]
fn batched_eval_forward_in_the_browser() {
    let (config, model) = default_shaped_model();
    let (rows, seq) = (32, 45);
    let ids: Vec<Vec<u32>> = (0..rows as u32)
        .map(|r| {
            (0..seq as u32)
                .map(|i| 1000 + (r * 31 + i * 7919) % 29000)
                .collect()
        })
        .collect();
    let input =
        EncoderInput::from_rows(&ids, None, config.pad_token_id, &Device::Cpu).expect("input");
    let ms = time_cpu(&model, &input, CpuForward::Encoder, 5, f64::INFINITY, &now)
        .expect("encoder forward");
    let (h, i) = (config.hidden_size, config.intermediate_size);
    // f64: wasm32's usize overflows at these counts
    let macs_per_token = (config.num_hidden_layers * (4 * h * h + 2 * h * i)) as f64;
    let gflop = 2.0 * (rows * seq) as f64 * macs_per_token / 1e9;
    console_log!(
        "wasm batched eval forward {rows} × {seq}: {ms:.1} ms, {:.1} GFLOP/s counting the linear layers' products",
        gflop / (ms / 1e3)
    );
    let tokens = rows * seq;
    let activations = Tensor::randn(0f32, 1., (tokens, i), &Device::Cpu).expect("activations");
    let best = (0..5)
        .map(|_| {
            let started = now();
            bertlab_core::model::fused::gelu_erf(&activations).expect("GELU");
            now() - started
        })
        .fold(f64::MAX, f64::min);
    console_log!(
        "wasm GELU over {tokens}x{i}: {:.2} ns per element",
        best * 1e6 / (tokens * i) as f64
    );
    for (k, n) in [(h, i), (h, h), (i, h), (h, 3 * h), (h, h)] {
        let x = Tensor::randn(0f32, 1., (tokens, k), &Device::Cpu).expect("x");
        let w = Tensor::randn(0f32, 0.02, (n, k), &Device::Cpu).expect("w");
        let b = Tensor::zeros(n, candle_core::DType::F32, &Device::Cpu).expect("b");
        let best = (0..5)
            .map(|_| {
                let started = now();
                bertlab_core::model::fused::linear(&x, &w, &b).expect("linear");
                now() - started
            })
            .fold(f64::MAX, f64::min);
        console_log!(
            "wasm linear forward {tokens}x{k}->{n}: {:.1} GFLOP/s",
            2.0 * (tokens * k) as f64 * n as f64 / best / 1e6
        );
    }
}
