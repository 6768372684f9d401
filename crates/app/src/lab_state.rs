//! Each lab's state: one serializable struct whose fields are the lab's URL parameters, so a view can
//! be linked, reloaded, embedded, or opened by a lesson step in a given state. Plain data, native.

use serde::{Deserialize, Serialize};

use bertlab_protocol::features::Pooling;
use bertlab_protocol::masking::{MaskingConfig, Strategy};
use bertlab_protocol::messages::ShippedSet;
use bertlab_protocol::probes::ProbeTask;
use bertlab_protocol::tagging::TagTask;
use bertlab_protocol::training::PairTask;
use bertlab_protocol::training::{Approach, PieceLabels, Regime, SegmentIds};
use bertlab_protocol::views::ContextSide;

/// Tokenizer lab.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TokenizerState {
    /// Sentence A.
    pub text: String,
    /// Sentence B; empty for a single sentence.
    pub pair: String,
    /// Token budget; 0 means the model's own limit.
    pub max_len: usize,
    /// The word whose WordPiece lookup is traced.
    pub word: String,
}

impl Default for TokenizerState {
    fn default() -> Self {
        TokenizerState {
            text: "The unaffable tokenizer splits rare words.".into(),
            pair: "Common words stay whole.".into(),
            max_len: 0,
            word: "unaffable".into(),
        }
    }
}

/// Embeddings lab.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct EmbeddingsState {
    pub text: String,
    pub pair: String,
    /// Comma-separated segment id per token, overriding the tokenizer's; empty keeps them.
    pub segments: String,
}

impl Default for EmbeddingsState {
    fn default() -> Self {
        EmbeddingsState {
            text: "The cat sat on the mat.".into(),
            pair: "It was warm.".into(),
            segments: String::new(),
        }
    }
}

impl EmbeddingsState {
    /// The override as ids; `None` when empty or not a list of numbers.
    pub fn segment_ids(&self) -> Option<Vec<u32>> {
        if self.segments.trim().is_empty() {
            return None;
        }
        self.segments
            .split(',')
            .map(|s| s.trim().parse().ok())
            .collect()
    }
}

/// Masking lab.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct MaskingState {
    pub text: String,
    /// Share of ordinary tokens chosen as targets.
    pub rate: f64,
    /// Of the targets: shown as [MASK].
    pub mask: f64,
    /// Of the targets: replaced by a random token (the rest keep their token).
    pub random: f64,
    pub whole_word: bool,
    pub strategy: MaskingKind,
    /// Static masking's fixed masks per sentence.
    pub duplicates: usize,
    pub epochs: usize,
    pub seed: u64,
}

impl Default for MaskingState {
    fn default() -> Self {
        MaskingState {
            text:
                "The capital of France is Paris, and the river that runs through it is the Seine."
                    .into(),
            rate: 0.15,
            mask: 0.8,
            random: 0.1,
            whole_word: false,
            strategy: MaskingKind::Static,
            duplicates: 4,
            epochs: 8,
            seed: 12345,
        }
    }
}

/// The masking lab's two strategies, spelled `static` and `dynamic` in the URL; static masking's
/// number of fixed masks is a field of its own, so a URL can switch strategy and keep it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MaskingKind {
    /// BERT: each sentence gets a few fixed masks, reused across epochs.
    Static,
    /// RoBERTa: a fresh mask every time a sentence is seen.
    Dynamic,
}

impl MaskingKind {
    /// The URL spelling.
    pub fn slug(self) -> &'static str {
        match self {
            MaskingKind::Static => "static",
            MaskingKind::Dynamic => "dynamic",
        }
    }
}

impl MaskingState {
    pub fn is_static(&self) -> bool {
        self.strategy == MaskingKind::Static
    }

    pub fn config(&self) -> MaskingConfig {
        MaskingConfig {
            selection_rate: self.rate,
            mask_fraction: self.mask,
            random_fraction: self.random,
            whole_word: self.whole_word,
            strategy: if self.is_static() {
                Strategy::Static {
                    duplicates: self.duplicates.max(1),
                }
            } else {
                Strategy::Dynamic
            },
            seed: self.seed,
        }
    }
}

/// Fill-mask lab.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct FillMaskState {
    /// Text with one or more [MASK].
    pub text: String,
    /// Which context the model may see.
    pub side: ContextSide,
    pub top_k: usize,
    /// A model folder name; empty for the default model.
    pub model: String,
}

