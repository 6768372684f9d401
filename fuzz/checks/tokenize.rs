//! Fuzz check `tokenize`: the text a student types into the tokenizer lab (any bytes, read as UTF-8
//! lossily), through the lab's three tokenizers: the default model's WordPiece and the BPE and
//! Unigram of `assets/tokenizers`. Input: byte 0 picks the tokenizer (`% 3`), single text or pair
//! (`/ 3 % 2`) and the budget (`/ 6 % 3`: none, the model's 512, or 2 to 17 tokens); byte 1 says
//! where the pair splits and the short budget; the rest is the text. One encoding per input (the
//! truncating path copies the tokenizer, as the lab does), checked by
//! `invariants::encode_and_check`; with WordPiece, the first words are also traced through its
//! greedy lookup.

#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::OnceLock;

use bertlab_core::text::tokenizer::{EncodeOptions, Tokenizer, TokenizerKind};
use bertlab_core::text::wordpiece_trace::{trace_word, WordPieceParams};
use bertlab_protocol::tokens::TraceOutcome;

use crate::invariants::{accepted_rows, encode_and_check};

struct Lab {
    tokenizers: [Tokenizer; 3],
    /// `invariants::accepted_rows` of each.
    rows: [usize; 3],
    wordpiece_vocab: HashMap<String, u32>,
}

fn lab() -> &'static Lab {
    static LAB: OnceLock<Lab> = OnceLock::new();
    LAB.get_or_init(|| {
        let load = |json: &[u8]| Tokenizer::from_bytes(json).expect("a shipped tokenizer loads");
        let tokenizers = [
            load(include_bytes!(
                "../../models/bertlab-minilm-mlm/tokenizer.json"
            )),
            load(include_bytes!("../../assets/tokenizers/bpe/tokenizer.json")),
            load(include_bytes!(
                "../../assets/tokenizers/unigram/tokenizer.json"
            )),
        ];
        let wordpiece_vocab = tokenizers[0].inner().get_vocab(true);
        let rows = [0, 1, 2].map(|i| accepted_rows(&tokenizers[i]));
        Lab {
            tokenizers,
            rows,
            wordpiece_vocab,
        }
    })
}

/// The input as (tokenizer pick, split byte, text, first and second sequence of the pair).
fn split(data: &[u8]) -> (u8, u8, String, String, String) {
    let (pick, at, rest) = match data {
        [pick, at, rest @ ..] => (*pick, *at, rest),
        _ => (0, 0, data),
    };
    let (a, b) = rest.split_at(rest.len() * usize::from(at) / 255);
    let lossy = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
    (pick, at, lossy(rest), lossy(a), lossy(b))
}

pub fn check(data: &[u8]) {
    let lab = lab();
    let (pick, at, text, a, b) = split(data);
    let (tok, rows) = (
        &lab.tokenizers[usize::from(pick % 3)],
        lab.rows[usize::from(pick % 3)],
    );
    let opts = |max_len: Option<usize>| EncodeOptions {
        max_len,
        // RoBERTa-style BPE numbers positions after its padding id.
        position_offset: if tok.kind() == TokenizerKind::Bpe {
            2
        } else {
            0
        },
        ..EncodeOptions::default()
    };
    let max_len = match pick / 6 % 3 {
        0 => None,
        1 => Some(512),
        _ => Some(2 + usize::from(at % 16)),
    };
    if pick / 3 % 2 == 0 {
        encode_and_check(tok, &text, None, &opts(max_len), rows, false);
    } else {
        encode_and_check(tok, &a, Some(&b), &opts(max_len), rows, false);
    }
    if tok.kind() == TokenizerKind::WordPiece {
        for word in text.split_whitespace().take(3) {
            check_trace(word, &lab.wordpiece_vocab);
        }
    }
}

/// The greedy trace of one word: pieces that tile the word and are what the vocabulary holds, or
/// the whole word as `[UNK]` with the reason.
fn check_trace(word: &str, vocab: &HashMap<String, u32>) {
    let params = WordPieceParams::default();
    let trace = trace_word(word, vocab, &params).expect("a whitespace-split word traces");
    let chars = word.chars().count();
    let bytes = |s: usize, e: usize| {
        assert!(s <= e && word.is_char_boundary(s) && word.is_char_boundary(e));
        &word[s..e]
    };
    for step in &trace.steps {
        let text = bytes(step.span.byte_start, step.span.byte_end);
        assert_eq!(text.chars().count(), step.span.end - step.span.start);
        assert!(step.candidate.ends_with(text));
        assert_eq!(step.id, vocab.get(&step.candidate).copied());
    }
    match trace.outcome {
        TraceOutcome::Pieces => {
            let mut at = 0;
            for piece in &trace.pieces {
                assert_eq!(piece.span.start, at, "pieces must tile {word:?}");
                let text = bytes(piece.span.byte_start, piece.span.byte_end);
                let expected = if at == 0 {
                    text.to_string()
                } else {
                    format!("{}{text}", params.continuing_subword_prefix)
                };
                assert_eq!(piece.text, expected);
                assert_eq!(piece.id, vocab.get(&piece.text).copied());
                assert!(piece.id.is_some());
                at = piece.span.end;
            }
            assert_eq!(at, chars, "pieces must cover {word:?}");
        }
        TraceOutcome::TooLong { chars: c, max } => {
            assert_eq!(c, chars);
            assert!(c > max);
            assert_eq!(trace.pieces.len(), 1);
        }
        TraceOutcome::NoMatch { at } => {
            assert!(at < chars);
            assert_eq!(trace.pieces.len(), 1);
            assert_eq!(trace.pieces[0].text, params.unk_token);
        }
    }
}
