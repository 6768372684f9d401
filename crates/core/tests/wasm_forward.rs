//! The same model code in wasm32, in headless Chromium: a forward pass on tiny fixtures embedded in the
//! test binary must match the Hugging Face reference within 1e-4, the bound `tests/parity.rs` holds the
//! native build to, so wasm and native agree with each other within 2e-4 at worst.
//!
//! Run: `cargo test --target wasm32-unknown-unknown --test wasm_forward` (runner: wasm-bindgen-test-runner,
//! with chromedriver; see the Makefile).

#![cfg(target_arch = "wasm32")]

#[path = "parity_support/mod.rs"]
mod support;

use bertlab_core::model::Mode;
use support::{Fixture, Head};
use wasm_bindgen_test::{console_log, wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

/// One fixture folder under tests/fixtures/parity, embedded.
macro_rules! embedded {
    ($dir:literal, $head:ident) => {
        Fixture {
            name: $dir,
            head: Head::$head,
            config_json: include_bytes!(concat!(
                "../../../tests/fixtures/parity/",
                $dir,
                "/config.json"
            )),
            weights: include_bytes!(concat!(
                "../../../tests/fixtures/parity/",
                $dir,
                "/model.safetensors"
            )),
            reference: include_bytes!(concat!(
                "../../../tests/fixtures/parity/",
                $dir,
                "/reference.safetensors"
            )),
        }
    };
}

fn assert_matches(fixture: &Fixture) {
    for mode in [Mode::Eval, Mode::Grad] {
        let report =
            support::run(fixture, mode).unwrap_or_else(|e| panic!("{}: {e}", fixture.name));
        console_log!("{}", report.render());
        assert!(report.passed(), "{}", report.render());
    }
}

/// BERT with the NSP head: erf GELU, segment embeddings, pooler, padding mask.
#[wasm_bindgen_test]
fn bert_pretraining_forward_matches_reference() {
    assert_matches(&embedded!("bert-pretraining", PreTraining));
}

/// ALBERT with the SOP head: the factorised embedding projection, the shared layer, tanh GELU.
#[wasm_bindgen_test]
fn albert_pretraining_forward_matches_reference() {
    assert_matches(&embedded!("albert-pretraining", PreTraining));
}

/// RoBERTa's position ids offset past the padding index.
#[wasm_bindgen_test]
fn roberta_masked_lm_forward_matches_reference() {
    assert_matches(&embedded!("roberta-mlm", MaskedLm));
}

/// DistilBERT's own tensor names, no segment embeddings.
#[wasm_bindgen_test]
fn distilbert_masked_lm_forward_matches_reference() {
    assert_matches(&embedded!("distilbert-mlm", MaskedLm));
}
