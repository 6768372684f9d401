//! Task heads, with the HF tensor names of each family.
//!
//! | head            | BERT                    | RoBERTa                  | ALBERT                     | DistilBERT                      |
//! |-----------------|-------------------------|--------------------------|----------------------------|---------------------------------|
//! | MLM             | `cls.predictions.*`     | `lm_head.*`              | `predictions.*`            | `vocab_transform/_layer_norm/_projector` |
//! | NSP / SOP       | `cls.seq_relationship`  | –                        | `sop_classifier.classifier`| –                               |
//! | sequence class. | `classifier` on pooled  | `classifier.dense/out_proj` on `<s>` | `classifier` on pooled | `pre_classifier`, `classifier` on `[CLS]` |
//! | token class.    | `classifier`            | `classifier`             | `classifier`               | `classifier`                    |
//! | span QA         | `qa_outputs`            | `qa_outputs`             | `qa_outputs`               | `qa_outputs`                    |

use candle_core::{Module, Tensor};
use candle_nn::VarBuilder;

use super::nn::Linear;

use super::config::{Activation, EncoderConfig, Family};
use super::dropout::{Dropout, DropoutRng};
use super::error::{ModelError, Result};
use super::nn::{linear, LayerNorm, Mode};

/// Names inside the MLM head: (root, transform dense, LayerNorm, decoder, bias, bias alias).
/// transformers ties `decoder.bias` to `bias`, and a checkpoint holds one or both.
pub(crate) struct MlmNames {
    pub root: &'static str,
    pub dense: &'static str,
    pub norm: &'static str,
    pub decoder: &'static str,
    pub bias: &'static str,
    pub bias_alias: Option<&'static str>,
}

impl MlmNames {
    pub fn of(family: Family) -> MlmNames {
        match family {
            Family::Bert => MlmNames {
                root: "cls.predictions",
                dense: "transform.dense",
                norm: "transform.LayerNorm",
                decoder: "decoder",
                bias: "bias",
                bias_alias: Some("decoder.bias"),
            },
            Family::Roberta => MlmNames {
                root: "lm_head",
                dense: "dense",
                norm: "layer_norm",
                decoder: "decoder",
                bias: "bias",
                bias_alias: Some("decoder.bias"),
            },
            Family::Albert => MlmNames {
                root: "predictions",
                dense: "dense",
                norm: "LayerNorm",
                decoder: "decoder",
                bias: "bias",
                bias_alias: Some("decoder.bias"),
            },
            Family::DistilBert => MlmNames {
                root: "",
                dense: "vocab_transform",
                norm: "vocab_layer_norm",
                decoder: "vocab_projector",
                bias: "vocab_projector.bias",
                bias_alias: None,
            },
        }
    }

    /// Full key of a name under the root.
    pub fn key(&self, name: &str) -> String {
        if self.root.is_empty() {
            name.to_string()
        } else {
            format!("{}.{name}", self.root)
        }
    }
}

fn at<'a>(vb: &VarBuilder<'a>, root: &str) -> VarBuilder<'a> {
    if root.is_empty() {
        vb.clone()
    } else {
        vb.pp(root)
    }
}

/// Masked-language-model head: dense → activation → LayerNorm → decoder (tied) + bias.
#[derive(Debug, Clone)]
pub struct MlmHead {
    pub(crate) dense: Linear,
    pub(crate) activation: Activation,
    pub(crate) norm: LayerNorm,
    pub(crate) decoder: Linear,
}

