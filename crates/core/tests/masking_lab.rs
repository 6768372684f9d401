//! The masking lab's flow through the public API only: a WordPiece-split sentence, word ids from its
//! pieces, an epochs grid under static and dynamic masking, and the chart's figures.

use std::collections::HashMap;

use bertlab_core::masking::{
    epoch_stats, word_ids_from_pieces, Decision, Masker, MaskingConfig, ReplacementIds, Sequence,
    Strategy,
};
use bertlab_core::text::wordpiece_trace::{trace_word, WordPieceParams};

const UNK: u32 = 0;
const CLS: u32 = 1;
const SEP: u32 = 2;
const MASK: u32 = 3;
const SPECIALS: [u32; 4] = [UNK, CLS, SEP, MASK];

#[test]
fn a_sentence_through_the_masking_lab() {
    let text = "the unaffable dog chased the affable cat across the garden";
    let vocab: HashMap<String, u32> = [
        "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "un", "##aff", "##able", "dog", "chased",
        "aff", "cat", "across", "garden",
    ]
    .iter()
    .enumerate()
    .map(|(i, piece)| (piece.to_string(), i as u32))
    .collect();
    let params = WordPieceParams::default();
    let mut pieces = vec!["[CLS]".to_string()];
    for word in text.split_whitespace() {
        let trace = trace_word(word, &vocab, &params).unwrap();
        pieces.extend(trace.pieces.into_iter().map(|p| p.text));
    }
    pieces.push("[SEP]".to_string());
    assert_eq!(pieces[2..5], ["un", "##aff", "##able"]);
    let ids: Vec<u32> = pieces.iter().map(|p| vocab[p]).collect();
    let special: Vec<bool> = ids.iter().map(|id| SPECIALS.contains(id)).collect();
    let word_ids = word_ids_from_pieces(&pieces, &special, "##").unwrap();
    let seq = Sequence {
        ids: &ids,
        special: &special,
        word_ids: Some(&word_ids),
    };
    let random_ids = ReplacementIds::vocab_excluding(vocab.len() as u32, &SPECIALS);

    let grid = |strategy| {
        let config = MaskingConfig {
            selection_rate: 0.3,
            random_fraction: 0.2,
            mask_fraction: 0.5,
            whole_word: true,
            strategy,
            ..Default::default()
        };
        let masker = Masker::new(config, MASK, random_ids.clone()).unwrap();
        (0..6)
            .map(|epoch| masker.mask(&seq, 0, epoch).unwrap())
            .collect::<Vec<_>>()
    };
    let stat = grid(Strategy::Static { duplicates: 2 });
    let dynamic = grid(Strategy::Dynamic);
    for row in stat.iter().chain(&dynamic) {
        // "un ##aff ##able" is one word: its three pieces are targets together or not at all.
        let unaffable: Vec<bool> = row.decisions[2..5].iter().map(|d| d.is_target()).collect();
        assert!(
            unaffable == [true; 3] || unaffable == [false; 3],
            "{unaffable:?}"
        );
        for (pos, (&shown, decision)) in row.input_ids.iter().zip(&row.decisions).enumerate() {
            if special[pos] {
                assert_eq!(*decision, Decision::Unselected);
            } else if *decision != Decision::Mask {
                assert!(!SPECIALS.contains(&shown), "special id {shown} at {pos}");
            }
        }
    }
    assert_eq!(stat[0], stat[2]);
    assert_eq!(stat[1], stat[5]);
    assert_ne!(stat[0], stat[1]);
    // The grid is a JSON value the worker can post to the page.
    let json = serde_json::to_value(&dynamic).unwrap();
    assert_eq!(json.as_array().map(Vec::len), Some(6));

    let config = MaskingConfig {
        strategy: Strategy::Static { duplicates: 2 },
        ..Default::default()
    };
    let masker = Masker::new(config, MASK, random_ids).unwrap();
    let report = epoch_stats(&masker, &[seq], 5).unwrap();
    assert_eq!(report[1].distinct_targets, report[4].distinct_targets);
}
