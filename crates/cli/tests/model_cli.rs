//! The `bertlab` CLI on a tiny random *ForMaskedLM model folder: answers, tables, and clear
//! errors (non-zero exit, no panic) on bad input.

use std::path::{Path, PathBuf};
use std::process::Command;

use bertlab_core::model::{EncoderConfig, Family, Loaded, MaskedLm};
use candle_core::Device;

mod cli;
use cli::{assert_fails_with, bertlab, path, temp_dir, text};

const TOKENIZER: &str = concat!(
    concat!(env!("CARGO_MANIFEST_DIR"), "/../.."),
    "/tests/model_data/wordpiece-tokenizer.json"
);

/// A BertForMaskedLM folder: config.json, model.safetensors, tokenizer.json.
fn model_dir(name: &str) -> (PathBuf, usize) {
    let dir = temp_dir(name);
    let mut cfg = EncoderConfig::tiny(Family::Bert);
    cfg.architectures = vec!["BertForMaskedLM".into()];
    let loaded = Loaded::<MaskedLm>::random(&cfg, 7, &Device::Cpu).unwrap();
    std::fs::write(
        dir.join("config.json"),
        serde_json::to_vec(&cfg.to_hf_json()).unwrap(),
    )
    .unwrap();
    std::fs::write(
        dir.join("model.safetensors"),
        loaded.to_safetensors().unwrap(),
    )
    .unwrap();
    std::fs::copy(TOKENIZER, dir.join("tokenizer.json")).unwrap();
    (dir, loaded.parameter_count())
}

