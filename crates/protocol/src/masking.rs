//! The masking vocabulary the page and the core share: the settings a student picks
//! ([`MaskingConfig`], [`Strategy`]), why settings are refused ([`MaskingError`]), and what the
//! masking lab draws ([`MaskingGrid`], [`EpochStats`], [`MaskCounts`]). The masking itself lives in
//! the core's `masking` module.

use std::ops::AddAssign;

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Slack for `mask_fraction + random_fraction <= 1` so that slider values such as 0.7 + 0.3 pass.
const FRACTION_SUM_SLACK: f64 = 1e-9;

/// How sequences are masked. Every field has a default, so `{}` or a partial JSON object (e.g. from a
/// URL) deserializes; unknown fields are rejected so that a typo does not pass silently.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MaskingConfig {
    /// Fraction of the non-special tokens that become prediction targets. Default 0.15 (BERT).
    pub selection_rate: f64,
    /// Of the targets, the fraction shown as `[MASK]`. Default 0.8.
    pub mask_fraction: f64,
    /// Of the targets, the fraction replaced by a random ordinary token. Default 0.1. The rest of the
    /// targets keep their original token (see [`MaskingConfig::keep_fraction`]; 0.1 by default).
    pub random_fraction: f64,
    /// Select whole words: all pieces of a selected word become targets together. Default false.
    pub whole_word: bool,
    /// Static (BERT) or dynamic (RoBERTa) masking. Default dynamic.
    pub strategy: Strategy,
    /// Seed of every mask. Default 12345 (as in BERT's `create_pretraining_data.py`).
    pub seed: u64,
}

impl Default for MaskingConfig {
    fn default() -> Self {
        Self {
            selection_rate: 0.15,
            mask_fraction: 0.8,
            random_fraction: 0.1,
            whole_word: false,
            strategy: Strategy::Dynamic,
            seed: 12345,
        }
    }
}

impl MaskingConfig {
    /// Of the targets, the fraction that keeps its original token: the remainder of
    /// `mask_fraction + random_fraction`, snapped to 0 within float rounding (0.7 + 0.3 keeps none).
    pub fn keep_fraction(&self) -> f64 {
        let keep = 1.0 - self.mask_fraction - self.random_fraction;
        if keep < FRACTION_SUM_SLACK {
            0.0
        } else {
            keep
        }
    }

    /// Checks every rate and the strategy; the error names the offending field.
    pub fn validate(&self) -> Result<(), MaskingError> {
        unit_interval("selection_rate", self.selection_rate)?;
        unit_interval("mask_fraction", self.mask_fraction)?;
        unit_interval("random_fraction", self.random_fraction)?;
        if self.mask_fraction + self.random_fraction > 1.0 + FRACTION_SUM_SLACK {
            return Err(MaskingError::FractionsExceedOne {
                mask: self.mask_fraction,
                random: self.random_fraction,
            });
        }
        self.strategy.validate()
    }
}

fn unit_interval(name: &'static str, value: f64) -> Result<(), MaskingError> {
    if (0.0..=1.0).contains(&value) {
        Ok(())
    } else {
        // NaN lands here too: `contains` is false for it.
        Err(MaskingError::RateOutOfRange { name, value })
    }
}

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

    pub fn validate(&self) -> Result<(), MaskingError> {
        match *self {
            Strategy::Static { duplicates: 0 } => Err(MaskingError::ZeroDuplicates),
            _ => Ok(()),
        }
    }
}

/// Why a masking configuration or input was rejected.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum MaskingError {
    #[error("{name} must be a number between 0 and 1, got {value}")]
    RateOutOfRange { name: &'static str, value: f64 },
    #[error(
        "mask_fraction ({mask}) + random_fraction ({random}) = {} exceeds 1; the kept fraction is \
         what remains of 1",
        .mask + .random
    )]
    FractionsExceedOne { mask: f64, random: f64 },
    #[error("static masking needs at least 1 duplicate, got 0")]
    ZeroDuplicates,
    #[error("{what} has {got} entries but the sequence has {expected} tokens")]
    LengthMismatch {
        what: &'static str,
        expected: usize,
        got: usize,
    },
    #[error("the grid shows between 1 and {max} epochs, not {epochs}")]
    EpochsOutOfRange { epochs: usize, max: usize },
    #[error("whole-word masking is on but the sequence came without word ids")]
    MissingWordIds,
    #[error(
        "random_fraction is {random_fraction} but the list of random replacement ids is empty"
    )]
    EmptyRandomPool { random_fraction: f64 },
}

/// Counts of one masked sequence, or summed over many.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MaskCounts {
    pub tokens: u64,
    /// Non-special tokens: those selection draws from.
    pub candidates: u64,
    /// Targets.
    pub selected: u64,
    pub masked: u64,
    pub randomized: u64,
    pub kept: u64,
}

impl MaskCounts {
    /// Measured selection rate: targets per candidate (0 without candidates).
    pub fn selection_rate(&self) -> f64 {
        ratio(self.selected, self.candidates)
    }

