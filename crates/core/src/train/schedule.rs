//! Learning-rate schedule: linear warmup, then linear decay to zero (BERT's schedule).

use serde::{Deserialize, Serialize};

/// Peak learning rate reached after `warmup_steps` updates, falling linearly to 0 at `total_steps`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LinearSchedule {
    pub warmup_steps: usize,
    pub total_steps: usize,
}

impl LinearSchedule {
    /// The multiplier of the peak rate for update number `step` (0-based).
    ///
    /// Warmup counts the update being made (`(step + 1) / warmup`), so the first update already
    /// moves the weights (transformers' schedule spends it at rate 0); the peak is reached at the last
    /// warmup update and the last update of the run (`total_steps - 1`) still has a non-zero rate.
    pub fn factor(&self, step: usize) -> f64 {
        if step < self.warmup_steps {
            return (step + 1) as f64 / self.warmup_steps as f64;
        }
        let decay = self.total_steps.saturating_sub(self.warmup_steps);
        if decay == 0 {
            return 1.0;
        }
        let left = self.total_steps.saturating_sub(step);
        (left as f64 / decay as f64).clamp(0.0, 1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warmup_then_linear_decay() {
        let s = LinearSchedule {
            warmup_steps: 4,
            total_steps: 12,
        };
        let f: Vec<f64> = (0..14).map(|i| s.factor(i)).collect();
        assert_eq!(&f[..4], &[0.25, 0.5, 0.75, 1.0]);
        assert_eq!(f[4], 1.0);
        assert_eq!(f[8], 0.5);
        assert_eq!(f[11], 0.125);
        assert_eq!(f[12], 0.0);
        assert_eq!(f[13], 0.0);
        assert!(f.windows(2).skip(4).all(|w| w[1] <= w[0]));
    }

    #[test]
    fn no_warmup_and_no_decay_edge_cases() {
        let s = LinearSchedule {
            warmup_steps: 0,
            total_steps: 4,
        };
        assert_eq!(s.factor(0), 1.0);
        assert_eq!(s.factor(3), 0.25);
        let s = LinearSchedule {
            warmup_steps: 5,
            total_steps: 5,
        };
        assert_eq!(s.factor(4), 1.0);
        assert_eq!(s.factor(9), 1.0);
    }
}
