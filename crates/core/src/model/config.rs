//! One configuration for all four families, read from a Hugging Face `config.json`.
//!
//! Fields a config.json leaves out take the defaults of the matching `transformers` config class
//! (`BertConfig`, `RobertaConfig`, `AlbertConfig`, `DistilBertConfig`), listed per field below.
//! DistilBERT's own names (`dim`, `n_layers`, `n_heads`, `hidden_dim`, `dropout`,
//! `attention_dropout`, `activation`) are mapped onto the shared fields.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::error::{ModelError, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Family {
    Bert,
    Roberta,
    Albert,
    DistilBert,
}

impl Family {
    pub const ALL: [Family; 4] = [
        Family::Bert,
        Family::Roberta,
        Family::Albert,
        Family::DistilBert,
    ];

    pub fn from_model_type(model_type: &str) -> Result<Family> {
        match model_type {
            "bert" => Ok(Family::Bert),
            "roberta" => Ok(Family::Roberta),
            "albert" => Ok(Family::Albert),
            "distilbert" => Ok(Family::DistilBert),
            other => Err(ModelError::UnsupportedModelType {
                model_type: other.to_string(),
            }),
        }
    }

    /// The `model_type` string written to config.json.
    pub fn model_type(self) -> &'static str {
        match self {
            Family::Bert => "bert",
            Family::Roberta => "roberta",
            Family::Albert => "albert",
            Family::DistilBert => "distilbert",
        }
    }

    /// HF `base_model_prefix`: task checkpoints store the encoder under `"{prefix}."`.
    pub fn base_prefix(self) -> &'static str {
        self.model_type()
    }

    /// The prefix of the family's transformers classes (`BertForMaskedLM`, `DistilBertModel`).
    pub fn class_prefix(self) -> &'static str {
        match self {
            Family::Bert => "Bert",
            Family::Roberta => "Roberta",
            Family::Albert => "Albert",
            Family::DistilBert => "DistilBert",
        }
    }

    /// Human name for messages and the UI.
    pub fn display_name(self) -> &'static str {
        match self {
            Family::Bert => "BERT",
            Family::Roberta => "RoBERTa",
            Family::Albert => "ALBERT",
            Family::DistilBert => "DistilBERT",
        }
    }
}

impl std::fmt::Display for Family {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.display_name())
    }
}

/// Activation functions by their `transformers` names (`ACT2FN`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Activation {
    /// `"gelu"`: exact GELU, `x * Φ(x)` with erf.
    #[serde(rename = "gelu")]
    Gelu,
    /// `"gelu_new"` (also `"gelu_pytorch_tanh"`, `"gelu_fast"`): the tanh approximation.
    #[serde(rename = "gelu_new", alias = "gelu_pytorch_tanh", alias = "gelu_fast")]
    GeluNew,
    #[serde(rename = "relu")]
    Relu,
    #[serde(rename = "silu", alias = "swish")]
    Silu,
    #[serde(rename = "tanh")]
    Tanh,
}

