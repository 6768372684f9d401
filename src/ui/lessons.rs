//! The lessons' steps: text in the project's own words, each step paired with a widget in the state
//! it needs. Plain data, native-testable: the tests hold the steps to the course outline.

/// What sits beside a step's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Widget {
    /// One of the labs (a slug of `catalog::LABS`), opened in the state `query` describes: the same
    /// query string the lab's own URL would carry, e.g. `text=The+capital+of+France+is+[MASK].`
    /// (fields of the lab's state struct; see `ui::labs`). `hide` lists controls to hide in this step.
    Lab {
        lab: &'static str,
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

/// Every point of the course outline, by key: the tests require each to be taught by some step.
pub const OUTLINE_POINTS: &[(&str, &str)] = &[];

/// The steps of a lesson (by slug); empty for a lesson not written yet.
pub fn steps(lesson: &str) -> &'static [Step] {
    match lesson {
        _ => &[],
    }
}
