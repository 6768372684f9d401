//! What the per-token fine-tuners (tagging, span QA) share: tokenized rows as the encoder's
//! input, and the frozen regime's shortcut, where each training row's last hidden state is
//! computed once (a frozen encoder gives the same every epoch) and an update runs only the head.

use candle_core::{Device, Tensor};

use crate::model::{Encoder, EncoderConfig, EncoderInput, Internals};
use crate::train::TrainError;

/// One tokenized example: token ids and segment ids.
pub(crate) struct TokenRow {
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
pub(crate) const EVAL_BATCH: usize = 32;

/// The indices of items of `lengths`, shortest first, in batches of `size`: a batch is padded to
/// its longest row, and batches of similar lengths spend little of the forward pass on padding.
pub(crate) fn length_sorted_batches(lengths: &[usize], size: usize) -> Vec<Vec<usize>> {
    let mut order: Vec<usize> = (0..lengths.len()).collect();
    order.sort_by_key(|&i| lengths[i]);
    order.chunks(size.max(1)).map(<[usize]>::to_vec).collect()
}

/// Each row's last hidden state `[its tokens, hidden]`, detached, in the rows' order.
pub(crate) fn last_hidden_states<'a>(
    encoder: &Encoder,
    rows: impl Iterator<Item = &'a TokenRow>,
) -> Result<Vec<Tensor>, TrainError> {
    let rows: Vec<&TokenRow> = rows.collect();
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
