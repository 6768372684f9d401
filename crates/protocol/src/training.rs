//! The training vocabulary the page and the core share: the sentence-pair objective of a pretraining
//! run, the fine-tuning regimes and approaches the lab compares, and one row of its experiment sheet.

use serde::{Deserialize, Serialize};

/// Examples per fine-tuning update, the fine-tuning lab's and `bertlab finetune`'s default.
pub const FINETUNE_BATCH: usize = 16;
/// The fewest updates a fine-tuning run makes, whatever its epochs give: a few labelled examples
/// still need room to learn.
pub const FINETUNE_MIN_UPDATES: usize = 40;

/// Sequences per update in the pretraining lab's race (each of 64 tokens).
pub const RACE_BATCH: usize = 8;

/// Updates of a fine-tuning run: `epochs` passes over `examples` in batches of `batch`, or
/// `min_updates` if more. The trainer runs exactly this many; the page plans its estimate with it.
pub fn planned_updates(examples: usize, batch: usize, epochs: usize, min_updates: usize) -> usize {
    (examples.div_ceil(batch.max(1)) * epochs).max(min_updates)
}

/// The sentence-pair objective trained next to MLM.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PairTask {
    /// MLM only (RoBERTa): sequences are packed sentences of one document.
    #[default]
    None,
    /// Next-sentence prediction (BERT): B follows A (label 0) or comes from another document (1).
    Nsp,
    /// Sentence-order prediction (ALBERT): A then B (label 0) or swapped (1).
    Sop,
}

/// How a sentence pair's two texts are told apart inside `[CLS] A [SEP] B [SEP]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SegmentIds {
    /// BERT's packing: segment id 0 for `[CLS] A [SEP]`, 1 for `B [SEP]`.
    #[default]
    PerText,
    /// The ablation: every token in segment 0, so only the `[SEP]` between them marks the border.
    One,
}

impl SegmentIds {
    pub const ALL: [SegmentIds; 2] = [SegmentIds::PerText, SegmentIds::One];

    pub fn describe(self) -> &'static str {
        match self {
            SegmentIds::PerText => "segment A and segment B",
            SegmentIds::One => "one segment for both (ablation)",
        }
    }

    /// The name on the command line and in URLs.
    pub fn slug(self) -> &'static str {
        match self {
            SegmentIds::PerText => "per-text",
            SegmentIds::One => "one",
        }
    }

    pub fn from_slug(slug: &str) -> Option<SegmentIds> {
        SegmentIds::ALL.into_iter().find(|s| s.slug() == slug)
    }

    /// Rewrites a packed pair's segment ids (0 for A, 1 for B, as the tokenizer gives them) the way
    /// this choice packs it.
    pub fn apply(self, type_ids: &mut [u32]) {
        if self == SegmentIds::One {
            type_ids.fill(0);
        }
    }
}

/// What a run trains.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Regime {
    /// The pretrained weights stay fixed; only what had to be created (the classifier, and a
    /// pooler the checkpoint lacks) learns — the encoder is a feature extractor.
    Frozen,
    /// Every weight of the pretrained model learns.
    Full,
    /// The same architecture from random weights: what pretraining is worth.
    Scratch,
}

impl Regime {
    pub const ALL: [Regime; 3] = [Regime::Frozen, Regime::Full, Regime::Scratch];

    pub fn describe(self) -> &'static str {
        match self {
            Regime::Frozen => "frozen encoder + linear head",
            Regime::Full => "full fine-tuning",
            Regime::Scratch => "same model, random init",
        }
    }
}

/// How a word's tag reaches its word pieces when a token head trains. Either way the word is
/// scored by the tag predicted at its first piece.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PieceLabels {
    /// Only the first piece carries the tag; the others are left out of the loss (as BERT did).
    #[default]
    First,
    /// Every piece of the word carries its tag.
    Every,
}

impl PieceLabels {
    pub const ALL: [PieceLabels; 2] = [PieceLabels::First, PieceLabels::Every];

    /// The name on the command line and in URLs.
    pub fn slug(self) -> &'static str {
        match self {
            PieceLabels::First => "first",
            PieceLabels::Every => "every",
        }
    }

    pub fn from_slug(slug: &str) -> Option<PieceLabels> {
        PieceLabels::ALL.into_iter().find(|p| p.slug() == slug)
    }

    pub fn describe(self) -> &'static str {
        match self {
            PieceLabels::First => "the first word piece only",
            PieceLabels::Every => "every word piece",
        }
    }
}

