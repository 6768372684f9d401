//! What the fine-tuners share for the frozen regime: tokenized rows as the encoder's input, and
//! each training row's last hidden state, computed once (a frozen encoder gives the same every
//! epoch) so that an update runs only the head. A caller may hand those states in instead of
//! letting the tuner compute them: the browser's worker spreads them over several threads.

use candle_core::{Device, Tensor};

use crate::model::{Encoder, EncoderConfig, EncoderInput, Internals};
use crate::train::TrainError;

/// One tokenized example: token ids and segment ids.
#[derive(Clone, Debug, PartialEq)]
pub struct TokenRow {
    pub ids: Vec<u32>,
    pub types: Vec<u32>,
}

/// `rows` right-padded into one batch for an encoder with `cfg`.
pub(crate) fn rows_input(
    cfg: &EncoderConfig,
    rows: &[&TokenRow],
) -> Result<EncoderInput, TrainError> {
    let ids: Vec<Vec<u32>> = rows.iter().map(|r| r.ids.clone()).collect();
    let types: Vec<Vec<u32>> = rows.iter().map(|r| r.types.clone()).collect();
    Ok(EncoderInput::for_model(cfg, &ids, &types, &Device::Cpu)?)
}

/// Rows per forward pass when nothing is trained.
pub const EVAL_BATCH: usize = 32;

/// The indices of items of `lengths`, shortest first, in batches of `size`: a batch is padded to
/// its longest row, and batches of similar lengths spend little of the forward pass on padding.
pub fn length_sorted_batches(lengths: &[usize], size: usize) -> Vec<Vec<usize>> {
    let mut order: Vec<usize> = (0..lengths.len()).collect();
    order.sort_by_key(|&i| lengths[i]);
    order.chunks(size.max(1)).map(<[usize]>::to_vec).collect()
}

/// Each row's last hidden state `[its tokens, hidden]`, detached, in the rows' order (batches of
/// similar lengths, [`EVAL_BATCH`] rows each).
pub fn last_hidden_states(
    encoder: &Encoder,
    rows: &[&TokenRow],
) -> Result<Vec<Tensor>, TrainError> {
    let lengths: Vec<usize> = rows.iter().map(|r| r.ids.len()).collect();
    let mut out: Vec<Option<Tensor>> = vec![None; rows.len()];
    for batch in length_sorted_batches(&lengths, EVAL_BATCH) {
        let chunk: Vec<&TokenRow> = batch.iter().map(|&i| rows[i]).collect();
        let input = rows_input(encoder.config(), &chunk)?;
        let hidden = encoder
            .forward(&input, &Internals::none())?
            .last_hidden_state;
        for (k, &i) in batch.iter().enumerate() {
            out[i] = Some(
                hidden
                    .get(k)?
                    .narrow(0, 0, lengths[i])?
                    .contiguous()?
                    .detach(),
            );
        }
    }
    Ok(out.into_iter().flatten().collect())
}

/// The frozen regime's states of the training rows: none needed (the encoder trains), still to
/// come, or kept, each as [`FrozenStates::keep`] trimmed it.
pub(crate) struct FrozenStates {
    kept: Option<Vec<Tensor>>,
    frozen: bool,
    /// The encoder's hidden size, which every state must have.
    hidden: usize,
    /// What a tuner keeps of a row's states (a classifier only reads the first token's).
    keep: fn(Tensor) -> candle_core::Result<Tensor>,
}

impl FrozenStates {
    pub(crate) fn new(
        frozen: bool,
        hidden: usize,
        keep: fn(Tensor) -> candle_core::Result<Tensor>,
    ) -> Self {
        FrozenStates {
            kept: None,
            frozen,
            hidden,
            keep,
        }
    }

    /// Whether the states are still to be computed or handed in.
    pub(crate) fn pending(&self) -> bool {
        self.frozen && self.kept.is_none()
    }

    /// Takes `states`, one per row of `rows` as [`last_hidden_states`] gives them, after checking
    /// their shapes against the rows and the hidden size.
    pub(crate) fn provide<'r>(
        &mut self,
        rows: impl Iterator<Item = &'r TokenRow>,
        states: Vec<Tensor>,
    ) -> Result<(), TrainError> {
        let lengths: Vec<usize> = rows.map(|r| r.ids.len()).collect();
        if states.len() != lengths.len() {
            return Err(TrainError::Data(format!(
                "{} encoder states for {} rows",
                states.len(),
                lengths.len()
            )));
        }
        let hidden = self.hidden;
        for (tokens, state) in lengths.into_iter().zip(&states) {
            if state.dims() != [tokens, hidden] {
                return Err(TrainError::Data(format!(
                    "an encoder state of shape {:?} for a row of {tokens} tokens (hidden size {hidden})",
                    state.dims(),
                )));
            }
        }
        let kept = states
            .into_iter()
            .map(self.keep)
            .collect::<candle_core::Result<Vec<_>>>()?;
        self.kept = Some(kept);
        Ok(())
    }

    /// The kept states, computed with `encoder` first if they are still pending; `None` when the
    /// encoder trains.
    pub(crate) fn get<'r>(
        &mut self,
        encoder: &Encoder,
        rows: impl Iterator<Item = &'r TokenRow>,
    ) -> Result<Option<&[Tensor]>, TrainError> {
        if self.pending() {
            let rows: Vec<&TokenRow> = rows.collect();
            let states = last_hidden_states(encoder, &rows)?;
            self.provide(rows.into_iter(), states)?;
        }
        Ok(self.kept.as_deref())
    }
}

