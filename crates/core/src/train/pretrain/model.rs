//! The model a [`super::Trainer`] trains, and its forward that scores only the masked positions.

use candle_core::Tensor;

use crate::model::{Encoder, EncoderInput, ForPreTraining, Internals, MaskedLm};
use crate::train::TrainError;

/// A model being pretrained: MLM alone, or MLM with the NSP / SOP pair head.
pub enum PretrainModel {
    Mlm(MaskedLm),
    Pair(ForPreTraining),
}

impl PretrainModel {
    pub fn encoder(&self) -> &Encoder {
        match self {
            PretrainModel::Mlm(m) => &m.encoder,
            PretrainModel::Pair(m) => &m.encoder,
        }
    }

    /// The encoder and its MLM head as a masked-LM (handles to the same weights, not a copy), for
    /// fill-mask on a model that is still training.
    pub fn masked_lm(&self) -> MaskedLm {
        match self {
            PretrainModel::Mlm(m) => m.clone(),
            PretrainModel::Pair(m) => MaskedLm {
                encoder: m.encoder.clone(),
                head: m.mlm.clone(),
            },
        }
    }

    /// The transformers class a checkpoint of this model is saved as, e.g. `BertForMaskedLM`.
    pub fn architecture(&self) -> String {
        let family = self.encoder().config().family.class_prefix();
        match self {
            PretrainModel::Mlm(_) => format!("{family}ForMaskedLM"),
            PretrainModel::Pair(_) => format!("{family}ForPreTraining"),
        }
    }

    /// MLM logits `[n, vocab]` at the flat positions `masked` (`[n]`, u32 into batch × seq) —
    /// the vocabulary projection runs only where a prediction is scored — and the pair logits
    /// `[batch, 2]` when the model has a pair head.
    pub fn forward_masked(
        &self,
        input: &EncoderInput,
        masked: &Tensor,
    ) -> Result<(Tensor, Option<Tensor>), TrainError> {
        let out = self.encoder().forward(input, &Internals::none())?;
        let h = out.last_hidden_state;
        let (b, s, hidden) = h.dims3()?;
        let picked = h.reshape((b * s, hidden))?.index_select(masked, 0)?;
        Ok(match self {
            PretrainModel::Mlm(m) => (m.head.forward(&picked, input.mode)?, None),
            PretrainModel::Pair(m) => {
                let pooled = m
                    .encoder
                    .pool(&h)?
                    .ok_or_else(|| TrainError::Config("the pair head needs a pooler".into()))?;
                (
                    m.mlm.forward(&picked, input.mode)?,
                    Some(m.pair.forward(&pooled, input.mode)?),
                )
            }
        })
    }
}
