//! The labs, declared once. Each line of `labs!` names the lab's [`LabId`] variant, its URL slug,
//! the state struct holding its URL parameters (see `lab_state`), the sections a URL's
//! `hide=`/`lock=` may name besides the state's fields, its title and its summary. Adding a lab is
//! its widget file, its state struct and one line here; `LabWidget` matches on [`LabId`], so the
//! compiler points at the one arm still missing.

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::lab_state::{
    AttentionState, EmbeddingsState, FeatureSpaceState, FillMaskState, FineTuneState,
    LogitLensState, MaskingState, PretrainState, ProbesState, QaState, SurpriseState, TaggingState,
    TokenizerState,
};
use crate::url_state::state_from_pairs_strict;

/// A lab's state: its URL parameters, with a default for each.
pub trait LabState:
    Serialize + DeserializeOwned + Default + Clone + PartialEq + Send + Sync + 'static
{
    /// Sections a URL's `hide=`/`lock=` may name that are not state fields.
    const SECTIONS: &'static [&'static str];
}

/// Something done with a lab's state type, whichever lab it is (see [`LabId::visit`]).
pub trait StateVisitor {
    type Output;
    fn visit<S: LabState>(self) -> Self::Output;
}

macro_rules! labs {
    ($($id:ident => $slug:literal, $state:ty, [$($section:literal),*], $title:literal, $summary:literal;)+) => {
        /// One interactive lab.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum LabId {
            $($id),+
        }

        impl LabId {
            /// Every lab, in the order the lab list shows them.
            pub const ALL: &'static [LabId] = &[$(LabId::$id),+];

            /// Its address: `/labs/{slug}`.
            pub fn slug(self) -> &'static str {
                match self {
                    $(LabId::$id => $slug),+
                }
            }

            pub fn title(self) -> &'static str {
                match self {
                    $(LabId::$id => $title),+
                }
            }

            pub fn summary(self) -> &'static str {
                match self {
                    $(LabId::$id => $summary),+
                }
            }

            /// Runs `visitor` with this lab's state type.
            pub fn visit<V: StateVisitor>(self, visitor: V) -> V::Output {
                match self {
                    $(LabId::$id => visitor.visit::<$state>()),+
                }
            }
        }

        $(impl LabState for $state {
            const SECTIONS: &'static [&'static str] = &[$($section),*];
        })+
    };
}

labs! {
    Tokenizer => "tokenizer", TokenizerState, ["compare"], "Tokenizer",
        "Split text into WordPiece pieces and see [CLS], [SEP], segment and position ids.";
    Embeddings => "embeddings", EmbeddingsState, [], "Embeddings",
        "Token, segment and position embeddings as heatmaps, and their normalised sum.";
    Masking => "masking", MaskingState, [], "Masking",
        "The 15% selection and 80/10/10 replacement, static versus dynamic across epochs.";
    FillMask => "fill-mask", FillMaskState, [], "Fill-mask",
        "Type a sentence with [MASK] and watch the model's guesses, with and without context.";
    Attention => "attention", AttentionState, [], "Attention",
        "Every layer's and head's attention pattern over your sentence.";
    LogitLens => "logit-lens", LogitLensState, [], "Logit lens",
        "Read the model's guess for [MASK] after every layer and watch the answer form.";
    Surprise => "surprise", SurpriseState, [], "Surprise",
        "Mask each word in turn: which words surprise the model, and its pseudo-perplexity, for two models side by side.";
    Pretrain => "pretrain", PretrainState, [], "Pretrain",
        "Train a tiny encoder from scratch in this tab and compare recipes live.";
    FineTune => "fine-tune", FineTuneState, ["data"], "Fine-tune",
        "Frozen features, full fine-tuning and baselines on the same classification task.";
    FeatureSpace => "feature-space", FeatureSpaceState, [], "Feature space",
        "Sentence vectors of any layer projected to 2-D: pretrained, random init and fine-tuned side by side.";
    Probes => "probes", ProbesState, [], "Layer probes",
        "A linear probe on every layer: where part of speech and intent live, pretrained vs random init vs fine-tuned.";
    Tagging => "tagging", TaggingState, [], "Token head: tagging",
        "Fine-tune a tagger for parts of speech or for entities (frozen, full or from scratch) and tag your own text word piece by word piece.";
    SpanQa => "span-qa", QaState, [], "Span head: question answering",
        "Fine-tune a span head to answer questions over support messages (or say there is no answer) and watch its start and end logits.";
}

