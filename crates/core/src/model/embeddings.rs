//! Token + segment + position embeddings, LayerNorm, dropout (`*.embeddings.*` in HF checkpoints).
//!
//! All four families share the tensor names `word_embeddings`, `position_embeddings`,
//! `token_type_embeddings` (absent in DistilBERT) and `LayerNorm`.

use candle_core::{Device, Module, Tensor};
use candle_nn::VarBuilder;

use super::config::{EncoderConfig, Family};
use super::dropout::{Dropout, DropoutRng};
use super::error::{ModelError, Result};
use super::nn::{embedding, LayerNorm, Mode};

/// The pieces that make up the embedding output, each `[batch, seq, embedding_size]`.
#[derive(Debug, Clone)]
pub struct EmbeddingParts {
    pub word: Tensor,
    pub position: Tensor,
    /// Segment embeddings; `None` for DistilBERT.
    pub token_type: Option<Tensor>,
    /// word + position (+ token_type), before LayerNorm.
    pub sum: Tensor,
    /// LayerNorm(sum): what the encoder sees (before dropout and, for ALBERT, the projection).
    pub normalized: Tensor,
    /// The position ids used, `[batch, seq]` u32.
    pub position_ids: Tensor,
}

#[derive(Debug, Clone)]
pub struct Embeddings {
    pub(crate) word_embeddings: candle_nn::Embedding,
    pub(crate) position_embeddings: candle_nn::Embedding,
    pub(crate) token_type_embeddings: Option<candle_nn::Embedding>,
    pub(crate) layer_norm: LayerNorm,
    dropout: Dropout,
    family: Family,
    pad_token_id: u32,
}

impl Embeddings {
    pub fn load(
        vb: VarBuilder,
        cfg: &EncoderConfig,
        rng: &DropoutRng,
    ) -> candle_core::Result<Self> {
        let (e, std) = (cfg.embedding_size, cfg.initializer_range);
        let token_type_embeddings = match cfg.type_vocab_size {
            0 => None,
            n => Some(embedding(n, e, std, vb.pp("token_type_embeddings"))?),
        };
        Ok(Embeddings {
            word_embeddings: embedding(cfg.vocab_size, e, std, vb.pp("word_embeddings"))?,
            position_embeddings: embedding(
                cfg.max_position_embeddings,
                e,
                std,
                vb.pp("position_embeddings"),
            )?,
            token_type_embeddings,
            layer_norm: LayerNorm::load(e, cfg.layer_norm_eps, vb.pp("LayerNorm"))?,
            dropout: Dropout::new(cfg.hidden_dropout_prob, rng),
            family: cfg.family,
            pad_token_id: cfg.pad_token_id,
        })
    }

    /// The word-embedding matrix `[vocab, embedding_size]` (tied to the MLM decoder).
    pub fn word_table(&self) -> &Tensor {
        self.word_embeddings.embeddings()
    }

    /// The position-embedding matrix `[max_position_embeddings, embedding_size]`.
    pub fn position_table(&self) -> &Tensor {
        self.position_embeddings.embeddings()
    }

    /// Position ids as transformers computes them when none are given (see
    /// [`default_position_ids`]).
    pub fn default_position_ids(&self, input_ids: &Tensor) -> Result<Tensor> {
        default_position_ids(self.family, self.pad_token_id, input_ids)
    }

    /// Returns the (dropped-out) embedding output and, when `want_parts`, its pieces. `word`,
    /// when given, replaces the word-table lookup of `input_ids` (same `[batch, seq]`).
    pub fn forward(
        &self,
        input_ids: &Tensor,
        word: Option<&Tensor>,
        token_type_ids: Option<&Tensor>,
        position_ids: Option<&Tensor>,
        mode: Mode,
        want_parts: bool,
    ) -> Result<(Tensor, Option<EmbeddingParts>)> {
        let position_ids = match position_ids {
            Some(p) => p.clone(),
            None => self.default_position_ids(input_ids)?,
        };
        let word = match word {
            Some(w) => {
                let (batch, seq) = input_ids.dims2()?;
                let width = self.word_table().dim(1)?;
                if w.dims() != [batch, seq, width] {
                    return Err(ModelError::Input(format!(
                        "word embeddings have shape {:?}, the ids need {:?}",
                        w.dims(),
                        [batch, seq, width]
                    )));
                }
                w.clone()
            }
            None => self.word_embeddings.forward(input_ids)?,
        };
        let position = self.position_embeddings.forward(&position_ids)?;
        let token_type = match (&self.token_type_embeddings, token_type_ids) {
            (Some(table), Some(ids)) => Some(table.forward(ids)?),
            (Some(table), None) => Some(table.forward(&input_ids.zeros_like()?)?),
            (None, Some(_)) => return Err(no_segments(self.family)),
            (None, None) => None,
        };
        let sum = match &token_type {
            Some(tt) => ((&word + tt)? + &position)?,
            None => (&word + &position)?,
        };
        let normalized = self.layer_norm.forward(&sum, mode)?;
        let out = self.dropout.forward(&normalized, mode)?;
        let parts = want_parts.then(|| EmbeddingParts {
            word,
            position,
            token_type,
            sum,
            normalized,
            position_ids,
        });
        Ok((out, parts))
    }
}