    /// Measured share of targets shown as `[MASK]`.
    pub fn mask_share(&self) -> f64 {
        ratio(self.masked, self.selected)
    }

    /// Measured share of targets replaced by a random token.
    pub fn random_share(&self) -> f64 {
        ratio(self.randomized, self.selected)
    }

    /// Measured share of targets left unchanged.
    pub fn keep_share(&self) -> f64 {
        ratio(self.kept, self.selected)
    }
}

impl AddAssign for MaskCounts {
    fn add_assign(&mut self, other: Self) {
        self.tokens += other.tokens;
        self.candidates += other.candidates;
        self.selected += other.selected;
        self.masked += other.masked;
        self.randomized += other.randomized;
        self.kept += other.kept;
    }
}

fn ratio(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

/// One epoch over a set of sequences.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EpochStats {
    pub epoch: u64,
    /// This epoch's counts, summed over the sequences.
    pub counts: MaskCounts,
    /// Positions that were a target in this or any earlier epoch. Static masking saturates at the
    /// union of its `duplicates` masks; dynamic masking keeps growing towards all candidates.
    pub distinct_targets: u64,
}

/// What happened to one token in one epoch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum GridCell {
    /// Not a target.
    Plain,
    /// Target shown as `[MASK]`.
    Mask,
    /// Target shown as this random piece.
    Random(String),
    /// Target shown as itself.
    Keep,
    /// `[CLS]`, `[SEP]`: never a target.
    Special,
}

/// The masking lab's result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MaskingGrid {
    pub pieces: Vec<String>,
    pub config: MaskingConfig,
    /// `rows[epoch][token]`.
    pub rows: Vec<Vec<GridCell>>,
    /// Per epoch: counts, and positions that were a target in this or an earlier epoch.
    pub epochs: Vec<EpochStats>,
    /// Tokens that can be targets (non-special).
    pub candidates: usize,
}

/// The grid shows at most this many epochs.
pub const MAX_GRID_EPOCHS: usize = 50;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_berts_and_valid() {
        let c = MaskingConfig::default();
        assert_eq!(c.selection_rate, 0.15);
        assert_eq!(c.mask_fraction, 0.8);
        assert_eq!(c.random_fraction, 0.1);
        assert!((c.keep_fraction() - 0.1).abs() < 1e-12);
        assert!(c.validate().is_ok());
    }

    #[test]
    fn rates_outside_unit_interval_are_named() {
        let base = MaskingConfig::default();
        let cases = [
            (
                "selection_rate",
                MaskingConfig {
                    selection_rate: 1.5,
                    ..base.clone()
                },
            ),
            (
                "selection_rate",
                MaskingConfig {
                    selection_rate: f64::NAN,
                    ..base.clone()
                },
            ),
            (
                "mask_fraction",
                MaskingConfig {
                    mask_fraction: -0.1,
                    ..base.clone()
                },
            ),
            (
                "random_fraction",
                MaskingConfig {
                    random_fraction: f64::INFINITY,
                    ..base
                },
            ),
        ];
        for (name, c) in cases {
            match c.validate() {
                Err(MaskingError::RateOutOfRange { name: got, .. }) => assert_eq!(got, name),
                other => panic!("expected RateOutOfRange for {name}, got {other:?}"),
            }
        }
    }

    #[test]
    fn fractions_must_leave_a_nonnegative_keep() {
        let c = MaskingConfig {
            mask_fraction: 0.8,
            random_fraction: 0.3,
            ..Default::default()
        };
        let err = c.validate().unwrap_err();
        assert!(matches!(err, MaskingError::FractionsExceedOne { .. }));
        assert!(err.to_string().contains("exceeds 1"), "{err}");
        // Exactly 1 (no kept targets) is fine, also with float rounding.
        let c = MaskingConfig {
            mask_fraction: 0.7,
            random_fraction: 0.3,
            ..Default::default()
        };
        assert!(c.validate().is_ok());
        assert_eq!(c.keep_fraction(), 0.0);
    }

    #[test]
    fn partial_json_takes_defaults_and_typos_are_rejected() {
        let c: MaskingConfig = serde_json::from_str(
            r#"{"selection_rate":0.3,"strategy":{"kind":"static","duplicates":4}}"#,
        )
        .unwrap();
        assert_eq!(c.selection_rate, 0.3);
        assert_eq!(c.strategy, Strategy::Static { duplicates: 4 });
        assert_eq!(c.mask_fraction, MaskingConfig::default().mask_fraction);
        let round_trip: MaskingConfig =
            serde_json::from_str(&serde_json::to_string(&c).unwrap()).unwrap();
        assert_eq!(round_trip, c);
        let err = serde_json::from_str::<MaskingConfig>(r#"{"selection_rat":0.3}"#).unwrap_err();
        assert!(err.to_string().contains("selection_rat"), "{err}");
    }
}