impl Default for FillMaskState {
    fn default() -> Self {
        FillMaskState {
            text: "The capital of France is [MASK].".into(),
            side: ContextSide::Both,
            top_k: 5,
            model: String::new(),
        }
    }
}

/// Pretraining lab: two recipes trained side by side on the same tiny encoder, seed and budget.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PretrainState {
    /// Recipe A: dynamic masking (else static), and its sentence objective.
    pub a_dynamic: bool,
    pub a_objective: PairTask,
    pub b_dynamic: bool,
    pub b_objective: PairTask,
    pub layers: usize,
    pub hidden: usize,
    pub heads: usize,
    pub steps: usize,
    /// Sequences of 64 tokens in the training text, read again every epoch: a small text read
    /// many times is where the recipes part ways.
    pub sequences: usize,
    /// Static masking's masked copies of the text (BERT wrote 10).
    pub copies: usize,
    pub seed: u64,
    /// A sentence with one [MASK], guessed by both models as they learn.
    pub probe: String,
}

impl Default for PretrainState {
    fn default() -> Self {
        PretrainState {
            // BERT's recipe against RoBERTa's.
            a_dynamic: false,
            a_objective: PairTask::Nsp,
            b_dynamic: true,
            b_objective: PairTask::None,
            layers: 2,
            hidden: 64,
            heads: 2,
            // About 125 epochs of a small text: enough for static masking's fixed gaps to be
            // memorised while dynamic masking keeps learning (see the lessons' race step).
            steps: 500,
            sequences: 32,
            copies: 1,
            seed: 42,
            probe: "The king and the [MASK] lived in the castle.".into(),
        }
    }
}

impl PretrainState {
    /// Recipe `side` (0 = A, 1 = B): dynamic masking, and the sentence objective.
    pub fn recipe(&self, side: usize) -> (bool, PairTask) {
        if side == 0 {
            (self.a_dynamic, self.a_objective)
        } else {
            (self.b_dynamic, self.b_objective)
        }
    }

    pub fn recipe_mut(&mut self, side: usize) -> (&mut bool, &mut PairTask) {
        if side == 0 {
            (&mut self.a_dynamic, &mut self.a_objective)
        } else {
            (&mut self.b_dynamic, &mut self.b_objective)
        }
    }
}

/// Fine-tuning lab: the next run of the experiment sheet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct FineTuneState {
    /// The shipped labelled set (an uploaded CSV replaces it).
    pub dataset: ShippedSet,
    pub approach: Approach,
    /// Labelled training examples, class-balanced; 0 for all of them.
    pub examples: usize,
    pub epochs: usize,
    /// A model folder name; empty for the default model.
    pub model: String,
    pub seed: u64,
    /// Sentence pairs' segment ids: A and B apart, or one segment (the ablation).
    pub segments: SegmentIds,
    /// Redraw the held-out texts' feature space a few times during the run (it costs a pass over
    /// them each time).
    pub watch_features: bool,
}

impl FineTuneState {
    /// What the run clock times a run under: the model, and for pairs (about twice as many tokens
    /// per example) the pair set, so each keeps its own pace.
    pub fn pace_model(&self) -> String {
        if self.dataset.holds_pairs() {
            format!("{} ({})", self.model, self.dataset.slug())
        } else {
            self.model.clone()
        }
    }
}

impl Default for FineTuneState {
    fn default() -> Self {
        FineTuneState {
            dataset: ShippedSet::SupportIntents,
            approach: Approach::Frozen,
            examples: 64,
            epochs: 4,
            model: String::new(),
            seed: 42,
            segments: SegmentIds::PerText,
            watch_features: false,
        }
    }
}

/// Feature-space lab: whose texts, how each becomes one vector, and the layer drawn.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct FeatureSpaceState {
    pub dataset: ShippedSet,
    pub pooling: Pooling,
    /// The layer drawn: 0 is the embeddings; past the last means the last.
    pub layer: usize,
    /// Every text of the set rather than its test split (more dots, a longer wait).
    pub all_texts: bool,
    /// A fine-tuned model saved in the browser (its file name) to draw as well; empty for none.
    pub tuned: String,
}

impl Default for FeatureSpaceState {
    fn default() -> Self {
        FeatureSpaceState {
            dataset: ShippedSet::SupportIntents,
            pooling: Pooling::Mean,
            layer: 6,
            all_texts: false,
            tuned: String::new(),
        }
    }
}

