//! The random stream behind every mask (the `Strategy` that picks its slot lives in the protocol).

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

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
    use crate::masking::{MaskingError, Strategy};
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
