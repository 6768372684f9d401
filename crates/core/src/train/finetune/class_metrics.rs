//! Classification scores: accuracy, macro-F1, loss and the confusion matrix.

use serde::{Deserialize, Serialize};

/// Scores on a labelled set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassMetrics {
    pub accuracy: f64,
    /// The unweighted mean of each class's F1 (a class never predicted nor present counts 0).
    pub macro_f1: f64,
    pub loss: f64,
    /// `confusion[true][predicted]`.
    pub confusion: Vec<Vec<usize>>,
}

/// Scores on a labelled set, with each example's predicted class id in the set's order.
#[derive(Debug, Clone, PartialEq)]
pub struct Scored {
    pub metrics: ClassMetrics,
    pub predicted: Vec<usize>,
}

impl ClassMetrics {
    /// From true class ids and each example's class probabilities: the prediction is the most
    /// probable class, the loss the mean cross-entropy.
    pub fn from_probabilities(truth: &[usize], probabilities: &[Vec<f32>]) -> ClassMetrics {
        ClassMetrics::score(truth, probabilities).metrics
    }

    /// As [`ClassMetrics::from_probabilities`], keeping each example's prediction.
    pub fn score(truth: &[usize], probabilities: &[Vec<f32>]) -> Scored {
        let classes = probabilities.first().map_or(0, Vec::len);
        let predicted: Vec<usize> = probabilities.iter().map(|p| argmax(p)).collect();
        let loss = probabilities
            .iter()
            .zip(truth)
            .map(|(p, &t)| -(p[t].max(1e-12) as f64).ln())
            .sum::<f64>()
            / truth.len().max(1) as f64;
        Scored {
            metrics: ClassMetrics::from_predictions(truth, &predicted, classes, loss),
            predicted,
        }
    }

    /// From true and predicted class ids; `loss` is the caller's mean cross-entropy.
    pub fn from_predictions(
        truth: &[usize],
        predicted: &[usize],
        classes: usize,
        loss: f64,
    ) -> ClassMetrics {
        let mut confusion = vec![vec![0; classes]; classes];
        for (&t, &p) in truth.iter().zip(predicted) {
            confusion[t][p] += 1;
        }
        let correct: usize = (0..classes).map(|c| confusion[c][c]).sum();
        let f1 = |c: usize| {
            let tp = confusion[c][c] as f64;
            let predicted: usize = (0..classes).map(|t| confusion[t][c]).sum();
            let actual: usize = confusion[c].iter().sum();
            if tp == 0.0 {
                0.0
            } else {
                2.0 * tp / (predicted + actual) as f64
            }
        };
        ClassMetrics {
            accuracy: correct as f64 / truth.len().max(1) as f64,
            macro_f1: (0..classes).map(f1).sum::<f64>() / classes.max(1) as f64,
            loss,
            confusion,
        }
    }
}

fn argmax(values: &[f32]) -> usize {
    values
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(b.1))
        .map_or(0, |(i, _)| i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn macro_f1_weighs_every_class_equally() {
        // 8 of class 0 all right, 2 of class 1 all predicted 0.
        let truth = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1];
        let predicted = [0; 10];
        let m = ClassMetrics::from_predictions(&truth, &predicted, 2, 0.0);
        assert!((m.accuracy - 0.8).abs() < 1e-12);
        // F1(0) = 2·8/(10+8) = 0.888…, F1(1) = 0.
        assert!((m.macro_f1 - 8.0 / 18.0).abs() < 1e-12);
        assert_eq!(m.confusion, vec![vec![8, 0], vec![2, 0]]);
    }

    #[test]
    fn scoring_keeps_each_prediction_and_the_same_metrics() {
        let truth = [0, 1, 1];
        let probabilities = vec![vec![0.9, 0.1], vec![0.6, 0.4], vec![0.2, 0.8]];
        let scored = ClassMetrics::score(&truth, &probabilities);
        assert_eq!(scored.predicted, vec![0, 0, 1]);
        assert_eq!(
            scored.metrics,
            ClassMetrics::from_probabilities(&truth, &probabilities)
        );
        assert!((scored.metrics.accuracy - 2.0 / 3.0).abs() < 1e-12);
    }
}
