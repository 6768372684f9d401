//! The attention view: every layer's and head's attention probabilities over the input.

use bertlab_core::model::{Encoder, EncoderConfig, EncoderInput, Internals};
use bertlab_core::text::tokenizer::Tokenizer;
use bertlab_protocol::views::{AttentionView, VIEW_MAX_TOKENS};
use candle_core::{DType, Tensor};

use super::input::{encode_within, input, message, removed};

/// Attention probabilities of every layer (ALBERT: every application of its shared layer) and head.
pub fn attention_view(
    encoder: &Encoder,
    tokenizer: &Tokenizer,
    text: &str,
    pair: Option<&str>,
) -> Result<AttentionView, String> {
    let query = AttentionQuery::new(encoder.config(), tokenizer, text, pair)?;
    let output = encoder
        .forward(query.input(), &AttentionQuery::WANT)
        .map_err(message)?;
    query.answer(output.attentions)
}

/// [`attention_view`] in two halves around the encoder, so any backend can run it.
pub struct AttentionQuery {
    input: EncoderInput,
    pieces: Vec<String>,
    special: Vec<bool>,
    heads: usize,
    removed: usize,
}

impl AttentionQuery {
    /// What the encoder is asked for.
    pub const WANT: Internals = Internals {
        embeddings: false,
        hidden_states: false,
        attentions: true,
        pooled: false,
    };

    pub fn new(
        config: &EncoderConfig,
        tokenizer: &Tokenizer,
        text: &str,
        pair: Option<&str>,
    ) -> Result<AttentionQuery, String> {
        let enc = encode_within(tokenizer, config, text, pair, VIEW_MAX_TOKENS)?;
        Ok(AttentionQuery {
            removed: removed(&enc),
            input: input(config, &enc.ids, &enc.type_ids, None)?,
            pieces: enc.pieces,
            special: enc.special_tokens_mask,
            heads: config.num_attention_heads,
        })
    }

    pub fn input(&self) -> &EncoderInput {
        &self.input
    }

    /// The view from the encoder's attention probabilities, one `[1, heads, seq, seq]` per layer.
    pub fn answer(self, attentions: Option<Vec<Tensor>>) -> Result<AttentionView, String> {
        let attentions = attentions.ok_or("the encoder returned no attention probabilities")?;
        let weights = attentions
            .iter()
            .map(|layer| {
                let heads: Vec<Vec<Vec<f32>>> = layer
                    .squeeze(0)
                    .and_then(|t| t.to_dtype(DType::F32))
                    .and_then(|t| t.to_vec3())
                    .map_err(message)?;
                Ok(heads.into_iter().map(|rows| rows.concat()).collect())
            })
            .collect::<Result<Vec<Vec<Vec<f32>>>, String>>()?;
        Ok(AttentionView {
            pieces: self.pieces,
            special: self.special,
            layers: weights.len(),
            heads: self.heads,
            weights,
            removed: self.removed,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_models::all_families;
    use super::*;
    use bertlab_core::model::Family;

    #[test]
    fn attention_rows_are_distributions_for_every_layer_and_head() {
        for (family, model, tok) in all_families() {
            let view = attention_view(&model.encoder, &tok, "The cat sat.", Some("It purred."))
                .expect("attends");
            let n = view.pieces.len();
            assert_eq!((view.layers, view.heads), (2, 4), "{family}");
            assert_eq!(view.weights.len(), 2);
            assert_eq!(
                view.special.iter().filter(|&&s| s).count(),
                if family == Family::Roberta { 4 } else { 3 }
            );
            assert!(view.special[0] && view.special[n - 1] && !view.special[1]);
            for layer in &view.weights {
                assert_eq!(layer.len(), 4);
                for head in layer {
                    assert_eq!(head.len(), n * n);
                    for row in head.chunks(n) {
                        let sum: f32 = row.iter().sum();
                        assert!((sum - 1.0).abs() < 1e-4, "{family}: {sum}");
                        assert!(row.iter().all(|&p| p >= 0.0));
                    }
                }
            }
        }
    }
}
