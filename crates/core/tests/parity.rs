//! Parity with Hugging Face `transformers`: every fixture in `tests/fixtures/parity/` (written by
//! `scripts/parity/make_fixtures.py`) is loaded with our checkpoint loader and run with every internal
//! requested; embeddings, hidden states, attention probabilities, the pooled output and each head's
//! logits must match HF's within `support::TOLERANCE` (1e-4), in eval mode and in the differentiable
//! `Mode::Grad` (the path training takes, dropout off). Run with `--nocapture` to see the max diff per
//! tensor. The tokenizer case compares our encoding of sentences and pairs with HF's fast tokenizer.

#![cfg(not(target_arch = "wasm32"))]

#[path = "parity_support/mod.rs"]
mod support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use bertlab_core::model::{Checkpoint, Mode};
use bertlab_core::text::tokenizer::{EncodeOptions, Tokenizer};
use support::{Fixture, Head, TOLERANCE};

fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

fn fixtures() -> PathBuf {
    root().join("tests/fixtures/parity")
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (regenerate with scripts/parity/make_fixtures.py)",
            path.display()
        )
    })
}

/// Runs one model folder against one reference in both dropout-free modes and fails with the whole
/// per-tensor table when anything is off.
fn check(name: &str, model_dir: &Path, reference: &Path, head: Head) {
    let config_json = read(&model_dir.join("config.json"));
    let weights = read(&model_dir.join("model.safetensors"));
    let reference = read(reference);
    let fixture = Fixture {
        name,
        head,
        config_json: &config_json,
        weights: &weights,
        reference: &reference,
    };
    let mut failed = Vec::new();
    for mode in [Mode::Eval, Mode::Grad] {
        let report = support::run(&fixture, mode).unwrap_or_else(|e| panic!("{name}: {e}"));
        println!(
            "{}  worst max|diff| {:.3e}\n",
            report.render(),
            report.worst()
        );
        if !report.passed() {
            failed.push(report.render());
        }
    }
    assert!(
        failed.is_empty(),
        "{name} differs from transformers (tolerance {TOLERANCE:e}):\n{}",
        failed.join("\n")
    );
}

/// The tiny random fixtures: folder name (model files and reference.safetensors together) and the HF
/// class they were saved from.
macro_rules! tiny_cases {
    ($($test:ident: $dir:literal => $head:ident,)*) => {
        $(
            #[test]
            fn $test() {
                let dir = fixtures().join($dir);
                check($dir, &dir, &dir.join("reference.safetensors"), Head::$head);
            }
        )*
        const TINY_CASES: &[&str] = &[$($dir),*];
    };
}

tiny_cases! {
    bert_masked_lm: "bert-mlm" => MaskedLm,
    bert_pretraining_mlm_nsp: "bert-pretraining" => PreTraining,
    bert_sequence_classification: "bert-seq_cls" => SeqCls,
    bert_token_classification: "bert-token_cls" => TokenCls,
    bert_question_answering: "bert-qa" => Qa,
    roberta_masked_lm: "roberta-mlm" => MaskedLm,
    roberta_sequence_classification: "roberta-seq_cls" => SeqCls,
    roberta_token_classification: "roberta-token_cls" => TokenCls,
    roberta_question_answering: "roberta-qa" => Qa,
    albert_masked_lm: "albert-mlm" => MaskedLm,
    albert_pretraining_mlm_sop: "albert-pretraining" => PreTraining,
    albert_sequence_classification: "albert-seq_cls" => SeqCls,
    albert_token_classification: "albert-token_cls" => TokenCls,
    albert_question_answering: "albert-qa" => Qa,
    distilbert_masked_lm: "distilbert-mlm" => MaskedLm,
    distilbert_sequence_classification: "distilbert-seq_cls" => SeqCls,
    distilbert_token_classification: "distilbert-token_cls" => TokenCls,
    distilbert_question_answering: "distilbert-qa" => Qa,
}

const MINILM: &str = "all-minilm-l6-v2";

