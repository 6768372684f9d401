use serde::{Deserialize, Serialize};

use super::{MaskingError, Strategy};

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
