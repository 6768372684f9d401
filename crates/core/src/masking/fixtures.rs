//! A synthetic tokenized corpus for the tests: BERT-like ids, sentence pairs, padding and words of
//! one to four pieces.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::{ReplacementIds, Sequence};

pub const PAD: u32 = 0;
pub const CLS: u32 = 101;
pub const SEP: u32 = 102;
pub const MASK: u32 = 103;
pub const SPECIALS: [u32; 4] = [PAD, CLS, SEP, MASK];
/// Ordinary ids live in this range (bert-base-uncased's ordinary pieces start at 999).
pub const ORDINARY: std::ops::Range<u32> = 999..3000;
pub const MAX_WORD_PIECES: usize = 4;

pub fn pool() -> ReplacementIds {
    ReplacementIds::Range(ORDINARY)
}

pub struct Corpus {
    pub ids: Vec<Vec<u32>>,
    pub special: Vec<Vec<bool>>,
    pub word_ids: Vec<Vec<Option<usize>>>,
}

impl Corpus {
    /// Sequences of `[CLS] a [SEP] b [SEP] [PAD]*` until at least `candidates` non-special tokens.
    /// Word ids restart at 0 in the second segment, as tokenizers reports them for pairs.
    pub fn synthetic(seed: u64, candidates: usize) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut corpus = Corpus {
            ids: Vec::new(),
            special: Vec::new(),
            word_ids: Vec::new(),
        };
        let mut total = 0;
        while total < candidates {
            let mut ids = vec![CLS];
            let mut words = vec![None];
            for _segment in 0..2 {
                let n_words = rng.random_range(3..40);
                for word in 0..n_words {
                    for _ in 0..rng.random_range(1..=MAX_WORD_PIECES) {
                        ids.push(rng.random_range(ORDINARY));
                        words.push(Some(word));
                        total += 1;
                    }
                }
                ids.push(SEP);
                words.push(None);
            }
            for _ in 0..rng.random_range(0..5) {
                ids.push(PAD);
                words.push(None);
            }
            corpus
                .special
                .push(ids.iter().map(|id| SPECIALS.contains(id)).collect());
            corpus.ids.push(ids);
            corpus.word_ids.push(words);
        }
        corpus
    }

    pub fn candidates(&self) -> usize {
        self.special.iter().flatten().filter(|&&s| !s).count()
    }

    pub fn sequences(&self) -> Vec<Sequence<'_>> {
        (0..self.ids.len()).map(|i| self.sequence(i)).collect()
    }

    pub fn sequence(&self, i: usize) -> Sequence<'_> {
        Sequence {
            ids: &self.ids[i],
            special: &self.special[i],
            word_ids: Some(&self.word_ids[i]),
        }
    }
}