impl Activation {
    pub fn from_name(name: &str) -> Result<Activation> {
        serde_json::from_value(serde_json::Value::String(name.to_string())).map_err(|_| {
            ModelError::UnsupportedConfig(format!(
                "activation {name:?} (supported: gelu, gelu_new, gelu_pytorch_tanh, gelu_fast, relu, silu, swish, tanh)"
            ))
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Activation::Gelu => "gelu",
            Activation::GeluNew => "gelu_new",
            Activation::Relu => "relu",
            Activation::Silu => "silu",
            Activation::Tanh => "tanh",
        }
    }
}

/// The shared configuration. Field docs give the default used when config.json omits the field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EncoderConfig {
    /// From `model_type` (required).
    pub family: Family,
    /// Default 30522 (BERT, DistilBERT), 50265 (RoBERTa), 30000 (ALBERT).
    pub vocab_size: usize,
    /// `hidden_size` / DistilBERT `dim`. Default 768 (ALBERT 4096).
    pub hidden_size: usize,
    /// Width of the embedding tables. ALBERT `embedding_size` (default 128); otherwise `hidden_size`.
    pub embedding_size: usize,
    /// `num_hidden_layers` / `n_layers`. Default 12 (DistilBERT 6).
    pub num_hidden_layers: usize,
    /// `num_attention_heads` / `n_heads`. Default 12 (ALBERT 64).
    pub num_attention_heads: usize,
    /// `intermediate_size` / `hidden_dim`. Default 3072 (ALBERT 16384).
    pub intermediate_size: usize,
    /// `hidden_act` / `activation`. Default gelu (ALBERT gelu_new).
    pub hidden_act: Activation,
    /// `hidden_dropout_prob` / `dropout`. Default 0.1 (ALBERT 0).
    pub hidden_dropout_prob: f32,
    /// `attention_probs_dropout_prob` / `attention_dropout`. Default 0.1 (ALBERT 0).
    pub attention_probs_dropout_prob: f32,
    /// Dropout before classification heads: `classifier_dropout` (default: hidden dropout),
    /// ALBERT `classifier_dropout_prob` (0.1), DistilBERT `seq_classif_dropout` (0.2).
    pub classifier_dropout: f32,
    /// Dropout before the span-QA head: DistilBERT `qa_dropout` (0.1); 0 for the others.
    pub qa_dropout: f32,
    /// Default 512. RoBERTa checkpoints use 514 (two slots sit below the padding offset).
    pub max_position_embeddings: usize,
    /// Default 2; DistilBERT has no segment embeddings (0); RoBERTa checkpoints use 1.
    pub type_vocab_size: usize,
    /// Default 1e-12 (RoBERTa checkpoints use 1e-5). DistilBERT always uses 1e-12.
    pub layer_norm_eps: f64,
    /// Default 0 (RoBERTa 1). Also RoBERTa's `padding_idx` for position ids.
    pub pad_token_id: u32,
    /// Std of the normal init of weights. Default 0.02.
    pub initializer_range: f64,
    /// ALBERT `num_hidden_groups`: distinct layer groups shared across depth. Default 1.
    pub num_hidden_groups: usize,
    /// ALBERT `inner_group_num`: layers inside each group. Default 1.
    pub inner_group_num: usize,
    /// Whether the MLM decoder reuses the word-embedding matrix. Default true.
    pub tie_word_embeddings: bool,
    /// Class names from `id2label`, in id order; `num_labels` alone gives `LABEL_i`. Default 2 labels.
    pub labels: Vec<String>,
    /// `architectures` as written by transformers (e.g. `["BertForMaskedLM"]`). Default empty.
    pub architectures: Vec<String>,
}

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
}

