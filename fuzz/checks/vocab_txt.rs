//! Fuzz check `vocab_txt`: BERT's older tokenizer layout, `vocab.txt` and optionally
//! `tokenizer_config.json`, read by `Tokenizer::from_vocab_txt`. Input: `vocab.txt`, then, after a
//! 0xFF byte (never in UTF-8), `tokenizer_config.json`; without 0xFF there is no config. The
//! `tokenizer.json` we generate from a vocabulary we accepted must always load, give every line its
//! line number as id (a repeated line its last), and encode the vocabulary's own pieces within the
//! encoding contract.

#![allow(dead_code)]

use std::collections::HashMap;

use bertlab_core::text::tokenizer::{EncodeOptions, Tokenizer};
use bertlab_core::text::wordpiece_vocab::tokenizer_json_from_vocab;

use crate::invariants::{accepted_rows, encode_and_check};

pub fn check(data: &[u8]) {
    let (vocab, config) = match data.iter().position(|&b| b == 0xff) {
        Some(i) => (&data[..i], Some(&data[i + 1..])),
        None => (data, None),
    };
    let Ok(json) = tokenizer_json_from_vocab(vocab, config) else {
        assert!(Tokenizer::from_vocab_txt(vocab, config).is_err());
        return;
    };
    let tok = Tokenizer::from_bytes(json.as_bytes())
        .unwrap_or_else(|e| panic!("the tokenizer.json made from vocab.txt does not load: {e}"));
    let text = std::str::from_utf8(vocab).expect("accepted vocab.txt is UTF-8");
    let mut ids: HashMap<String, u32> = HashMap::new();
    for (id, line) in text.lines().enumerate() {
        ids.insert(line.trim_end_matches('\r').to_string(), id as u32);
    }
    for (line, id) in &ids {
        assert_eq!(tok.token_to_id(line), Some(*id), "line {line:?}");
    }
    if config.is_none() {
        // BERT's defaults name the special tokens, so each must have been found.
        let mask = tok.mask_token().expect("[MASK] is special");
        assert_eq!(mask, ("[MASK]".to_string(), ids["[MASK]"]));
    }
    let rows = accepted_rows(&tok);
    let pieces: Vec<&str> = text.lines().take(24).collect();
    let sample = pieces.join(" ");
    for max_len in [None, Some(6)] {
        let opts = EncodeOptions {
            max_len,
            ..EncodeOptions::default()
        };
        encode_and_check(&tok, &sample, None, &opts, rows, false);
        encode_and_check(&tok, &sample, Some("the [MASK] sat"), &opts, rows, false);
    }
}
