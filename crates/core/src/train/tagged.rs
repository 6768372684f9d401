//! Word-tagged sentences for token-level tasks (part-of-speech tags, entity tags): the file format
//! the lab ships, one sentence per line, `words<TAB>tags`, each side split on single spaces, a
//! `# ` line a comment. The first `train` sentences train and the rest test, so the split is the
//! file's and never a seed's.

use serde::{Deserialize, Serialize};

/// Sentences of words with one tag each; tag ids index `tags`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaggedSet {
    pub sentences: Vec<Vec<String>>,
    pub tag_ids: Vec<Vec<usize>>,
    /// Tag names, in id order (first seen first).
    pub tags: Vec<String>,
}

impl TaggedSet {
    /// No sentences yet, over a fixed tag list.
    pub fn empty(tags: Vec<String>) -> TaggedSet {
        TaggedSet {
            sentences: Vec::new(),
            tag_ids: Vec::new(),
            tags,
        }
    }

    pub fn len(&self) -> usize {
        self.sentences.len()
    }

    pub fn is_empty(&self) -> bool {
        self.sentences.is_empty()
    }

    /// Words over all sentences.
    pub fn word_count(&self) -> usize {
        self.sentences.iter().map(Vec::len).sum()
    }

    /// Sentences `range` of this set, with the same tag list.
    pub fn slice(&self, range: std::ops::Range<usize>) -> TaggedSet {
        let range = range.start.min(self.len())..range.end.min(self.len());
        TaggedSet {
            sentences: self.sentences[range.clone()].to_vec(),
            tag_ids: self.tag_ids[range].to_vec(),
            tags: self.tags.clone(),
        }
    }

    /// Reads the lab's `words<TAB>tags` lines; errors name the line and what is wrong.
    pub fn parse(text: &str) -> Result<TaggedSet, String> {
        let mut set = TaggedSet::empty(Vec::new());
        for (n, line) in text.lines().enumerate() {
            let line = line.trim_end_matches('\r');
            if line.trim().is_empty() || line.starts_with("# ") {
                continue;
            }
            let (words, tags) = line
                .split_once('\t')
                .ok_or_else(|| format!("line {}: expected words, a tab, then tags", n + 1))?;
            let words: Vec<String> = words.split(' ').map(String::from).collect();
            let tags: Vec<&str> = tags.split(' ').collect();
            if words.len() != tags.len() || words.iter().any(String::is_empty) {
                return Err(format!(
                    "line {}: {} words but {} tags (one space between each)",
                    n + 1,
                    words.len(),
                    tags.len()
                ));
            }
            let ids = tags
                .iter()
                .map(|tag| match set.tags.iter().position(|t| t == tag) {
                    Some(id) => id,
                    None => {
                        set.tags.push(tag.to_string());
                        set.tags.len() - 1
                    }
                })
                .collect();
            set.sentences.push(words);
            set.tag_ids.push(ids);
        }
        if set.is_empty() {
            return Err("no tagged sentences in the file".to_string());
        }
        Ok(set)
    }

    /// The tag each word most often has in this set, and the most frequent tag overall for words
    /// it never saw: the lookup-table baseline a tagger has to beat.
    pub fn lookup_tagger(&self) -> LookupTagger {
        use std::collections::HashMap;
        let mut per_word: HashMap<&str, Vec<usize>> = HashMap::new();
        let mut overall = vec![0usize; self.tags.len()];
        for (words, ids) in self.sentences.iter().zip(&self.tag_ids) {
            for (word, &id) in words.iter().zip(ids) {
                per_word
                    .entry(word)
                    .or_insert_with(|| vec![0; self.tags.len()])[id] += 1;
                overall[id] += 1;
            }
        }
        let most = |counts: &[usize]| {
            // Ties go to the lower id, so the baseline does not depend on hash order.
            (0..counts.len()).fold(0, |best, i| if counts[i] > counts[best] { i } else { best })
        };
        LookupTagger {
            per_word: per_word
                .into_iter()
                .map(|(w, counts)| (w.to_string(), most(&counts)))
                .collect(),
            fallback: most(&overall),
        }
    }
}

/// Tags by a per-word lookup table (see [`TaggedSet::lookup_tagger`]).
#[derive(Debug, Clone)]
pub struct LookupTagger {
    per_word: std::collections::HashMap<String, usize>,
    /// The overall most frequent tag, for unseen words.
    pub fallback: usize,
}

impl LookupTagger {
    pub fn tag(&self, word: &str) -> usize {
        self.per_word.get(word).copied().unwrap_or(self.fallback)
    }

    /// Share of `set`'s words it tags right.
    pub fn accuracy(&self, set: &TaggedSet) -> f32 {
        let (mut right, mut total) = (0usize, 0usize);
        for (words, ids) in set.sentences.iter().zip(&set.tag_ids) {
            for (word, &id) in words.iter().zip(ids) {
                right += usize::from(self.tag(word) == id);
                total += 1;
            }
        }
        right as f32 / total.max(1) as f32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "# a comment\nThe cat sat .\tDET NOUN VERB .\nA dog sat\tDET NOUN VERB\n\nThe sat\tDET NOUN\n";

    #[test]
    fn parses_words_and_tags_in_order_of_first_use() {
        let set = TaggedSet::parse(SAMPLE).unwrap();
        assert_eq!(set.len(), 3);
        assert_eq!(set.sentences[0], ["The", "cat", "sat", "."]);
        assert_eq!(set.tags, ["DET", "NOUN", "VERB", "."]);
        assert_eq!(set.tag_ids[1], [0, 1, 2]);
        assert_eq!(set.word_count(), 9);
        assert_eq!(set.slice(1..10).len(), 2);
    }

    #[test]
    fn refuses_lines_that_do_not_line_up() {
        let err = TaggedSet::parse("a b\tDET\n").unwrap_err();
        assert!(
            err.contains("line 1") && err.contains("2 words but 1 tags"),
            "{err}"
        );
        let err = TaggedSet::parse("ok\tX\nno tab here\n").unwrap_err();
        assert!(err.contains("line 2") && err.contains("tab"), "{err}");
        let err = TaggedSet::parse("a  b\tX Y Z\n").unwrap_err();
        assert!(err.contains("line 1"), "{err}");
        assert!(TaggedSet::parse("# only a comment\n").is_err());
    }

    #[test]
    fn lookup_tagger_uses_each_words_usual_tag_and_the_commonest_for_new_words() {
        let all = TaggedSet::parse(&format!("{SAMPLE}The sat bird\tDET VERB NOUN\n")).unwrap();
        let (set, test) = (all.slice(0..3), all.slice(3..4));
        let tagger = set.lookup_tagger();
        // "sat" is VERB twice and NOUN once.
        assert_eq!(set.tags[tagger.tag("sat")], "VERB");
        // DET, NOUN and VERB are 3 each: the tie goes to the first tag seen.
        assert_eq!(set.tags[tagger.tag("unseen")], "DET");
        // The and sat are right; "bird" is unseen and gets DET.
        assert!((tagger.accuracy(&test) - 2.0 / 3.0).abs() < 1e-6);
    }
}
