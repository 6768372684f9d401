//! How long a fine-tuning run takes on this device: the estimate shown before a run (from the pace
//! of this browser's last run with the same approach and model) and the time left during one (from
//! the updates done so far). Plain data, so the arithmetic is tested natively.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Seconds per planned update of the last finished run of each approach and model, setup
/// included (loading the model, the frozen features), so `pace × updates` is a whole run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Paces(BTreeMap<String, f64>);

impl Paces {
    fn key(approach: &str, model: &str) -> String {
        format!("{approach}|{model}")
    }

    /// Records a finished run of `updates` updates that took `seconds` from the click to the result.
    pub fn record(&mut self, approach: &str, model: &str, seconds: f64, updates: usize) {
        if updates > 0 && seconds.is_finite() && seconds > 0.0 {
            self.0
                .insert(Self::key(approach, model), seconds / updates as f64);
        }
    }

    /// Seconds a run of `updates` updates should take, if this approach and model ran here before.
    /// A stored pace `record` would not have written (zero, negative) is ignored.
    pub fn estimate(&self, approach: &str, model: &str, updates: usize) -> Option<f64> {
        self.0
            .get(&Self::key(approach, model))
            .filter(|pace| pace.is_finite() && **pace > 0.0)
            .map(|pace| pace * updates as f64)
    }
}

/// Seconds left when `done` of the updates since the clock started took `elapsed_ms`, with
/// `remaining` to go; `None` until one update has been timed.
pub fn time_left(elapsed_ms: f64, done: usize, remaining: usize) -> Option<f64> {
    (done > 0 && elapsed_ms > 0.0).then(|| elapsed_ms / 1000.0 / done as f64 * remaining as f64)
}

/// "about 2 min 10 s", "about 40 s", "under 5 s": rounded so that the figure does not flicker.
pub fn describe_seconds(seconds: f64) -> String {
    if seconds < 5.0 {
        return "under 5 s".into();
    }
    if seconds < 60.0 {
        return format!("about {} s", (seconds / 5.0).round() as u64 * 5);
    }
    // Saturating: a pace read back from localStorage may be any number.
    let total = ((seconds / 10.0).round() as u64).saturating_mul(10);
    match (total / 60, total % 60) {
        (m, 0) => format!("about {m} min"),
        (m, s) => format!("about {m} min {s} s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_estimate_scales_the_last_pace_of_the_same_approach_and_model() {
        let mut paces = Paces::default();
        assert_eq!(paces.estimate("full", "", 100), None);
        paces.record("full", "", 90.0, 120);
        assert_eq!(paces.estimate("full", "", 40), Some(30.0));
        assert_eq!(paces.estimate("frozen", "", 40), None);
        assert_eq!(paces.estimate("full", "other-model", 40), None);
        paces.record("full", "", f64::NAN, 10);
        paces.record("full", "", 5.0, 0);
        assert_eq!(
            paces.estimate("full", "", 40),
            Some(30.0),
            "bad records are ignored"
        );
        let json = serde_json::to_string(&paces).unwrap();
        assert_eq!(serde_json::from_str::<Paces>(&json).unwrap(), paces);
    }

    #[test]
    fn time_left_extrapolates_the_pace_so_far() {
        assert_eq!(time_left(0.0, 0, 10), None);
        assert_eq!(time_left(4000.0, 8, 16), Some(8.0));
        assert_eq!(time_left(4000.0, 8, 0), Some(0.0));
    }

    #[test]
    fn durations_read_as_rounded_words() {
        assert_eq!(describe_seconds(3.0), "under 5 s");
        assert_eq!(describe_seconds(42.0), "about 40 s");
        assert_eq!(describe_seconds(127.0), "about 2 min 10 s");
        assert_eq!(describe_seconds(118.0), "about 2 min");
    }
}
