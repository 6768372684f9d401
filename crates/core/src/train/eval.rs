//! Cloze evaluation of a masked-language model: each benchmark sentence's `[MASK]` filled by the
//! model, top-k decoded words scored by the `cloze` module. (Validation perplexity lives in
//! `Trainer::evaluate`, which needs the training masks.)

use candle_core::{Device, Tensor, D};

use crate::model::{EncoderInput, Mode};
use crate::text::tokenizer::{EncodeOptions, Tokenizer};

use super::cloze::{score, ClozeItem, ClozeScore};
use super::pretrain::PretrainModel;
use super::TrainError;

/// Sentences per forward pass.
const BATCH: usize = 32;

/// The `k` most likely decoded words at each item's mask, best first.
pub fn cloze_predictions(
    model: &PretrainModel,
    tok: &Tokenizer,
    items: &[ClozeItem],
    k: usize,
) -> Result<Vec<Vec<String>>, TrainError> {
    let (mask, mask_id) = tok
        .mask_token()
        .ok_or_else(|| TrainError::Config("the tokenizer has no mask token".into()))?;
    let cfg = model.encoder().config();
    let opts = EncodeOptions {
        max_len: Some(cfg.max_input_len()),
        position_offset: cfg.position_offset(),
        ..EncodeOptions::default()
    };
    let device = Device::Cpu;
    let mut out = Vec::with_capacity(items.len());
    for chunk in items.chunks(BATCH) {
        let mut rows = Vec::new();
        let mut types = Vec::new();
        let mut positions = Vec::new();
        for item in chunk {
            let enc = tok
                .encode(&item.masked_for(&mask), None, &opts)
                .map_err(|e| TrainError::Data(format!("cloze item {}: {e}", item.id)))?;
            let pos = enc
                .ids
                .iter()
                .position(|&id| id == mask_id)
                .ok_or_else(|| {
                    TrainError::Data(format!(
                        "cloze item {}: the mask was truncated away",
                        item.id
                    ))
                })?;
            positions.push(pos);
            rows.push(enc.ids);
            types.push(enc.type_ids);
        }
        let seq = rows.iter().map(Vec::len).max().unwrap_or(0);
        let flat: Vec<u32> = positions
            .iter()
            .enumerate()
            .map(|(r, &p)| (r * seq + p) as u32)
            .collect();
        let segments = (cfg.type_vocab_size > 0).then_some(types.as_slice());
        let input = EncoderInput::from_rows(&rows, segments, cfg.pad_token_id, &device)?
            .with_mode(Mode::Eval);
        let masked = Tensor::new(flat, &device)?;
        let (logits, _) = model.forward_masked(&input, &masked)?;
        let top = top_k(&logits, k)?;
        for ids in top {
            out.push(
                ids.into_iter()
                    .map(|id| {
                        tok.decode(&[id], false)
                            .map_err(|e| TrainError::Data(e.to_string()))
                    })
                    .collect::<Result<Vec<_>, _>>()?,
            );
        }
    }
    Ok(out)
}

/// Ids of the `k` largest entries of each row of `[n, vocab]` logits, best first.
fn top_k(logits: &Tensor, k: usize) -> Result<Vec<Vec<u32>>, TrainError> {
    let sorted = logits.arg_sort_last_dim(false)?;
    let k = k.min(logits.dim(D::Minus1)?);
    Ok(sorted.narrow(D::Minus1, 0, k)?.to_vec2::<u32>()?)
}

/// Top-1 / top-5 on the benchmark, overall and per category.
pub fn evaluate_cloze(
    model: &PretrainModel,
    tok: &Tokenizer,
    items: &[ClozeItem],
) -> Result<ClozeScore, TrainError> {
    let preds = cloze_predictions(model, tok, items, 5)?;
    score(items, &preds).map_err(|e| TrainError::Data(e.to_string()))
}
