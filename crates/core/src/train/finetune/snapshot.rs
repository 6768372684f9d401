//! A fine-tuning run's resumable state as one safetensors file: the trained weights (`w.NAME`), the
//! AdamW moments (`m.NAME`, `v.NAME`) and, in the header's metadata, the update count. The data
//! order and dropout follow from the seed and the update count, so a run restored from a snapshot
//! makes exactly the updates the uninterrupted run would have made.

use std::collections::HashMap;

use candle_core::{DType, Device, Tensor};

use super::FineTuner;
use crate::train::TrainError;

/// Names the file's layout, so a snapshot of another kind is refused with a message.
const FORMAT: &str = "bertlab-finetune-snapshot/1";

impl FineTuner {
    /// The run's resumable state (see the module's documentation).
    pub fn snapshot(&self) -> Result<Vec<u8>, TrainError> {
        let (mut tensors, adam_steps) = self.opt.state()?;
        for (name, var) in self.opt.vars() {
            tensors.push((format!("w.{name}"), var.as_tensor().clone()));
        }
        let metadata = HashMap::from([
            ("format".to_string(), FORMAT.to_string()),
            ("step".to_string(), self.step.to_string()),
            ("adam_steps".to_string(), adam_steps.to_string()),
            ("total_steps".to_string(), self.total_steps.to_string()),
        ]);
        safetensors::serialize(
            tensors.iter().map(|(name, t)| (name.as_str(), t)),
            Some(metadata),
        )
        .map_err(|e| TrainError::Resume(format!("cannot write the snapshot: {e}")))
    }

    /// Continues from `bytes`, a [`FineTuner::snapshot`] of a run with the same data and settings;
    /// anything else is refused and leaves this run as it was.
    pub fn restore(&mut self, bytes: &[u8]) -> Result<(), TrainError> {
        let bad = |why: String| TrainError::Resume(format!("the saved run {why}"));
        let (_, header) = safetensors::SafeTensors::read_metadata(bytes)
            .map_err(|e| bad(format!("is unreadable ({e})")))?;
        let meta = header.metadata().clone().unwrap_or_default();
        let number = |key: &str| -> Result<usize, TrainError> {
            meta.get(key)
                .and_then(|v| v.parse().ok())
                .ok_or_else(|| bad(format!("has no {key}")))
        };
        if meta.get("format").map(String::as_str) != Some(FORMAT) {
            return Err(bad("is not a fine-tuning snapshot".into()));
        }
        let (step, adam_steps, total) = (
            number("step")?,
            number("adam_steps")?,
            number("total_steps")?,
        );
        if total != self.total_steps || step > total {
            return Err(bad(format!(
                "planned {total} updates, this one {}: the data or settings differ",
                self.total_steps
            )));
        }
        let file = safetensors::SafeTensors::deserialize(bytes)
            .map_err(|e| bad(format!("is unreadable ({e})")))?;
        let mut tensors = HashMap::new();
        for (name, view) in file.iter() {
            if view.dtype() != safetensors::Dtype::F32 {
                return Err(bad(format!("stores {name} as {:?}, not F32", view.dtype())));
            }
            let t = Tensor::from_raw_buffer(view.data(), DType::F32, view.shape(), &Device::Cpu)?;
            tensors.insert(name.to_string(), t);
        }
        // Check every weight before changing any, so a refused snapshot changes nothing.
        let mut weights = Vec::new();
        for (name, var) in self.opt.vars() {
            let key = format!("w.{name}");
            let t = tensors
                .get(&key)
                .ok_or_else(|| bad(format!("lacks {key}")))?;
            if t.dims() != var.dims() {
                return Err(bad(format!(
                    "has {key} of shape {:?}, the model needs {:?}",
                    t.dims(),
                    var.dims()
                )));
            }
            weights.push((var.clone(), t.clone()));
        }
        self.opt.restore(&tensors, adam_steps)?;
        for (var, t) in weights {
            var.set(&t)?;
        }
        self.step = step;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::super::tests::{animals, base, tokenizer};
    use super::*;
    use crate::train::finetune::{FinetuneConfig, Regime};

    /// A snapshot's metadata and tensors in name order (the header's key order varies).
    fn contents(bytes: &[u8]) -> (BTreeMap<String, String>, BTreeMap<String, Vec<u8>>) {
        let file = safetensors::SafeTensors::deserialize(bytes).expect("snapshot");
        let (_, header) = safetensors::SafeTensors::read_metadata(bytes).expect("header");
        let meta = header.metadata().clone().unwrap_or_default();
        let tensors = file
            .iter()
            .map(|(name, view)| (name.to_string(), view.data().to_vec()))
            .collect();
        (meta.into_iter().collect(), tensors)
    }

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
            resumed.restore(&saved).expect("restore");
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
        let garbage = run.restore(b"not a snapshot").unwrap_err().to_string();
        assert!(garbage.contains("unreadable"), "{garbage}");
        let longer = tuner(Regime::Full, 5)
            .restore(&before)
            .unwrap_err()
            .to_string();
        assert!(longer.contains("settings differ"), "{longer}");
        let frozen = tuner(Regime::Frozen, 2).snapshot().expect("frozen");
        let partial = run.restore(&frozen).unwrap_err().to_string();
        assert!(partial.contains("lacks"), "{partial}");
        let after = run.snapshot().expect("after");
        assert!(
            contents(&after) == contents(&before),
            "a refused snapshot changed the run"
        );
    }
}