/// Layer-probes lab: what the probes read, and a fine-tuned model to probe beside the base one.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ProbesState {
    pub task: ProbeTask,
    /// A fine-tuned model saved in the browser (its file name) to probe as well; empty for none.
    pub tuned: String,
}

/// Tagging lab: how the token head trains, and the text it tags afterwards.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TaggingState {
    pub task: TagTask,
    pub regime: Regime,
    /// Which word pieces carry a word's tag in training.
    pub pieces: PieceLabels,
    /// Training sentences or messages (of the task's 800 or 780).
    pub sentences: usize,
    pub epochs: usize,
    /// The text to tag with the trained head.
    pub text: String,
}

impl Default for TaggingState {
    /// Full fine-tuning on 100 sentences, 3 epochs: 93.5 % of the held-out words in 37 s in the tab
    /// (release build; 300 sentences take about three times as long).
    fn default() -> Self {
        let (regime, sentences) = TaggingState::recommended(TagTask::PartOfSpeech);
        TaggingState {
            task: TagTask::PartOfSpeech,
            regime,
            pieces: PieceLabels::First,
            sentences,
            epochs: 3,
            text: TaggingState::example_text(TagTask::PartOfSpeech).to_string(),
        }
    }
}

impl TaggingState {
    /// Where each task's runs start (approach, training items): full fine-tuning learns parts of
    /// speech from 100 sentences, but in 3 epochs on 100 messages it has not yet learned the
    /// entity tags' B-/I- structure (entity F1 16.9 %, below the lookup's 17.1 %), while a head on
    /// the frozen encoder reads them from all 780 messages in about as little time (F1 59.5 %
    /// against the lookup's 32.4 %).
    pub fn recommended(task: TagTask) -> (Regime, usize) {
        match task {
            TagTask::PartOfSpeech => (Regime::Full, 100),
            TagTask::Entities => (Regime::Frozen, 780),
        }
    }

    /// Training sizes the lab offers: up to the task's whole training split.
    pub fn sizes(task: TagTask) -> [usize; 3] {
        match task {
            TagTask::PartOfSpeech => [100, 300, 800],
            TagTask::Entities => [100, 300, 780],
        }
    }

    /// Switches the task, and with it the example text and the approach and training size (each
    /// to the new task's own, unless the student changed them), keeping the size within the new
    /// task's.
    pub fn pick_task(&mut self, task: TagTask) {
        if self.text == TaggingState::example_text(self.task) {
            self.text = TaggingState::example_text(task).to_string();
        }
        if (self.regime, self.sentences) == TaggingState::recommended(self.task) {
            (self.regime, self.sentences) = TaggingState::recommended(task);
        }
        self.sentences = self.sentences.min(TaggingState::sizes(task)[2]);
        self.task = task;
    }

    /// A text for the task's tagger until the student types one (in neither training set).
    pub fn example_text(task: TagTask) -> &'static str {
        match task {
            TagTask::PartOfSpeech => "The old man the boats while the young sail .",
            TagTask::Entities => {
                "I paid $59 for the Aurora blender on March 3 and order #77120 still has not shipped."
            }
        }
    }
}

/// Span-QA lab: how the span head trains, and the question and message it answers afterwards.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct QaState {
    pub regime: Regime,
    /// Training questions (of the 1,289).
    pub questions: usize,
    pub epochs: usize,
    /// Which of the four questions is asked of `text`.
    pub question: usize,
    /// The message the question is asked of.
    pub text: String,
}

impl Default for QaState {
    fn default() -> Self {
        QaState {
            regime: Regime::Frozen,
            questions: 300,
            epochs: 3,
            question: 1,
            text: "Hi, I was charged $42 twice on Tuesday for order #55817, the Brio kettle. Please refund one."
                .to_string(),
        }
    }
}

