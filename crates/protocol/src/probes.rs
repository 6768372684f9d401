//! The layer-probe view's vocabulary: which task a probe reads, and the accuracy per layer it
//! reports for each encoder.

use serde::{Deserialize, Serialize};

/// What the probes are asked to read off each layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProbeTask {
    /// Each word's part of speech (12 universal tags), read at its first word piece.
    #[default]
    #[serde(rename = "pos")]
    PartOfSpeech,
    /// Each support message's intent (8 classes), read from its mean-pooled vector.
    Intent,
}

impl ProbeTask {
    /// Every task; each one's slug is also its name in URLs and JSON.
    pub const ALL: [ProbeTask; 2] = [ProbeTask::PartOfSpeech, ProbeTask::Intent];

    /// The name on the command line and in URLs.
    pub fn slug(self) -> &'static str {
        match self {
            ProbeTask::PartOfSpeech => "pos",
            ProbeTask::Intent => "intent",
        }
    }

    pub fn from_slug(slug: &str) -> Option<ProbeTask> {
        ProbeTask::ALL.into_iter().find(|t| t.slug() == slug)
    }

    pub fn describe(self) -> &'static str {
        match self {
            ProbeTask::PartOfSpeech => "part of speech of each word (token level)",
            ProbeTask::Intent => "intent of each support message (sentence level)",
        }
    }

    /// The shipped file the task's data comes from (relative to the site's root).
    pub fn path(self) -> &'static str {
        match self {
            ProbeTask::PartOfSpeech => "assets/datasets/brown-pos.tsv",
            ProbeTask::Intent => "assets/datasets/support-intents.csv",
        }
    }

    /// Training sentences or messages the lab's probes read: 300 of the tag file's 800 training
    /// sentences (natively, the best layer scores 95.0% against 95.3% with all 800, in well under
    /// half the time), every training message (300 of them cost the sentence probe 14 points).
    pub fn lab_train_limit(self) -> Option<usize> {
        match self {
            ProbeTask::PartOfSpeech => Some(300),
            ProbeTask::Intent => None,
        }
    }

    /// What one scored item is.
    pub fn unit(self) -> &'static str {
        match self {
            ProbeTask::PartOfSpeech => "words",
            ProbeTask::Intent => "messages",
        }
    }
}

/// One encoder's held-out probe accuracy at each layer (index 0 = the embedding output).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProbeCurve {
    /// "pretrained", "random init", "fine-tuned", or a model's name.
    pub encoder: String,
    pub accuracy: Vec<f32>,
}

/// The probes of every layer of each encoder on one task, with the floors to read them against.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProbeReport {
    pub task: ProbeTask,
    /// Class names (tags or intents).
    pub classes: Vec<String>,
    /// Vectors the probes trained on and were scored on (words or messages).
    pub train_items: usize,
    pub test_items: usize,
    /// A baseline that reads no encoder: per-word lookup table for tags, bag of words for intents.
    pub baseline_name: String,
    pub baseline: f32,
    /// Always answering the commonest class.
    pub majority: f32,
    pub curves: Vec<ProbeCurve>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_task_is_written_as_its_slug() {
        for task in ProbeTask::ALL {
            let json = serde_json::to_string(&task).unwrap();
            assert_eq!(json, format!("\"{}\"", task.slug()));
            assert_eq!(serde_json::from_str::<ProbeTask>(&json).unwrap(), task);
            assert_eq!(ProbeTask::from_slug(task.slug()), Some(task));
        }
    }
}
