//! Browser half of the wasm-versus-native training benchmark (`make bench-train`): the same
//! workloads as `benches/train.rs`, timed with `performance.now()` in headless Chromium. Not part
//! of `make test`: it measures, it asserts nothing beyond the work succeeding.
#![cfg(target_arch = "wasm32")]

use bertlab_core::model::EncoderConfig;
use bertlab_core::text::tokenizer::Tokenizer;
use bertlab_core::train::bench::{
    fine_tuning, pretraining, tiny_encoder, tiny_pretraining, PretrainWorkload, TINY_STEPS,
};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const TOKENIZER: &[u8] = include_bytes!("../../../models/all-minilm-l6-v2/tokenizer.json");
const CORPUS: &str = include_str!("../../../assets/corpus/train.txt");
const SUPPORT: &[u8] = include_bytes!("../../../assets/datasets/support-intents.csv");
const DEFAULT_CONFIG: &[u8] = include_bytes!("../../../models/bertlab-minilm-mlm/config.json");
/// Updates timed on the default encoder's shape (several seconds each in wasm).
const DEFAULT_ENCODER_STEPS: usize = 3;

fn now() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or_else(js_sys::Date::now, |p| p.now())
}

#[wasm_bindgen_test]
fn training_throughput_in_the_browser() {
    let tokenizer = Tokenizer::from_bytes(TOKENIZER).expect("tokenizer");
    let pre = tiny_pretraining(&tokenizer, CORPUS, now).expect("pretraining");
    console_log!("wasm pretraining tokens/s {:.1}", pre.per_second());
    let fine = fine_tuning(
        tiny_encoder(&tokenizer),
        tokenizer.clone(),
        SUPPORT,
        TINY_STEPS,
        now,
    )
    .expect("fine-tuning");
    console_log!(
        "wasm fine-tuning examples/s {:.1}",
        fine.throughput.per_second()
    );

    let config = EncoderConfig::from_hf_json(DEFAULT_CONFIG).expect("the default model's config");
    let workload = PretrainWorkload::sixteen_by_64(config.clone());
    let pre = pretraining(&workload, &tokenizer, CORPUS, DEFAULT_ENCODER_STEPS, now)
        .expect("default-encoder pretraining");
    console_log!(
        "wasm default-encoder pretraining tokens/s {:.1}",
        pre.per_second()
    );
    let fine = fine_tuning(config, tokenizer, SUPPORT, DEFAULT_ENCODER_STEPS, now)
        .expect("default-encoder fine-tuning");
    console_log!(
        "wasm default-encoder fine-tuning examples/s {:.1} (a run at the lab's defaults: {} updates, about {:.0} s)",
        fine.throughput.per_second(),
        fine.updates_at_defaults,
        fine.seconds_at_defaults()
    );
}

/// A linear layer's forward and backward (the three products of a training step) at the default
/// encoder's shapes, our kernels against the same layer composed from candle's matmul (gemm's
/// SIMD128 path), in GFLOP/s: the best of three runs of each.
#[wasm_bindgen_test]
fn linear_layer_throughput_in_the_browser() {
    use bertlab_core::model::fused::{linear, with_composed_ops};
    use candle_core::{Device, Tensor, Var};
    let values = |n: usize, seed: usize| -> Vec<f32> {
        (0..n)
            .map(|i| ((i * 7919 + seed * 104_729) % 1000) as f32 / 1000.0 - 0.5)
            .collect()
    };
    // 16 × 64 tokens into the feed-forward and out of it, and the tied decoder at 15 % of them
    for (rows, k, n) in [(1024, 384, 1536), (1024, 1536, 384), (154, 384, 30_522)] {
        let dev = Device::Cpu;
        let x =
            Var::from_tensor(&Tensor::from_slice(&values(rows * k, 1), (rows, k), &dev).unwrap())
                .unwrap();
        let w = Var::from_tensor(&Tensor::from_slice(&values(n * k, 2), (n, k), &dev).unwrap())
            .unwrap();
        let b =
            Var::from_tensor(&Tensor::zeros(n, candle_core::DType::F32, &dev).unwrap()).unwrap();
        let step = || {
            let started = now();
            let y = linear(&x, &w, &b).unwrap();
            y.sum_all().unwrap().backward().unwrap();
            now() - started
        };
        let flops = 6.0 * (rows * k * n) as f64;
        let ours = (0..3).map(|_| step()).fold(f64::MAX, f64::min);
        let composed = (0..3)
            .map(|_| with_composed_ops(step))
            .fold(f64::MAX, f64::min);
        console_log!(
            "wasm linear {rows}x{k}->{n} forward+backward GFLOP/s ours {:.1} composed {:.1} ratio {:.2}",
            flops / ours / 1e6,
            flops / composed / 1e6,
            composed / ours
        );
    }
}
