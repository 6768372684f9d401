//! The baseline every encoder result is measured against: a bag of words (lower-cased word
//! unigrams and bigrams, TF-IDF weighted, L2-normalised) under multinomial logistic regression,
//! trained by full-batch gradient descent. No pretraining, no word order beyond bigrams. For a
//! sentence pair the bag holds word overlap instead: each word both texts use, and each word only
//! one of them uses, as separate features.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::finetune::{ClassMetrics, Scored};
use super::labelled::LabelledSet;
use super::TrainError;

/// Defaults suit a few hundred short texts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct BaselineConfig {
    /// Gradient-descent passes over the training set. Default 300.
    pub epochs: usize,
    /// Step size. Default 2.0 (features are L2-normalised).
    pub learning_rate: f64,
    /// L2 penalty on the weights (not the biases). Default 1e-4.
    pub l2: f64,
    /// Features seen in fewer training texts are dropped. Default 1.
    pub min_count: usize,
}

impl Default for BaselineConfig {
    fn default() -> Self {
        BaselineConfig {
            epochs: 300,
            learning_rate: 2.0,
            l2: 1e-4,
            min_count: 1,
        }
    }
}

/// A trained bag-of-words classifier.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BagOfWords {
    labels: Vec<String>,
    vocabulary: HashMap<String, usize>,
    idf: Vec<f32>,
    /// `[label][feature]`.
    weights: Vec<Vec<f32>>,
    bias: Vec<f32>,
}

/// Lower-cased words (letters, digits, apostrophes) and adjacent pairs.
fn terms(text: &str) -> Vec<String> {
    let words: Vec<String> = text
        .split(|c: char| !(c.is_alphanumeric() || c == '\''))
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    let pairs = words.windows(2).map(|w| format!("{} {}", w[0], w[1]));
    words.iter().cloned().chain(pairs).collect()
}

/// The terms of one example: a text's words and bigrams, or a pair's overlap (`both:word` for a
/// word in both texts, `one:word` for a word in only one).
fn example_terms(text: &str, pair: Option<&str>) -> Vec<String> {
    let Some(pair) = pair else {
        return terms(text);
    };
    let words = |t: &str| -> std::collections::BTreeSet<String> {
        terms(t).into_iter().filter(|w| !w.contains(' ')).collect()
    };
    let (a, b) = (words(text), words(pair));
    let both = a.intersection(&b).map(|w| format!("both:{w}"));
    let one = a.symmetric_difference(&b).map(|w| format!("one:{w}"));
    both.chain(one).collect()
}

/// Sparse TF-IDF vector, L2-normalised: (feature, value) pairs.
type Features = Vec<(usize, f32)>;

impl BagOfWords {
    pub fn train(set: &LabelledSet, config: &BaselineConfig) -> Result<BagOfWords, TrainError> {
        if set.is_empty() {
            return Err(TrainError::Data("no training examples".into()));
        }
        let mut document_frequency: HashMap<String, usize> = HashMap::new();
        for i in 0..set.len() {
            let (text, pair) = set.example(i);
            let mut seen: Vec<String> = example_terms(text, pair);
            seen.sort();
            seen.dedup();
            for t in seen {
                *document_frequency.entry(t).or_default() += 1;
            }
        }
        let mut kept: Vec<(String, usize)> = document_frequency
            .into_iter()
            .filter(|(_, n)| *n >= config.min_count)
            .collect();
        kept.sort();
        let n_docs = set.len() as f32;
        let idf = kept
            .iter()
            .map(|(_, df)| ((1.0 + n_docs) / (1.0 + *df as f32)).ln() + 1.0)
            .collect();
        let vocabulary = kept
            .into_iter()
            .enumerate()
            .map(|(i, (t, _))| (t, i))
            .collect::<HashMap<_, _>>();
        let classes = set.labels.len();
        let mut model = BagOfWords {
            labels: set.labels.clone(),
            weights: vec![vec![0.0; vocabulary.len()]; classes],
            bias: vec![0.0; classes],
            vocabulary,
            idf,
        };
        let rows: Vec<Features> = (0..set.len())
            .map(|i| {
                let (text, pair) = set.example(i);
                model.features(text, pair)
            })
            .collect();
        let n = rows.len() as f32;
        let (lr, l2) = (config.learning_rate as f32, config.l2 as f32);
        for _ in 0..config.epochs {
            let mut grad_w = vec![vec![0.0f32; model.idf.len()]; classes];
            let mut grad_b = vec![0.0f32; classes];
            for (x, &y) in rows.iter().zip(&set.label_ids) {
                let p = model.probabilities_of(x);
                for c in 0..classes {
                    let err = p[c] - f32::from(c == y);
                    grad_b[c] += err / n;
                    for &(f, v) in x {
                        grad_w[c][f] += err * v / n;
                    }
                }
            }
            for c in 0..classes {
                model.bias[c] -= lr * grad_b[c];
                for (w, g) in model.weights[c].iter_mut().zip(&grad_w[c]) {
                    *w -= lr * (g + l2 * *w);
                }
            }
        }
        Ok(model)
    }

