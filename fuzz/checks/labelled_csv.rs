//! Fuzz check `labelled_csv`: the CSV a student uploads to the fine-tuning lab, read by
//! `train::labelled::parse_csv` (seeded 20 % held out, as the lab does). Contract: no panic; an
//! accepted file gives a train and a test part, both non-empty, over the same sorted, distinct
//! class names (two at least), every text and label trimmed and non-empty, every label id in range,
//! at most `MAX_ROWS` rows; the class-balanced subsets the label-efficiency curve draws keep their
//! promise.

#![allow(dead_code)]

use bertlab_core::train::labelled::{parse_csv, LabelledSet, MAX_ROWS};

pub fn check(data: &[u8]) {
    let seed = data.len() as u64;
    let Ok(split) = parse_csv(data, 0.2, seed) else {
        return;
    };
    // Deterministic for a seed.
    assert_eq!(parse_csv(data, 0.2, seed).ok().as_ref(), Some(&split));
    let labels = &split.train.labels;
    assert_eq!(labels, &split.test.labels);
    assert!(labels.len() >= 2, "{labels:?}");
    assert!(labels.windows(2).all(|w| w[0] < w[1]), "{labels:?}");
    assert!(!split.train.is_empty() && !split.test.is_empty());
    assert!(split.train.len() + split.test.len() <= MAX_ROWS);
    for set in [&split.train, &split.test] {
        check_set(set);
    }
    // Every class the file names has a row somewhere.
    let mut seen = vec![false; labels.len()];
    for set in [&split.train, &split.test] {
        set.label_ids.iter().for_each(|&l| seen[l] = true);
    }
    assert!(seen.iter().all(|&s| s), "a label without rows");

    let train = &split.train;
    for n in [1, labels.len(), train.len() / 2, train.len()] {
        let subset = train.balanced_subset(n, seed);
        check_set(&subset);
        assert_eq!(subset.len(), n.min(train.len()));
        if n < train.len() {
            // Nested: a smaller subset of one seed is inside a larger one.
            let larger = train.balanced_subset(n + 1, seed);
            let mut rest = larger.texts.iter().zip(&larger.label_ids);
            for pair in subset.texts.iter().zip(&subset.label_ids) {
                assert!(rest.any(|p| p == pair), "subsets of one seed must nest");
            }
        }
        // Every class that has rows keeps one while n allows.
        let classes_with_rows = train.class_counts().iter().filter(|&&c| c > 0).count();
        if n >= classes_with_rows {
            let kept = subset.class_counts().iter().filter(|&&c| c > 0).count();
            assert_eq!(kept, classes_with_rows, "a class lost in a subset of {n}");
        }
    }
    let wrong: Vec<usize> = train
        .label_ids
        .iter()
        .map(|&l| (l + 1) % labels.len())
        .collect();
    assert_eq!(
        train.misclassified(&wrong, 5).len(),
        train.len().min(5),
        "every prediction is wrong"
    );
}

fn check_set(set: &LabelledSet) {
    assert_eq!(set.texts.len(), set.label_ids.len());
    for (text, &label) in set.texts.iter().zip(&set.label_ids) {
        assert!(!text.is_empty() && text.trim() == text, "{text:?}");
        assert!(label < set.labels.len());
    }
    for label in &set.labels {
        assert!(!label.is_empty() && label.trim() == label, "{label:?}");
    }
    assert_eq!(set.class_counts().iter().sum::<usize>(), set.len());
}
