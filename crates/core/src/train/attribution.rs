//! Why a classifier chose its label: how much each token of the text pushed the label's logit,
//! by gradient × input and by integrated gradients (Sundararajan et al., 2017).
//!
//! Integrated gradients walks the word embeddings in a straight line from a baseline, the same
//! text with every ordinary token replaced by padding (markers, positions and segments kept), to
//! the real text, and averages the logit's gradient along the way (the trapezoid rule over
//! `steps` intervals, a few points per batch). Each token's share is its embedding's change times
//! that average gradient, summed over the embedding. The shares then add up to the logit's change
//! from the baseline to the text: the completeness check, which holds as closely as the path
//! integral is approximated.

use candle_core::{Tensor, Var, D};

use crate::model::{EncoderInput, ForSequenceClassification, Internals, Mode};
use crate::text::tokenizer::Tokenizer;

use super::classifier::encode;
use super::TrainError;

/// Fewer steps than this approximate the path integral too coarsely to trust the shares.
pub const MIN_STEPS: usize = 20;
/// Intervals the lab starts from (the page, `bertlab explain`), doubled while the shares miss.
pub const DEFAULT_STEPS: usize = 50;
/// The completeness check the lab holds integrated gradients to: the shares add up to the logit's
/// change within 5 %.
pub const COMPLETENESS_TOLERANCE: f32 = 0.05;

/// The attribution of one text to one label.
#[derive(Debug, Clone, PartialEq)]
pub struct Attribution {
    /// The label explained: the classifier's choice.
    pub label: String,
    /// The text's tokens, markers included.
    pub pieces: Vec<String>,
    /// Per token: the gradient of the label's logit with respect to the token's word embedding,
    /// dotted with that embedding.
    pub gradient_x_input: Vec<f32>,
    /// Per token: its integrated-gradients share of the logit's change from the baseline (0 for
    /// the markers, which the baseline keeps).
    pub integrated: Vec<f32>,
    /// The label's logit for the text and for the baseline.
    pub logit: f32,
    pub baseline_logit: f32,
    /// Intervals of the path from the baseline to the text.
    pub steps: usize,
}

impl Attribution {
    /// How far the integrated shares miss the logit's change from the baseline, as a fraction of
    /// that change (0 = exact).
    pub fn completeness_gap(&self) -> f32 {
        let change = self.logit_change();
        (self.share_total() - change).abs() / change.abs().max(f32::EPSILON)
    }

    /// The label's logit for the text minus its logit for the baseline.
    pub fn logit_change(&self) -> f32 {
        self.logit - self.baseline_logit
    }

    /// The integrated-gradients shares of all tokens together.
    pub fn share_total(&self) -> f32 {
        self.integrated.iter().sum()
    }
}

/// Points of the path evaluated in one batch: bounds the memory of a long path on a large model.
const CHUNK: usize = 16;