    fn features(&self, text: &str, pair: Option<&str>) -> Features {
        let mut counts: HashMap<usize, f32> = HashMap::new();
        for t in example_terms(text, pair) {
            if let Some(&f) = self.vocabulary.get(&t) {
                *counts.entry(f).or_default() += 1.0;
            }
        }
        let mut x: Features = counts
            .into_iter()
            .map(|(f, tf)| (f, tf * self.idf[f]))
            .collect();
        x.sort_by_key(|&(f, _)| f);
        let norm = x.iter().map(|(_, v)| v * v).sum::<f32>().sqrt().max(1e-12);
        for (_, v) in &mut x {
            *v /= norm;
        }
        x
    }

    fn probabilities_of(&self, x: &Features) -> Vec<f32> {
        let logits: Vec<f32> = (0..self.labels.len())
            .map(|c| self.bias[c] + x.iter().map(|&(f, v)| self.weights[c][f] * v).sum::<f32>())
            .collect();
        let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let exp: Vec<f32> = logits.iter().map(|l| (l - max).exp()).collect();
        let sum: f32 = exp.iter().sum();
        exp.into_iter().map(|e| e / sum).collect()
    }

    /// Class probabilities for `text` (with `pair`, for a pair set), in label order.
    pub fn probabilities(&self, text: &str, pair: Option<&str>) -> Vec<f32> {
        self.probabilities_of(&self.features(text, pair))
    }

    /// One weight per (label, feature) plus a bias per label.
    pub fn trainable_parameters(&self) -> usize {
        self.labels.len() * (self.idf.len() + 1)
    }

    pub fn evaluate(&self, set: &LabelledSet) -> ClassMetrics {
        self.score(set).metrics
    }

    /// As [`BagOfWords::evaluate`], keeping each example's predicted class id.
    pub fn score(&self, set: &LabelledSet) -> Scored {
        let probabilities: Vec<Vec<f32>> = (0..set.len())
            .map(|i| {
                let (text, pair) = set.example(i);
                self.probabilities(text, pair)
            })
            .collect();
        ClassMetrics::score(&set.label_ids, &probabilities)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(rows: &[(&str, usize)]) -> LabelledSet {
        LabelledSet {
            texts: rows.iter().map(|r| r.0.to_string()).collect(),
            text_pairs: None,
            label_ids: rows.iter().map(|r| r.1).collect(),
            labels: vec!["refund".into(), "shipping".into()],
        }
    }

    #[test]
    fn learns_words_that_mark_a_class() {
        let train = set(&[
            ("I want my money back", 0),
            ("please refund my order", 0),
            ("give me my money back now", 0),
            ("refund the broken lamp", 0),
            ("where is my parcel", 1),
            ("my parcel has not arrived", 1),
            ("when will the order arrive", 1),
            ("tracking says the parcel is lost", 1),
        ]);
        let model = BagOfWords::train(&train, &BaselineConfig::default()).unwrap();
        let train_scores = model.evaluate(&train);
        assert_eq!(train_scores.accuracy, 1.0);
        let test = set(&[("money back please", 0), ("has my parcel arrived", 1)]);
        assert_eq!(model.evaluate(&test).accuracy, 1.0);
        // Unigrams and bigrams of 8 texts, plus a bias, per class.
        assert_eq!(model.trainable_parameters() % 2, 0);
        assert!(model.trainable_parameters() > 2 * 30);
    }

    #[test]
    fn unseen_words_give_the_prior() {
        let train = set(&[("aaa", 0), ("bbb", 1)]);
        let model = BagOfWords::train(&train, &BaselineConfig::default()).unwrap();
        let p = model.probabilities("zzz", None);
        assert!((p[0] - 0.5).abs() < 1e-6, "{p:?}");
    }

    #[test]
    fn a_pair_is_read_by_its_word_overlap() {
        assert_eq!(
            example_terms("my parcel is late", Some("parcel lost")),
            ["both:parcel", "one:is", "one:late", "one:lost", "one:my"]
        );
        // Same intent shares its keyword; different intents do not.
        let pairs = [
            ("refund my lamp", "refund the chair", 1),
            ("where is my parcel", "parcel still not here", 1),
            ("refund my lamp", "where is my parcel", 0),
            ("refund the chair", "parcel still not here", 0),
        ];
        let train = LabelledSet {
            texts: pairs.iter().map(|p| p.0.to_string()).collect(),
            text_pairs: Some(pairs.iter().map(|p| p.1.to_string()).collect()),
            label_ids: pairs.iter().map(|p| p.2).collect(),
            labels: vec!["different".into(), "same".into()],
        };
        let model = BagOfWords::train(&train, &BaselineConfig::default()).unwrap();
        assert_eq!(model.evaluate(&train).accuracy, 1.0);
        let same = model.probabilities("a refund please", Some("refund it"));
        assert!(same[1] > same[0], "{same:?}");
    }
}