impl MlmHead {
    /// `vb` at the checkpoint root; `word_embeddings` `[vocab, E]` is reused as decoder weight
    /// when `tie_word_embeddings`.
    pub fn load(
        vb: &VarBuilder,
        cfg: &EncoderConfig,
        word_embeddings: &Tensor,
    ) -> candle_core::Result<Self> {
        let names = MlmNames::of(cfg.family);
        let vb = at(vb, names.root);
        let (h, e, std) = (cfg.hidden_size, cfg.embedding_size, cfg.initializer_range);
        let bias_name = match names.bias_alias {
            Some(alias) if !vb.contains_tensor(names.bias) && vb.contains_tensor(alias) => alias,
            _ => names.bias,
        };
        let bias = vb.get_with_hints(cfg.vocab_size, bias_name, candle_nn::Init::Const(0.))?;
        let weight = if cfg.tie_word_embeddings {
            word_embeddings.clone()
        } else {
            vb.pp(names.decoder).get_with_hints(
                (cfg.vocab_size, e),
                "weight",
                candle_nn::Init::Randn {
                    mean: 0.,
                    stdev: std,
                },
            )?
        };
        Ok(MlmHead {
            dense: linear(h, e, std, vb.pp(names.dense))?,
            // RobertaLMHead hard-codes exact GELU; the others follow hidden_act.
            activation: match cfg.family {
                Family::Roberta => Activation::Gelu,
                _ => cfg.hidden_act,
            },
            norm: LayerNorm::load(e, cfg.layer_norm_eps, vb.pp(names.norm))?,
            decoder: Linear::new(weight, Some(bias)),
        })
    }

    /// `[b, s, H]` → logits `[b, s, vocab]`.
    pub fn forward(&self, hidden: &Tensor, mode: Mode) -> Result<Tensor> {
        let x = self.activation.forward(&self.dense.forward(hidden)?)?;
        Ok(self.decoder.forward(&self.norm.forward(&x, mode)?)?)
    }
}

/// Sentence-pair head on the pooled output: BERT next-sentence prediction or ALBERT
/// sentence-order prediction. Logits `[b, 2]`; for NSP index 0 = "B follows A".
#[derive(Debug, Clone)]
pub struct PairHead {
    dropout: Option<Dropout>,
    classifier: Linear,
}

impl PairHead {
    pub fn load(vb: &VarBuilder, cfg: &EncoderConfig, rng: &DropoutRng) -> Result<PairHead> {
        let (name, dropout) = match cfg.family {
            Family::Bert => ("cls.seq_relationship", None),
            Family::Albert => (
                "sop_classifier.classifier",
                Some(Dropout::new(cfg.classifier_dropout, rng)),
            ),
            f => {
                return Err(ModelError::UnsupportedConfig(format!(
                    "{f} has no sentence-pair (NSP/SOP) head"
                )))
            }
        };
        Ok(PairHead {
            dropout,
            classifier: linear(cfg.hidden_size, 2, cfg.initializer_range, vb.pp(name))?,
        })
    }

    /// The dropout probability before the classifier (0 for BERT's) and the classifier: for
    /// backends with their own kernels.
    pub(crate) fn parts(&self) -> (f32, &Linear) {
        (
            self.dropout.as_ref().map_or(0.0, Dropout::p),
            &self.classifier,
        )
    }

    pub fn forward(&self, pooled: &Tensor, mode: Mode) -> Result<Tensor> {
        let x = match &self.dropout {
            Some(d) => d.forward(pooled, mode)?,
            None => pooled.clone(),
        };
        Ok(self.classifier.forward(&x)?)
    }
}

/// Sequence classification, `[b, num_labels]` logits, wired as each family does in transformers.
#[derive(Debug, Clone)]
pub struct SequenceClassifier {
    family: Family,
    /// RoBERTa `classifier.dense` (tanh) / DistilBERT `pre_classifier` (ReLU).
    pre: Option<Linear>,
    dropout: Dropout,
    out: Linear,
}

impl SequenceClassifier {
    pub fn load(
        vb: &VarBuilder,
        cfg: &EncoderConfig,
        rng: &DropoutRng,
    ) -> candle_core::Result<Self> {
        let (h, n, std) = (cfg.hidden_size, cfg.num_labels(), cfg.initializer_range);
        let (pre, out) = match cfg.family {
            Family::Bert | Family::Albert => (None, "classifier"),
            Family::Roberta => (Some("classifier.dense"), "classifier.out_proj"),
            Family::DistilBert => (Some("pre_classifier"), "classifier"),
        };
        Ok(SequenceClassifier {
            family: cfg.family,
            pre: pre.map(|p| linear(h, h, std, vb.pp(p))).transpose()?,
            dropout: Dropout::new(cfg.classifier_dropout, rng),
            out: linear(h, n, std, vb.pp(out))?,
        })
    }

