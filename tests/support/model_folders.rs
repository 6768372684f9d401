//! Model folders for loading tests: a tiny but real BERT masked-LM folder, and one broken copy per
//! way a user's folder can be wrong, each with a phrase its error message must contain. Built from
//! the committed parity fixture, so every test (core, CLI, browser) sees the same set.
//!
//! Included with `#[path]` by the tests that need it; it uses only std and serde_json.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A WordPiece vocabulary of 120 pieces, within the tiny model's 160 embedding rows.
pub fn tiny_vocab_txt() -> Vec<u8> {
    let mut lines: Vec<String> = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    for c in 'a'..='z' {
        lines.push(c.to_string());
        lines.push(format!("##{c}"));
    }
    for w in [
        "the", "a", "is", "cat", "dog", "sat", "on", "mat", "in", "it", "was", "and", "to", "of",
        "paris", "capital", "france", "city", "milk", "fridge", "she", "he", "put", ".", ",", "!",
        "?", "'", "-", "##s", "##ed", "##ing", "sun", "rain", "day", "night", "red", "blue",
        "green", "big", "small", "old", "new", "good", "bad", "eat", "ate", "run", "ran", "book",
        "read", "water", "tea", "cup", "house", "tree", "bird", "fish", "car", "road", "home",
        "school", "friend", "mother", "father",
    ] {
        lines.push(w.to_string());
    }
    (lines.join("\n") + "\n").into_bytes()
}

const CONFIG: &str = "tests/fixtures/parity/bert-mlm/config.json";
const WEIGHTS: &str = "tests/fixtures/parity/bert-mlm/model.safetensors";

fn read(path: &str) -> Vec<u8> {
    std::fs::read(repo_root().join(path)).expect("the parity fixture is committed")
}

/// The files of a folder that loads: the 2-layer BERT masked-LM fixture with a vocab.txt.
pub fn good_folder() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("config.json", read(CONFIG)),
        ("model.safetensors", read(WEIGHTS)),
        ("vocab.txt", tiny_vocab_txt()),
    ]
}

/// `model.safetensors` split into its header (JSON) and data.
fn split_safetensors(bytes: &[u8]) -> (serde_json::Map<String, serde_json::Value>, Vec<u8>) {
    let len = u64::from_le_bytes(bytes[..8].try_into().expect("8 bytes")) as usize;
    let header = serde_json::from_slice(&bytes[8..8 + len]).expect("the fixture's header is JSON");
    (header, bytes[8 + len..].to_vec())
}

fn join_safetensors(header: &serde_json::Map<String, serde_json::Value>, data: &[u8]) -> Vec<u8> {
    let mut json = serde_json::to_vec(header).expect("serialises");
    // The format pads the header to a multiple of 8 with spaces.
    while !json.len().is_multiple_of(8) {
        json.push(b' ');
    }
    let mut out = (json.len() as u64).to_le_bytes().to_vec();
    out.extend_from_slice(&json);
    out.extend_from_slice(data);
    out
}

/// The fixture's weights stored as BF16 (the top half of each F32), as many hub checkpoints are.
pub fn bf16_weights() -> Vec<u8> {
    let (mut header, data) = split_safetensors(&read(WEIGHTS));
    let mut out = Vec::with_capacity(data.len() / 2);
    let mut names: Vec<(String, usize, usize)> = header
        .iter()
        .filter(|(k, _)| *k != "__metadata__")
        .map(|(k, v)| {
            let offsets = v["data_offsets"].as_array().expect("offsets");
            let at = |i: usize| offsets[i].as_u64().expect("offset") as usize;
            (k.clone(), at(0), at(1))
        })
        .collect();
    names.sort_by_key(|(_, start, _)| *start);
    for (name, start, end) in names {
        let begin = out.len();
        for f in data[start..end].chunks_exact(4) {
            out.extend_from_slice(&f[2..4]);
        }
        let info = header.get_mut(&name).expect("listed");
        info["dtype"] = "BF16".into();
        info["data_offsets"] = serde_json::json!([begin, out.len()]);
    }
    join_safetensors(&header, &out)
}

