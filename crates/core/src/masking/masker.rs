use serde::{Deserialize, Serialize};

use super::replacement::{decide, Split};
use super::selection::select;
use super::stream::mask_rng;
use super::words::{token_units, word_units};
use super::{Decision, MaskCounts, MaskingConfig, MaskingError, ReplacementIds, Strategy};

/// The label of a non-target position in training frameworks (PyTorch's `ignore_index`).
pub const IGNORE_INDEX: i64 = -100;

/// One tokenized sequence to mask, as plain data.
#[derive(Debug, Clone, Copy)]
pub struct Sequence<'a> {
    /// Token ids, specials included.
    pub ids: &'a [u32],
    /// `true` at special tokens (`[CLS]`, `[SEP]`, `[PAD]`, ...): never selected.
    pub special: &'a [bool],
    /// Word id per token (e.g. a tokenizer's `word_ids`, or [`super::word_ids_from_pieces`]);
    /// needed for whole-word masking, ignored otherwise.
    pub word_ids: Option<&'a [Option<usize>]>,
}

/// A masked sequence: what the model sees, what it must predict, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MaskedSequence {
    /// The corrupted input.
    pub input_ids: Vec<u32>,
    /// The original id at targets, `None` elsewhere.
    pub labels: Vec<Option<u32>>,
    pub decisions: Vec<Decision>,
    pub counts: MaskCounts,
}

impl MaskedSequence {
    /// Labels with [`IGNORE_INDEX`] at non-targets, as loss functions take them.
    pub fn labels_i64(&self) -> Vec<i64> {
        self.labels
            .iter()
            .map(|label| label.map_or(IGNORE_INDEX, i64::from))
            .collect()
    }
}

/// A validated configuration together with the vocabulary facts masking needs.
#[derive(Debug, Clone)]
pub struct Masker {
    config: MaskingConfig,
    mask_id: u32,
    random_ids: ReplacementIds,
}

impl Masker {
    /// `mask_id` is the `[MASK]` id; `random_ids` the ordinary tokens random replacement draws from.
    pub fn new(
        config: MaskingConfig,
        mask_id: u32,
        random_ids: ReplacementIds,
    ) -> Result<Self, MaskingError> {
        config.validate()?;
        if config.random_fraction > 0.0 && random_ids.is_empty() {
            return Err(MaskingError::EmptyRandomPool {
                random_fraction: config.random_fraction,
            });
        }
        Ok(Self {
            config,
            mask_id,
            random_ids,
        })
    }

    pub fn config(&self) -> &MaskingConfig {
        &self.config
    }

    /// The same masking rates with a fresh mask on every call's slot from another `seed`: masks a
    /// run of this masker never drew (unless by chance), to test what a model learnt beyond them.
    pub fn with_fresh_draws(&self, seed: u64) -> Masker {
        Masker {
            config: MaskingConfig {
                strategy: Strategy::Dynamic,
                seed,
                ..self.config.clone()
            },
            ..self.clone()
        }
    }

    pub fn mask_id(&self) -> u32 {
        self.mask_id
    }

    /// Masks sequence number `seq_index` (its position in the dataset) as seen in `epoch`. A pure
    /// function of the configuration, `seq_index`, the strategy's slot for `epoch` and the sequence.
    pub fn mask(
        &self,
        seq: &Sequence<'_>,
        seq_index: u64,
        epoch: u64,
    ) -> Result<MaskedSequence, MaskingError> {
        let len = seq.ids.len();
        check_len("special-token mask", len, seq.special.len())?;
        let units = if self.config.whole_word {
            let word_ids = seq.word_ids.ok_or(MaskingError::MissingWordIds)?;
            check_len("word ids", len, word_ids.len())?;
            word_units(seq.special, word_ids)
        } else {
            token_units(seq.special)
        };

        let slot = self.config.strategy.slot(epoch);
        let mut rng = mask_rng(self.config.seed, seq_index, slot);
        let selected = select(units, len, self.config.selection_rate, &mut rng);
        let split = Split {
            mask: self.config.mask_fraction,
            random: self.config.random_fraction,
        };
        let decisions: Vec<Decision> = selected
            .iter()
            .map(|&target| {
                if target {
                    decide(split, &self.random_ids, &mut rng)
                } else {
                    Decision::Unselected
                }
            })
            .collect();

        let input_ids = seq
            .ids
            .iter()
            .zip(&decisions)
            .map(|(&id, d)| d.apply(id, self.mask_id))
            .collect();
        let labels = seq
            .ids
            .iter()
            .zip(&decisions)
            .map(|(&id, d)| d.is_target().then_some(id))
            .collect();
        let counts = super::stats::counts_of(seq.special, &decisions);
        Ok(MaskedSequence {
            input_ids,
            labels,
            decisions,
            counts,
        })
    }
}

