//! Turning text into encoder input, and tensors into plain numbers, for every view.

use bertlab_core::model::{EncoderConfig, EncoderInput};
use bertlab_core::text::tokenizer::{EncodeOptions, Encoded, Tokenizer};
use candle_core::{DType, Device, Tensor};

pub(super) fn message(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// `text` (and `pair`) as the model reads it: special tokens added, cut to the model's length.
pub(super) fn encode(
    tokenizer: &Tokenizer,
    config: &EncoderConfig,
    text: &str,
    pair: Option<&str>,
) -> Result<Encoded, String> {
    encode_within(tokenizer, config, text, pair, config.max_input_len())
}

/// [`encode`], cut to `limit` tokens when that is shorter than the model's length.
pub(super) fn encode_within(
    tokenizer: &Tokenizer,
    config: &EncoderConfig,
    text: &str,
    pair: Option<&str>,
    limit: usize,
) -> Result<Encoded, String> {
    let options = EncodeOptions {
        add_special_tokens: true,
        max_len: Some(config.max_input_len().min(limit)),
        position_offset: config.position_offset(),
    };
    tokenizer.encode(text, pair, &options).map_err(message)
}

/// Tokens truncation cut from the text(s).
pub(super) fn removed(enc: &Encoded) -> usize {
    enc.truncation.map_or(0, |t| t.total_removed())
}

/// One sequence as encoder input: its segment ids (for models with a segment table) and, when
/// given, which tokens may be attended to (1) or are hidden (0).
pub(super) fn input(
    config: &EncoderConfig,
    ids: &[u32],
    segments: &[u32],
    visible: Option<Vec<u32>>,
) -> Result<EncoderInput, String> {
    let device = Device::Cpu;
    let segments = [segments.to_vec()];
    let segments = (config.type_vocab_size > 0).then_some(segments.as_slice());
    let input = EncoderInput::from_rows(&[ids.to_vec()], segments, config.pad_token_id, &device)
        .map_err(message)?;
    Ok(match visible {
        Some(visible) => {
            let n = visible.len();
            input.with_attention_mask(Tensor::from_vec(visible, (1, n), &device).map_err(message)?)
        }
        None => input,
    })
}

/// `[1, seq, dims]` → one vector per token.
pub(super) fn per_token(t: &Tensor) -> Result<Vec<Vec<f32>>, String> {
    t.squeeze(0)
        .and_then(|t| t.to_dtype(DType::F32))
        .and_then(|t| t.to_vec2())
        .map_err(message)
}

pub(super) fn norm(v: &[f32]) -> f32 {
    v.iter().map(|x| x * x).sum::<f32>().sqrt()
}