/// Position ids as transformers computes them when none are given: `0..seq` for each row, or for
/// RoBERTa `cumsum(ids != pad) * (ids != pad) + pad` (pads keep position `pad`).
pub(crate) fn default_position_ids(family: Family, pad: u32, input_ids: &Tensor) -> Result<Tensor> {
    let (batch, seq) = input_ids.dims2()?;
    let rows: Vec<u32> = match family {
        Family::Roberta => input_ids
            .to_vec2::<u32>()?
            .into_iter()
            .flat_map(|row| {
                let mut count = 0;
                row.into_iter()
                    .map(move |id| {
                        if id == pad {
                            pad
                        } else {
                            count += 1;
                            count + pad
                        }
                    })
                    .collect::<Vec<_>>()
            })
            .collect(),
        _ => (0..batch).flat_map(|_| 0..seq as u32).collect(),
    };
    Ok(Tensor::from_vec(rows, (batch, seq), &Device::Cpu)?.to_device(input_ids.device())?)
}

/// The error for segment ids given to a family without segment embeddings (DistilBERT).
pub(crate) fn no_segments(family: Family) -> ModelError {
    ModelError::Input(format!(
        "{family} has no segment embeddings; pass no token_type_ids"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::params::{random_source, var_builder};

    fn embeddings(family: Family) -> Embeddings {
        let cfg = EncoderConfig::tiny(family);
        let (vb, _) = var_builder(random_source(0, None), &Device::Cpu);
        Embeddings::load(vb, &cfg, &DropoutRng::new(0)).unwrap()
    }

    #[test]
    fn roberta_position_ids_follow_hf_formula() {
        let emb = embeddings(Family::Roberta);
        // pad = 1: positions start at 2 and pads keep 1, wherever they are.
        let ids = Tensor::new(&[[0u32, 31, 1, 40, 2], [0, 2, 1, 1, 1]], &Device::Cpu).unwrap();
        let pos = emb
            .default_position_ids(&ids)
            .unwrap()
            .to_vec2::<u32>()
            .unwrap();
        assert_eq!(pos, vec![vec![2, 3, 1, 4, 5], vec![2, 3, 1, 1, 1]]);
        let bert = embeddings(Family::Bert);
        let pos = bert
            .default_position_ids(&ids)
            .unwrap()
            .to_vec2::<u32>()
            .unwrap();
        assert_eq!(pos[1], vec![0, 1, 2, 3, 4]);
    }

    #[test]
    fn parts_add_up_to_the_sum() {
        let emb = embeddings(Family::Bert);
        let ids = Tensor::new(&[[5u32, 6, 7]], &Device::Cpu).unwrap();
        let tt = Tensor::new(&[[0u32, 1, 1]], &Device::Cpu).unwrap();
        let (out, parts) = emb
            .forward(&ids, None, Some(&tt), None, Mode::Eval, true)
            .unwrap();
        let p = parts.unwrap();
        let manual = ((&p.word + p.token_type.as_ref().unwrap()).unwrap() + &p.position).unwrap();
        let diff = (manual - &p.sum).unwrap().abs().unwrap().max_all().unwrap();
        assert!(diff.to_scalar::<f32>().unwrap() < 1e-6);
        // Eval: no dropout, so the output is the normalized sum.
        let diff = (out - &p.normalized)
            .unwrap()
            .abs()
            .unwrap()
            .max_all()
            .unwrap();
        assert_eq!(diff.to_scalar::<f32>().unwrap(), 0.0);
    }

    #[test]
    fn distilbert_rejects_segment_ids() {
        let emb = embeddings(Family::DistilBert);
        let ids = Tensor::new(&[[5u32, 6]], &Device::Cpu).unwrap();
        let err = emb
            .forward(
                &ids,
                None,
                Some(&ids.zeros_like().unwrap()),
                None,
                Mode::Eval,
                false,
            )
            .unwrap_err();
        assert!(err.to_string().contains("no segment embeddings"), "{err}");
    }
}