impl EncoderConfig {
    /// Parses a Hugging Face config.json.
    pub fn from_hf_json(bytes: &[u8]) -> Result<EncoderConfig> {
        let raw: HfConfig =
            serde_json::from_slice(bytes).map_err(|e| ModelError::Config(e.to_string()))?;
        let model_type = raw
            .model_type
            .as_deref()
            .ok_or_else(|| ModelError::Config("missing field \"model_type\"".into()))?;
        let family = Family::from_model_type(model_type)?;
        if let Some(kind) = raw.position_embedding_type.as_deref() {
            if kind != "absolute" {
                return Err(ModelError::UnsupportedConfig(format!(
                    "position_embedding_type {kind:?} (only \"absolute\")"
                )));
            }
        }
        if raw.is_decoder == Some(true) {
            return Err(ModelError::UnsupportedConfig(
                "is_decoder = true (BERT Lab runs encoders only)".into(),
            ));
        }
        let distil = family == Family::DistilBert;
        let albert = family == Family::Albert;
        let hidden_size = raw
            .hidden_size
            .or(raw.dim)
            .unwrap_or(if albert { 4096 } else { 768 });
        let act_name = raw
            .hidden_act
            .or(raw.activation)
            .unwrap_or_else(|| if albert { "gelu_new" } else { "gelu" }.to_string());
        let default_dropout = if albert { 0.0 } else { 0.1 };
        let hidden_dropout_prob = raw
            .hidden_dropout_prob
            .or(raw.dropout)
            .unwrap_or(default_dropout);
        let labels = match (raw.id2label, raw.num_labels) {
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
                pairs.into_iter().map(|(_, v)| v).collect()
            }
            (_, n) => (0..n.unwrap_or(2)).map(|i| format!("LABEL_{i}")).collect(),
        };
        let cfg = EncoderConfig {
            family,
            vocab_size: raw.vocab_size.unwrap_or(match family {
                Family::Roberta => 50265,
                Family::Albert => 30000,
                _ => 30522,
            }),
            hidden_size,
            embedding_size: if albert {
                raw.embedding_size.unwrap_or(128)
            } else {
                hidden_size
            },
            num_hidden_layers: raw.num_hidden_layers.or(raw.n_layers).unwrap_or(if distil {
                6
            } else {
                12
            }),
            num_attention_heads: raw
                .num_attention_heads
                .or(raw.n_heads)
                .unwrap_or(if albert { 64 } else { 12 }),
            intermediate_size: raw
                .intermediate_size
                .or(raw.hidden_dim)
                .unwrap_or(if albert { 16384 } else { 3072 }),
            hidden_act: Activation::from_name(&act_name)?,
            hidden_dropout_prob,
            attention_probs_dropout_prob: raw
                .attention_probs_dropout_prob
                .or(raw.attention_dropout)
                .unwrap_or(default_dropout),
            classifier_dropout: match family {
                Family::Albert => raw.classifier_dropout_prob.unwrap_or(0.1),
                Family::DistilBert => raw.seq_classif_dropout.unwrap_or(0.2),
                _ => raw.classifier_dropout.unwrap_or(hidden_dropout_prob),
            },
            qa_dropout: if distil {
                raw.qa_dropout.unwrap_or(0.1)
            } else {
                0.0
            },
            max_position_embeddings: raw.max_position_embeddings.unwrap_or(512),
            type_vocab_size: if distil {
                0
            } else {
                raw.type_vocab_size.unwrap_or(2)
            },
            layer_norm_eps: if distil {
                1e-12
            } else {
                raw.layer_norm_eps.unwrap_or(1e-12)
            },
            pad_token_id: raw
                .pad_token_id
                .unwrap_or(if family == Family::Roberta { 1 } else { 0 }),
            initializer_range: raw.initializer_range.unwrap_or(0.02),
            num_hidden_groups: if albert {
                raw.num_hidden_groups.unwrap_or(1)
            } else {
                1
            },
            inner_group_num: if albert {
                raw.inner_group_num.unwrap_or(1)
            } else {
                1
            },
            tie_word_embeddings: raw.tie_word_embeddings.unwrap_or(true),
            labels,
            architectures: raw.architectures.unwrap_or_default(),
        };
        cfg.validate()?;
        Ok(cfg)
    }

    /// Checks the shape arithmetic the model relies on.
    pub fn validate(&self) -> Result<()> {
        let bad = |msg: String| Err(ModelError::Config(msg));
        if self.num_attention_heads == 0 || self.hidden_size % self.num_attention_heads != 0 {
            return bad(format!(
                "hidden_size {} is not a multiple of num_attention_heads {}",
                self.hidden_size, self.num_attention_heads
            ));
        }
        if self.vocab_size == 0 || self.num_hidden_layers == 0 || self.intermediate_size == 0 {
            return bad("vocab_size, num_hidden_layers and intermediate_size must be > 0".into());
        }
        if self.num_hidden_groups == 0
            || self.inner_group_num == 0
            || self.num_hidden_layers % self.num_hidden_groups != 0
        {
            return bad(format!(
                "num_hidden_layers {} must be a multiple of num_hidden_groups {}",
                self.num_hidden_layers, self.num_hidden_groups
            ));
        }
        if self.max_position_embeddings <= self.position_offset() as usize {
            return bad(format!(
                "max_position_embeddings {} leaves no room past the position offset {}",
                self.max_position_embeddings,
                self.position_offset()
            ));
        }
        if self.labels.is_empty() {
            return bad("num_labels must be at least 1".into());
        }
        for p in [
            self.hidden_dropout_prob,
            self.attention_probs_dropout_prob,
            self.classifier_dropout,
            self.qa_dropout,
        ] {
            if !(0.0..=1.0).contains(&p) {
                return bad(format!("dropout probability {p} is outside [0, 1]"));
            }
        }
        Ok(())
    }

    /// A small model for tests, benches and the in-tab pretraining demo: vocab 100, hidden 32,
    /// 2 layers, 4 heads, feed-forward 64, 64 positions (RoBERTa 66, padding offset 2), dropout 0.1.
    /// ALBERT gets embedding_size 16 and one shared group; DistilBERT has no segment embeddings.
    pub fn tiny(family: Family) -> EncoderConfig {
        let roberta = family == Family::Roberta;
        let albert = family == Family::Albert;
        EncoderConfig {
            family,
            vocab_size: 100,
            hidden_size: 32,
            embedding_size: if albert { 16 } else { 32 },
            num_hidden_layers: 2,
            num_attention_heads: 4,
            intermediate_size: 64,
            hidden_act: if albert {
                Activation::GeluNew
            } else {
                Activation::Gelu
            },
            hidden_dropout_prob: 0.1,
            attention_probs_dropout_prob: 0.1,
            classifier_dropout: 0.1,
            qa_dropout: if family == Family::DistilBert {
                0.1
            } else {
                0.0
            },
            max_position_embeddings: if roberta { 66 } else { 64 },
            type_vocab_size: match family {
                Family::Bert | Family::Albert => 2,
                Family::Roberta => 1,
                Family::DistilBert => 0,
            },
            layer_norm_eps: if roberta { 1e-5 } else { 1e-12 },
            pad_token_id: if roberta { 1 } else { 0 },
            initializer_range: 0.02,
            num_hidden_groups: 1,
            inner_group_num: 1,
            tie_word_embeddings: true,
            labels: vec!["LABEL_0".into(), "LABEL_1".into(), "LABEL_2".into()],
            architectures: Vec::new(),
        }
    }

    /// Same shape arithmetic, new sizes: used by the benchmark (MiniLM-L6, bert-base).
    pub fn sized(
        family: Family,
        layers: usize,
        hidden: usize,
        heads: usize,
        intermediate: usize,
    ) -> EncoderConfig {
        EncoderConfig {
            vocab_size: 30522,
            hidden_size: hidden,
            embedding_size: if family == Family::Albert {
                128
            } else {
                hidden
            },
            num_hidden_layers: layers,
            num_attention_heads: heads,
            intermediate_size: intermediate,
            max_position_embeddings: 512 + EncoderConfig::tiny(family).position_offset() as usize,
            ..EncoderConfig::tiny(family)
        }
    }

    pub fn num_labels(&self) -> usize {
        self.labels.len()
    }

    pub fn head_dim(&self) -> usize {
        self.hidden_size / self.num_attention_heads
    }

    /// First position id: RoBERTa numbers positions from `pad_token_id + 1`, the others from 0.
    pub fn position_offset(&self) -> u32 {
        match self.family {
            Family::Roberta => self.pad_token_id + 1,
            _ => 0,
        }
    }

    /// The longest token sequence (special tokens included) the position table can number.
    pub fn max_input_len(&self) -> usize {
        self.max_position_embeddings - self.position_offset() as usize
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
        v
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
