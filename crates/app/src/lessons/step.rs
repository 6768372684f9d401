//! What a lesson step is made of, and the widget presets several steps share.

use crate::lab_registry::LabId;

/// What sits beside a step's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Widget {
    /// One of the labs, opened in the state `query` describes: the same
    /// query string the lab's own URL would carry, e.g. `text=The+capital+of+France+is+[MASK].`
    /// (fields of the lab's state struct; see `ui::labs`). `hide` lists controls to hide in this step.
    Lab {
        lab: LabId,
        query: &'static str,
        hide: &'static [&'static str],
    },
    /// The recipe table BERT / RoBERTa / ALBERT / DistilBERT, parameter counts computed live from
    /// their configs.
    RecipeTable,
    /// The pretrain-then-fine-tune pipeline: unlabeled text → MLM → checkpoint → heads.
    Workflow,
    /// What a pretrained encoder hands downstream: token vectors, pooled output, layer-wise
    /// features; frozen versus fine-tuned.
    Transfer,
}

/// One step of a lesson.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    pub title: &'static str,
    /// Paragraphs.
    pub text: &'static [&'static str],
    /// Something for the student to do with the widget ("Type …", "Switch to …"); may be empty.
    pub task: &'static str,
    pub widget: Option<Widget>,
    /// Keys of [`OUTLINE_POINTS`] this step teaches.
    pub covers: &'static [&'static str],
}

// Widget states that several steps share.

/// A question and its answer, for the pair layout: [CLS], segments, positions.
pub(super) const QUESTION_PAIR: &str =
    "text=Where+is+the+station?&pair=It+is+next+to+the+old+market.";
/// One row of the masking grid: which positions become targets, and how each is shown.
pub(super) const ONE_EPOCH_OF_MASKS: &str =
    "text=The+capital+of+France+is+Paris,+and+its+river+is+the+Seine.&epochs=1";
/// Static masking with four masked copies over twelve epochs; the step that follows switches to
/// dynamic.
pub(super) const STATIC_FOUR_COPIES: &str =
    "text=The+capital+of+France+is+Paris.&strategy=static&duplicates=4&epochs=12";
