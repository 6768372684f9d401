//! The masking lab's grid: one sentence (or passage) masked over N epochs, a row per epoch, with the
//! counts and rates the lab charts. Pure data in and out, so the worker computes it and the page draws it.

use super::{
    epoch_stats, Decision, GridCell, Masker, MaskingError, MaskingGrid, Sequence, MAX_GRID_EPOCHS,
};

/// Masks `sequence` (with its `pieces`, one per token) for epochs `0..epochs` as sequence 0 of a
/// dataset, naming each random replacement with `piece_of`.
pub fn masking_grid(
    masker: &Masker,
    pieces: &[String],
    sequence: &Sequence<'_>,
    epochs: usize,
    piece_of: impl Fn(u32) -> String,
) -> Result<MaskingGrid, MaskingError> {
    if !(1..=MAX_GRID_EPOCHS).contains(&epochs) {
        return Err(MaskingError::EpochsOutOfRange {
            epochs,
            max: MAX_GRID_EPOCHS,
        });
    }
    if pieces.len() != sequence.ids.len() {
        return Err(MaskingError::LengthMismatch {
            what: "pieces",
            expected: sequence.ids.len(),
            got: pieces.len(),
        });
    }
    let rows = (0..epochs as u64)
        .map(|epoch| {
            let masked = masker.mask(sequence, 0, epoch)?;
            Ok(masked
                .decisions
                .iter()
                .zip(sequence.special)
                .map(|(decision, &special)| match decision {
                    _ if special => GridCell::Special,
                    Decision::Unselected => GridCell::Plain,
                    Decision::Mask => GridCell::Mask,
                    Decision::Random(id) => GridCell::Random(piece_of(*id)),
                    Decision::Keep => GridCell::Keep,
                })
                .collect())
        })
        .collect::<Result<Vec<Vec<GridCell>>, MaskingError>>()?;
    Ok(MaskingGrid {
        pieces: pieces.to_vec(),
        config: masker.config().clone(),
        rows,
        epochs: epoch_stats(masker, std::slice::from_ref(sequence), epochs as u64)?,
        candidates: sequence.special.iter().filter(|&&s| !s).count(),
    })
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{pool, MASK};
    use super::super::{MaskingConfig, Strategy};
    use super::*;

    /// `[CLS] w0 .. w{n-1} [SEP]` with piece names, ids 1000.. and specials at both ends.
    fn sentence(n: usize) -> (Vec<String>, Vec<u32>, Vec<bool>) {
        let mut pieces = vec!["[CLS]".to_string()];
        pieces.extend((0..n).map(|i| format!("w{i}")));
        pieces.push("[SEP]".into());
        let ids = (0..n as u32 + 2).map(|i| 1000 + i).collect();
        let special = (0..n + 2).map(|i| i == 0 || i == n + 1).collect();
        (pieces, ids, special)
    }

    fn grid(strategy: Strategy, epochs: usize) -> MaskingGrid {
        let (pieces, ids, special) = sentence(30);
        let config = MaskingConfig {
            strategy,
            selection_rate: 0.3,
            ..MaskingConfig::default()
        };
        let masker = Masker::new(config, MASK, pool()).expect("valid");
        let seq = Sequence {
            ids: &ids,
            special: &special,
            word_ids: None,
        };
        masking_grid(&masker, &pieces, &seq, epochs, |id| format!("piece{id}")).expect("grid")
    }

    fn targets(row: &[GridCell]) -> Vec<usize> {
        (0..row.len())
            .filter(|&i| !matches!(row[i], GridCell::Plain | GridCell::Special))
            .collect()
    }

    #[test]
    fn static_rows_repeat_with_their_period_and_dynamic_rows_do_not() {
        let k = 3;
        let stat = grid(Strategy::Static { duplicates: k }, 9);
        for e in k..9 {
            assert_eq!(stat.rows[e], stat.rows[e - k], "epoch {e}");
        }
        assert_ne!(targets(&stat.rows[0]), targets(&stat.rows[1]));
        let dynamic = grid(Strategy::Dynamic, 9);
        for a in 0..9 {
            for b in a + 1..9 {
                assert_ne!(targets(&dynamic.rows[a]), targets(&dynamic.rows[b]));
            }
        }
        // Coverage: static stops growing after k epochs, dynamic keeps finding new targets.
        let distinct = |g: &MaskingGrid| {
            g.epochs
                .iter()
                .map(|e| e.distinct_targets)
                .collect::<Vec<_>>()
        };
        let s = distinct(&stat);
        assert!(s[k..].iter().all(|&d| d == s[k - 1]), "{s:?}");
        let d = distinct(&dynamic);
        assert!(
            d.windows(2).all(|w| w[1] >= w[0]) && d[8] > d[0] && d[8] > s[8],
            "{d:?}"
        );
    }

    #[test]
    fn counts_match_the_cells() {
        let g = grid(Strategy::Dynamic, 12);
        assert_eq!(g.candidates, 30);
        assert_eq!(g.rows.len(), 12);
        for (row, stats) in g.rows.iter().zip(&g.epochs) {
            assert_eq!(row.len(), g.pieces.len());
            assert_eq!(row[0], GridCell::Special);
            assert_eq!(row[31], GridCell::Special);
            let count = |f: fn(&GridCell) -> bool| row.iter().filter(|c| f(c)).count() as u64;
            let c = stats.counts;
            assert_eq!(count(|c| *c == GridCell::Mask), c.masked);
            assert_eq!(count(|c| matches!(c, GridCell::Random(_))), c.randomized);
            assert_eq!(count(|c| *c == GridCell::Keep), c.kept);
            assert_eq!(targets(row).len() as u64, c.selected);
            // 30 % of 30 candidates: exactly 9 targets each epoch.
            assert_eq!(c.selected, 9);
            for cell in row {
                if let GridCell::Random(piece) = cell {
                    assert!(piece.starts_with("piece"), "{piece}");
                }
            }
        }
    }

    #[test]
    fn bad_requests_are_named() {
        let (pieces, ids, special) = sentence(4);
        let masker = Masker::new(MaskingConfig::default(), MASK, pool()).expect("valid");
        let seq = Sequence {
            ids: &ids,
            special: &special,
            word_ids: None,
        };
        let err = masking_grid(&masker, &pieces, &seq, 51, |_| String::new()).unwrap_err();
        assert!(err.to_string().contains("between 1 and 50"), "{err}");
        let err = masking_grid(&masker, &pieces[1..], &seq, 2, |_| String::new()).unwrap_err();
        assert!(err.to_string().contains("pieces has 5 entries"), "{err}");
    }
}
