//! What a lesson step and a quiz question are made of.

use crate::lab_registry::LabId;
use crate::prediction::Predict;

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
    /// Commands or code shown as written after the text (empty: none).
    pub code: &'static str,
    /// Something for the student to do with the widget ("Type …", "Switch to …"); may be empty.
    pub task: &'static str,
    pub widget: Option<Widget>,
    /// A guess the student commits to before the widget shows its answer.
    pub predict: Option<Predict>,
    /// Keys of [`OUTLINE_POINTS`] this step teaches.
    pub covers: &'static [&'static str],
    /// The task done as a student would, in the widget's visible words (the browser test walks
    /// every lesson doing these).
    pub actions: &'static [Action],
}

/// One action of a step's task, named by what the widget shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Give the control labelled with these words a value: an option's words (a list), text (a
    /// field), or "on"/"off" (a checkbox).
    Set {
        label: &'static str,
        value: &'static str,
    },
    /// Press the button with these words.
    Press(&'static str),
    /// Click the element of the widget with exactly these words (a word to mask, a token).
    Click(&'static str),
    /// The widget shows these words (after the actions before).
    See(&'static str),
}

/// A multiple-choice question at the end of a lesson.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Question {
    pub question: &'static str,
    pub choices: &'static [&'static str],
    /// Index into `choices`.
    pub answer: usize,
    /// Why the right answer is right; shown after the student answers.
    pub explanation: &'static str,
}