#[test]
fn fill_mask_prints_ranked_probabilities() {
    let (dir, _) = model_dir("fill");
    let out = bertlab(&[
        "fill-mask",
        "--model",
        path(&dir),
        "--top-k",
        "3",
        "The cat [MASK] on the [MASK].",
    ]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        stdout.contains("[MASK] #1") && stdout.contains("[MASK] #2"),
        "{stdout}"
    );
    let probs: Vec<f64> = stdout
        .lines()
        .filter(|l| l.trim_start().starts_with(|c: char| c.is_ascii_digit()))
        .map(|l| l.split_whitespace().last().unwrap().parse().unwrap())
        .collect();
    assert_eq!(probs.len(), 6, "{stdout}");
    for pair in probs.chunks(3) {
        assert!(pair.windows(2).all(|w| w[0] >= w[1]), "{stdout}");
        assert!(pair.iter().all(|&p| p > 0.0 && p <= 1.0));
        assert!(pair.iter().sum::<f64>() <= 1.0 + 1e-3);
    }
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn inspect_counts_every_parameter() {
    let (dir, count) = model_dir("inspect");
    let out = bertlab(&["inspect", "--model", path(&dir)]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    for needle in [
        "BERT",
        "embeddings",
        "layer 0",
        "layer 1",
        "MLM head",
        "WordPiece",
    ] {
        assert!(stdout.contains(needle), "{needle}: {stdout}");
    }
    let total: usize = stdout
        .lines()
        .find(|l| l.starts_with("total"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|n| n.parse().ok())
        .unwrap();
    assert_eq!(total, count);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn tokenize_shows_pairs_and_truncation() {
    let out = bertlab(&[
        "tokenize",
        "--tokenizer",
        TOKENIZER,
        "The café",
        "--pair",
        "a mat",
    ]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        stdout.contains("##é") && stdout.contains("[SEP]"),
        "{stdout}"
    );
    assert!(stdout.contains("8 tokens"), "{stdout}");

    let out = bertlab(&[
        "tokenize",
        "--tokenizer",
        TOKENIZER,
        "--max-len",
        "5",
        "the cat sat on the mat",
    ]);
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("truncated from 8 to 5 tokens: 3 cut"),
        "{stdout}"
    );
}

#[test]
fn bad_input_gives_clear_errors() {
    let (dir, _) = model_dir("errors");
    let out = bertlab(&["fill-mask", "--model", path(&dir), "no mask here"]);
    assert_fails_with(&out, "no [MASK] in the text");

    let out = bertlab(&["fill-mask", "--model", "/nonexistent/model", "a [MASK]"]);
    assert_fails_with(&out, "error:");

    let out = bertlab(&[
        "tokenize",
        "--tokenizer",
        path(&dir.join("config.json")),
        "x",
    ]);
    assert_fails_with(&out, "invalid tokenizer.json");

    std::fs::write(
        dir.join("model.safetensors"),
        b"\x08\x00\x00\x00\x00\x00\x00\x00{\"a\"",
    )
    .unwrap();
    let out = bertlab(&["inspect", "--model", path(&dir)]);
    assert_fails_with(&out, "truncated or corrupt");

    std::fs::remove_file(dir.join("model.safetensors")).unwrap();
    std::fs::write(dir.join("pytorch_model.bin"), b"pickle").unwrap();
    let out = bertlab(&["inspect", "--model", path(&dir)]);
    assert_fails_with(&out, "pytorch_model.bin");

    std::fs::write(dir.join("config.json"), br#"{"model_type":"gpt2"}"#).unwrap();
    let out = bertlab(&["inspect", "--model", path(&dir)]);
    assert_fails_with(&out, "unsupported model_type \"gpt2\"");
    std::fs::remove_dir_all(dir).unwrap();
}

/// A few hundred lines of the committed public-domain corpus sample.
fn corpus_file(dir: &Path) -> PathBuf {
    let text = std::fs::read_to_string(concat!(
        concat!(env!("CARGO_MANIFEST_DIR"), "/../.."),
        "/assets/corpus/valid.txt"
    ))
    .unwrap();
    let path = dir.join("text.txt");
    std::fs::write(&path, text.lines().take(400).collect::<Vec<_>>().join("\n")).unwrap();
    path
}

#[test]
fn train_tokenizer_saves_a_tokenizer_of_the_asked_kind() {
    let dir = temp_dir("train-tokenizer");
    let input = corpus_file(&dir);
    let out = dir.join("unigram/tokenizer.json");
    let run = bertlab(&[
        "train-tokenizer",
        "--kind",
        "unigram",
        "--vocab-size",
        "300",
        "--input",
        path(&input),
        "--out",
        path(&out),
    ]);
    assert!(run.status.success(), "{}", text(&run.stderr));
    let tok = bertlab_core::text::tokenizer::Tokenizer::from_file(&out).unwrap();
    assert_eq!(
        tok.kind(),
        bertlab_core::text::tokenizer::TokenizerKind::Unigram
    );
    assert!(tok.vocab_size() <= 300 && tok.vocab_size() > 100);

    let missing = bertlab(&[
        "train-tokenizer",
        "--kind",
        "bpe",
        "--input",
        path(&dir.join("nope.txt")),
        "--out",
        path(&out),
    ]);
    assert_fails_with(&missing, "nope.txt");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn pretrain_from_scratch_can_train_its_own_tokenizer() {
    let dir = temp_dir("scratch-tokenizer");
    let input = corpus_file(&dir);
    let run_dir = dir.join("run");
    let run = bertlab(&[
        "pretrain",
        "--scratch",
        "--config",
        "tiny",
        "--train-tokenizer",
        "--tokenizer-vocab",
        "400",
        "--train",
        path(&input),
        "--out",
        path(&run_dir),
        "--steps",
        "2",
        "--batch-size",
        "2",
        "--seq-len",
        "32",
        "--eval-every",
        "0",
    ]);
    assert!(run.status.success(), "{}", text(&run.stderr));
    let tok = bertlab_core::text::tokenizer::Tokenizer::from_file(run_dir.join("tokenizer.json"))
        .unwrap();
    assert_eq!(
        tok.kind(),
        bertlab_core::text::tokenizer::TokenizerKind::WordPiece
    );
    let config: serde_json::Value =
        serde_json::from_slice(&std::fs::read(run_dir.join("config.json")).unwrap()).unwrap();
    assert_eq!(config["vocab_size"], tok.vocab_size());
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn without_model_the_cli_uses_the_labs_default_model() {
    #[derive(serde::Deserialize)]
    struct Index {
        default: String,
    }
    let index: Index = serde_json::from_slice(
        &std::fs::read(concat!(
            concat!(env!("CARGO_MANIFEST_DIR"), "/../.."),
            "/models/index.json"
        ))
        .expect("models/index.json"),
    )
    .expect("index parses");
    let out = bertlab(&["fill-mask", "--top-k", "3", "She drank a cup of [MASK]."]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let listed = text(&out.stdout);
    assert_eq!(
        listed
            .lines()
            .filter(|l| l.trim_start().starts_with(|c: char| c.is_ascii_digit()))
            .count(),
        3,
        "{listed}"
    );
    let out = bertlab(&["inspect"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains(&index.default),
        "{}",
        text(&out.stdout)
    );
    // A broken models folder is named, not a panic.
    let out = Command::new(env!("CARGO_BIN_EXE_bertlab"))
        .args(["fill-mask", "a [MASK] b"])
        .env("BERTLAB_MODELS", temp_dir("no-models"))
        .output()
        .expect("runs");
    assert_fails_with(&out, "BERTLAB_MODELS");
}