/// A tuner's training rows and the encoder that reads them, borrowed together with its frozen
/// states, so that a caller can compute the states elsewhere and hand them in (the browser's worker
/// spreads them over several threads); otherwise the first update computes them.
pub struct FrozenRows<'t> {
    pub(crate) states: &'t mut FrozenStates,
    pub(crate) rows: Vec<&'t TokenRow>,
    pub(crate) encoder: &'t Encoder,
}

impl<'t> FrozenRows<'t> {
    /// The rows whose states are still to come; `None` once they are there, or when the encoder
    /// trains.
    pub fn pending(&self) -> Option<&[&'t TokenRow]> {
        self.states.pending().then_some(&self.rows[..])
    }

    pub fn encoder(&self) -> &'t Encoder {
        self.encoder
    }

    /// Hands in the last hidden states of [`FrozenRows::pending`]'s rows, from this encoder or
    /// an unchanged copy of it.
    pub fn provide(self, states: Vec<Tensor>) -> Result<(), TrainError> {
        self.states.provide(self.rows.into_iter(), states)
    }
}

/// The cached states of rows `indices`, zero-padded to the longest: `[rows, tokens, hidden]`.
pub(crate) fn padded_rows(features: &[Tensor], indices: &[usize]) -> Result<Tensor, TrainError> {
    let longest = indices
        .iter()
        .map(|&i| features[i].dims()[0])
        .max()
        .unwrap_or(0);
    let padded = indices
        .iter()
        .map(|&i| {
            let rows = &features[i];
            rows.pad_with_zeros(0, 0, longest - rows.dims()[0])?
                .unsqueeze(0)
        })
        .collect::<candle_core::Result<Vec<_>>>()?;
    Ok(Tensor::cat(&padded, 0)?)
}

#[cfg(test)]
mod tests {
    use super::super::tests::{animals, tuner};
    use super::*;
    use crate::train::finetune::Regime;
    use candle_core::D;

    #[test]
    fn states_handed_in_train_exactly_as_states_computed_by_the_tuner() {
        let mut here = tuner(Regime::Frozen);
        let mut handed = tuner(Regime::Frozen);
        let frozen = handed.frozen_rows();
        let rows = frozen
            .pending()
            .expect("a frozen tuner waits for its states");
        let states = last_hidden_states(frozen.encoder(), rows).unwrap();
        frozen.provide(states).unwrap();
        assert!(handed.frozen_rows().pending().is_none());
        for _ in 0..3 {
            assert_eq!(
                here.train_step().unwrap().loss,
                handed.train_step().unwrap().loss
            );
        }
        assert!(
            here.frozen_rows().pending().is_none(),
            "the first update computed them"
        );
        assert!(tuner(Regime::Full).frozen_rows().pending().is_none());
    }

    #[test]
    fn states_of_the_wrong_count_or_shape_are_refused_and_the_tuner_still_waits() {
        let mut t = tuner(Regime::Frozen);
        let frozen = t.frozen_rows();
        let mut states = last_hidden_states(frozen.encoder(), frozen.pending().unwrap()).unwrap();
        let last = states.pop().unwrap();
        assert!(frozen.provide(states.clone()).is_err());
        states.push(last.narrow(1, 0, 2).unwrap());
        assert!(t.frozen_rows().provide(states).is_err());
        assert!(t.frozen_rows().pending().is_some());
    }

    /// Prediction reads the head over length-sorted encoder states; the whole model over the
    /// examples in their order must give the same probabilities (to float rounding: the batches
    /// pad differently).
    #[test]
    fn predicting_from_states_matches_the_whole_model_in_one_batch() {
        let t = tuner(Regime::Full);
        let set = animals(12);
        let rows = t.rows(&set).unwrap();
        let input =
            rows_input(t.model().encoder.config(), &rows.iter().collect::<Vec<_>>()).unwrap();
        let logits = t
            .model()
            .forward(&input, &Internals::none())
            .unwrap()
            .logits;
        let whole = candle_nn::ops::softmax(&logits, D::Minus1)
            .unwrap()
            .to_vec2::<f32>()
            .unwrap();
        let predicted = t.predict(&set).unwrap();
        for (a, b) in whole.iter().flatten().zip(predicted.iter().flatten()) {
            assert!((a - b).abs() < 1e-5, "{a} vs {b}");
        }
    }
}