/// `text` with its `index`-th whitespace-separated word replaced by `[MASK]`, punctuation kept (the
/// fill-mask lab's click-to-mask). Words already holding a mask, or without letters, stay.
pub fn mask_word(text: &str, index: usize) -> String {
    const MASK: &str = "[MASK]";
    text.split_whitespace()
        .enumerate()
        .map(|(i, word)| {
            let start = word.find(char::is_alphanumeric);
            let end = word
                .char_indices()
                .rfind(|(_, c)| c.is_alphanumeric())
                .map(|(e, c)| e + c.len_utf8());
            match (start, end) {
                (Some(start), Some(end)) if i == index && !word.contains(MASK) => {
                    format!("{}{MASK}{}", &word[..start], &word[end..])
                }
                _ => word.to_string(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Attention lab.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AttentionState {
    pub text: String,
    pub pair: String,
    /// The enlarged head (0-based).
    pub layer: usize,
    pub head: usize,
    /// Leave attention to [CLS]/[SEP] out and renormalise the rest.
    pub hide_special: bool,
}

impl Default for AttentionState {
    fn default() -> Self {
        AttentionState {
            text: "The animal didn't cross the street because it was too tired.".into(),
            pair: String::new(),
            layer: 0,
            head: 0,
            hide_special: false,
        }
    }
}

/// Logit-lens lab: the head's guesses at a [MASK] read off every layer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct LogitLensState {
    /// Text with a [MASK] (the first one is read).
    pub text: String,
    /// Guesses shown per layer.
    pub top_k: usize,
    /// The model's key; empty for the default model.
    pub model: String,
}

impl Default for LogitLensState {
    fn default() -> Self {
        LogitLensState {
            text: "The capital of France is [MASK].".into(),
            top_k: 3,
            model: String::new(),
        }
    }
}

/// Surprise lab: every word masked in turn; one model, or two side by side.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SurpriseState {
    pub text: String,
    /// The model's key; empty for the default model.
    pub model: String,
    /// Show a second model beside the first.
    pub compare: bool,
    /// The second model's key; empty for the default model.
    pub other: String,
}

impl Default for SurpriseState {
    fn default() -> Self {
        SurpriseState {
            text: "She put the milk in the fridge before she left for work.".into(),
            model: String::new(),
            compare: true,
            // A tiny encoder trained on little text, against the default model.
            other: "recipe-bert".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_tagging_task_starts_from_its_own_approach_unless_the_student_chose_one() {
        let mut state = TaggingState::default();
        state.pick_task(TagTask::Entities);
        assert_eq!(
            (state.regime, state.sentences),
            TaggingState::recommended(TagTask::Entities)
        );
        assert_eq!(state.text, TaggingState::example_text(TagTask::Entities));
        state.pick_task(TagTask::PartOfSpeech);
        assert_eq!(state, TaggingState::default());
        // A choice of the student's own stays, within the new task's sizes.
        let mut chosen = TaggingState {
            regime: Regime::Scratch,
            sentences: 800,
            ..TaggingState::default()
        };
        chosen.pick_task(TagTask::Entities);
        assert_eq!((chosen.regime, chosen.sentences), (Regime::Scratch, 780));
    }
    use crate::url_state::{state_from_pairs, state_to_pairs};

    #[test]
    fn masking_state_maps_to_a_valid_config_and_back_through_the_url() {
        let state = MaskingState {
            strategy: MaskingKind::Dynamic,
            rate: 0.3,
            ..MaskingState::default()
        };
        assert_eq!(state.config().strategy, Strategy::Dynamic);
        assert!(state.config().validate().is_ok());
        let back: MaskingState = state_from_pairs(&state_to_pairs(&state));
        assert_eq!(back, state);
        // Zero duplicates from a hand-edited URL still gives a usable config.
        let zero = MaskingState {
            duplicates: 0,
            ..MaskingState::default()
        };
        assert!(zero.config().validate().is_ok());
    }

    #[test]
    fn the_fill_mask_side_reads_from_its_url_spelling() {
        let pairs = vec![("side".to_string(), "left_only".to_string())];
        let state: FillMaskState = state_from_pairs(&pairs);
        assert_eq!(state.side, ContextSide::LeftOnly);
    }

    #[test]
    fn masking_a_word_keeps_its_punctuation_and_the_other_words() {
        assert_eq!(
            mask_word("The capital is Paris.", 3),
            "The capital is [MASK]."
        );
        assert_eq!(mask_word("\"Héllo,\" she said", 0), "\"[MASK],\" she said");
        assert_eq!(mask_word("a [MASK] b", 1), "a [MASK] b");
        assert_eq!(mask_word("... ok", 0), "... ok");
        assert_eq!(mask_word("one two", 9), "one two");
    }

    #[test]
    fn segment_overrides_parse_or_are_ignored() {
        let with = |s: &str| EmbeddingsState {
            segments: s.into(),
            ..EmbeddingsState::default()
        };
        assert_eq!(with("0, 0,1").segment_ids(), Some(vec![0, 0, 1]));
        assert_eq!(with("").segment_ids(), None);
        assert_eq!(with("0,x").segment_ids(), None);
    }
}