impl LabId {
    pub fn from_slug(slug: &str) -> Option<LabId> {
        LabId::ALL.iter().copied().find(|lab| lab.slug() == slug)
    }

    /// The lab's URL parameters: the fields of its state.
    pub fn state_fields(self) -> Vec<String> {
        struct Fields;
        impl StateVisitor for Fields {
            type Output = Vec<String>;
            fn visit<S: LabState>(self) -> Vec<String> {
                match serde_json::to_value(S::default()) {
                    Ok(serde_json::Value::Object(map)) => map.keys().cloned().collect(),
                    _ => Vec::new(),
                }
            }
        }
        self.visit(Fields)
    }

    /// Controls a URL's `hide=`/`lock=` may name: the state fields, plus sections that are not
    /// fields.
    pub fn controls(self) -> Vec<String> {
        struct Sections;
        impl StateVisitor for Sections {
            type Output = &'static [&'static str];
            fn visit<S: LabState>(self) -> Self::Output {
                S::SECTIONS
            }
        }
        let mut names = self.state_fields();
        names.extend(self.visit(Sections).iter().map(|s| s.to_string()));
        names
    }

    /// Checks a query the project wrote (a lesson step's preset) against the lab's real state:
    /// every parameter must exist and take its value.
    pub fn check_preset(self, pairs: &[(String, String)]) -> Result<(), String> {
        struct Check<'a>(&'a [(String, String)]);
        impl StateVisitor for Check<'_> {
            type Output = Result<(), String>;
            fn visit<S: LabState>(self) -> Self::Output {
                state_from_pairs_strict::<S>(self.0).map(drop)
            }
        }
        self.visit(Check(pairs))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn slugs_are_unique_url_safe_and_resolvable() {
        let mut seen = HashSet::new();
        for &lab in LabId::ALL {
            assert!(seen.insert(lab.slug()), "duplicate slug {}", lab.slug());
            assert!(lab
                .slug()
                .chars()
                .all(|c| c.is_ascii_lowercase() || c == '-'));
            assert_eq!(LabId::from_slug(lab.slug()), Some(lab));
            // content/*.toml names a lab by its slug and build.rs writes the variant as the slug
            // in CamelCase
            let camel: String = lab
                .slug()
                .split('-')
                .flat_map(|w| {
                    let mut c = w.chars();
                    c.next()
                        .map(|f| f.to_ascii_uppercase())
                        .into_iter()
                        .chain(c)
                })
                .collect();
            assert_eq!(
                format!("{lab:?}"),
                camel,
                "the variant is not the slug in CamelCase"
            );
        }
        assert_eq!(LabId::from_slug("no-such-lab"), None);
    }

    #[test]
    fn every_lab_has_url_state_and_its_sections_are_not_fields() {
        for &lab in LabId::ALL {
            let fields = lab.state_fields();
            assert!(!fields.is_empty(), "{lab:?} has no URL parameters");
            let controls = lab.controls();
            assert_eq!(controls[..fields.len()], fields[..]);
            for section in &controls[fields.len()..] {
                assert!(
                    !fields.contains(section),
                    "{lab:?}: {section} is also a field"
                );
            }
        }
    }

    #[test]
    fn presets_must_name_real_fields_with_valid_values() {
        let pair = |k: &str, v: &str| vec![(k.to_string(), v.to_string())];
        assert!(LabId::FillMask
            .check_preset(&pair("text", "The [MASK] sat."))
            .is_ok());
        assert!(LabId::FillMask.check_preset(&pair("txet", "x")).is_err());
        assert!(LabId::Tokenizer
            .check_preset(&pair("max_len", "many"))
            .is_err());
    }
}