    /// RoBERTa's `classifier.dense` or DistilBERT's `pre_classifier` (none for BERT and ALBERT,
    /// whose pooler is the encoder's), and the output layer: for backends with their own kernels.
    pub(crate) fn layers(&self) -> (Option<&Linear>, &Linear) {
        (self.pre.as_ref(), &self.out)
    }

    /// BERT/ALBERT read `pooled`; RoBERTa/DistilBERT read the first token of `last_hidden`.
    pub fn forward(
        &self,
        last_hidden: &Tensor,
        pooled: Option<&Tensor>,
        mode: Mode,
    ) -> Result<Tensor> {
        let d = |t: &Tensor| self.dropout.forward(t, mode);
        let first = || last_hidden.narrow(1, 0, 1)?.squeeze(1);
        let x = match (self.family, &self.pre) {
            (Family::Roberta, Some(dense)) => d(&dense.forward(&d(&first()?)?)?.tanh()?)?,
            (Family::DistilBert, Some(pre)) => d(&pre.forward(&first()?)?.relu()?)?,
            _ => d(pooled.ok_or_else(|| {
                ModelError::Input("sequence classification needs the pooler output".into())
            })?)?,
        };
        Ok(self.out.forward(&x)?)
    }
}

/// Token classification: dropout → `classifier`, logits `[b, s, num_labels]`.
#[derive(Debug, Clone)]
pub struct TokenClassifier {
    dropout: Dropout,
    classifier: Linear,
}

impl TokenClassifier {
    pub fn load(
        vb: &VarBuilder,
        cfg: &EncoderConfig,
        rng: &DropoutRng,
    ) -> candle_core::Result<Self> {
        // DistilBertForTokenClassification uses the model dropout, not seq_classif_dropout.
        let p = match cfg.family {
            Family::DistilBert => cfg.hidden_dropout_prob,
            _ => cfg.classifier_dropout,
        };
        Ok(TokenClassifier {
            dropout: Dropout::new(p, rng),
            classifier: linear(
                cfg.hidden_size,
                cfg.num_labels(),
                cfg.initializer_range,
                vb.pp("classifier"),
            )?,
        })
    }

    pub fn forward(&self, last_hidden: &Tensor, mode: Mode) -> Result<Tensor> {
        Ok(self
            .classifier
            .forward(&self.dropout.forward(last_hidden, mode)?)?)
    }
}

/// Extractive span QA: `qa_outputs` → start and end logits `[b, s]`.
#[derive(Debug, Clone)]
pub struct SpanQa {
    dropout: Dropout,
    qa_outputs: Linear,
}

impl SpanQa {
    pub fn load(
        vb: &VarBuilder,
        cfg: &EncoderConfig,
        rng: &DropoutRng,
    ) -> candle_core::Result<Self> {
        Ok(SpanQa {
            dropout: Dropout::new(cfg.qa_dropout, rng),
            qa_outputs: linear(
                cfg.hidden_size,
                2,
                cfg.initializer_range,
                vb.pp("qa_outputs"),
            )?,
        })
    }

    /// Returns `(start_logits, end_logits)`, each `[b, s]`.
    pub fn forward(&self, last_hidden: &Tensor, mode: Mode) -> Result<(Tensor, Tensor)> {
        let logits = self
            .qa_outputs
            .forward(&self.dropout.forward(last_hidden, mode)?)?;
        let start = logits.narrow(2, 0, 1)?.squeeze(2)?.contiguous()?;
        let end = logits.narrow(2, 1, 1)?.squeeze(2)?.contiguous()?;
        Ok((start, end))
    }
}
