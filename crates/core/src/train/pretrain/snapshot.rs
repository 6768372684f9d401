//! A pretraining run's resumable state in one file (see [`crate::train::snapshot`]), for the
//! lab's runs in the browser; the metadata adds the update count, the tokens seen and the run's
//! planned updates, which must match the run it is restored into.

use std::collections::HashMap;

use super::Trainer;
use crate::train::snapshot::{self, number};
use crate::train::TrainError;

const FORMAT: &str = "bertlab-pretrain-snapshot/1";

impl Trainer {
    /// The run's resumable state.
    pub fn snapshot(&self) -> Result<Vec<u8>, TrainError> {
        let fields = HashMap::from([
            ("step".to_string(), self.step.to_string()),
            ("tokens_seen".to_string(), self.tokens_seen.to_string()),
            ("total_steps".to_string(), self.config.steps.to_string()),
        ]);
        snapshot::write(&self.opt, FORMAT, fields)
    }

    /// Continues from `bytes`, a [`Trainer::snapshot`] of a run with the same data and settings;
    /// anything else is refused and leaves this run as it was.
    pub fn restore_snapshot(&mut self, bytes: &[u8]) -> Result<(), TrainError> {
        let planned = self.config.steps;
        let fields = snapshot::restore(&mut self.opt, FORMAT, bytes, |fields| {
            let (step, total): (usize, usize) =
                (number(fields, "step")?, number(fields, "total_steps")?);
            if total != planned || step > total {
                return Err(TrainError::Resume(format!(
                    "the saved run planned {total} updates, this one {planned}: the settings differ"
                )));
            }
            Ok(())
        })?;
        self.step = number(&fields, "step")?;
        self.tokens_seen = number(&fields, "tokens_seen")?;
        Ok(())
    }
}
