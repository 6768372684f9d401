//! Micro-batches: masked sequences padded to one length, with their prediction targets.

use candle_core::{Device, Tensor};

use crate::masking::MaskedSequence;
use crate::model::{EncoderInput, Mode};
use crate::train::data::Example;
use crate::train::TrainError;

/// One micro-batch, ready for the model.
#[derive(Debug, Clone)]
pub struct Batch {
    pub input_ids: Tensor,
    pub type_ids: Tensor,
    pub attention_mask: Tensor,
    /// Flat positions (row * seq + col) of the prediction targets, u32 `[n]`.
    pub masked: Tensor,
    /// The original tokens there, u32 `[n]`.
    pub targets: Tensor,
    /// NSP / SOP labels, u32 `[batch]`.
    pub pair_labels: Option<Tensor>,
    /// Real (non-padding) tokens.
    pub tokens: usize,
    pub rows: usize,
    pub n_masked: usize,
}

impl Batch {
    /// Pads masked sequences to the longest and gathers the targets.
    pub fn new(
        examples: &[&Example],
        masked: &[MaskedSequence],
        pad_id: u32,
        device: &Device,
    ) -> Result<Batch, TrainError> {
        let seq = examples.iter().map(|e| e.ids.len()).max().unwrap_or(0);
        if examples.is_empty() || seq == 0 || examples.len() != masked.len() {
            return Err(TrainError::Data("empty batch".into()));
        }
        let rows = examples.len();
        let (mut ids, mut types, mut mask) = (Vec::new(), Vec::new(), Vec::new());
        let (mut positions, mut targets) = (Vec::new(), Vec::new());
        for (r, (ex, m)) in examples.iter().zip(masked).enumerate() {
            let pad = seq - ex.ids.len();
            ids.extend(
                m.input_ids
                    .iter()
                    .copied()
                    .chain(std::iter::repeat_n(pad_id, pad)),
            );
            types.extend(
                ex.type_ids
                    .iter()
                    .copied()
                    .chain(std::iter::repeat_n(0, pad)),
            );
            mask.extend(std::iter::repeat_n(1u32, ex.ids.len()).chain(std::iter::repeat_n(0, pad)));
            for (c, label) in m.labels.iter().enumerate() {
                if let Some(t) = label {
                    positions.push((r * seq + c) as u32);
                    targets.push(*t);
                }
            }
        }
        let n_masked = positions.len();
        let pair_labels = match examples
            .iter()
            .map(|e| e.pair_label)
            .collect::<Option<Vec<u32>>>()
        {
            Some(l) => Some(Tensor::new(l, device)?),
            None => None,
        };
        Ok(Batch {
            tokens: examples.iter().map(|e| e.ids.len()).sum(),
            input_ids: Tensor::from_vec(ids, (rows, seq), device)?,
            type_ids: Tensor::from_vec(types, (rows, seq), device)?,
            attention_mask: Tensor::from_vec(mask, (rows, seq), device)?,
            masked: Tensor::from_vec(positions, n_masked, device)?,
            targets: Tensor::from_vec(targets, n_masked, device)?,
            pair_labels,
            rows,
            n_masked,
        })
    }

    /// The model input; `segments` for families with segment embeddings.
    pub(super) fn input(&self, mode: Mode, segments: bool) -> EncoderInput {
        let input = EncoderInput::new(self.input_ids.clone())
            .with_attention_mask(self.attention_mask.clone())
            .with_mode(mode);
        if segments {
            input.with_token_type_ids(self.type_ids.clone())
        } else {
            input
        }
    }
}
