use std::ops::Range;

use super::MaskingError;

/// Word ids derived from WordPiece pieces: a piece starting with `continuation_prefix` (`"##"` for
/// BERT) continues the previous word, any other piece starts a new one; special tokens get `None`.
/// Use this when a tokenizer's own `word_ids` are not at hand.
pub fn word_ids_from_pieces<S: AsRef<str>>(
    pieces: &[S],
    special: &[bool],
    continuation_prefix: &str,
) -> Result<Vec<Option<usize>>, MaskingError> {
    if special.len() != pieces.len() {
        return Err(MaskingError::LengthMismatch {
            what: "special-token mask",
            expected: pieces.len(),
            got: special.len(),
        });
    }
    let mut next_word = 0;
    let mut previous: Option<usize> = None;
    let ids = pieces
        .iter()
        .zip(special)
        .map(|(piece, &is_special)| {
            if is_special {
                previous = None;
                return None;
            }
            let continues =
                !continuation_prefix.is_empty() && piece.as_ref().starts_with(continuation_prefix);
            let word = match previous {
                Some(word) if continues => word,
                _ => {
                    next_word += 1;
                    next_word - 1
                }
            };
            previous = Some(word);
            Some(word)
        })
        .collect();
    Ok(ids)
}

/// The units selection draws from: each is a maximal run of consecutive non-special tokens sharing
/// a word id, or a single non-special token without one. Grouping runs rather than equal ids keeps
/// the two halves of a sentence pair apart, where tokenizers restart word ids at 0.
/// Lengths must have been checked by the caller.
pub(crate) fn word_units(special: &[bool], word_ids: &[Option<usize>]) -> Vec<Range<usize>> {
    let mut units: Vec<Range<usize>> = Vec::new();
    for (pos, (&is_special, &word)) in special.iter().zip(word_ids).enumerate() {
        if is_special {
            continue;
        }
        // The last unit ending right here means the previous token is non-special.
        let continues_last = word.is_some()
            && units.last().is_some_and(|u| u.end == pos)
            && word_ids[pos - 1] == word;
        match units.last_mut() {
            Some(last) if continues_last => last.end = pos + 1,
            _ => units.push(pos..pos + 1),
        }
    }
    units
}

/// One unit per non-special token: plain token-level selection.
pub(crate) fn token_units(special: &[bool]) -> Vec<Range<usize>> {
    (0..special.len())
        .filter(|&pos| !special[pos])
        .map(|pos| pos..pos + 1)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn continuation_pieces_join_the_previous_word() {
        let pieces = [
            "[CLS]", "un", "##aff", "##able", "dog", "[SEP]", "##x", "cat", "[SEP]",
        ];
        let special = pieces.map(|p| p.starts_with('['));
        let ids = word_ids_from_pieces(&pieces, &special, "##").unwrap();
        assert_eq!(
            ids,
            [
                None,
                Some(0),
                Some(0),
                Some(0),
                Some(1),
                None,
                Some(2),
                Some(3),
                None
            ]
        );
        let err = word_ids_from_pieces(&pieces, &special[..3], "##").unwrap_err();
        assert!(matches!(
            err,
            MaskingError::LengthMismatch {
                expected: 9,
                got: 3,
                ..
            }
        ));
    }

    #[test]
    fn units_are_runs_and_pair_halves_stay_apart() {
        // A sentence pair whose word ids restart at 0 after [SEP], as tokenizers reports them.
        let special = [true, false, false, false, true, false, false, true];
        let words = [None, Some(0), Some(0), Some(1), None, Some(0), None, None];
        assert_eq!(word_units(&special, &words), [1..3, 3..4, 5..6, 6..7]);
        assert_eq!(token_units(&special), [1..2, 2..3, 3..4, 5..6, 6..7]);
    }
}
