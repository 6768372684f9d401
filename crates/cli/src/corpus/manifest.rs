//! `manifest.json`: what went into the corpus, from where, under which licence, and how big it is.

use serde::{Deserialize, Serialize};

use super::clean::{CleanOptions, Document};
use super::dedup::Removed;
use super::PrepareOptions;

/// Sizes of a set of documents. `words` counts whitespace-separated words (a token-ish figure;
/// WordPiece tokens run about 1.3 per word on this kind of text).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub documents: usize,
    pub sentences: usize,
    pub words: usize,
    pub bytes: usize,
}

impl Counts {
    pub(super) fn add(&mut self, doc: &Document) {
        self.documents += 1;
        self.sentences += doc.sentences.len();
        self.words += doc
            .sentences
            .iter()
            .map(|s| s.split_whitespace().count())
            .sum::<usize>();
        self.bytes += doc.sentences.iter().map(|s| s.len() + 1).sum::<usize>() + 1;
    }

    fn merge(&mut self, other: &Counts) {
        self.documents += other.documents;
        self.sentences += other.sentences;
        self.words += other.words;
        self.bytes += other.bytes;
    }
}

/// One source's line in the manifest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SourceManifest {
    pub name: String,
    pub registry: String,
    pub package: String,
    /// The version actually fetched.
    pub version: String,
    pub licence: String,
    pub redistributable: bool,
    pub rule: String,
    /// Documents as extracted, before cleaning and deduplication.
    pub raw_documents: usize,
    pub removed: Removed,
    pub train: Counts,
    pub valid: Counts,
}

/// `manifest.json`: what went into the corpus, from where, under which licence, and how big it is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub seed: u64,
    pub valid_fraction: f64,
    pub clean: CleanOptions,
    pub sources: Vec<SourceManifest>,
    pub train: Counts,
    pub valid: Counts,
    /// File names inside the output directory.
    pub train_file: String,
    pub valid_file: String,
}

impl Manifest {
    /// The manifest of a corpus made with `opts` from these sources, with the totals over them.
    pub(super) fn new(opts: &PrepareOptions, sources: Vec<SourceManifest>) -> Manifest {
        let mut manifest = Manifest {
            seed: opts.seed,
            valid_fraction: opts.valid_fraction,
            clean: opts.clean,
            train: Counts::default(),
            valid: Counts::default(),
            sources,
            train_file: "train.txt".into(),
            valid_file: "valid.txt".into(),
        };
        for s in &manifest.sources {
            manifest.train.merge(&s.train);
            manifest.valid.merge(&s.valid);
        }
        manifest
    }
}