/// One way to build a classifier for the experiment sheet: the baseline without an encoder, or
/// an encoder in one of the three [`Regime`]s.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Approach {
    BagOfWords,
    Frozen,
    Full,
    Scratch,
}

impl Approach {
    pub const ALL: [Approach; 4] = [
        Approach::BagOfWords,
        Approach::Frozen,
        Approach::Full,
        Approach::Scratch,
    ];

    /// The encoder regime, `None` for the bag-of-words baseline.
    pub fn regime(self) -> Option<Regime> {
        match self {
            Approach::BagOfWords => None,
            Approach::Frozen => Some(Regime::Frozen),
            Approach::Full => Some(Regime::Full),
            Approach::Scratch => Some(Regime::Scratch),
        }
    }

    pub fn describe(self) -> &'static str {
        self.regime()
            .map_or("bag of words + logistic regression", Regime::describe)
    }

    /// The name on the command line and in URLs (`bag-of-words`, `frozen`, ...).
    pub fn slug(self) -> &'static str {
        match self {
            Approach::BagOfWords => "bag-of-words",
            Approach::Frozen => "frozen",
            Approach::Full => "full",
            Approach::Scratch => "scratch",
        }
    }

    pub fn from_slug(slug: &str) -> Option<Approach> {
        Approach::ALL.into_iter().find(|a| a.slug() == slug)
    }
}

/// One line of the experiment sheet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SheetRow {
    pub approach: Approach,
    /// The base model's name (empty for the bag of words).
    pub model: String,
    /// The labelled set it was trained and tested on.
    #[serde(default)]
    pub dataset: String,
    /// How a pair's texts were told apart (only sentence-pair sets differ here).
    #[serde(default)]
    pub segments: SegmentIds,
    pub train_examples: usize,
    pub accuracy: f64,
    pub macro_f1: f64,
    pub trainable_parameters: usize,
    pub wall_seconds: f64,
    pub updates: usize,
    /// Stopped by the user before the planned updates were done.
    pub stopped_early: bool,
    /// Why training ended before its last update other than by the user (e.g. the loss became
    /// NaN); the row then scores the last good weights.
    #[serde(default)]
    pub note: String,
    /// A few held-out messages the run labelled wrongly, in the test split's order (for the
    /// technical note's error analysis).
    #[serde(default)]
    pub errors: Vec<Misclassified>,
    /// Where its updates ran and why, as the status bar says it ("WebGPU (adapter)", the CPU
    /// kernels and the reason WebGPU was not used, or the update from which the CPU took over
    /// after a GPU failure); empty for the bag of words.
    #[serde(default)]
    pub trained_on: String,
}

impl SheetRow {
    /// The approach, naming the one-segment ablation.
    pub fn describe_approach(&self) -> String {
        describe_with_segments(self.approach, self.segments)
    }
}

/// An approach as the sheet and its chart name it, the one-segment ablation marked.
pub fn describe_with_segments(approach: Approach, segments: SegmentIds) -> String {
    match segments {
        SegmentIds::PerText => approach.describe().to_string(),
        SegmentIds::One => format!("{}, one segment", approach.describe()),
    }
}

/// A held-out message and the label a run gave it instead of the right one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Misclassified {
    pub text: String,
    /// The right label.
    pub label: String,
    pub predicted: String,
}

impl From<Regime> for Approach {
    fn from(regime: Regime) -> Approach {
        match regime {
            Regime::Frozen => Approach::Frozen,
            Regime::Full => Approach::Full,
            Regime::Scratch => Approach::Scratch,
        }
    }
}

/// One measured cell of the "what transfers" table: a task, how its model was trained (the bag of
/// words standing for whichever baseline reads no encoder), and the score it reached.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TransferCell {
    /// The task, with the score it is measured by ("entities (entity F1)").
    pub task: String,
    pub approach: Approach,
    /// The held-out score, 0–1.
    pub value: f32,
    /// Training examples (sentences, messages, questions) the run saw.
    pub examples: usize,
}

impl TransferCell {
    /// A run of `task` under `regime` and the baseline on the same data: two cells.
    pub fn run_and_baseline(
        task: &str,
        regime: Regime,
        value: f32,
        baseline: f32,
        examples: usize,
    ) -> [TransferCell; 2] {
        let cell = |approach, value| TransferCell {
            task: task.to_string(),
            approach,
            value,
            examples,
        };
        [
            cell(Approach::from(regime), value),
            cell(Approach::BagOfWords, baseline),
        ]
    }
}
