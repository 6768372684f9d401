//! Reading and writing a Hugging Face `config.json`: every field optional, the family's
//! transformers defaults for those left out, DistilBERT's own names mapped onto the shared fields.

use std::collections::BTreeMap;

use bertlab_protocol::training::SegmentIds;
use serde::Deserialize;

use super::{Activation, EncoderConfig, Family};
use crate::model::error::{ModelError, Result};

/// config.json as written by transformers; every field optional so defaults can be per-family.
#[derive(Debug, Deserialize)]
struct HfConfig {
    model_type: Option<String>,
    vocab_size: Option<usize>,
    hidden_size: Option<usize>,
    dim: Option<usize>,
    embedding_size: Option<usize>,
    num_hidden_layers: Option<usize>,
    n_layers: Option<usize>,
    num_attention_heads: Option<usize>,
    n_heads: Option<usize>,
    intermediate_size: Option<usize>,
    hidden_dim: Option<usize>,
    hidden_act: Option<String>,
    activation: Option<String>,
    hidden_dropout_prob: Option<f32>,
    dropout: Option<f32>,
    attention_probs_dropout_prob: Option<f32>,
    attention_dropout: Option<f32>,
    classifier_dropout: Option<f32>,
    classifier_dropout_prob: Option<f32>,
    seq_classif_dropout: Option<f32>,
    qa_dropout: Option<f32>,
    max_position_embeddings: Option<usize>,
    type_vocab_size: Option<usize>,
    layer_norm_eps: Option<f64>,
    pad_token_id: Option<u32>,
    initializer_range: Option<f64>,
    num_hidden_groups: Option<usize>,
    inner_group_num: Option<usize>,
    tie_word_embeddings: Option<bool>,
    num_labels: Option<usize>,
    id2label: Option<BTreeMap<String, String>>,
    architectures: Option<Vec<String>>,
    position_embedding_type: Option<String>,
    is_decoder: Option<bool>,
    bertlab_text_pairs: Option<SegmentIds>,
}

impl EncoderConfig {
    /// Parses a Hugging Face config.json.
    pub fn from_hf_json(bytes: &[u8]) -> Result<EncoderConfig> {
        let mut raw: HfConfig =
            serde_json::from_slice(bytes).map_err(|e| ModelError::Config(e.to_string()))?;
        let model_type = raw
            .model_type
            .as_deref()
            .ok_or_else(|| ModelError::Config("missing field \"model_type\"".into()))?;
        let family = Family::from_model_type(model_type)?;
        raw.check_supported()?;
        let labels = labels(raw.id2label.take(), raw.num_labels)?;
        let cfg = raw.into_config(family, labels)?;
        cfg.validate()?;
        Ok(cfg)
    }

    /// A config.json that transformers (and [`EncoderConfig::from_hf_json`]) read back.
    pub fn to_hf_json(&self) -> serde_json::Value {
        use serde_json::json;
        let id2label: BTreeMap<String, String> = self
            .labels
            .iter()
            .enumerate()
            .map(|(i, l)| (i.to_string(), l.clone()))
            .collect();
        let label2id: BTreeMap<String, usize> = self
            .labels
            .iter()
            .enumerate()
            .map(|(i, l)| (l.clone(), i))
            .collect();
        let mut v = match self.family {
            Family::DistilBert => json!({
                "dim": self.hidden_size,
                "n_layers": self.num_hidden_layers,
                "n_heads": self.num_attention_heads,
                "hidden_dim": self.intermediate_size,
                "activation": self.hidden_act.name(),
                "dropout": self.hidden_dropout_prob,
                "attention_dropout": self.attention_probs_dropout_prob,
                "seq_classif_dropout": self.classifier_dropout,
                "qa_dropout": self.qa_dropout,
            }),
            family => {
                let mut v = json!({
                    "hidden_size": self.hidden_size,
                    "num_hidden_layers": self.num_hidden_layers,
                    "num_attention_heads": self.num_attention_heads,
                    "intermediate_size": self.intermediate_size,
                    "hidden_act": self.hidden_act.name(),
                    "hidden_dropout_prob": self.hidden_dropout_prob,
                    "attention_probs_dropout_prob": self.attention_probs_dropout_prob,
                    "type_vocab_size": self.type_vocab_size,
                    "layer_norm_eps": self.layer_norm_eps,
                    "position_embedding_type": "absolute",
                });
                if family == Family::Albert {
                    v["embedding_size"] = json!(self.embedding_size);
                    v["num_hidden_groups"] = json!(self.num_hidden_groups);
                    v["inner_group_num"] = json!(self.inner_group_num);
                    v["classifier_dropout_prob"] = json!(self.classifier_dropout);
                } else {
                    v["classifier_dropout"] = json!(self.classifier_dropout);
                }
                v
            }
        };
        v["model_type"] = json!(self.family.model_type());
        v["vocab_size"] = json!(self.vocab_size);
        v["max_position_embeddings"] = json!(self.max_position_embeddings);
        v["pad_token_id"] = json!(self.pad_token_id);
        v["initializer_range"] = json!(self.initializer_range);
        v["tie_word_embeddings"] = json!(self.tie_word_embeddings);
        v["id2label"] = json!(id2label);
        v["label2id"] = json!(label2id);
        v["architectures"] = json!(self.architectures);
        if let Some(segments) = self.text_pairs {
            v["bertlab_text_pairs"] = json!(segments);
        }
        v
    }
}

