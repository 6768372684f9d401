//! The training record: one row per update (validation columns filled where it ran), kept in
//! memory and rendered as CSV or JSON by the caller's schedule.

use serde::{Deserialize, Serialize};

use super::pretrain::{EvalMetrics, StepMetrics};

/// One update, with the caller's wall-clock time and, when validation ran after it, its results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricsRow {
    #[serde(flatten)]
    pub step: StepMetrics,
    /// Seconds since the run started (across resumes).
    pub wall_s: f64,
    pub valid: Option<EvalMetrics>,
    /// The training text under masks the run was never shown ([`Trainer::evaluate_new_masks`]),
    /// where it was measured.
    ///
    /// [`Trainer::evaluate_new_masks`]: super::Trainer::evaluate_new_masks
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_masks: Option<EvalMetrics>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MetricsLog {
    pub rows: Vec<MetricsRow>,
}

const COLUMNS: &str = "step,loss,mlm_loss,mlm_accuracy,perplexity,pair_loss,pair_accuracy,lr,grad_norm,tokens_seen,wall_s,valid_loss,valid_accuracy,valid_perplexity,valid_pair_accuracy";

fn opt(v: Option<f64>) -> String {
    v.map_or(String::new(), |v| format!("{v}"))
}

impl MetricsLog {
    pub fn push_step(&mut self, step: StepMetrics, wall_s: f64) {
        self.rows.push(MetricsRow {
            step,
            wall_s,
            valid: None,
            new_masks: None,
        });
    }

    /// Attaches a validation result to the row of its step.
    pub fn push_validation(&mut self, eval: EvalMetrics) {
        if let Some(row) = self.row_of(eval.step) {
            row.valid = Some(eval);
        }
    }

    /// Attaches a measurement on the training text under new masks to the row of its step.
    pub fn push_new_masks(&mut self, eval: EvalMetrics) {
        if let Some(row) = self.row_of(eval.step) {
            row.new_masks = Some(eval);
        }
    }

    fn row_of(&mut self, step: usize) -> Option<&mut MetricsRow> {
        self.rows.iter_mut().rev().find(|r| r.step.step == step)
    }

    /// Drops rows after `step` (a resumed run replaces what the interrupted one did after its
    /// last checkpoint).
    pub fn truncate_after(&mut self, step: usize) {
        self.rows.retain(|r| r.step.step <= step);
    }

    pub fn last_wall_s(&self) -> f64 {
        self.rows.last().map_or(0.0, |r| r.wall_s)
    }

    pub fn to_csv(&self) -> String {
        let mut out = format!("{COLUMNS}\n");
        for r in &self.rows {
            let s = &r.step;
            let v = r.valid.as_ref();
            out.push_str(&format!(
                "{},{},{},{},{},{},{},{},{},{},{:.3},{},{},{},{}\n",
                s.step,
                s.loss,
                s.mlm_loss,
                s.mlm_accuracy,
                s.perplexity,
                opt(s.pair_loss),
                opt(s.pair_accuracy),
                s.lr,
                s.grad_norm,
                s.tokens_seen,
                r.wall_s,
                opt(v.map(|v| v.loss)),
                opt(v.map(|v| v.accuracy)),
                opt(v.map(|v| v.perplexity)),
                opt(v.and_then(|v| v.pair_accuracy)),
            ));
        }
        out
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|_| "{}".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(n: usize) -> StepMetrics {
        StepMetrics {
            step: n,
            loss: 2.0,
            mlm_loss: 2.0,
            mlm_accuracy: 0.5,
            perplexity: 2f64.exp(),
            pair_loss: None,
            pair_accuracy: None,
            lr: 1e-4,
            grad_norm: 0.5,
            tokens: 10,
            tokens_seen: 10 * n as u64,
        }
    }

    #[test]
    fn csv_and_json_round_trip_shape() {
        let mut log = MetricsLog::default();
        for n in 1..=3 {
            log.push_step(step(n), n as f64);
        }
        log.push_validation(EvalMetrics {
            step: 2,
            loss: 3.0,
            accuracy: 0.25,
            perplexity: 3f64.exp(),
            pair_accuracy: None,
            sequences: 4,
            masked_tokens: 8,
        });
        let csv = log.to_csv();
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines.len(), 4);
        let cols = lines[0].split(',').count();
        assert!(lines.iter().all(|l| l.split(',').count() == cols));
        assert!(lines[2].contains(",3,0.25,"), "{}", lines[2]);
        let back: MetricsLog = serde_json::from_str(&log.to_json()).unwrap();
        assert_eq!(back, log);
        log.truncate_after(1);
        assert_eq!(log.rows.len(), 1);
    }
}
