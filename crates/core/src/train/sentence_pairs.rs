//! Sentence pairs made from a labelled set: "do these two texts ask for the same thing?". The
//! lab's semantic-matching task pairs the support messages this way, so the `[CLS] A [SEP] B [SEP]`
//! packing of the tokenizer lab does real work in fine-tuning.

use std::collections::BTreeSet;

use rand::seq::{IndexedRandom, SliceRandom};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::labelled::{LabelledSet, Split};

/// The label of a pair whose texts share a label.
pub const SAME: &str = "same";
/// The label of a pair whose texts do not.
pub const DIFFERENT: &str = "different";

/// Lower-cased words, for the overlap that picks hard negatives.
fn words(text: &str) -> BTreeSet<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

fn jaccard(a: &BTreeSet<String>, b: &BTreeSet<String>) -> f64 {
    let union = a.union(b).count();
    if union == 0 {
        return 0.0;
    }
    a.intersection(b).count() as f64 / union as f64
}

/// One pair per text of `set`, the text first. In a seeded order, every other text is paired with
/// a random other text of its label (`same`); the rest with the text of another label that shares
/// the most words with it (`different`), so that word overlap alone cannot tell the two apart. A
/// text alone in its label always gets a `different` partner.
pub fn pair_up(set: &LabelledSet, seed: u64) -> LabelledSet {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let vocab: Vec<BTreeSet<String>> = set.texts.iter().map(|t| words(t)).collect();
    let mut order: Vec<usize> = (0..set.len()).collect();
    order.shuffle(&mut rng);
    let mut want_same = vec![false; set.len()];
    for (rank, &i) in order.iter().enumerate() {
        want_same[i] = rank % 2 == 0;
    }
    // A seeded candidate order breaks ties between equally overlapping partners.
    let mut candidates: Vec<usize> = (0..set.len()).collect();
    candidates.shuffle(&mut rng);
    let (mut pairs, mut label_ids) = (Vec::new(), Vec::new());
    for i in 0..set.len() {
        let label = set.label_ids[i];
        let mates: Vec<usize> = candidates
            .iter()
            .copied()
            .filter(|&j| j != i && set.label_ids[j] == label)
            .collect();
        let partner = match mates.choose(&mut rng) {
            Some(&j) if want_same[i] => Some((j, true)),
            _ => candidates
                .iter()
                .copied()
                .filter(|&j| set.label_ids[j] != label)
                .fold(None, |best: Option<(usize, f64)>, j| {
                    let overlap = jaccard(&vocab[i], &vocab[j]);
                    match best {
                        Some((_, o)) if o >= overlap => best,
                        _ => Some((j, overlap)),
                    }
                })
                .map(|(j, _)| (j, false)),
        };
        if let Some((j, same)) = partner {
            pairs.push((i, j));
            label_ids.push(usize::from(same));
        }
    }
    LabelledSet {
        texts: pairs.iter().map(|&(i, _)| set.texts[i].clone()).collect(),
        text_pairs: Some(pairs.iter().map(|&(_, j)| set.texts[j].clone()).collect()),
        label_ids,
        // Sorted, as a CSV's labels are: `different` is 0, `same` 1.
        labels: vec![DIFFERENT.to_string(), SAME.to_string()],
    }
}

/// Pairs within each part of `split`, so no held-out text is ever seen in training.
pub fn pair_split(split: &Split, seed: u64) -> Split {
    Split {
        train: pair_up(&split.train, seed),
        test: pair_up(&split.test, seed.wrapping_add(1)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn intents() -> LabelledSet {
        let texts = [
            "refund my order please",
            "I want my money back for the order",
            "where is my parcel",
            "my parcel has not arrived",
            "the parcel arrived broken, refund please",
            "reset my password",
        ];
        LabelledSet::single(
            texts.map(String::from).to_vec(),
            vec![0, 0, 1, 1, 2, 3],
            vec![
                "refund".into(),
                "shipping".into(),
                "damaged".into(),
                "login".into(),
            ],
        )
    }

    #[test]
    fn each_text_gets_one_partner_labelled_by_whether_their_labels_agree() {
        let set = intents();
        let pairs = pair_up(&set, 3);
        assert_eq!(pairs.len(), set.len());
        assert_eq!(pairs.labels, [DIFFERENT, SAME]);
        let second = pairs.text_pairs.as_ref().expect("a pair set");
        let label_of = |t: &str| set.label_ids[set.texts.iter().position(|s| s == t).unwrap()];
        for (i, b) in second.iter().enumerate() {
            assert_ne!(&pairs.texts[i], b);
            let same = label_of(&pairs.texts[i]) == label_of(b);
            assert_eq!(pairs.label_ids[i], usize::from(same), "pair {i}");
        }
        // Texts alone in their label can only be paired with another label.
        for lonely in [4, 5] {
            assert_eq!(pairs.label_ids[lonely], 0);
        }
        assert_eq!(pair_up(&set, 3), pairs, "seeded");
    }

    #[test]
    fn a_different_partner_is_the_most_overlapping_text_of_another_label() {
        let set = intents();
        let pairs = pair_up(&set, 3);
        let second = pairs.text_pairs.as_ref().unwrap();
        for i in (0..pairs.len()).filter(|&i| pairs.label_ids[i] == 0) {
            let mine = words(&pairs.texts[i]);
            let chosen = jaccard(&mine, &words(&second[i]));
            let label = set.label_ids[i];
            for j in (0..set.len()).filter(|&j| set.label_ids[j] != label) {
                assert!(jaccard(&mine, &words(&set.texts[j])) <= chosen);
            }
        }
    }
}
