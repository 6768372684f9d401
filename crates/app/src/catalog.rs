//! What the lab teaches: the two tracks and their lessons, with their URL slugs (the labs are
//! declared in `lab_registry`).
//! Titles follow the course outline (`content/course-outline.txt`).

/// A learning track.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Track {
    Beginner,
    Advanced,
}

impl Track {
    pub const ALL: [Track; 2] = [Track::Beginner, Track::Advanced];

    pub fn slug(self) -> &'static str {
        match self {
            Track::Beginner => "beginner",
            Track::Advanced => "advanced",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Track::Beginner => "Beginner track",
            Track::Advanced => "Advanced track",
        }
    }

    pub fn summary(self) -> &'static str {
        match self {
            Track::Beginner => {
                "What an encoder reads, how hiding words turns raw text into a training signal, and why one \
                 pretrained model can be reused for many tasks."
            }
            Track::Advanced => {
                "The objectives and recipe choices behind BERT and its successors, and the different ways a \
                 pretrained encoder's features are put to work downstream."
            }
        }
    }

    pub fn lessons(self) -> &'static [Lesson] {
        match self {
            Track::Beginner => BEGINNER,
            Track::Advanced => ADVANCED,
        }
    }

    pub fn from_slug(slug: &str) -> Option<Track> {
        Track::ALL.into_iter().find(|t| t.slug() == slug)
    }
}

/// Whether a lesson or lab can be used yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Availability {
    Ready,
    /// Not built yet; the number is the issue that brings it.
    Coming {
        issue: u32,
    },
}

/// One lesson of a track.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lesson {
    pub slug: &'static str,
    pub title: &'static str,
    /// One sentence on what the student takes away.
    pub takeaway: &'static str,
    pub availability: Availability,
}

// `BEGINNER` and `ADVANCED`, compiled by build.rs from content/lessons/<track>/<n>-<slug>.toml.
include!(concat!(env!("OUT_DIR"), "/catalog.rs"));

pub fn lesson(track: Track, slug: &str) -> Option<&'static Lesson> {
    track.lessons().iter().find(|l| l.slug == slug)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn every_outline_section_has_a_lesson_with_its_title() {
        // The outline's section headings are short lines without punctuation at the end.
        let sections = [
            "Why BERT mattered",
            "Core pretraining idea",
            "What the model actually sees",
            "Pretraining and fine-tuning workflow",
            "BERT pretraining objectives",
            "Recipe details that changed after BERT",
            "Static versus dynamic masking",
            "What gets transferred downstream",
            "Minimal fine-tuning pattern",
            "Limits and common misunderstandings",
        ];
        let outline = include_str!("../content/course-outline.txt");
        let titles: Vec<&str> = Track::ALL
            .iter()
            .flat_map(|t| t.lessons())
            .map(|l| l.title)
            .collect();
        for section in sections {
            assert!(
                outline.contains(section),
                "outline no longer has '{section}'"
            );
            assert!(
                titles.iter().any(|t| t.contains(section)),
                "no lesson titled after '{section}'"
            );
        }
    }

    #[test]
    fn slugs_are_unique_url_safe_and_resolvable() {
        let mut seen = HashSet::new();
        for track in Track::ALL {
            assert_eq!(Track::from_slug(track.slug()), Some(track));
            for l in track.lessons() {
                assert!(seen.insert(l.slug), "duplicate lesson slug {}", l.slug);
                assert!(
                    l.slug.chars().all(|c| c.is_ascii_lowercase() || c == '-'),
                    "{}",
                    l.slug
                );
                assert_eq!(lesson(track, l.slug), Some(l));
            }
        }
    }

    use crate::lab_registry::LabId;

    #[test]
    fn the_labs_menu_offers_every_lab_in_order() {
        let slugs: Vec<&str> = LabId::ALL.iter().map(|l| l.slug()).collect();
        assert_eq!(
            slugs,
            [
                "tokenizer",
                "embeddings",
                "masking",
                "fill-mask",
                "attention",
                "logit-lens",
                "surprise",
                "pretrain",
                "fine-tune",
                "feature-space",
                "probes",
                "tagging",
                "span-qa"
            ]
        );
    }
}
