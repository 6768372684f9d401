//! The tagging lab's vocabulary: a token-head run's request and report, and a text's words with
//! their word pieces and predicted tags.

use serde::{Deserialize, Serialize};

use crate::training::{PieceLabels, Regime};

/// The 12 universal part-of-speech tags of Petrov, Das & McDonald (2012), the shipped tag file's.
pub const UNIVERSAL_TAGS: [&str; 12] = [
    "NOUN", "VERB", "ADJ", "ADV", "PRON", "DET", "ADP", "NUM", "CONJ", "PRT", ".", "X",
];

/// Fine-tune a token head on the shipped part-of-speech sentences.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaggerRequest {
    /// The base encoder (a folder of the lab's `models/`); the default model when `None`.
    pub model: Option<String>,
    pub regime: Regime,
    pub pieces: PieceLabels,
    /// The first this many training sentences (of 800).
    pub train_sentences: usize,
    pub epochs: usize,
    pub seed: u64,
}

/// How a tagging run did on the held-out sentences.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaggerReport {
    pub regime: Regime,
    pub pieces: PieceLabels,
    pub train_sentences: usize,
    pub test_words: usize,
    /// Held-out word accuracy.
    pub accuracy: f32,
    /// Each word's commonest training tag, on the same words.
    pub lookup: f32,
    pub updates: usize,
    pub trainable_parameters: usize,
    pub seconds: f64,
}

/// One word of a tagged text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaggedWord {
    pub word: String,
    /// Its word pieces; the first one's prediction is the word's tag.
    pub pieces: Vec<String>,
    /// `None` when the word was cut off by the model's length limit.
    pub tag: Option<String>,
}
