use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::MaskingError;

/// When a sequence gets a new mask.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Strategy {
    /// BERT: the data is duplicated `duplicates` times, each copy with its own fixed mask; epoch `e`
    /// sees copy `e % duplicates`, so a sequence only ever shows `duplicates` different masks.
    Static { duplicates: usize },
    /// RoBERTa: a fresh mask every time a sequence is seen.
    Dynamic,
}

impl Strategy {
    /// The mask slot a sequence uses in `epoch`. Static and dynamic masking with the same seed share
    /// the slots of the first `duplicates` epochs, so their masks agree there and diverge afterwards.
    pub fn slot(&self, epoch: u64) -> u64 {
        match *self {
            // validate() rules out 0; max(1) keeps this total anyway.
            Strategy::Static { duplicates } => epoch % (duplicates.max(1) as u64),
            Strategy::Dynamic => epoch,
        }
    }

    pub(crate) fn validate(&self) -> Result<(), MaskingError> {
        match *self {
            Strategy::Static { duplicates: 0 } => Err(MaskingError::ZeroDuplicates),
            _ => Ok(()),
        }
    }
}

/// The random stream of one mask. ChaCha is a pseudo-random function of its 256-bit key, so keying it
/// with (seed, sequence, slot) gives independent streams per mask without any hashing, identical on
/// every platform and in any iteration order.
pub(crate) fn mask_rng(seed: u64, seq_index: u64, slot: u64) -> ChaCha8Rng {
    // The last word separates these streams from any other use of the same seed in the project.
    const DOMAIN: u64 = u64::from_le_bytes(*b"bertmask");
    let mut key = [0u8; 32];
    for (chunk, word) in key.chunks_exact_mut(8).zip([seed, seq_index, slot, DOMAIN]) {
        chunk.copy_from_slice(&word.to_le_bytes());
    }
    ChaCha8Rng::from_seed(key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    #[test]
    fn static_slots_cycle_and_dynamic_slots_do_not() {
        let s = Strategy::Static { duplicates: 3 };
        let slots: Vec<u64> = (0..7).map(|e| s.slot(e)).collect();
        assert_eq!(slots, [0, 1, 2, 0, 1, 2, 0]);
        assert_eq!(Strategy::Dynamic.slot(41), 41);
        assert_eq!(
            Strategy::Static { duplicates: 0 }.validate(),
            Err(MaskingError::ZeroDuplicates)
        );
    }

    #[test]
    fn streams_depend_on_every_key_part() {
        let draw = |s, q, t| mask_rng(s, q, t).random::<u64>();
        assert_eq!(draw(1, 2, 3), draw(1, 2, 3));
        assert_ne!(draw(1, 2, 3), draw(2, 2, 3));
        assert_ne!(draw(1, 2, 3), draw(1, 3, 3));
        assert_ne!(draw(1, 2, 3), draw(1, 2, 4));
        // Swapped parts are different keys, not the same key.
        assert_ne!(draw(2, 3, 1), draw(3, 2, 1));
    }
}
