//! Browser half of the wasm-versus-native training benchmark (`make bench-train`): the same
//! workloads as `benches/train.rs`, timed with `performance.now()` in headless Chromium. Not part
//! of `make test`: it measures, it asserts nothing beyond the work succeeding.
#![cfg(target_arch = "wasm32")]

use bertlab_core::text::tokenizer::Tokenizer;
use bertlab_core::train::bench::{fine_tuning, tiny_pretraining, TINY_STEPS};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const TOKENIZER: &[u8] = include_bytes!("../../../models/all-minilm-l6-v2/tokenizer.json");
const CORPUS: &str = include_str!("../../../assets/corpus/train.txt");
const SUPPORT: &[u8] = include_bytes!("../../../assets/datasets/support-intents.csv");

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
    let fine = fine_tuning(tokenizer, SUPPORT, TINY_STEPS, now).expect("fine-tuning");
    console_log!("wasm fine-tuning examples/s {:.1}", fine.per_second());
}