impl HfConfig {
    /// Refuses what the shared encoder cannot run: relative positions and decoders.
    fn check_supported(&self) -> Result<()> {
        if let Some(kind) = self.position_embedding_type.as_deref() {
            if kind != "absolute" {
                return Err(ModelError::UnsupportedConfig(format!(
                    "position_embedding_type {kind:?} (only \"absolute\")"
                )));
            }
        }
        if self.is_decoder == Some(true) {
            return Err(ModelError::UnsupportedConfig(
                "is_decoder = true (BERT Lab runs encoders only)".into(),
            ));
        }
        Ok(())
    }

    /// The shared config, each missing field taking `family`'s transformers default.
    fn into_config(self, family: Family, labels: Vec<String>) -> Result<EncoderConfig> {
        let distil = family == Family::DistilBert;
        let albert = family == Family::Albert;
        let hidden_size = self
            .hidden_size
            .or(self.dim)
            .unwrap_or(if albert { 4096 } else { 768 });
        let dropouts = self.dropouts(family);
        let act_name = self
            .hidden_act
            .or(self.activation)
            .unwrap_or_else(|| if albert { "gelu_new" } else { "gelu" }.to_string());
        Ok(EncoderConfig {
            family,
            vocab_size: self.vocab_size.unwrap_or(match family {
                Family::Roberta => 50265,
                Family::Albert => 30000,
                _ => 30522,
            }),
            hidden_size,
            embedding_size: if albert {
                self.embedding_size.unwrap_or(128)
            } else {
                hidden_size
            },
            num_hidden_layers: self
                .num_hidden_layers
                .or(self.n_layers)
                .unwrap_or(if distil { 6 } else { 12 }),
            num_attention_heads: self
                .num_attention_heads
                .or(self.n_heads)
                .unwrap_or(if albert { 64 } else { 12 }),
            intermediate_size: self
                .intermediate_size
                .or(self.hidden_dim)
                .unwrap_or(if albert { 16384 } else { 3072 }),
            hidden_act: Activation::from_name(&act_name)?,
            hidden_dropout_prob: dropouts.hidden,
            attention_probs_dropout_prob: dropouts.attention,
            classifier_dropout: dropouts.classifier,
            qa_dropout: dropouts.qa,
            max_position_embeddings: self.max_position_embeddings.unwrap_or(512),
            type_vocab_size: if distil {
                0
            } else {
                self.type_vocab_size.unwrap_or(2)
            },
            layer_norm_eps: if distil {
                1e-12
            } else {
                self.layer_norm_eps.unwrap_or(1e-12)
            },
            pad_token_id: self.pad_token_id.unwrap_or(if family == Family::Roberta {
                1
            } else {
                0
            }),
            initializer_range: self.initializer_range.unwrap_or(0.02),
            num_hidden_groups: if albert {
                self.num_hidden_groups.unwrap_or(1)
            } else {
                1
            },
            inner_group_num: if albert {
                self.inner_group_num.unwrap_or(1)
            } else {
                1
            },
            tie_word_embeddings: self.tie_word_embeddings.unwrap_or(true),
            labels,
            architectures: self.architectures.unwrap_or_default(),
            text_pairs: self.bertlab_text_pairs,
        })
    }

    /// The dropout probabilities under the family's names, with its defaults.
    fn dropouts(&self, family: Family) -> Dropouts {
        let default = if family == Family::Albert { 0.0 } else { 0.1 };
        let hidden = self.hidden_dropout_prob.or(self.dropout).unwrap_or(default);
        Dropouts {
            hidden,
            attention: self
                .attention_probs_dropout_prob
                .or(self.attention_dropout)
                .unwrap_or(default),
            classifier: match family {
                Family::Albert => self.classifier_dropout_prob.unwrap_or(0.1),
                Family::DistilBert => self.seq_classif_dropout.unwrap_or(0.2),
                _ => self.classifier_dropout.unwrap_or(hidden),
            },
            qa: if family == Family::DistilBert {
                self.qa_dropout.unwrap_or(0.1)
            } else {
                0.0
            },
        }
    }
}

/// Dropout probabilities, as [`EncoderConfig`] names them.
struct Dropouts {
    hidden: f32,
    attention: f32,
    classifier: f32,
    qa: f32,
}

