//! The pure pipeline after extraction: each source's raw documents cleaned, deduplicated, assigned
//! to train or validation by document, counted, and written out one sentence per line.

use serde::{Deserialize, Serialize};

use super::clean::{clean_document, Document};
use super::dedup::{fnv1a64, Deduplicator, Removed};
use super::manifest::{Counts, SourceManifest};
use super::sources::SourceSpec;
use super::PrepareOptions;

/// SplitMix64's finaliser. FNV-1a barely stirs its high bits for the last bytes hashed, so ids that
/// differ only at the end (`ca01`, `ca02`) would land on the same side of the split without it.
fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::corpus::sources;

    fn spec() -> &'static SourceSpec {
        sources::source("moby-dick").expect("registered")
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
}
