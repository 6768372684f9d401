//! Fuzz check `cloze_tsv`: the cloze benchmark file (`tests/data/cloze.tsv`, or one a user passes
//! to `bertlab eval-cloze`), read by `train::cloze::parse_cloze_tsv`. Contract: no panic; an
//! accepted file gives items with distinct, trimmed, non-empty ids, one `[MASK]` per sentence, and
//! answers that are non-empty lowercase words the scorer accepts; scoring each item's own answers
//! as predictions gets every item right.

#![allow(dead_code)]

use std::collections::HashSet;

use bertlab_core::train::cloze::{answer_words, parse_cloze_tsv, score, MASK};

pub fn check(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let Ok(items) = parse_cloze_tsv(&text) else {
        return;
    };
    let mut ids = HashSet::new();
    for item in &items {
        assert!(
            !item.id.is_empty() && item.id.trim() == item.id,
            "{:?}",
            item.id
        );
        assert!(ids.insert(item.id.as_str()), "duplicate id {:?}", item.id);
        assert_eq!(
            item.sentence.matches(MASK).count(),
            1,
            "{:?}",
            item.sentence
        );
        assert_eq!(item.masked_for("<mask>").matches(MASK).count(), 0);
        assert!(!item.answers.is_empty());
        for answer in &item.answers {
            assert!(!answer.is_empty());
            assert_eq!(&answer.to_lowercase(), answer, "answers are lowercase");
            assert!(
                item.accepts(answer) && item.accepts(&format!(" {answer}\n")),
                "item {:?} does not accept its own answer {answer:?}",
                item.id
            );
        }
    }
    let own: Vec<Vec<String>> = items.iter().map(|i| i.answers.clone()).collect();
    let scored = score(&items, &own).expect("one prediction list per item");
    assert_eq!(scored.overall.items, items.len());
    assert_eq!(scored.overall.top1, items.len());
    assert_eq!(scored.overall.top5, items.len());
    assert!(answer_words(&items).len() <= items.iter().map(|i| i.answers.len()).sum());
}
