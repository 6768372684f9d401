//! WordPiece's greedy longest-match-first split of one word, step by step, for the Tokenizer widget.
//!
//! As in BERT's `WordpieceTokenizer` (and the `tokenizers` WordPiece model): from the current start,
//! try the longest remaining substring, then shorter ones, until one is in the vocabulary (pieces
//! after the first carry the continuation prefix `##`); continue after it. If some start has no
//! match at all, or the word is longer than `max_input_chars_per_word`, the whole word becomes
//! `[UNK]`. Offsets count characters (Unicode scalar values), the unit the algorithm works in; byte
//! offsets are given too for slicing Rust strings.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Piece-to-id lookup. Implemented for the maps a tokenizer's vocabulary comes in.
pub trait Vocab {
    fn id(&self, piece: &str) -> Option<u32>;
}

impl Vocab for HashMap<String, u32> {
    fn id(&self, piece: &str) -> Option<u32> {
        self.get(piece).copied()
    }
}

impl Vocab for BTreeMap<String, u32> {
    fn id(&self, piece: &str) -> Option<u32> {
        self.get(piece).copied()
    }
}

/// The WordPiece model's parameters, under the names `tokenizer.json` uses for them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct WordPieceParams {
    /// Default `[UNK]`.
    pub unk_token: String,
    /// Default `##`.
    pub continuing_subword_prefix: String,
    /// Longer words become `[UNK]` without being tried. Default 100 (BERT).
    pub max_input_chars_per_word: usize,
}

impl Default for WordPieceParams {
    fn default() -> Self {
        Self {
            unk_token: "[UNK]".into(),
            continuing_subword_prefix: "##".into(),
            max_input_chars_per_word: 100,
        }
    }
}

pub use bertlab_protocol::tokens::{Span, TraceOutcome, TracePiece, TraceStep, WordPieceTrace};

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TraceError {
    #[error("the word is empty")]
    EmptyWord,
    #[error("{0:?} is not one word: WordPiece runs on text already split at whitespace")]
    ContainsWhitespace(String),
}

