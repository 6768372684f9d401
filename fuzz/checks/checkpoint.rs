//! Fuzz check `checkpoint`: a model folder's `config.json` and `model.safetensors` (the student's
//! own model), read by `Checkpoint::from_bytes`, and the browser's memory estimate from the
//! safetensors header alone (`folder::memory_to_load`). Input: a 2-byte little-endian length, that
//! many bytes of `config.json`, then `model.safetensors`. When the config is refused the weights
//! are read again under a tiny valid config, so the safetensors reader is fuzzed either way.
//!
//! Contract: no panic; an accepted config is valid and survives `to_hf_json` (what an exported
//! model saves); accepted weights are F32 tensors by name, the header estimate counts at least the
//! file, and a small model builds from them or says why not.

#![allow(dead_code)]

use bertlab_core::folder::memory_to_load;
use bertlab_core::model::{Checkpoint, EncoderConfig, MaskedLm};
use candle_core::{DType, Device};

/// A valid config small enough that building the model costs nothing.
const TINY_CONFIG: &[u8] = br#"{"model_type":"bert","vocab_size":8,"hidden_size":4,"num_hidden_layers":1,"num_attention_heads":1,"intermediate_size":4,"max_position_embeddings":8}"#;

pub fn check(data: &[u8]) {
    let (config, weights) = match data {
        [lo, hi, rest @ ..] => {
            rest.split_at(usize::from(u16::from_le_bytes([*lo, *hi])).min(rest.len()))
        }
        _ => (&data[..0], data),
    };
    let header_estimate = header(weights).map(memory_to_load);
    if let Some(Ok(needed)) = &header_estimate {
        assert!(*needed >= 8, "{needed} bytes for a file with a header");
    }
    match EncoderConfig::from_hf_json(config) {
        Ok(parsed) => {
            check_config(&parsed);
            check_weights(config, weights, header_estimate.as_ref());
        }
        Err(_) => {
            assert!(Checkpoint::from_bytes(config, weights).is_err());
            check_weights(TINY_CONFIG, weights, header_estimate.as_ref());
        }
    }
}

/// The JSON header of a safetensors file: bytes `8..8 + n` where the first 8 bytes say `n`.
fn header(weights: &[u8]) -> Option<&[u8]> {
    let n = u64::from_le_bytes(weights.get(..8)?.try_into().ok()?);
    weights.get(8..usize::try_from(n).ok()?.checked_add(8)?)
}

fn check_config(config: &EncoderConfig) {
    config.validate().expect("an accepted config is valid");
    assert!(config.max_input_len() > 0);
    assert!(config.head_dim() > 0 || config.hidden_size == 0);
    let json = serde_json::to_vec(&config.to_hf_json()).expect("serialises");
    let back = EncoderConfig::from_hf_json(&json).unwrap_or_else(|e| {
        panic!(
            "the config.json we write does not load: {e}\n{}",
            String::from_utf8_lossy(&json)
        )
    });
    assert_eq!(
        &back, config,
        "config.json changed on the way through to_hf_json"
    );
}

fn check_weights(
    config: &[u8],
    weights: &[u8],
    header_estimate: Option<&Result<u64, bertlab_core::folder::FolderError>>,
) {
    let Ok(ckpt) = Checkpoint::from_bytes(config, weights) else {
        return;
    };
    // A file safetensors accepts has a header our estimate reads, and the estimate covers the file.
    match header_estimate {
        Some(Ok(needed)) => assert!(
            *needed >= weights.len() as u64,
            "{needed} bytes estimated for a {}-byte file",
            weights.len()
        ),
        other => panic!("safetensors read a header the estimate could not: {other:?}"),
    }
    let names = ckpt.tensor_names();
    assert!(
        names.windows(2).all(|w| w[0] < w[1]),
        "names sorted and unique"
    );
    for name in &names {
        if let Some(t) = ckpt.tensor(name) {
            assert_eq!(t.dtype(), DType::F32, "{name}");
        }
    }
    for dtype in ckpt.source_dtypes() {
        assert!(
            matches!(dtype.as_str(), "F16" | "BF16" | "F32" | "F64"),
            "{dtype}"
        );
    }
    let base = ckpt.base_prefix();
    assert!(base.is_empty() || base == ckpt.config.family.base_prefix());
    for name in names.iter().take(64) {
        let _ = ckpt.is_alias(name);
        let _ = bertlab_core::model::component_of(ckpt.config.family, name);
    }
    let c = &ckpt.config;
    let small = c.vocab_size <= 256
        && c.hidden_size <= 64
        && c.embedding_size <= 64
        && c.intermediate_size <= 256
        && c.num_hidden_layers <= 4
        && c.max_position_embeddings <= 128
        && c.type_vocab_size <= 4
        && c.num_labels() <= 8;
    if small {
        if let Ok(loaded) = ckpt.load::<MaskedLm>(&Device::Cpu) {
            assert!(loaded.parameter_count() > 0);
        }
    }
}
