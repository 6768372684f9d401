//! A sentence (or sentence-pair) classifier (the lab's fine-tuning export, or any
//! `*ForSequenceClassification` checkpoint of the four families) ready to label texts: what `bertlab classify` runs on a
//! folder and the worker runs on a model saved in the browser.

use std::collections::HashMap;

use candle_core::{Device, D};

use crate::folder::{FolderError, FolderPlan, ModelFolder};
use crate::model::{Checkpoint, EncoderInput, ForSequenceClassification, Internals};
use crate::text::tokenizer::{EncodeOptions, Encoded, Tokenizer};

use super::zip::read_zip;
use super::TrainError;

pub struct Classifier {
    model: ForSequenceClassification,
    tokenizer: Tokenizer,
}

impl Classifier {
    /// The classifier `checkpoint` holds; a checkpoint of another kind is refused by name.
    pub fn new(checkpoint: &Checkpoint, tokenizer: Tokenizer) -> Result<Classifier, TrainError> {
        let model = checkpoint
            .load::<ForSequenceClassification>(&Device::Cpu)
            .map_err(|e| {
                TrainError::Data(format!(
                    "this model is not a sentence classifier ({}): {e}",
                    checkpoint.config.architectures.join(", ")
                ))
            })?
            .model;
        Ok(Classifier { model, tokenizer })
    }

    /// The classifier in a ZIP of one model folder (as the lab's "Download (.zip)" writes it).
    pub fn from_zip(bytes: &[u8]) -> Result<Classifier, TrainError> {
        let files = read_zip(bytes).map_err(TrainError::Data)?;
        let by_name: HashMap<&str, &[u8]> = files
            .iter()
            .map(|(path, data)| (path.rsplit('/').next().unwrap_or(path), data.as_slice()))
            .collect();
        let names: Vec<&str> = by_name.keys().copied().collect();
        let folder = FolderPlan::from_names(&names).and_then(|plan| {
            ModelFolder::read_with(plan, |file| {
                by_name
                    .get(file)
                    .map(|data| data.to_vec())
                    .ok_or(FolderError::NoWeights)
            })
        });
        let (checkpoint, tokenizer) = folder
            .and_then(|folder| folder.open())
            .map_err(|e| TrainError::Data(e.to_string()))?;
        Classifier::new(&checkpoint, tokenizer)
    }

    /// The labels, in the order of the model's outputs.
    pub fn labels(&self) -> &[String] {
        &self.model.encoder.config().labels
    }

    pub fn model(&self) -> &ForSequenceClassification {
        &self.model
    }

    pub fn tokenizer(&self) -> &Tokenizer {
        &self.tokenizer
    }

    /// Every label's probability for `text` (and its second text, for a pair classifier), most
    /// likely first.
    pub fn classify(
        &self,
        text: &str,
        pair: Option<&str>,
    ) -> Result<Vec<(String, f32)>, TrainError> {
        classify(&self.model, &self.tokenizer, text, pair)
    }
}

/// Every label's probability `model` gives `text` (with `pair`, for a pair classifier), most
/// likely first.
pub fn classify(
    model: &ForSequenceClassification,
    tokenizer: &Tokenizer,
    text: &str,
    pair: Option<&str>,
) -> Result<Vec<(String, f32)>, TrainError> {
    let (_, input) = encode(model, tokenizer, text, pair)?;
    let logits = model.forward(&input, &Internals::none())?.logits;
    let probabilities = candle_nn::ops::softmax(&logits, D::Minus1)?
        .squeeze(0)?
        .to_vec1::<f32>()?;
    Ok(ranked(&model.encoder.config().labels, probabilities))
}

/// `text` (and `pair`) as `model` reads it (markers added, cut to the model's length, segment
/// ids as it was trained with) and as its input. A pair classifier needs `pair`; a single-text
/// one refuses it.
pub fn encode(
    model: &ForSequenceClassification,
    tokenizer: &Tokenizer,
    text: &str,
    pair: Option<&str>,
) -> Result<(Encoded, EncoderInput), TrainError> {
    let config = model.encoder.config();
    match (config.text_pairs, pair) {
        (Some(_), None) => {
            return Err(TrainError::Data(
                "this model compares two texts: give it a second text".into(),
            ))
        }
        (None, Some(_)) => {
            return Err(TrainError::Data(
                "this model labels single texts: leave out the second text".into(),
            ))
        }
        _ => {}
    }
    let options = EncodeOptions {
        add_special_tokens: true,
        max_len: Some(config.max_input_len()),
        position_offset: config.position_offset(),
    };
    let mut enc = tokenizer
        .encode(text, pair, &options)
        .map_err(|e| TrainError::Data(e.to_string()))?;
    if let Some(segments) = config.text_pairs {
        segments.apply(&mut enc.type_ids);
    }
    let input = EncoderInput::for_model(
        config,
        std::slice::from_ref(&enc.ids),
        std::slice::from_ref(&enc.type_ids),
        &Device::Cpu,
    )?;
    Ok((enc, input))
}

/// Each label with its probability, most likely first.
pub fn ranked(labels: &[String], probabilities: Vec<f32>) -> Vec<(String, f32)> {
    let mut ranked: Vec<(String, f32)> = labels.iter().cloned().zip(probabilities).collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
    ranked
}
