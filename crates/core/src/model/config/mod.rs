//! One configuration for all four families, read from a Hugging Face `config.json`.
//!
//! Fields a config.json leaves out take the defaults of the matching `transformers` config class
//! (`BertConfig`, `RobertaConfig`, `AlbertConfig`, `DistilBertConfig`), listed per field below.
//! DistilBERT's own names (`dim`, `n_layers`, `n_heads`, `hidden_dim`, `dropout`,
//! `attention_dropout`, `activation`) are mapped onto the shared fields.

mod hf_json;

use bertlab_protocol::training::SegmentIds;
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
    /// For a classifier of sentence pairs (`[CLS] A [SEP] B [SEP]`), the segment ids it was
    /// trained with, so whoever runs it asks for two texts and packs them the same way:
    /// `bertlab_text_pairs` in config.json, an extra key transformers keeps and ignores. Default
    /// `None` (single texts).
    pub text_pairs: Option<SegmentIds>,
}

impl EncoderConfig {
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
            text_pairs: None,
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
}
