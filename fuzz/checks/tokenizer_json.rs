//! Fuzz check `tokenizer_json`: a model folder's `tokenizer.json` (the student's own model, from a
//! URL or their disk), read by `Tokenizer::from_bytes`. A file that loads must serialise to a
//! `tokenizer.json` that loads again, report its special tokens in order, and encode text within
//! the encoding contract (`invariants::encode_and_check`), where the tokenizer may refuse text but
//! never panic.

#![allow(dead_code)]

use bertlab_core::text::tokenizer::{EncodeOptions, Tokenizer};

use crate::invariants::{accepted_rows, encode_and_check};

pub fn check(data: &[u8]) {
    let Ok(tok) = Tokenizer::from_bytes(data) else {
        return;
    };
    check_loaded(&tok);
    let json = tok.to_json().expect("a loaded tokenizer serialises");
    let back = Tokenizer::from_bytes(json.as_bytes())
        .unwrap_or_else(|e| panic!("the tokenizer.json we write does not load: {e}\n{json}"));
    assert_eq!(back.kind(), tok.kind());
    // Not compared: the vocabulary. `tokenizers` writes one token per id, so a file giving two
    // tokens one id loses one on the way (only `bertlab train-tokenizer` writes with `to_json`,
    // from a tokenizer it trained itself).
}

/// What the lab asks of any tokenizer it loaded.
pub fn check_loaded(tok: &Tokenizer) {
    let special = tok.special_ids();
    assert!(special.windows(2).all(|w| w[0] < w[1]), "{special:?}");
    let found = [
        tok.mask_token(),
        tok.pad_token(),
        tok.special_token_like("unk"),
    ];
    for (_, id) in found.into_iter().flatten() {
        assert!(special.contains(&id));
    }
    for id in special.iter().take(8) {
        let _ = tok.id_to_token(*id);
    }
    let rows = accepted_rows(tok);
    let text = "Hello, world! The café [MASK] sat on 東京's mat: unaffable 😀 <mask> ab";
    for max_len in [None, Some(8)] {
        let opts = EncodeOptions {
            max_len,
            ..EncodeOptions::default()
        };
        encode_and_check(tok, text, None, &opts, rows, true);
        encode_and_check(tok, text, Some("A second sentence."), &opts, rows, true);
    }
}
