//! Exact and near-duplicate removal across every source, on stable 64-bit hashes of sentences and
//! documents.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use super::clean::Document;

/// 64-bit FNV-1a: a stable hash (same value on every platform and Rust version), unlike `DefaultHasher`.
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
