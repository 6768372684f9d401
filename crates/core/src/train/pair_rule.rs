//! A judge of sentence pairs with no network: it scores how many pieces segments A and B share,
//! each weighted by its rarity in the training pairs, and calls a pair a negative below a threshold
//! fitted on those pairs. It is blind to order by construction (swapping A and B leaves the score
//! unchanged), so it stands for ALBERT's argument: NSP's negatives, taken from another document,
//! often give themselves away by a change of topic, which this rule can see, while SOP's negatives
//! are the same two segments swapped, which it cannot.

use std::collections::{BTreeSet, HashMap};

use super::data::Example;

/// The fitted rule: piece weights and the overlap below which a pair is judged a negative.
#[derive(Debug, Clone)]
pub struct OverlapRule {
    /// Inverse document frequency of each piece over the training pairs.
    weights: HashMap<u32, f64>,
    pairs: usize,
    threshold: f64,
}

/// The pieces of segment A and of segment B, special tokens left out; sorted, so sums over them
/// come out the same whichever segment is first.
fn segments(ex: &Example) -> (BTreeSet<u32>, BTreeSet<u32>) {
    let (mut a, mut b) = (BTreeSet::new(), BTreeSet::new());
    for ((&id, &segment), &special) in ex.ids.iter().zip(&ex.type_ids).zip(&ex.special) {
        if !special {
            if segment == 0 { &mut a } else { &mut b }.insert(id);
        }
    }
    (a, b)
}

impl OverlapRule {
    /// Fits the weights and the threshold that judges the most training pairs right; `None`
    /// without labelled pairs.
    pub fn fit(train: &[Example]) -> Option<OverlapRule> {
        let labelled: Vec<&Example> = train.iter().filter(|e| e.pair_label.is_some()).collect();
        if labelled.is_empty() {
            return None;
        }
        let mut counts: HashMap<u32, f64> = HashMap::new();
        for ex in &labelled {
            let (a, b) = segments(ex);
            for id in a.union(&b) {
                *counts.entry(*id).or_default() += 1.0;
            }
        }
        let mut rule = OverlapRule {
            weights: counts,
            pairs: labelled.len(),
            threshold: 0.0,
        };
        let mut scored: Vec<(f64, bool)> = labelled
            .iter()
            .map(|e| (rule.score(e), e.pair_label == Some(1)))
            .collect();
        scored.sort_by(|x, y| x.0.total_cmp(&y.0));
        // Threshold at each distinct score in turn (pairs strictly below it are judged negatives),
        // or above them all; the one with the fewest wrong judgements is kept.
        let negatives = scored.iter().filter(|s| s.1).count();
        let positives = scored.len() - negatives;
        let mut best = (positives, f64::INFINITY);
        let (mut negatives_below, mut positives_below) = (0, 0);
        for (i, &(score, negative)) in scored.iter().enumerate() {
            if i == 0 || score > scored[i - 1].0 {
                let wrong = positives_below + (negatives - negatives_below);
                if wrong < best.0 {
                    best = (wrong, score);
                }
            }
            if negative {
                negatives_below += 1;
            } else {
                positives_below += 1;
            }
        }
        rule.threshold = best.1;
        Some(rule)
    }

    fn weight(&self, id: &u32) -> f64 {
        let seen = self.weights.get(id).copied().unwrap_or(0.0);
        (1.0 + self.pairs as f64 / (1.0 + seen)).ln()
    }

    /// The weighted share of pieces the two segments have in common (0 to 1).
    pub fn score(&self, ex: &Example) -> f64 {
        let (a, b) = segments(ex);
        let shared: f64 = a.intersection(&b).map(|id| self.weight(id)).sum();
        let all: f64 = a.union(&b).map(|id| self.weight(id)).sum();
        if all == 0.0 {
            0.0
        } else {
            shared / all
        }
    }

    /// Label 1 (not next / swapped) below the threshold, else 0.
    pub fn predict(&self, ex: &Example) -> u32 {
        u32::from(self.score(ex) < self.threshold)
    }

    /// The share of labelled pairs it judges right (0 when none is labelled).
    pub fn accuracy(&self, examples: &[Example]) -> f64 {
        let labelled: Vec<&Example> = examples.iter().filter(|e| e.pair_label.is_some()).collect();
        let right = labelled
            .iter()
            .filter(|e| e.pair_label == Some(self.predict(e)))
            .count();
        right as f64 / labelled.len().max(1) as f64
    }
}
