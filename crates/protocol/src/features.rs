//! The feature-space view's vocabulary: how a sentence becomes one vector, and the projected cloud
//! the page draws.

use serde::{Deserialize, Serialize};

/// How one vector is read off an encoder's layer for a whole text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Pooling {
    /// The average of every token's vector (padding excluded), as sentence-embedding models read.
    #[default]
    Mean,
    /// The first token's vector, `[CLS]` (`<s>` for RoBERTa), as classifier heads read it.
    Cls,
}

impl Pooling {
    pub const ALL: [Pooling; 2] = [Pooling::Mean, Pooling::Cls];

    pub fn describe(self) -> &'static str {
        match self {
            Pooling::Mean => "mean of the token vectors",
            Pooling::Cls => "the [CLS] vector",
        }
    }

    /// The name on the command line and in URLs.
    pub fn slug(self) -> &'static str {
        match self {
            Pooling::Mean => "mean",
            Pooling::Cls => "cls",
        }
    }

    pub fn from_slug(slug: &str) -> Option<Pooling> {
        Pooling::ALL.into_iter().find(|p| p.slug() == slug)
    }
}

/// Texts as points of a 2-D principal-component projection of one encoder's sentence features.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureCloud {
    /// Which encoder: "pretrained", "random init", "fine-tuned", or a model's name.
    pub encoder: String,
    /// The layer read (0 = the embeddings, `layers` = the last).
    pub layer: usize,
    pub layers: usize,
    pub pooling: Pooling,
    /// One `[pc1, pc2]` per text, in the order of `label_ids`.
    pub points: Vec<[f32; 2]>,
    /// Each text's class id (into `labels`).
    pub label_ids: Vec<usize>,
    pub labels: Vec<String>,
    /// Share of the variance along each axis.
    pub explained: [f32; 2],
}