/// A broken folder: its name, its files, and a phrase the error message must contain.
pub struct BrokenFolder {
    pub name: &'static str,
    pub files: Vec<(&'static str, Vec<u8>)>,
    pub message: &'static str,
}

fn replace(
    mut files: Vec<(&'static str, Vec<u8>)>,
    name: &'static str,
    bytes: Option<Vec<u8>>,
) -> Vec<(&'static str, Vec<u8>)> {
    files.retain(|(n, _)| *n != name);
    if let Some(bytes) = bytes {
        files.push((name, bytes));
    }
    files
}

fn config_with(key: &str, value: serde_json::Value) -> Vec<u8> {
    let mut config: serde_json::Value = serde_json::from_slice(&read(CONFIG)).expect("JSON");
    config[key] = value;
    serde_json::to_vec_pretty(&config).expect("serialises")
}

/// One broken copy of [`good_folder`] per failure the loader must explain.
pub fn broken_folders() -> Vec<BrokenFolder> {
    let good = good_folder;
    let weights = read(WEIGHTS);
    let (mut lying, data) = split_safetensors(&weights);
    let first = lying
        .keys()
        .find(|k| *k != "__metadata__")
        .cloned()
        .expect("tensors");
    lying[&first]["data_offsets"] = serde_json::json!([0, data.len() * 4]);
    let mut big_vocab = tiny_vocab_txt();
    for i in 0..100 {
        big_vocab.extend_from_slice(format!("extra{i}\n").as_bytes());
    }
    vec![
        BrokenFolder {
            name: "no-config",
            files: replace(good(), "config.json", None),
            message: "no config.json",
        },
        BrokenFolder {
            name: "pytorch-only",
            files: replace(
                replace(good(), "model.safetensors", None),
                "pytorch_model.bin",
                Some(b"PK\x03\x04 not really a pickle".to_vec()),
            ),
            message: "safe_serialization=True",
        },
        BrokenFolder {
            name: "sharded",
            files: replace(
                replace(good(), "model.safetensors", None),
                "model.safetensors.index.json",
                Some(br#"{"weight_map": {}}"#.to_vec()),
            ),
            message: "shards",
        },
        BrokenFolder {
            name: "no-tokenizer",
            files: replace(good(), "vocab.txt", None),
            message: "no tokenizer",
        },
        BrokenFolder {
            name: "tokenizer-of-another-model",
            files: replace(good(), "vocab.txt", Some(big_vocab)),
            message: "the tokenizer belongs to another model",
        },
        BrokenFolder {
            name: "broken-tokenizer-json",
            files: replace(
                replace(good(), "vocab.txt", None),
                "tokenizer.json",
                Some(b"{\"model\": ".to_vec()),
            ),
            message: "tokenizer.json",
        },
        BrokenFolder {
            name: "config-not-json",
            files: replace(
                good(),
                "config.json",
                Some(b"<html>Not found</html>".to_vec()),
            ),
            message: "config.json",
        },
        BrokenFolder {
            name: "unsupported-architecture",
            files: replace(
                good(),
                "config.json",
                Some(config_with("model_type", "gpt2".into())),
            ),
            message: "unsupported model_type \"gpt2\"",
        },
        BrokenFolder {
            name: "unsupported-activation",
            files: replace(
                good(),
                "config.json",
                Some(config_with("hidden_act", "mish".into())),
            ),
            message: "mish",
        },
        BrokenFolder {
            name: "weights-of-another-shape",
            files: replace(
                good(),
                "config.json",
                Some(config_with("hidden_size", 64.into())),
            ),
            message: "has shape",
        },
        BrokenFolder {
            name: "header-lies-about-sizes",
            files: replace(
                good(),
                "model.safetensors",
                Some(join_safetensors(&lying, &data)),
            ),
            message: "model.safetensors",
        },
        BrokenFolder {
            name: "truncated-weights",
            files: replace(good(), "model.safetensors", Some(weights[..5].to_vec())),
            message: "model.safetensors",
        },
    ]
}

/// Writes `files` into a new folder `dir/name`, returning its path.
pub fn write_folder(dir: &Path, name: &str, files: &[(&'static str, Vec<u8>)]) -> PathBuf {
    let folder = dir.join(name);
    std::fs::create_dir_all(&folder).expect("creates the folder");
    for (file, bytes) in files {
        std::fs::write(folder.join(file), bytes).expect("writes the file");
    }
    folder
}
