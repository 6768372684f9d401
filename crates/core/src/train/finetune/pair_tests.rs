//! Sentence-pair fine-tuning on the tiny test encoder: packing, segment ids, and a task only the
//! pair's order answers.

use super::tests::{base, tokenizer};
use super::*;
use crate::train::classifier::classify;

/// Which of the two texts mentions the cat: the same words either way round, so only where the
/// second text starts (segment B, or the `[SEP]` between them) tells the labels apart.
fn cat_side(n: usize) -> LabelledSet {
    let cats = ["the cat sat", "a cat played", "cat ."];
    let others = ["the mat", "a mat on the mat", "playing on a mat"];
    let (mut texts, mut pairs, mut label_ids) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..n {
        let (cat, other) = (cats[i % 3].to_string(), others[i / 3 % 3].to_string());
        let second = i % 2;
        let (a, b) = if second == 1 {
            (other, cat)
        } else {
            (cat, other)
        };
        texts.push(a);
        pairs.push(b);
        label_ids.push(second);
    }
    LabelledSet {
        texts,
        text_pairs: Some(pairs),
        label_ids,
        labels: vec!["cat first".into(), "cat second".into()],
    }
}

fn pair_tuner(segments: SegmentIds) -> FineTuner {
    let config = FinetuneConfig {
        regime: Regime::Full,
        epochs: 40,
        min_updates: 0,
        batch_size: 8,
        lr_encoder: 3e-3,
        lr_head: 1e-2,
        segments,
        ..FinetuneConfig::default()
    };
    FineTuner::new(&base(), tokenizer(), &cat_side(24), config).unwrap()
}

#[test]
fn a_pair_is_packed_once_with_segment_a_and_b_or_all_in_one_segment() {
    let tok = tokenizer();
    let config = base().config;
    let set = cat_side(2);
    let per_text = encode_all(&tok, &config, &set, 64, SegmentIds::PerText).unwrap();
    let one = encode_all(&tok, &config, &set, 64, SegmentIds::One).unwrap();
    let sep = tok.token_to_id("[SEP]").unwrap();
    for i in 0..set.len() {
        let ids = &per_text.rows[i].ids;
        assert_eq!(
            ids, &one.rows[i].ids,
            "the ablation changes segment ids only"
        );
        let seps: Vec<usize> = (0..ids.len()).filter(|&k| ids[k] == sep).collect();
        assert_eq!(seps.len(), 2, "[CLS] A [SEP] B [SEP]");
        assert_eq!(*seps.last().unwrap(), ids.len() - 1);
        let types = &per_text.rows[i].types;
        // Segment A runs through the first [SEP]; segment B is the rest.
        assert!(types[..=seps[0]].iter().all(|&t| t == 0), "{types:?}");
        assert!(types[seps[0] + 1..].iter().all(|&t| t == 1), "{types:?}");
        assert!(one.rows[i].types.iter().all(|&t| t == 0));
    }
}

#[test]
fn full_fine_tuning_learns_which_text_of_the_pair_holds_the_cat() {
    let mut t = pair_tuner(SegmentIds::PerText);
    let set = cat_side(24);
    let before = t.evaluate(&set).unwrap();
    while !t.is_done() {
        t.train_step().unwrap();
    }
    let after = t.evaluate(&set).unwrap();
    assert!(after.loss < before.loss, "{} → {}", before.loss, after.loss);
    assert!(after.accuracy >= 0.9, "accuracy {}", after.accuracy);
}

#[test]
fn a_pair_classifier_records_its_packing_and_asks_for_two_texts() {
    for segments in SegmentIds::ALL {
        let t = pair_tuner(segments);
        assert_eq!(t.model().encoder.config().text_pairs, Some(segments));
        let json = t.model().encoder.config().to_hf_json();
        let back = EncoderConfig::from_hf_json(json.to_string().as_bytes()).unwrap();
        assert_eq!(back.text_pairs, Some(segments), "config.json keeps it");
        let (model, tok) = (t.model(), t.tokenizer());
        let one = classify(model, tok, "the cat sat", None).unwrap_err();
        assert!(one.to_string().contains("second text"), "{one}");
        let two = classify(model, tok, "the cat sat", Some("the mat")).unwrap();
        assert_eq!(two.len(), 2);
        // The classifier and the trainer read a pair the same way.
        let predicted = t.predict(&cat_side(1)).unwrap().remove(0);
        let p = |label: &str| two.iter().find(|(l, _)| l == label).unwrap().1;
        assert!(
            (p("cat first") - predicted[0]).abs() < 1e-5,
            "{two:?} vs {predicted:?}"
        );
        let singles = LabelledSet::single(vec!["the cat sat".into()], vec![0], t.labels().to_vec());
        assert!(
            t.evaluate(&singles).is_err(),
            "single texts on a pair model"
        );
    }
    let single = super::tests::tuner(Regime::Frozen);
    let refused = classify(single.model(), single.tokenizer(), "a", Some("b")).unwrap_err();
    assert!(refused.to_string().contains("single texts"), "{refused}");
}
