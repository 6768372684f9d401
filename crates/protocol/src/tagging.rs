//! The tagging lab's vocabulary: a token-head run's request and report, and a text's words with
//! their word pieces and predicted tags.

use serde::{Deserialize, Serialize};

use crate::training::{PieceLabels, Regime};

/// The 12 universal part-of-speech tags of Petrov, Das & McDonald (2012), the shipped tag file's.
pub const UNIVERSAL_TAGS: [&str; 12] = [
    "NOUN", "VERB", "ADJ", "ADV", "PRON", "DET", "ADP", "NUM", "CONJ", "PRT", ".", "X",
];

/// The entity types the support messages are labelled with, in the BIO tag list's order.
pub const ENTITY_LABELS: [&str; 4] = ["PRODUCT", "ORDER", "DATE", "AMOUNT"];

/// What a token head learns to tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum TagTask {
    /// Each word's part of speech, on Brown Corpus sentences.
    #[default]
    #[serde(rename = "pos")]
    PartOfSpeech,
    /// Products, order numbers, dates and amounts in the support messages, as BIO tags.
    #[serde(rename = "entities")]
    Entities,
}

impl TagTask {
    /// Every task; each one's slug is also its name in URLs, JSON and on the command line.
    pub const ALL: [TagTask; 2] = [TagTask::PartOfSpeech, TagTask::Entities];

    pub fn slug(self) -> &'static str {
        match self {
            TagTask::PartOfSpeech => "pos",
            TagTask::Entities => "entities",
        }
    }

    pub fn from_slug(slug: &str) -> Option<TagTask> {
        TagTask::ALL.into_iter().find(|t| t.slug() == slug)
    }

    pub fn describe(self) -> &'static str {
        match self {
            TagTask::PartOfSpeech => "parts of speech",
            TagTask::Entities => "entities in support messages",
        }
    }

    /// The shipped file the task's data comes from (relative to the site's root).
    pub fn path(self) -> &'static str {
        match self {
            TagTask::PartOfSpeech => "assets/datasets/brown-pos.tsv",
            TagTask::Entities => "assets/datasets/support-entities.jsonl",
        }
    }

    /// What one training item is called.
    pub fn unit(self) -> &'static str {
        match self {
            TagTask::PartOfSpeech => "sentences",
            TagTask::Entities => "messages",
        }
    }
}

/// Fine-tune a token head on one of the shipped tagged sets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaggerRequest {
    /// The base encoder (a folder of the lab's `models/`); the default model when `None`.
    pub model: Option<String>,
    #[serde(default)]
    pub task: TagTask,
    pub regime: Regime,
    pub pieces: PieceLabels,
    /// The first this many training sentences or messages (of 800 and 600).
    pub train_sentences: usize,
    pub epochs: usize,
    pub seed: u64,
}

/// How a tagging run did on the held-out sentences.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaggerReport {
    pub task: TagTask,
    pub regime: Regime,
    pub pieces: PieceLabels,
    pub train_sentences: usize,
    pub test_words: usize,
    /// Held-out word accuracy.
    pub accuracy: f32,
    /// Each word's commonest training tag, on the same words.
    pub lookup: f32,
    /// Entity tasks: exact-span entity F1 of the tagger and of the lookup table.
    pub entity_f1: Option<EntityF1>,
    pub updates: usize,
    pub trainable_parameters: usize,
    pub seconds: f64,
}

/// Held-out entity F1 (exact type and span, micro-averaged), with the lookup table's.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EntityF1 {
    pub tagger: f32,
    pub lookup: f32,
    /// Entities in the held-out messages.
    pub entities: usize,
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