/// Attributes `model`'s choice for `text` (with `pair`, for a pair classifier) to its tokens,
/// integrating over `steps` intervals (at least [`MIN_STEPS`]).
pub fn explain(
    model: &ForSequenceClassification,
    tokenizer: &Tokenizer,
    text: &str,
    pair: Option<&str>,
    steps: usize,
) -> Result<Attribution, TrainError> {
    if steps < MIN_STEPS {
        return Err(TrainError::Config(format!(
            "integrated gradients needs at least {MIN_STEPS} steps, not {steps}"
        )));
    }
    let (encoded, input) = encode(model, tokenizer, text, pair)?;
    if encoded.special_tokens_mask.iter().all(|&special| special) {
        return Err(TrainError::Data(
            "the text has no word to attribute the label to".into(),
        ));
    }
    let config = model.encoder.config();
    let table = model.encoder.word_embeddings();
    let device = table.device();
    let baseline_ids: Vec<u32> = encoded
        .ids
        .iter()
        .zip(&encoded.special_tokens_mask)
        .map(|(&id, &special)| if special { id } else { config.pad_token_id })
        .collect();
    let real = table.index_select(&Tensor::new(encoded.ids.as_slice(), device)?, 0)?;
    let baseline = table.index_select(&Tensor::new(baseline_ids.as_slice(), device)?, 0)?;
    let change = (&real - &baseline)?;
    // The label explained is the one the classifier picks for the text itself.
    let at_text = model
        .forward(&input, &Internals::none())?
        .logits
        .squeeze(0)?
        .to_vec1::<f32>()?;
    let label_id = at_text
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(b.1))
        .map_or(0, |(i, _)| i);
    // Point k of the path sits at alpha = k / steps; the trapezoid rule counts both ends half.
    let mut average = change.zeros_like()?;
    let mut baseline_logit = 0f32;
    let mut gradient_at_text = None;
    for first in (0..=steps).step_by(CHUNK) {
        let points: Vec<usize> = (first..=steps).take(CHUNK).collect();
        let alphas: Vec<f32> = points.iter().map(|&k| k as f32 / steps as f32).collect();
        let weights: Vec<f32> = points
            .iter()
            .map(|&k| if k == 0 || k == steps { 0.5 } else { 1.0 } / steps as f32)
            .collect();
        let rows = points.len();
        let column = |v: &[f32]| Tensor::new(v, device)?.reshape((rows, 1, 1));
        let path = Var::from_tensor(
            &baseline
                .unsqueeze(0)?
                .broadcast_add(&column(&alphas)?.broadcast_mul(&change.unsqueeze(0)?)?)?,
        )?;
        let repeat = |t: &Option<Tensor>| t.as_ref().map(|t| t.repeat((rows, 1))).transpose();
        let batch = EncoderInput {
            input_ids: input.input_ids.repeat((rows, 1))?,
            token_type_ids: repeat(&input.token_type_ids)?,
            attention_mask: repeat(&input.attention_mask)?,
            position_ids: None,
            mode: Mode::Grad,
            word_embeddings: Some(path.as_tensor().clone()),
        };
        let target =
            model
                .forward(&batch, &Internals::none())?
                .logits
                .narrow(D::Minus1, label_id, 1)?;
        if first == 0 {
            baseline_logit = target.get(0)?.squeeze(0)?.to_scalar::<f32>()?;
        }
        let gradient = target
            .sum_all()?
            .backward()?
            .remove(path.as_tensor())
            .ok_or_else(|| TrainError::Config("no gradient reached the word embeddings".into()))?;
        if points.last() == Some(&steps) {
            gradient_at_text = Some(gradient.get(rows - 1)?);
        }
        average = (average + gradient.broadcast_mul(&column(&weights)?)?.sum(0)?)?;
    }
    let integrated = (&change * &average)?.sum(D::Minus1)?.to_vec1::<f32>()?;
    let gradient_at_text = gradient_at_text
        .ok_or_else(|| TrainError::Config("the path never reached the text".into()))?;
    let gradient_x_input = (&real * gradient_at_text)?
        .sum(D::Minus1)?
        .to_vec1::<f32>()?;
    Ok(Attribution {
        label: config
            .labels
            .get(label_id)
            .cloned()
            .unwrap_or_else(|| format!("LABEL_{label_id}")),
        pieces: encoded.pieces,
        gradient_x_input,
        integrated,
        logit: at_text[label_id],
        baseline_logit,
        steps,
    })
}