/// Class names in id order, from `id2label` (ids must run `0..n` without gaps), else
/// `LABEL_i` for `num_labels` (default 2).
fn labels(
    id2label: Option<BTreeMap<String, String>>,
    num_labels: Option<usize>,
) -> Result<Vec<String>> {
    match (id2label, num_labels) {
        (Some(map), _) if !map.is_empty() => {
            let mut pairs = map
                .into_iter()
                .map(|(k, v)| {
                    k.parse::<usize>().map(|id| (id, v)).map_err(|_| {
                        ModelError::Config(format!("id2label key {k:?} is not an integer"))
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            pairs.sort_by_key(|(id, _)| *id);
            if pairs.iter().enumerate().any(|(i, (id, _))| i != *id) {
                return Err(ModelError::Config(
                    "id2label ids must be 0..num_labels without gaps".into(),
                ));
            }
            Ok(pairs.into_iter().map(|(_, v)| v).collect())
        }
        (_, n) => Ok((0..n.unwrap_or(2)).map(|i| format!("LABEL_{i}")).collect()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distilbert_names_are_mapped() {
        let json = br#"{"model_type":"distilbert","dim":64,"n_layers":3,"n_heads":4,
            "hidden_dim":128,"activation":"relu","dropout":0.2,"attention_dropout":0.3,"vocab_size":50}"#;
        let cfg = EncoderConfig::from_hf_json(json).unwrap();
        assert_eq!(cfg.family, Family::DistilBert);
        assert_eq!(
            (
                cfg.hidden_size,
                cfg.num_hidden_layers,
                cfg.num_attention_heads
            ),
            (64, 3, 4)
        );
        assert_eq!(cfg.intermediate_size, 128);
        assert_eq!(cfg.hidden_act, Activation::Relu);
        assert_eq!(cfg.hidden_dropout_prob, 0.2);
        assert_eq!(cfg.attention_probs_dropout_prob, 0.3);
        assert_eq!(cfg.type_vocab_size, 0);
        assert_eq!(cfg.classifier_dropout, 0.2);
    }

    #[test]
    fn family_defaults_follow_transformers() {
        let albert = EncoderConfig::from_hf_json(br#"{"model_type":"albert"}"#).unwrap();
        assert_eq!(albert.embedding_size, 128);
        assert_eq!(albert.hidden_size, 4096);
        assert_eq!(albert.hidden_act, Activation::GeluNew);
        let roberta = EncoderConfig::from_hf_json(
            br#"{"model_type":"roberta","max_position_embeddings":514}"#,
        )
        .unwrap();
        assert_eq!(roberta.pad_token_id, 1);
        assert_eq!(roberta.position_offset(), 2);
        assert_eq!(roberta.max_input_len(), 512);
        let bert = EncoderConfig::from_hf_json(br#"{"model_type":"bert","num_labels":5}"#).unwrap();
        assert_eq!(bert.embedding_size, bert.hidden_size);
        assert_eq!(bert.num_labels(), 5);
    }

    #[test]
    fn id2label_is_ordered_by_id() {
        let cfg = EncoderConfig::from_hf_json(
            br#"{"model_type":"bert","id2label":{"10":"k","2":"c","0":"a","1":"b","3":"d","4":"e","5":"f","6":"g","7":"h","8":"i","9":"j"}}"#,
        )
        .unwrap();
        assert_eq!(cfg.labels[2], "c");
        assert_eq!(cfg.labels[10], "k");
    }

    #[test]
    fn unsupported_inputs_are_named() {
        let err = EncoderConfig::from_hf_json(br#"{"model_type":"gpt2"}"#).unwrap_err();
        assert!(err.to_string().contains("\"gpt2\""), "{err}");
        let err = EncoderConfig::from_hf_json(br#"{"model_type":"bert","hidden_act":"mish"}"#)
            .unwrap_err();
        assert!(err.to_string().contains("mish"), "{err}");
        let err = EncoderConfig::from_hf_json(
            br#"{"model_type":"bert","position_embedding_type":"relative_key"}"#,
        )
        .unwrap_err();
        assert!(err.to_string().contains("relative_key"), "{err}");
        let err = EncoderConfig::from_hf_json(b"{not json").unwrap_err();
        assert!(err.to_string().starts_with("invalid config.json"), "{err}");
        let err =
            EncoderConfig::from_hf_json(br#"{"model_type":"bert","hidden_size":10}"#).unwrap_err();
        assert!(err.to_string().contains("multiple"), "{err}");
    }

    #[test]
    fn hf_json_round_trips() {
        for family in Family::ALL {
            let cfg = EncoderConfig::tiny(family);
            let json = serde_json::to_vec(&cfg.to_hf_json()).unwrap();
            let back = EncoderConfig::from_hf_json(&json).unwrap();
            assert_eq!(back, cfg, "{family}");
        }
    }
}
