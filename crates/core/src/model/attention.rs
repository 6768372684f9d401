//! Multi-head self-attention returning its probabilities.

use candle_core::{Module, Result, Tensor};
use candle_nn::VarBuilder;

use super::config::EncoderConfig;
use super::dropout::{Dropout, DropoutRng};
use super::fused;
use super::nn::{linear, Linear, Mode};

/// Tensor names of the four projections, relative to the layer.
pub struct AttentionNames {
    pub query: &'static str,
    pub key: &'static str,
    pub value: &'static str,
    pub output: &'static str,
}

#[derive(Debug, Clone)]
pub struct SelfAttention {
    pub(crate) query: Linear,
    pub(crate) key: Linear,
    pub(crate) value: Linear,
    pub(crate) output: Linear,
    pub(crate) num_heads: usize,
    pub(crate) head_dim: usize,
    dropout: Dropout,
}

impl SelfAttention {
    pub fn load(
        vb: &VarBuilder,
        names: &AttentionNames,
        cfg: &EncoderConfig,
        rng: &DropoutRng,
    ) -> Result<SelfAttention> {
        let (h, std) = (cfg.hidden_size, cfg.initializer_range);
        Ok(SelfAttention {
            query: linear(h, h, std, vb.pp(names.query))?,
            key: linear(h, h, std, vb.pp(names.key))?,
            value: linear(h, h, std, vb.pp(names.value))?,
            output: linear(h, h, std, vb.pp(names.output))?,
            num_heads: cfg.num_attention_heads,
            head_dim: cfg.head_dim(),
            dropout: Dropout::new(cfg.attention_probs_dropout_prob, rng),
        })
    }

    /// `[b, s, H]` → `[b, heads, s, head_dim]`
    fn split_heads(&self, xs: &Tensor) -> Result<Tensor> {
        let (b, s, _) = xs.dims3()?;
        xs.reshape((b, s, self.num_heads, self.head_dim))?
            .transpose(1, 2)?
            .contiguous()
    }

    /// `xs` is `[b, s, H]`; `mask` is additive, `[b, 1, 1, s]` (one row per sequence).
    /// Returns the output projection `[b, s, H]` and the attention probabilities
    /// `[b, heads, s, s]` (before attention dropout, so they sum to 1 per row even in training).
    pub fn forward(
        &self,
        xs: &Tensor,
        mask: Option<&Tensor>,
        mode: Mode,
    ) -> Result<(Tensor, Tensor)> {
        let (b, s, h) = xs.dims3()?;
        let q = self.split_heads(&self.query.forward(xs)?)?;
        let k = self.split_heads(&self.key.forward(xs)?)?;
        let v = self.split_heads(&self.value.forward(xs)?)?;
        let scale = 1.0 / (self.head_dim as f64).sqrt();
        let probs = fused::attention_softmax(&q.matmul(&k.t()?)?, mask, scale)?;
        let context = self
            .dropout
            .forward(&probs, mode)?
            .matmul(&v)?
            .transpose(1, 2)?
            .reshape((b, s, h))?;
        Ok((self.output.forward(&context)?, probs))
    }
}
