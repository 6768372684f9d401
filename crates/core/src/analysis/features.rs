//! Sentence features: one vector per text read off any layer of an encoder, by mean pooling or the
//! first token, for every layer at once (one forward pass per batch).

use candle_core::{DType, Device, Tensor, D};

use crate::model::{Encoder, EncoderConfig, EncoderInput, Internals};
use crate::text::tokenizer::{EncodeOptions, Tokenizer};
use bertlab_protocol::features::Pooling;

/// Texts per forward pass: bounds the memory of the hidden states of every layer.
const BATCH: usize = 32;

/// Tokens per text at most when the labs read features (the feature space, the probes, the cloud
/// drawn while fine-tuning), as the fine-tuning lab reads texts: the support messages and Brown's
/// sentences are shorter, and an e-mail's first 64 tokens place it.
pub const LAB_MAX_LEN: usize = 64;

/// `[layer][text][hidden]` for layers `0..=num_hidden_layers` (0 = the embedding output).
pub type LayerFeatures = Vec<Vec<Vec<f32>>>;

/// Every text's pooled vector at every layer of `encoder` (eval mode), texts cut to `max_len`
/// tokens.
pub fn sentence_features(
    encoder: &Encoder,
    tokenizer: &Tokenizer,
    texts: &[String],
    pooling: Pooling,
    max_len: usize,
) -> Result<LayerFeatures, String> {
    let config = encoder.config();
    let options = encode_options(config, max_len);
    let message = |e: &dyn std::fmt::Display| e.to_string();
    let mut layers: LayerFeatures =
        vec![Vec::with_capacity(texts.len()); config.num_hidden_layers + 1];
    for chunk in texts.chunks(BATCH) {
        let encoded = chunk
            .iter()
            .map(|t| {
                tokenizer
                    .encode(t, None, &options)
                    .map_err(|e| format!("{t:?}: {e}"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let ids: Vec<Vec<u32>> = encoded.iter().map(|e| e.ids.clone()).collect();
        let types: Vec<Vec<u32>> = encoded.iter().map(|e| e.type_ids.clone()).collect();
        let (input, states) = all_hidden_states(encoder, &ids, &types)?;
        let mask = input
            .attention_mask
            .as_ref()
            .ok_or("the batch has no attention mask")?
            .to_dtype(DType::F32)
            .map_err(|e| message(&e))?;
        for (layer, h) in layers.iter_mut().zip(&states) {
            let pooled = pool(h, &mask, pooling).map_err(|e| message(&e))?;
            layer.extend(pooled.to_vec2::<f32>().map_err(|e| message(&e))?);
        }
    }
    Ok(layers)
}

/// Options that add the special tokens and cut a text to `max_len` tokens (at most what
/// `config`'s model takes), with its first position id.
pub(crate) fn encode_options(config: &EncoderConfig, max_len: usize) -> EncodeOptions {
    EncodeOptions {
        add_special_tokens: true,
        max_len: Some(max_len.min(config.max_input_len())),
        position_offset: config.position_offset(),
    }
}

/// The padded batch of rows `ids` (segment ids `types`) and every layer's hidden states for it,
/// `[batch, seq, hidden]` each, 0 = the embedding output (eval mode).
pub(crate) fn all_hidden_states(
    encoder: &Encoder,
    ids: &[Vec<u32>],
    types: &[Vec<u32>],
) -> Result<(EncoderInput, Vec<Tensor>), String> {
    let message = |e: &dyn std::fmt::Display| e.to_string();
    let input = EncoderInput::for_model(encoder.config(), ids, types, &Device::Cpu)
        .map_err(|e| message(&e))?;
    let want = Internals {
        hidden_states: true,
        ..Internals::none()
    };
    let states = encoder
        .forward(&input, &want)
        .map_err(|e| message(&e))?
        .hidden_states
        .ok_or("the encoder gave no hidden states")?;
    Ok((input, states))
}

/// `[batch, hidden]` from `[batch, seq, hidden]` states and a `[batch, seq]` 0/1 mask.
fn pool(states: &Tensor, mask: &Tensor, pooling: Pooling) -> candle_core::Result<Tensor> {
    match pooling {
        Pooling::Cls => states.narrow(1, 0, 1)?.squeeze(1),
        Pooling::Mean => {
            let weights = mask.unsqueeze(D::Minus1)?;
            let summed = states.broadcast_mul(&weights)?.sum(1)?;
            summed.broadcast_div(&mask.sum_keepdim(1)?)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{EncoderConfig, Family, Loaded, MaskedLm};

    fn tokenizer() -> Tokenizer {
        Tokenizer::from_bytes(include_bytes!(
            "../../../../tests/model_data/wordpiece-tokenizer.json"
        ))
        .expect("test tokenizer")
    }

    #[test]
    fn pooled_features_match_the_hidden_states_of_each_text_alone() {
        let tok = tokenizer();
        let mut cfg = EncoderConfig::tiny(Family::Bert);
        cfg.vocab_size = tok.vocab_size();
        let model = Loaded::<MaskedLm>::random(&cfg, 5, &Device::Cpu)
            .unwrap()
            .model;
        // Different lengths, so the batch pads the shorter texts.
        let texts: Vec<String> = ["the cat sat on the mat", "a cat", "playing on a mat ."]
            .map(String::from)
            .to_vec();
        for pooling in Pooling::ALL {
            let batched = sentence_features(&model.encoder, &tok, &texts, pooling, 64).unwrap();
            assert_eq!(batched.len(), cfg.num_hidden_layers + 1);
            for (i, text) in texts.iter().enumerate() {
                let alone = sentence_features(
                    &model.encoder,
                    &tok,
                    std::slice::from_ref(text),
                    pooling,
                    64,
                )
                .unwrap();
                let enc = tok.encode(text, None, &EncodeOptions::default()).unwrap();
                let input =
                    EncoderInput::from_rows(std::slice::from_ref(&enc.ids), None, 0, &Device::Cpu)
                        .unwrap();
                let want = Internals {
                    hidden_states: true,
                    ..Internals::none()
                };
                let states = model
                    .encoder
                    .forward(&input, &want)
                    .unwrap()
                    .hidden_states
                    .unwrap();
                for (layer, h) in states.iter().enumerate() {
                    let h = h.squeeze(0).unwrap().to_vec2::<f32>().unwrap();
                    let expected: Vec<f32> = match pooling {
                        Pooling::Cls => h[0].clone(),
                        Pooling::Mean => (0..h[0].len())
                            .map(|d| h.iter().map(|row| row[d]).sum::<f32>() / h.len() as f32)
                            .collect(),
                    };
                    for got in [&batched[layer][i], &alone[layer][0]] {
                        let worst = got
                            .iter()
                            .zip(&expected)
                            .map(|(a, b)| (a - b).abs())
                            .fold(0f32, f32::max);
                        assert!(worst < 1e-4, "{pooling:?} layer {layer} text {i}: {worst}");
                    }
                }
            }
        }
    }
}
