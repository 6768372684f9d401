//! The two sentence objectives' pairs as a labelled set, so a head can be trained on them in the
//! fine-tuning lab: does a frozen MLM encoder already tell a sentence's real successor from a
//! sentence of another document (NSP), or the right order from the swapped one (SOP)?
//!
//! Pairs come in couples, as the pretraining lab's held-out pairs do: every chosen sentence A appears
//! once with the sentence that follows it and once with the objective's negative. A head that always
//! gives one answer then scores exactly 50%, whatever the draw.

use rand::seq::{IndexedRandom, SliceRandom};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::PairTask;

/// Sentences shorter or longer than this (in words) are not used: a two-word line says too
/// little to judge the order by, and long ones slow the lab down for no gain.
pub const SENTENCE_WORDS: std::ops::RangeInclusive<usize> = 5..=30;

/// One labelled pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectivePair {
    pub text: String,
    pub text_pair: String,
    pub label: &'static str,
}

/// The labels of a positive pair and of a negative one.
pub fn labels(task: PairTask) -> Option<(&'static str, &'static str)> {
    match task {
        PairTask::Nsp => Some(("next", "random")),
        PairTask::Sop => Some(("in_order", "swapped")),
        PairTask::None => None,
    }
}

fn usable(sentence: &str) -> bool {
    SENTENCE_WORDS.contains(&sentence.split_whitespace().count())
}

/// `couples` couples (2 × `couples` pairs) from `docs` (documents of sentences), in a seeded order.
/// The A sentences and their real successors depend only on the seed, so the NSP and SOP sets made
/// with one seed share their positives and differ only in the negatives. Fewer couples come back
/// when the text has fewer usable neighbours, and none for `PairTask::None`; an NSP negative needs
/// a second document.
pub fn objective_pairs(
    docs: &[Vec<&str>],
    task: PairTask,
    couples: usize,
    seed: u64,
) -> Vec<ObjectivePair> {
    let Some((positive, negative)) = labels(task) else {
        return Vec::new();
    };
    if task == PairTask::Nsp && docs.len() < 2 {
        return Vec::new();
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut neighbours: Vec<(usize, usize)> = docs
        .iter()
        .enumerate()
        .flat_map(|(d, doc)| {
            doc.windows(2)
                .enumerate()
                .filter(|(_, w)| usable(w[0]) && usable(w[1]))
                .map(move |(i, _)| (d, i))
        })
        .collect();
    neighbours.shuffle(&mut rng);
    // Negatives are drawn from their own stream, so the positives do not depend on the task.
    let mut negatives = ChaCha8Rng::seed_from_u64(seed ^ 0x6e65_6761_7469_7665);
    let others: Vec<(usize, &str)> = docs
        .iter()
        .enumerate()
        .flat_map(|(d, doc)| doc.iter().filter(|s| usable(s)).map(move |s| (d, *s)))
        .collect();
    let mut pairs = Vec::with_capacity(2 * couples);
    for &(d, i) in neighbours.iter().take(couples) {
        let (a, b) = (docs[d][i], docs[d][i + 1]);
        let (neg_a, neg_b) = match task {
            PairTask::Sop => (b, a),
            _ => {
                let elsewhere: Vec<&str> = others
                    .iter()
                    .filter(|(od, _)| *od != d)
                    .map(|(_, s)| *s)
                    .collect();
                match elsewhere.choose(&mut negatives) {
                    Some(s) => (a, *s),
                    None => continue,
                }
            }
        };
        pairs.push(ObjectivePair {
            text: a.to_string(),
            text_pair: b.to_string(),
            label: positive,
        });
        pairs.push(ObjectivePair {
            text: neg_a.to_string(),
            text_pair: neg_b.to_string(),
            label: negative,
        });
    }
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn docs() -> Vec<Vec<&'static str>> {
        vec![
            vec![
                "The whale rose slowly out of the grey sea.",
                "Every man on deck fell silent at the sight.",
                "Then the captain called for the boats at once.",
                "Short line.",
            ],
            vec![
                "Emma walked to the vicarage after breakfast that day.",
                "Harriet followed her with a basket of fresh bread.",
                "They found Mr Elton reading by the open window.",
            ],
        ]
    }

    #[test]
    fn couples_pair_each_sentence_with_its_successor_and_with_the_objectives_negative() {
        let docs = docs();
        for task in [PairTask::Nsp, PairTask::Sop] {
            let (positive, negative) = labels(task).unwrap();
            let pairs = objective_pairs(&docs, task, 10, 7);
            // Four usable neighbours (the short line has none), so four couples.
            assert_eq!(pairs.len(), 8, "{task:?}");
            for couple in pairs.chunks(2) {
                let (real, other) = (&couple[0], &couple[1]);
                assert_eq!((real.label, other.label), (positive, negative));
                let doc = docs
                    .iter()
                    .find(|d| d.contains(&real.text.as_str()))
                    .unwrap();
                let at = doc.iter().position(|s| *s == real.text).unwrap();
                assert_eq!(doc[at + 1], real.text_pair, "B follows A");
                match task {
                    PairTask::Sop => {
                        assert_eq!(
                            (&other.text, &other.text_pair),
                            (&real.text_pair, &real.text)
                        )
                    }
                    _ => {
                        assert_eq!(other.text, real.text);
                        assert!(
                            !doc.contains(&other.text_pair.as_str()),
                            "another document's B"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn both_objectives_share_their_positives_and_the_seed_fixes_the_draw() {
        let docs = docs();
        let positives = |task| -> Vec<(String, String)> {
            objective_pairs(&docs, task, 3, 11)
                .into_iter()
                .step_by(2)
                .map(|p| (p.text, p.text_pair))
                .collect()
        };
        assert_eq!(positives(PairTask::Nsp), positives(PairTask::Sop));
        assert_eq!(
            objective_pairs(&docs, PairTask::Nsp, 3, 11),
            objective_pairs(&docs, PairTask::Nsp, 3, 11)
        );
        assert!(
            objective_pairs(&docs[..1], PairTask::Nsp, 3, 11).is_empty(),
            "NSP needs two documents"
        );
        assert!(objective_pairs(&docs, PairTask::None, 3, 11).is_empty());
    }
}
