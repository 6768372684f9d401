//! Property tests of the tokenizer view: for any text, every token's offsets lie inside the text
//! and in order, and every character the tokenizer does not drop by design is covered by a token.

#![cfg(not(target_arch = "wasm32"))]

use bertlab_core::text::tokenizer::{EncodeOptions, Tokenizer};
use proptest::prelude::*;

fn minilm() -> Tokenizer {
    Tokenizer::from_file(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../models/all-minilm-l6-v2/tokenizer.json"
    ))
    .expect("the embedded tokenizer is committed")
}

/// Characters BERT's normaliser removes on purpose (control and format characters, the
/// replacement character, combining marks once accents are stripped) and whitespace, which
/// separates tokens.
fn dropped(c: char) -> bool {
    c.is_whitespace()
        || c.is_control()
        || matches!(c, '\u{200B}'..='\u{200F}' | '\u{2060}' | '\u{FEFF}' | '\u{FFFD}' | '\u{0300}'..='\u{036F}')
}

/// Text from an alphabet mixing what students type with what breaks tokenizers: accents, CJK,
/// emoji, controls, zero-width and combining characters, odd whitespace.
fn text() -> impl Strategy<Value = String> {
    let alphabet: Vec<char> =
        "aZ9 .,!?'\"-éüñßÆ東京ä\u{0301}😀🇫🇷\t\n\u{0}\u{7}\u{200B}\u{FEFF}\u{3000}\u{FFFD}[]#"
            .chars()
            .collect();
    proptest::collection::vec(proptest::sample::select(alphabet), 0..60)
        .prop_map(|chars| chars.into_iter().collect())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn offsets_stay_in_the_text_in_order_and_cover_every_kept_character(text in text()) {
        let tok = minilm();
        let enc = tok.encode(&text, None, &EncodeOptions::default()).expect("any text encodes");
        let chars: Vec<char> = text.chars().collect();
        let mut covered = vec![false; chars.len()];
        let mut last_start = 0;
        for i in 0..enc.len() {
            if enc.special_tokens_mask[i] {
                prop_assert_eq!(enc.offsets[i], (0, 0));
                continue;
            }
            let (start, end) = enc.offsets[i];
            prop_assert!(start <= end && end <= chars.len(), "{:?} outside {} chars", (start, end), chars.len());
            prop_assert!(start >= last_start, "token {} starts before the one before it", i);
            last_start = start;
            // Byte offsets slice the same text.
            let (bs, be) = enc.byte_offsets[i];
            prop_assert!(text.get(bs..be).is_some(), "byte offsets {:?} do not slice the text", (bs, be));
            covered[start..end].iter_mut().for_each(|c| *c = true);
        }
        for (i, &c) in chars.iter().enumerate() {
            prop_assert!(covered[i] || dropped(c), "character {:?} at {} is covered by no token", c, i);
        }
    }

    #[test]
    fn any_unicode_encodes_alone_and_as_a_pair(a in any::<String>(), b in any::<String>()) {
        let tok = minilm();
        let opts = EncodeOptions { max_len: Some(32), ..EncodeOptions::default() };
        let enc = tok.encode(&a, Some(&b), &opts).expect("any pair encodes");
        prop_assert!(enc.len() <= 32);
    }
}