fn check_len(what: &'static str, expected: usize, got: usize) -> Result<(), MaskingError> {
    if expected == got {
        Ok(())
    } else {
        Err(MaskingError::LengthMismatch {
            what,
            expected,
            got,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{pool, Corpus, MASK, ORDINARY, SPECIALS};
    use super::*;

    fn masker(config: MaskingConfig) -> Masker {
        Masker::new(config, MASK, pool()).unwrap()
    }

    fn mask_all(masker: &Masker, corpus: &Corpus, epoch: u64) -> Vec<MaskedSequence> {
        corpus
            .sequences()
            .iter()
            .enumerate()
            .map(|(i, s)| masker.mask(s, i as u64, epoch).unwrap())
            .collect()
    }

    fn configs() -> Vec<MaskingConfig> {
        let base = MaskingConfig::default();
        vec![
            base.clone(),
            MaskingConfig {
                selection_rate: 0.4,
                mask_fraction: 0.5,
                random_fraction: 0.3,
                whole_word: true,
                ..base.clone()
            },
            MaskingConfig {
                selection_rate: 0.9,
                mask_fraction: 0.0,
                random_fraction: 0.6,
                strategy: Strategy::Static { duplicates: 3 },
                ..base
            },
        ]
    }

    #[test]
    fn every_position_obeys_the_contract() {
        let corpus = Corpus::synthetic(1, 20_000);
        for config in configs() {
            let m = masker(config.clone());
            for (i, seq) in corpus.sequences().iter().enumerate() {
                let out = m.mask(seq, i as u64, 2).unwrap();
                assert_eq!(out.input_ids.len(), seq.ids.len());
                for pos in 0..seq.ids.len() {
                    let (original, shown) = (seq.ids[pos], out.input_ids[pos]);
                    let decision = out.decisions[pos];
                    if seq.special[pos] {
                        assert_eq!(
                            decision,
                            Decision::Unselected,
                            "special selected ({config:?})"
                        );
                    }
                    // Labels exactly at targets, always the original id.
                    assert_eq!(out.labels[pos], decision.is_target().then_some(original));
                    match decision {
                        Decision::Unselected | Decision::Keep => assert_eq!(shown, original),
                        Decision::Mask => assert_eq!(shown, MASK),
                        Decision::Random(id) => {
                            assert_eq!(shown, id);
                            assert!(ORDINARY.contains(&id) && !SPECIALS.contains(&id));
                        }
                    }
                }
                let labels = out.labels_i64();
                for (label, l) in labels.iter().zip(&out.labels) {
                    assert_eq!(*label, l.map_or(IGNORE_INDEX, i64::from));
                }
            }
        }
    }

    #[test]
    fn whole_word_masking_never_splits_a_word() {
        let corpus = Corpus::synthetic(2, 20_000);
        let m = masker(MaskingConfig {
            whole_word: true,
            ..Default::default()
        });
        let mut split_words_seen = 0;
        for (i, seq) in corpus.sequences().iter().enumerate() {
            let words = seq.word_ids.unwrap();
            for epoch in 0..3 {
                let out = m.mask(seq, i as u64, epoch).unwrap();
                for pos in 1..seq.ids.len() {
                    let same_word = words[pos].is_some() && words[pos] == words[pos - 1];
                    if same_word {
                        split_words_seen += 1;
                        assert_eq!(
                            out.decisions[pos].is_target(),
                            out.decisions[pos - 1].is_target(),
                            "word split in sequence {i} at {pos}"
                        );
                    }
                }
            }
        }
        assert!(
            split_words_seen > 1000,
            "the corpus must have multi-piece words"
        );
    }

    #[test]
    fn same_seed_same_masks_other_seed_other_masks() {
        let corpus = Corpus::synthetic(3, 5_000);
        for config in configs() {
            let a = mask_all(&masker(config.clone()), &corpus, 1);
            let b = mask_all(&masker(config.clone()), &corpus, 1);
            assert_eq!(a, b);
            let other = masker(MaskingConfig {
                seed: config.seed + 1,
                ..config
            });
            let c = mask_all(&other, &corpus, 1);
            let differing = a.iter().zip(&c).filter(|(x, y)| x != y).count();
            assert!(
                differing * 10 > a.len() * 9,
                "{differing} of {} differ",
                a.len()
            );
        }
    }

    #[test]
    fn a_mask_does_not_depend_on_iteration_order() {
        let corpus = Corpus::synthetic(4, 3_000);
        let m = masker(MaskingConfig::default());
        let forward: Vec<_> = (0..4).map(|e| mask_all(&m, &corpus, e)).collect();
        // Epochs backwards, sequences backwards, each with a fresh masker.
        for epoch in (0..4u64).rev() {
            let fresh = masker(MaskingConfig::default());
            for i in (0..corpus.ids.len()).rev() {
                let out = fresh.mask(&corpus.sequence(i), i as u64, epoch).unwrap();
                assert_eq!(out, forward[epoch as usize][i]);
            }
        }
    }

    #[test]
    fn static_masks_repeat_with_period_n_and_dynamic_masks_do_not() {
        let corpus = Corpus::synthetic(5, 5_000);
        let n = 4;
        let stat = masker(MaskingConfig {
            strategy: Strategy::Static { duplicates: n },
            ..Default::default()
        });
        let dynamic = masker(MaskingConfig::default());
        let stat_epochs: Vec<_> = (0..3 * n as u64)
            .map(|e| mask_all(&stat, &corpus, e))
            .collect();
        let dyn_epochs: Vec<_> = (0..3 * n as u64)
            .map(|e| mask_all(&dynamic, &corpus, e))
            .collect();
        for e in 0..2 * n {
            assert_eq!(
                stat_epochs[e],
                stat_epochs[e + n],
                "static epoch {e} vs {}",
                e + n
            );
        }
        // Within a period, and for dynamic masking across all epochs, a sequence's masks differ.
        let all_distinct = |epochs: &[Vec<MaskedSequence>], seq: usize| {
            let masks: Vec<_> = epochs.iter().map(|e| &e[seq].decisions).collect();
            (0..masks.len()).all(|a| (a + 1..masks.len()).all(|b| masks[a] != masks[b]))
        };
        for seq in 0..corpus.ids.len() {
            assert!(
                all_distinct(&stat_epochs[..n], seq),
                "static duplicates of {seq} repeat"
            );
            assert!(
                all_distinct(&dyn_epochs, seq),
                "dynamic masks of {seq} repeat"
            );
        }
        // Same seed: static and dynamic agree on the first n epochs, then diverge.
        assert_eq!(stat_epochs[..n], dyn_epochs[..n]);
        assert_ne!(stat_epochs[n], dyn_epochs[n]);
    }

    #[test]
    fn bad_inputs_are_named() {
        let ids = [101, 2000, 2001, 102];
        let special = [true, false, false, true];
        let m = masker(MaskingConfig::default());
        let short = Sequence {
            ids: &ids,
            special: &special[..3],
            word_ids: None,
        };
        let err = m.mask(&short, 0, 0).unwrap_err();
        assert!(
            err.to_string().contains("special-token mask has 3 entries"),
            "{err}"
        );

        let ww = masker(MaskingConfig {
            whole_word: true,
            ..Default::default()
        });
        let no_words = Sequence {
            ids: &ids,
            special: &special,
            word_ids: None,
        };
        assert_eq!(ww.mask(&no_words, 0, 0), Err(MaskingError::MissingWordIds));
        let words = [None, Some(0)];
        let few_words = Sequence {
            word_ids: Some(&words),
            ..no_words
        };
        assert!(matches!(
            ww.mask(&few_words, 0, 0),
            Err(MaskingError::LengthMismatch {
                what: "word ids",
                ..
            })
        ));

        let empty = ReplacementIds::List(Vec::new());
        assert!(matches!(
            Masker::new(MaskingConfig::default(), MASK, empty.clone()),
            Err(MaskingError::EmptyRandomPool { .. })
        ));
        // Without a random share the pool is not needed.
        let no_random = MaskingConfig {
            random_fraction: 0.0,
            ..Default::default()
        };
        assert!(Masker::new(no_random, MASK, empty).is_ok());
        let invalid = MaskingConfig {
            selection_rate: 2.0,
            ..Default::default()
        };
        assert!(Masker::new(invalid, MASK, pool()).is_err());
    }

    #[test]
    fn a_sequence_of_only_specials_has_no_targets() {
        let ids = [101, 102, 0, 0];
        let special = [true; 4];
        let seq = Sequence {
            ids: &ids,
            special: &special,
            word_ids: None,
        };
        let m = masker(MaskingConfig {
            selection_rate: 1.0,
            ..Default::default()
        });
        let out = m.mask(&seq, 0, 0).unwrap();
        assert_eq!(out.input_ids, ids);
        assert_eq!(out.counts.selected, 0);
        assert_eq!(out.counts.selection_rate(), 0.0);
    }
}