/// [`explain`] with `steps` intervals, doubled (up to eight times as many) while the shares miss
/// the logit's change by more than `tolerance` (a fraction): a model whose logit turns sharply
/// along the path needs a finer walk.
pub fn explain_within(
    model: &ForSequenceClassification,
    tokenizer: &Tokenizer,
    text: &str,
    pair: Option<&str>,
    steps: usize,
    tolerance: f32,
) -> Result<Attribution, TrainError> {
    let mut attribution = explain(model, tokenizer, text, pair, steps)?;
    while attribution.completeness_gap() > tolerance && attribution.steps < 8 * steps {
        attribution = explain(model, tokenizer, text, pair, attribution.steps * 2)?;
    }
    Ok(attribution)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::train::classifier::ranked;
    use crate::train::finetune::tests::tuner;
    use crate::train::finetune::{FineTuner, Regime};
    use crate::train::labelled::LabelledSet;

    /// The tiny test encoder fine-tuned to tell texts with "cat" from texts without.
    fn cat_classifier() -> FineTuner {
        let mut tuner = tuner(Regime::Full);
        while !tuner.is_done() {
            tuner.train_step().unwrap();
        }
        tuner
    }

    fn attribute(tuner: &FineTuner, text: &str, steps: usize) -> Result<Attribution, TrainError> {
        explain(tuner.model(), tuner.tokenizer(), text, None, steps)
    }

    /// The label's logit for `text` with token `i`'s word embedding scaled by `1 + epsilon`.
    fn logit_scaled(tuner: &FineTuner, text: &str, label: usize, i: usize, epsilon: f32) -> f32 {
        let (_, input) = encode(tuner.model(), tuner.tokenizer(), text, None).unwrap();
        let table = tuner.model().encoder.word_embeddings();
        let ids = input.input_ids.squeeze(0).unwrap();
        let words = table.index_select(&ids, 0).unwrap();
        let mut scale = vec![1f32; words.dim(0).unwrap()];
        scale[i] += epsilon;
        let scale = Tensor::new(scale.as_slice(), words.device())
            .unwrap()
            .unsqueeze(1)
            .unwrap();
        let words = words.broadcast_mul(&scale).unwrap().unsqueeze(0).unwrap();
        let logits = tuner
            .model()
            .forward(&input.with_word_embeddings(words), &Internals::none())
            .unwrap()
            .logits;
        logits
            .get(0)
            .unwrap()
            .get(label)
            .unwrap()
            .to_scalar::<f32>()
            .unwrap()
    }

    fn label_id(tuner: &FineTuner, label: &str) -> usize {
        tuner.labels().iter().position(|l| l == label).unwrap()
    }

    #[test]
    fn integrated_gradients_add_up_to_the_logit_change_and_point_at_the_cat() {
        let tuner = cat_classifier();
        for text in ["the cat sat on a mat", "a mat on the mat", "cat ."] {
            // A finer walk approximates the path integral better...
            let coarse = attribute(&tuner, text, MIN_STEPS).unwrap();
            let fine = attribute(&tuner, text, 8 * MIN_STEPS).unwrap();
            assert!(
                fine.completeness_gap() <= coarse.completeness_gap() + 1e-3,
                "{text}: {} then {}",
                coarse.completeness_gap(),
                fine.completeness_gap()
            );
            // ...and the lab's walk refines until the check it promises holds: within 5 %.
            let within = explain_within(
                tuner.model(),
                tuner.tokenizer(),
                text,
                None,
                MIN_STEPS,
                COMPLETENESS_TOLERANCE,
            );
            for a in [within.unwrap(), coarse] {
                assert!(
                    a.completeness_gap() < 0.05 || a.steps == MIN_STEPS,
                    "{text}, {} steps: gap {} ({a:?})",
                    a.steps,
                    a.completeness_gap()
                );
                assert_eq!(a.pieces.len(), a.integrated.len());
                assert_eq!(a.pieces.len(), a.gradient_x_input.len());
                // The markers are the same in the baseline, so they get no share.
                assert_eq!(a.integrated[0], 0.0);
                assert_eq!(*a.integrated.last().unwrap(), 0.0);
            }
        }
        // Where the label is "cat", the word cat carries the largest share.
        let a = attribute(&tuner, "the cat sat on a mat", 32).unwrap();
        assert_eq!(a.label, "cat");
        let top = (0..a.pieces.len())
            .max_by(|&x, &y| a.integrated[x].total_cmp(&a.integrated[y]))
            .unwrap();
        assert_eq!(a.pieces[top], "cat", "{a:?}");
    }

    #[test]
    fn the_text_end_of_the_path_is_the_classifier_itself() {
        let tuner = cat_classifier();
        let text = "the cat sat";
        let a = attribute(&tuner, text, MIN_STEPS).unwrap();
        let probabilities = tuner
            .predict(&LabelledSet::single(vec![text.into()], vec![0], Vec::new()))
            .unwrap()
            .remove(0);
        assert_eq!(a.label, ranked(tuner.labels(), probabilities)[0].0);
        let own = logit_scaled(&tuner, text, label_id(&tuner, &a.label), 1, 0.0);
        assert!((a.logit - own).abs() < 1e-4, "{} vs {own}", a.logit);
    }

    /// Gradient × input is the derivative of the logit along each token's own embedding: a
    /// central finite difference agrees within 2 % of the largest value.
    #[test]
    fn gradient_times_input_matches_finite_differences() {
        let tuner = cat_classifier();
        let text = "the cat sat on a mat";
        let a = attribute(&tuner, text, MIN_STEPS).unwrap();
        let label = label_id(&tuner, &a.label);
        let largest = a.gradient_x_input.iter().fold(0f32, |m, v| m.max(v.abs()));
        let epsilon = 1e-2;
        for (i, analytic) in a.gradient_x_input.iter().enumerate() {
            let numeric = (logit_scaled(&tuner, text, label, i, epsilon)
                - logit_scaled(&tuner, text, label, i, -epsilon))
                / (2.0 * epsilon);
            assert!(
                (numeric - analytic).abs() <= 0.02 * largest + 1e-3,
                "token {i} {:?}: {numeric} vs {analytic}",
                a.pieces[i]
            );
        }
    }

    #[test]
    fn too_few_steps_and_an_empty_text_are_refused() {
        let tuner = cat_classifier();
        let message = attribute(&tuner, "the cat", MIN_STEPS - 1)
            .err()
            .unwrap()
            .to_string();
        assert!(message.contains("at least 20 steps"), "{message}");
        let message = attribute(&tuner, "  ", MIN_STEPS)
            .err()
            .unwrap()
            .to_string();
        assert!(message.contains("no word"), "{message}");
    }
}
