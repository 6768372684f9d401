//! What the model sees at a target: `[MASK]`, a random ordinary token, or the original token.

use std::ops::Range;

use rand::Rng;
use serde::{Deserialize, Serialize};

use super::selection::index_below;

/// What happened at one position.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Decision {
    /// Not a target: input unchanged, no label.
    Unselected,
    /// Target shown as `[MASK]`.
    Mask,
    /// Target shown as this random ordinary token. As in BERT, the draw may happen to be the
    /// original token.
    Random(u32),
    /// Target shown as itself.
    Keep,
}

impl Decision {
    /// Whether the position is a prediction target.
    pub fn is_target(self) -> bool {
        self != Decision::Unselected
    }

    /// The id the model sees at this position.
    pub fn apply(self, original: u32, mask_id: u32) -> u32 {
        match self {
            Decision::Mask => mask_id,
            Decision::Random(id) => id,
            Decision::Unselected | Decision::Keep => original,
        }
    }
}

/// The ids random replacement draws from (uniformly). Give only ordinary tokens: no `[CLS]`,
/// `[SEP]`, `[PAD]`, `[MASK]`, `[UNK]` or unused slots.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReplacementIds {
    /// A contiguous id range, e.g. `999..30522` for bert-base-uncased's ordinary pieces.
    Range(Range<u32>),
    /// An explicit list.
    List(Vec<u32>),
}

impl ReplacementIds {
    /// Every id below `vocab_size` except `excluded` (the special ids).
    pub fn vocab_excluding(vocab_size: u32, excluded: &[u32]) -> Self {
        Self::List(
            (0..vocab_size)
                .filter(|id| !excluded.contains(id))
                .collect(),
        )
    }

    pub fn len(&self) -> usize {
        match self {
            Self::Range(r) => r.len(),
            Self::List(ids) => ids.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn contains(&self, id: u32) -> bool {
        match self {
            Self::Range(r) => r.contains(&id),
            Self::List(ids) => ids.contains(&id),
        }
    }

    /// A uniform draw; the pool must not be empty (checked by `Masker::new`).
    fn draw(&self, rng: &mut impl Rng) -> u32 {
        match self {
            Self::Range(r) => rng.random_range(r.clone()),
            Self::List(ids) => ids[index_below(ids.len(), rng)],
        }
    }
}

/// The replacement probabilities of one configuration.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Split {
    pub mask: f64,
    pub random: f64,
}

/// Draws the decision for one target: `[MASK]` with probability `split.mask`, random with
/// `split.random`, kept otherwise.
pub(crate) fn decide(split: Split, pool: &ReplacementIds, rng: &mut impl Rng) -> Decision {
    let u = rng.random::<f64>();
    if u < split.mask {
        Decision::Mask
    // `Masker::new` rejects an empty pool with a random share; the check keeps this panic-free.
    } else if u < split.mask + split.random && !pool.is_empty() {
        Decision::Random(pool.draw(rng))
    } else {
        Decision::Keep
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apply_shows_the_right_id() {
        assert_eq!(Decision::Unselected.apply(7, 103), 7);
        assert_eq!(Decision::Keep.apply(7, 103), 7);
        assert_eq!(Decision::Mask.apply(7, 103), 103);
        assert_eq!(Decision::Random(42).apply(7, 103), 42);
        assert!(!Decision::Unselected.is_target());
        assert!(Decision::Keep.is_target());
    }

    #[test]
    fn pools_hold_only_what_they_say() {
        let pool = ReplacementIds::vocab_excluding(10, &[0, 3, 9]);
        assert_eq!(pool, ReplacementIds::List(vec![1, 2, 4, 5, 6, 7, 8]));
        assert!(pool.contains(4) && !pool.contains(3));
        let range = ReplacementIds::Range(5..8);
        assert_eq!(range.len(), 3);
        assert!(!range.contains(8));
        assert!(ReplacementIds::Range(5..5).is_empty());
    }
}
