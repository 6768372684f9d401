//! The span-QA lab's vocabulary: a run's request and report, and one answered question with the
//! start and end logits of every token.

use serde::{Deserialize, Serialize};

use crate::training::Regime;

/// The shipped file the questions are made from (relative to the site's root): each entity type
/// of the support messages is one question.
pub const QA_DATA_PATH: &str = "assets/datasets/support-entities.jsonl";

/// The question asked for each entity type (`tagging::ENTITY_LABELS`' order).
pub const QUESTIONS: [&str; 4] = [
    "What product is this about?",
    "Which order is this about?",
    "When did it happen?",
    "How much money is involved?",
];

/// Fine-tune a span head on the questions over the support messages.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QaRequest {
    /// The base encoder (a folder of the lab's `models/`); the default model when `None`.
    pub model: Option<String>,
    pub regime: Regime,
    /// The first this many training questions.
    pub train_questions: usize,
    pub epochs: usize,
    pub seed: u64,
}

/// How a span-QA run did on the held-out questions (SQuAD 2.0 scores, 0–1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QaReport {
    pub regime: Regime,
    pub train_questions: usize,
    pub test_questions: usize,
    /// Held-out questions whose message does not answer them.
    pub unanswerable: usize,
    pub exact_match: f32,
    pub f1: f32,
    /// The word-lookup baseline on the same questions.
    pub baseline_exact_match: f32,
    pub baseline_f1: f32,
    pub updates: usize,
    pub trainable_parameters: usize,
    pub seconds: f64,
}

/// One question answered over one message: every token of `[CLS] question [SEP] message [SEP]`
/// with its start and end logits, and the span chosen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnsweredQuestion {
    pub pieces: Vec<String>,
    /// Which tokens are the message's (only they can be an answer).
    pub in_message: Vec<bool>,
    pub start_logits: Vec<f32>,
    pub end_logits: Vec<f32>,
    /// The answer's first and last token; `None` when `[CLS]` won (no answer).
    pub span: Option<(usize, usize)>,
    /// The answer's text ("" for none).
    pub text: String,
}
