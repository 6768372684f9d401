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
