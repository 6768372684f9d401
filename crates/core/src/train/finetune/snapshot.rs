//! A fine-tuning run's resumable state (see [`crate::train::snapshot`]); the metadata adds the
//! update count and the run's plan, which must match the run it is restored into.

use std::collections::HashMap;

use super::FineTuner;
use crate::train::snapshot::{self, number};
use crate::train::TrainError;

const FORMAT: &str = "bertlab-finetune-snapshot/1";

impl FineTuner {
    /// The run's resumable state.
    pub fn snapshot(&self) -> Result<Vec<u8>, TrainError> {
        let fields = HashMap::from([
            ("step".to_string(), self.run.step.to_string()),
            ("total_steps".to_string(), self.run.total_steps.to_string()),
        ]);
        snapshot::write(&self.run.opt, FORMAT, fields)
    }

    /// Continues from `bytes`, a [`FineTuner::snapshot`] of a run with the same data and settings;
    /// anything else is refused and leaves this run as it was.
    pub fn restore_snapshot(&mut self, bytes: &[u8]) -> Result<(), TrainError> {
        let total_steps = self.run.total_steps;
        let fields = snapshot::restore(&mut self.run.opt, FORMAT, bytes, |fields| {
            let (step, total): (usize, usize) =
                (number(fields, "step")?, number(fields, "total_steps")?);
            if total != total_steps || step > total {
                return Err(TrainError::Resume(format!(
                    "the saved run planned {total} updates, this one {total_steps}: the data or \
                     settings differ"
                )));
            }
            Ok(())
        })?;
        self.run.step = number(&fields, "step")?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{animals, base, tokenizer};
    use super::*;
    use crate::train::finetune::{FinetuneConfig, Regime};
    use crate::train::snapshot::tests::contents;

    fn tuner(regime: Regime, epochs: usize) -> FineTuner {
        let config = FinetuneConfig {
            regime,
            epochs,
            min_updates: 0,
            batch_size: 4,
            ..FinetuneConfig::default()
        };
        FineTuner::new(&base(), tokenizer(), &animals(12), config).expect("tuner")
    }

    /// A run interrupted halfway and restored into a fresh tuner makes the same updates as the
    /// uninterrupted run, bit for bit (same order, dropout and optimizer state).
    #[test]
    fn a_restored_run_makes_the_updates_the_uninterrupted_one_makes() {
        for regime in [Regime::Full, Regime::Frozen] {
            let mut whole = tuner(regime, 2);
            let total = whole.total_steps();
            assert!(total >= 4, "the tiny run plans {total} updates");
            let cut = total / 2;
            let mut first = tuner(regime, 2);
            for _ in 0..cut {
                first.train_step().expect("update");
            }
            let saved = first.snapshot().expect("snapshot");
            drop(first);
            let mut resumed = tuner(regime, 2);
            resumed.restore_snapshot(&saved).expect("restore");
            assert_eq!(resumed.step(), cut);
            let mut losses = (Vec::new(), Vec::new());
            for step in 0..total {
                let loss = whole.train_step().expect("update").loss;
                if step >= cut {
                    losses.0.push(loss);
                }
            }
            while !resumed.is_done() {
                losses.1.push(resumed.train_step().expect("update").loss);
            }
            assert_eq!(
                losses.0, losses.1,
                "{regime:?}: losses after the cut differ"
            );
            let (a, b) = (whole.snapshot().expect("a"), resumed.snapshot().expect("b"));
            assert!(
                contents(&a) == contents(&b),
                "{regime:?}: the final states differ"
            );
        }
    }

    #[test]
    fn a_snapshot_of_other_settings_or_garbage_is_refused_and_changes_nothing() {
        let mut run = tuner(Regime::Full, 2);
        run.train_step().expect("update");
        let before = run.snapshot().expect("snapshot");
        let garbage = run
            .restore_snapshot(b"not a snapshot")
            .unwrap_err()
            .to_string();
        assert!(garbage.contains("unreadable"), "{garbage}");
        let longer = tuner(Regime::Full, 5)
            .restore_snapshot(&before)
            .unwrap_err()
            .to_string();
        assert!(longer.contains("settings differ"), "{longer}");
        let frozen = tuner(Regime::Frozen, 2).snapshot().expect("frozen");
        let partial = run.restore_snapshot(&frozen).unwrap_err().to_string();
        assert!(partial.contains("lacks"), "{partial}");
        let after = run.snapshot().expect("after");
        assert!(
            contents(&after) == contents(&before),
            "a refused snapshot changed the run"
        );
    }
}
