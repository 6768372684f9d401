//! What the tokenizer lab draws: every token of an input with its piece, id, segment, position and the
//! characters it covers, and the WordPiece greedy trace of one word.

use serde::{Deserialize, Serialize};

/// One token as the lab shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TokenCell {
    pub piece: String,
    pub id: u32,
    pub segment: u32,
    pub position: u32,
    pub special: bool,
    /// 0 for sentence A, 1 for B; `None` for special tokens.
    pub sequence: Option<usize>,
    /// `[start, end)` in characters of its own sentence.
    pub chars: (usize, usize),
    /// The word (pre-tokenizer split) this piece belongs to, within its sentence.
    pub word: Option<u32>,
}

/// A tokenized sentence or sentence pair.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TokenView {
    pub tokens: Vec<TokenCell>,
    /// Tokens allowed by the model's position table (special tokens included).
    pub max_len: usize,
    /// Tokens cut from sentence A and sentence B to fit `max_len`.
    pub removed: [usize; 2],
    /// "WordPiece", "BPE", "Unigram" or "WordLevel".
    pub kind: String,
    /// The greedy longest-match-first trace of the requested word (WordPiece tokenizers only).
    pub trace: Option<WordPieceTrace>,
}

/// A stretch of the word, in characters and in bytes (half-open).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Span {
    pub start: usize,
    pub end: usize,
    pub byte_start: usize,
    pub byte_end: usize,
}

/// One vocabulary lookup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceStep {
    /// The part of the word tried.
    pub span: Span,
    /// What was looked up: the substring, with the continuation prefix unless it starts the word.
    pub candidate: String,
    /// Its id when the vocabulary has it: the longest match from this start, which becomes a piece.
    pub id: Option<u32>,
}

/// One resulting piece.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TracePiece {
    pub text: String,
    /// `None` only for an unknown token missing from the vocabulary itself.
    pub id: Option<u32>,
    pub span: Span,
}

/// How the word ended up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TraceOutcome {
    /// Split into vocabulary pieces.
    Pieces,
    /// Longer than `max_input_chars_per_word`: `[UNK]` without any lookup.
    TooLong { chars: usize, max: usize },
    /// No vocabulary piece starts at character `at`: the whole word is `[UNK]`.
    NoMatch { at: usize },
}

/// The full trace of one word.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WordPieceTrace {
    pub word: String,
    /// Every lookup, in order.
    pub steps: Vec<TraceStep>,
    pub outcome: TraceOutcome,
    /// The word's pieces; a single unknown token when the outcome is not `Pieces`.
    pub pieces: Vec<TracePiece>,
}
