//! The token head's shipped tasks as training and held-out sets, and how a tagger is scored on
//! one: word accuracy for every task, exact-span entity F1 for entities, each against the lookup
//! table (every word's commonest training tag).

use bertlab_protocol::tagging::{EntityF1, TagTask};

use super::entities::{entity_scores, parse_messages, tagged_sets};
use super::tagged::TaggedSet;
use super::tagger::word_accuracy;

/// Held-out sentences at the end of the part-of-speech file.
pub const POS_TEST_SENTENCES: usize = 200;

/// `task`'s training and held-out sets from its file's text ([`TagTask::path`]), at most
/// `train_limit` training items (the first ones).
pub fn task_sets(
    task: TagTask,
    text: &str,
    train_limit: Option<usize>,
) -> Result<(TaggedSet, TaggedSet), String> {
    let (train, test) = match task {
        TagTask::PartOfSpeech => {
            let all = TaggedSet::parse(text)?;
            if all.len() <= POS_TEST_SENTENCES {
                return Err(format!(
                    "the tag file has {} sentences; its last {POS_TEST_SENTENCES} are the test split, so it needs more",
                    all.len()
                ));
            }
            let cut = all.len() - POS_TEST_SENTENCES;
            (all.slice(0..cut), all.slice(cut..all.len()))
        }
        TagTask::Entities => tagged_sets(&parse_messages(text)?),
    };
    if train.is_empty() || test.is_empty() {
        return Err("the file needs both training and held-out items".to_string());
    }
    let keep = train_limit.map_or(train.len(), |n| n.min(train.len()));
    Ok((train.slice(0..keep), test))
}

/// How a tagger's predicted tag ids for `test` score, next to the lookup table built on `train`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TagScores {
    pub accuracy: f32,
    pub lookup: f32,
    pub entity_f1: Option<EntityF1>,
}

pub fn score(
    task: TagTask,
    train: &TaggedSet,
    test: &TaggedSet,
    predicted: &[Vec<Option<usize>>],
) -> TagScores {
    let lookup = train.lookup_tagger();
    let lookup_tags: Vec<Vec<Option<usize>>> = test
        .sentences
        .iter()
        .map(|words| words.iter().map(|w| Some(lookup.tag(w))).collect())
        .collect();
    TagScores {
        accuracy: word_accuracy(test, predicted),
        lookup: word_accuracy(test, &lookup_tags),
        entity_f1: (task == TagTask::Entities).then(|| {
            let tagger = entity_scores(test, predicted);
            EntityF1 {
                tagger: tagger.f1(),
                lookup: entity_scores(test, &lookup_tags).f1(),
                entities: tagger.gold,
            }
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_shipped_task_splits_into_training_and_held_out_sets() {
        for task in TagTask::ALL {
            let path = format!("{}/../../{}", env!("CARGO_MANIFEST_DIR"), task.path());
            let text = std::fs::read_to_string(path).unwrap();
            let (train, test) = task_sets(task, &text, Some(100)).unwrap();
            assert_eq!(train.len(), 100, "{task:?}");
            assert!(test.len() >= 200, "{task:?}: {} held out", test.len());
            assert_eq!(train.tags, test.tags, "{task:?}: one tag list");
            // A tagger that copies the gold tags scores perfectly; the lookup table does not.
            let gold: Vec<Vec<Option<usize>>> = test
                .tag_ids
                .iter()
                .map(|ids| ids.iter().map(|&i| Some(i)).collect())
                .collect();
            let scores = score(task, &train, &test, &gold);
            assert_eq!(scores.accuracy, 1.0);
            assert!(scores.lookup > 0.3 && scores.lookup < 1.0, "{scores:?}");
            match (task, scores.entity_f1) {
                (TagTask::Entities, Some(f1)) => {
                    assert_eq!(f1.tagger, 1.0);
                    assert!(f1.lookup < 1.0 && f1.entities > 50, "{f1:?}");
                }
                (TagTask::PartOfSpeech, None) => {}
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn a_file_without_a_test_split_is_refused() {
        let err = task_sets(TagTask::PartOfSpeech, "a b\tX Y\n", None).unwrap_err();
        assert!(err.contains("test split"), "{err}");
        let line = r#"{"text": "a lamp", "split": "train", "entities": []}"#;
        let err = task_sets(TagTask::Entities, line, None).unwrap_err();
        assert!(err.contains("held-out"), "{err}");
    }
}
