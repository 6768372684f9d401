//! `models/index.json` keys each shipped model's cached copy in the browser by its revision: a
//! model whose files change without a new revision would be served stale from students' caches.

#![cfg(not(target_arch = "wasm32"))]

use std::path::PathBuf;

use sha2::{Digest, Sha256};

fn models() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../models"))
}

/// The first 16 hex digits of the SHA-256 of the folder's config, tokenizer and weights, in that order.
fn revision(name: &str) -> String {
    let mut hash = Sha256::new();
    for file in ["config.json", "tokenizer.json", "model.safetensors"] {
        let path = models().join(name).join(file);
        hash.update(std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())));
    }
    hash.finalize()[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn every_shipped_model_has_the_revision_of_its_files() {
    let index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(models().join("index.json")).expect("index.json"))
            .expect("index.json is JSON");
    let names = index["models"].as_array().expect("a list of models");
    assert!(!names.is_empty());
    for name in names {
        let name = name.as_str().expect("folder names");
        let expected = revision(name);
        assert_eq!(
            index["revisions"][name].as_str(),
            Some(expected.as_str()),
            "models/index.json: set \"revisions\".\"{name}\" to \"{expected}\" (the files changed)"
        );
    }
}