/// The real all-MiniLM-L6-v2 (BertModel, f16 on disk): the reference was computed from the same f16
/// weights upcast to f32, so the tolerance stays 1e-4.
#[test]
fn all_minilm_l6_v2_matches_transformers() {
    let model_dir = root().join("models").join(MINILM);
    let checkpoint =
        Checkpoint::from_dir(&model_dir).unwrap_or_else(|e| panic!("{}: {e}", model_dir.display()));
    assert_eq!(
        checkpoint.source_dtypes(),
        ["F16"],
        "the committed MiniLM is stored in f16"
    );
    check(
        MINILM,
        &model_dir,
        &fixtures().join(MINILM).join("reference.safetensors"),
        Head::Base,
    );
}

/// A case the script wrote without a test here would silently go unchecked.
#[test]
fn every_generated_case_has_a_test() {
    let manifest: serde_json::Value =
        serde_json::from_slice(&read(&fixtures().join("cases.json"))).expect("cases.json is JSON");
    let generated: BTreeSet<&str> = manifest["cases"]
        .as_array()
        .expect("cases.json has a cases list")
        .iter()
        .map(|c| c["name"].as_str().expect("each case has a name"))
        .collect();
    let tested: BTreeSet<&str> = TINY_CASES.iter().copied().chain([MINILM]).collect();
    assert_eq!(generated, tested);
}

/// Our tokenizer wrapper against HF's fast tokenizer on the MiniLM tokenizer.json: ids, pieces, segment
/// ids and character offsets (into the text or the pair, whichever the token came from; specials
/// (0, 0)), for single sentences, pairs, accents, CJK, an unknown emoji and a truncated pair.
#[test]
fn minilm_tokenizer_matches_transformers() {
    let doc: serde_json::Value =
        serde_json::from_slice(&read(&fixtures().join("tokenizer-minilm.json")))
            .expect("tokenizer-minilm.json is JSON");
    let tok = Tokenizer::from_file(root().join(doc["tokenizer"].as_str().expect("tokenizer path")))
        .expect("MiniLM tokenizer.json loads");
    let cases = doc["cases"].as_array().expect("cases list");
    assert!(!cases.is_empty());
    let u32s = |v: &serde_json::Value| -> Vec<u32> {
        v.as_array()
            .expect("list")
            .iter()
            .map(|x| x.as_u64().expect("int") as u32)
            .collect()
    };
    for case in cases {
        let text = case["text"].as_str().expect("text");
        let pair = case["pair"].as_str();
        let max_len = case["max_length"].as_u64().map(|m| m as usize);
        let opts = EncodeOptions {
            max_len,
            ..EncodeOptions::default()
        };
        let ours = tok
            .encode(text, pair, &opts)
            .unwrap_or_else(|e| panic!("{text:?}: {e}"));
        let label = format!("{text:?} / {pair:?}");
        assert_eq!(ours.ids, u32s(&case["input_ids"]), "ids for {label}");
        assert_eq!(
            ours.type_ids,
            u32s(&case["token_type_ids"]),
            "type ids for {label}"
        );
        let pieces: Vec<&str> = case["tokens"]
            .as_array()
            .expect("tokens")
            .iter()
            .map(|t| t.as_str().expect("str"))
            .collect();
        assert_eq!(ours.pieces, pieces, "pieces for {label}");
        let offsets: Vec<(usize, usize)> = case["offsets"]
            .as_array()
            .expect("offsets")
            .iter()
            .map(|o| {
                (
                    o[0].as_u64().expect("start") as usize,
                    o[1].as_u64().expect("end") as usize,
                )
            })
            .collect();
        assert_eq!(ours.offsets, offsets, "char offsets for {label}");
        if let Some(max_len) = max_len {
            let t = ours
                .truncation
                .unwrap_or_else(|| panic!("{label}: truncation to {max_len} not reported"));
            assert_eq!((t.max_len, ours.len()), (max_len, max_len), "{label}");
            assert!(t.total_removed() > 0, "{label}: truncation removed nothing");
        }
        println!("tokenizer parity ok: {label} ({} tokens)", ours.len());
    }
}
