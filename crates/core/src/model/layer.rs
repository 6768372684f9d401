//! One post-LayerNorm transformer block: attention + residual + norm, feed-forward + residual + norm.
//!
//! The four families differ only in tensor names and in where HF applies hidden dropout, so one
//! struct serves all of them, driven by a per-family [`LayerNames`] table.

use candle_core::{Module, Result, Tensor};
use candle_nn::VarBuilder;

use super::nn::Linear;

use super::attention::{AttentionNames, SelfAttention};
use super::config::{Activation, EncoderConfig, Family};
use super::dropout::{Dropout, DropoutRng};
use super::nn::{linear, LayerNorm, Mode};

/// HF tensor names inside one layer, and HF's dropout placement.
pub struct LayerNames {
    pub attention: AttentionNames,
    pub attention_norm: &'static str,
    pub ffn_in: &'static str,
    pub ffn_out: &'static str,
    pub output_norm: &'static str,
    /// Dropout on the attention output projection (not in DistilBERT).
    pub attention_out_dropout: bool,
    /// Dropout on the feed-forward output (not in ALBERT).
    pub ffn_out_dropout: bool,
}

impl LayerNames {
    pub fn of(family: Family) -> LayerNames {
        match family {
            Family::Bert | Family::Roberta => LayerNames {
                attention: AttentionNames {
                    query: "attention.self.query",
                    key: "attention.self.key",
                    value: "attention.self.value",
                    output: "attention.output.dense",
                },
                attention_norm: "attention.output.LayerNorm",
                ffn_in: "intermediate.dense",
                ffn_out: "output.dense",
                output_norm: "output.LayerNorm",
                attention_out_dropout: true,
                ffn_out_dropout: true,
            },
            Family::Albert => LayerNames {
                attention: AttentionNames {
                    query: "attention.query",
                    key: "attention.key",
                    value: "attention.value",
                    output: "attention.dense",
                },
                attention_norm: "attention.LayerNorm",
                ffn_in: "ffn",
                ffn_out: "ffn_output",
                output_norm: "full_layer_layer_norm",
                attention_out_dropout: true,
                ffn_out_dropout: false,
            },
            Family::DistilBert => LayerNames {
                attention: AttentionNames {
                    query: "attention.q_lin",
                    key: "attention.k_lin",
                    value: "attention.v_lin",
                    output: "attention.out_lin",
                },
                attention_norm: "sa_layer_norm",
                ffn_in: "ffn.lin1",
                ffn_out: "ffn.lin2",
                output_norm: "output_layer_norm",
                attention_out_dropout: false,
                ffn_out_dropout: true,
            },
        }
    }
}

#[derive(Debug, Clone)]
pub struct Layer {
    pub(crate) attention: SelfAttention,
    attention_dropout: Option<Dropout>,
    pub(crate) attention_norm: LayerNorm,
    pub(crate) ffn_in: Linear,
    pub(crate) activation: Activation,
    pub(crate) ffn_out: Linear,
    ffn_dropout: Option<Dropout>,
    pub(crate) output_norm: LayerNorm,
}

impl Layer {
    pub fn load(vb: VarBuilder, cfg: &EncoderConfig, rng: &DropoutRng) -> Result<Layer> {
        let names = LayerNames::of(cfg.family);
        let (h, i, std, eps) = (
            cfg.hidden_size,
            cfg.intermediate_size,
            cfg.initializer_range,
            cfg.layer_norm_eps,
        );
        let dropout = |on: bool| on.then(|| Dropout::new(cfg.hidden_dropout_prob, rng));
        Ok(Layer {
            attention: SelfAttention::load(&vb, &names.attention, cfg, rng)?,
            attention_dropout: dropout(names.attention_out_dropout),
            attention_norm: LayerNorm::load(h, eps, vb.pp(names.attention_norm))?,
            ffn_in: linear(h, i, std, vb.pp(names.ffn_in))?,
            activation: cfg.hidden_act,
            ffn_out: linear(i, h, std, vb.pp(names.ffn_out))?,
            ffn_dropout: dropout(names.ffn_out_dropout),
            output_norm: LayerNorm::load(h, eps, vb.pp(names.output_norm))?,
        })
    }

    /// Returns the layer output `[b, s, H]` and its attention probabilities `[b, heads, s, s]`.
    pub fn forward(
        &self,
        xs: &Tensor,
        mask: Option<&Tensor>,
        mode: Mode,
    ) -> Result<(Tensor, Tensor)> {
        let drop = |d: &Option<Dropout>, t: Tensor| match d {
            Some(d) => d.forward(&t, mode),
            None => Ok(t),
        };
        let (attended, probs) = self.attention.forward(xs, mask, mode)?;
        let attended = drop(&self.attention_dropout, attended)?;
        let hidden = self.attention_norm.forward(&(attended + xs)?, mode)?;
        let ff = self
            .activation
            .forward(&self.ffn_in.forward(&hidden)?)?
            .apply(&self.ffn_out)?;
        let ff = drop(&self.ffn_dropout, ff)?;
        Ok((self.output_norm.forward(&(ff + hidden)?, mode)?, probs))
    }
}