/// Traces WordPiece on one word (already split at whitespace, as a pre-tokenizer does).
pub fn trace_word<V: Vocab + ?Sized>(
    word: &str,
    vocab: &V,
    params: &WordPieceParams,
) -> Result<WordPieceTrace, TraceError> {
    if word.is_empty() {
        return Err(TraceError::EmptyWord);
    }
    if word.chars().any(char::is_whitespace) {
        return Err(TraceError::ContainsWhitespace(word.to_string()));
    }
    // Byte offset of every character boundary, the end included.
    let bounds: Vec<usize> = word
        .char_indices()
        .map(|(b, _)| b)
        .chain([word.len()])
        .collect();
    let chars = bounds.len() - 1;
    let span = |start: usize, end: usize| Span {
        start,
        end,
        byte_start: bounds[start],
        byte_end: bounds[end],
    };
    let unknown = |outcome, steps| WordPieceTrace {
        word: word.to_string(),
        steps,
        outcome,
        pieces: vec![TracePiece {
            text: params.unk_token.clone(),
            id: vocab.id(&params.unk_token),
            span: span(0, chars),
        }],
    };

    if chars > params.max_input_chars_per_word {
        let outcome = TraceOutcome::TooLong {
            chars,
            max: params.max_input_chars_per_word,
        };
        return Ok(unknown(outcome, Vec::new()));
    }

    let mut steps = Vec::new();
    let mut pieces = Vec::new();
    let mut start = 0;
    while start < chars {
        let mut found = None;
        for end in (start + 1..=chars).rev() {
            let text = &word[bounds[start]..bounds[end]];
            let candidate = if start > 0 {
                format!("{}{text}", params.continuing_subword_prefix)
            } else {
                text.to_string()
            };
            let id = vocab.id(&candidate);
            steps.push(TraceStep {
                span: span(start, end),
                candidate: candidate.clone(),
                id,
            });
            if let Some(id) = id {
                found = Some((end, candidate, id));
                break;
            }
        }
        let Some((end, text, id)) = found else {
            return Ok(unknown(TraceOutcome::NoMatch { at: start }, steps));
        };
        pieces.push(TracePiece {
            text,
            id: Some(id),
            span: span(start, end),
        });
        start = end;
    }
    Ok(WordPieceTrace {
        word: word.to_string(),
        steps,
        outcome: TraceOutcome::Pieces,
        pieces,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vocab() -> HashMap<String, u32> {
        [
            "[UNK]", "un", "##aff", "##able", "a", "##ff", "##a", "##b", "ca", "##fé", "é",
        ]
        .iter()
        .enumerate()
        .map(|(i, p)| (p.to_string(), i as u32))
        .collect()
    }

    fn texts(trace: &WordPieceTrace) -> Vec<&str> {
        trace.pieces.iter().map(|p| p.text.as_str()).collect()
    }

    #[test]
    fn unaffable_splits_longest_first() {
        let v = vocab();
        let t = trace_word("unaffable", &v, &WordPieceParams::default()).unwrap();
        assert_eq!(texts(&t), ["un", "##aff", "##able"]);
        assert_eq!(t.outcome, TraceOutcome::Pieces);
        let ids: Vec<_> = t.pieces.iter().map(|p| p.id).collect();
        assert_eq!(ids, [v.id("un"), v.id("##aff"), v.id("##able")]);

        // Lookups go longest-first from each start, and only the last one per start matches.
        let first = &t.steps[0];
        assert_eq!((first.candidate.as_str(), first.id), ("unaffable", None));
        let matched: Vec<_> = t.steps.iter().filter(|s| s.id.is_some()).collect();
        assert_eq!(matched.len(), 3);
        // From start 0: "unaffable" .. "un" is 8 lookups (lengths 9 down to 2).
        assert_eq!(t.steps.iter().filter(|s| s.span.start == 0).count(), 8);
        // From start 2 the candidates are prefixed: "##affable", ..., "##aff" (lengths 7 to 3).
        let from_two: Vec<_> = t
            .steps
            .iter()
            .filter(|s| s.span.start == 2)
            .map(|s| s.candidate.as_str())
            .collect();
        assert_eq!(
            from_two,
            ["##affable", "##affabl", "##affab", "##affa", "##aff"]
        );
        // Every step's span is its candidate without the prefix, and pieces tile the word.
        for step in &t.steps {
            let text = &t.word[step.span.byte_start..step.span.byte_end];
            assert!(step.candidate.ends_with(text));
        }
        let spans: Vec<_> = t
            .pieces
            .iter()
            .map(|p| (p.span.start, p.span.end))
            .collect();
        assert_eq!(spans, [(0, 2), (2, 5), (5, 9)]);
    }

    #[test]
    fn a_start_without_any_match_makes_the_whole_word_unknown() {
        let v = vocab();
        // "un" matches, then nothing in the vocabulary starts with "##x".
        let t = trace_word("unxable", &v, &WordPieceParams::default()).unwrap();
        assert_eq!(t.outcome, TraceOutcome::NoMatch { at: 2 });
        assert_eq!(texts(&t), ["[UNK]"]);
        assert_eq!(t.pieces[0].id, v.id("[UNK]"));
        assert_eq!((t.pieces[0].span.start, t.pieces[0].span.end), (0, 7));
        // The trace shows the failed lookups down to the single character.
        let last = t.steps.last().unwrap();
        assert_eq!((last.candidate.as_str(), last.id), ("##x", None));
    }

    #[test]
    fn offsets_count_characters_and_bytes() {
        let v = vocab();
        let t = trace_word("café", &v, &WordPieceParams::default()).unwrap();
        assert_eq!(texts(&t), ["ca", "##fé"]);
        let fe = t.pieces[1].span;
        assert_eq!((fe.start, fe.end), (2, 4));
        assert_eq!((fe.byte_start, fe.byte_end), (2, 5));
        assert_eq!(&t.word[fe.byte_start..fe.byte_end], "fé");
    }

    #[test]
    fn words_over_the_limit_are_unknown_without_lookups() {
        let v = vocab();
        let params = WordPieceParams::default();
        let long = "a".repeat(params.max_input_chars_per_word + 1);
        let t = trace_word(&long, &v, &params).unwrap();
        assert_eq!(
            t.outcome,
            TraceOutcome::TooLong {
                chars: 101,
                max: 100
            }
        );
        assert!(t.steps.is_empty());
        assert_eq!(texts(&t), ["[UNK]"]);
        // At the limit the word is still split ("a" then "##a" pieces).
        let at_limit = "a".repeat(params.max_input_chars_per_word);
        let t = trace_word(&at_limit, &v, &params).unwrap();
        assert_eq!(t.outcome, TraceOutcome::Pieces);
        assert_eq!(t.pieces.len(), 100);
        // The limit counts characters, not bytes: 60 two-byte characters pass a 100 limit.
        let t = trace_word(&"é".repeat(60), &v, &params).unwrap();
        assert_eq!(t.outcome, TraceOutcome::NoMatch { at: 1 });
    }

    #[test]
    fn bad_words_and_custom_params() {
        let v = vocab();
        let params = WordPieceParams::default();
        assert_eq!(trace_word("", &v, &params), Err(TraceError::EmptyWord));
        let err = trace_word("un able", &v, &params).unwrap_err();
        assert!(err.to_string().contains("not one word"), "{err}");

        // An unknown token missing from the vocabulary still yields a readable trace.
        let params = WordPieceParams {
            unk_token: "<unk>".into(),
            ..Default::default()
        };
        let t = trace_word("zzz", &v, &params).unwrap();
        assert_eq!(texts(&t), ["<unk>"]);
        assert_eq!(t.pieces[0].id, None);

        let json = serde_json::to_value(trace_word("unaffable", &v, &params).unwrap()).unwrap();
        assert_eq!(json["outcome"]["kind"], "pieces");
        assert_eq!(json["pieces"][1]["text"], "##aff");
        let p: WordPieceParams = serde_json::from_str(r#"{"max_input_chars_per_word":5}"#).unwrap();
        assert_eq!(p.continuing_subword_prefix, "##");
    }
}
