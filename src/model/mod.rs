//! Encoder families on one shared core — BERT, RoBERTa, ALBERT, DistilBERT — with their internals
//! visible, Hugging Face checkpoint loading, task heads and losses. Pure candle (CPU device); no UI.
//!
//! Module structs mirror the HF module names and `load(vb.pp(..))` mirrors the tensor keys, so a
//! `transformers` checkpoint loads without renaming. All weights live in a [`VarMap`] as trainable
//! [`candle_core::Var`]s, whether they came from a checkpoint or from seeded random init.
//!
//! # API summary
//!
//! ```text
//! // config.rs
//! enum Family { Bert, Roberta, Albert, DistilBert }          // Family::from_model_type("bert")
//! enum Activation { Gelu /*erf*/, GeluNew /*tanh*/, Relu, Silu, Tanh }
//! struct EncoderConfig { family, vocab_size, hidden_size, embedding_size, num_hidden_layers,
//!     num_attention_heads, intermediate_size, hidden_act, hidden_dropout_prob,
//!     attention_probs_dropout_prob, classifier_dropout, qa_dropout, max_position_embeddings,
//!     type_vocab_size, layer_norm_eps, pad_token_id, initializer_range, num_hidden_groups,
//!     inner_group_num, tie_word_embeddings, labels: Vec<String>, architectures: Vec<String> }
//!   EncoderConfig::from_hf_json(&[u8]) -> Result<EncoderConfig, ModelError>
//!   EncoderConfig::tiny(Family) -> EncoderConfig              // small random-test model
//!   cfg.to_hf_json() -> serde_json::Value                    // for export
//!   cfg.max_input_len() -> usize   // longest token sequence the position table allows
//!   cfg.position_offset() -> u32   // first position id (RoBERTa: pad_token_id + 1, else 0)
//!   cfg.num_labels() -> usize
//!
//! // encoder.rs (+ embeddings.rs, attention.rs, layer.rs)
//! struct EncoderInput { input_ids: Tensor /*[b,s] u32*/, token_type_ids: Option<Tensor>,
//!     attention_mask: Option<Tensor> /*[b,s] 1 = token, 0 = pad*/, position_ids: Option<Tensor>,
//!     mode: Mode }
//! enum Mode { Eval /*default: no dropout, fused kernels*/, Train /*dropout on, differentiable*/,
//!             Grad /*no dropout, differentiable*/ }   // candle's fused LayerNorm/softmax have no backward
//!   EncoderInput::new(input_ids) .with_token_type_ids(t) .with_attention_mask(m)
//!       .with_position_ids(p) .with_mode(Mode) .train(bool /*Train or Eval*/)
//!   EncoderInput::from_rows(&[Vec<u32>], Option<&[Vec<u32>]> /*type ids*/, pad_id, &Device)
//!       -> Result<EncoderInput>                                  // right-pads + builds the mask
//! struct Internals { embeddings: bool, hidden_states: bool, attentions: bool, pooled: bool }
//!   Internals::none(), Internals::all()
//! struct EmbeddingParts { word, position, token_type: Option<Tensor>, sum, normalized,
//!     position_ids }                                          // [b,s,E] each
//! struct EncoderOutput { last_hidden_state /*[b,s,H]*/, embeddings: Option<EmbeddingParts>,
//!     hidden_states: Option<Vec<Tensor>> /*num_layers+1, [0] = embedding output*/,
//!     attentions: Option<Vec<Tensor>> /*per layer application, [b,heads,s,s]*/,
//!     pooled: Option<Tensor> /*[b,H]; None when the model has no pooler*/ }
//! struct Encoder   Encoder::forward(&self, &EncoderInput, &Internals) -> Result<EncoderOutput>
//!                  encoder.config(), encoder.word_embeddings(), encoder.has_pooler(),
//!                  encoder.pool(&last_hidden) -> Result<Option<Tensor>>,
//!                  encoder.set_dropout_seed(u64)   // one seeded generator per model, heads included
//!
//! // heads.rs — heads alone, and models.rs — encoder + head, one forward each
//! MlmHead, PairHead (NSP for BERT / SOP for ALBERT), SequenceClassifier, TokenClassifier, SpanQa
//! struct MaskedLm { encoder, head }               -> MaskedLmOutput { encoder, logits [b,s,V] }
//! struct ForPreTraining { encoder, mlm, pair }    -> PreTrainingOutput { encoder, mlm_logits, pair_logits [b,2] }
//! struct ForSequenceClassification                -> ClassifierOutput { encoder, logits [b,labels] }
//! struct ForTokenClassification                   -> ClassifierOutput { encoder, logits [b,s,labels] }
//! struct ForQuestionAnswering                     -> SpanOutput { encoder, start_logits [b,s], end_logits [b,s] }
//!   every one: M::forward(&self, &EncoderInput, &Internals) -> Result<..Output>, pub fields
//!   `encoder` and the head(s), and implements `Architecture` (so `ckpt.load::<M>()` works)
//!
//! // loss.rs
//! masked_lm_loss(logits [b,s,V], labels [b,s] i64 with -100 = ignore) -> Result<Tensor>
//! classification_loss(logits [n,C], labels [n] u32) -> Result<Tensor>
//!
//! // checkpoint.rs
//! struct Checkpoint { config: EncoderConfig, .. }   // tensors converted to f32
//!   Checkpoint::from_bytes(config_json: &[u8], safetensors: &[u8]) -> Result<Checkpoint, ModelError>
//!   Checkpoint::from_dir(path) -> Result<Checkpoint, ModelError>          // native only
//!   ckpt.load::<M: Architecture>(&Device) -> Result<Loaded<M>, ModelError>
//!   ckpt.config (pub), ckpt.tensor_names(), ckpt.tensor(name) -> Option<&Tensor> (f32),
//!   ckpt.source_dtypes() (["BF16"]), ckpt.base_prefix() ("bert" or ""), ckpt.is_alias(name)
//!   component_of(family, key) -> String   // "embeddings", "layer 3", "pooler", "mlm head", ..
//! struct Loaded<M> { model: M, varmap: VarMap /*all weights, trainable*/,
//!                    unused: Vec<String> /*known tensors of other heads, skipped*/ }
//!   Loaded::<M>::random(cfg, seed, &Device) -> Result<Loaded<M>, ModelError>  // HF-style init, seeded
//!   loaded.parameter_count()
//!   Base encoder: `Encoder` implements `Architecture` too.
//!
//! // error.rs
//! enum ModelError { Config, UnsupportedModelType, UnsupportedConfig, MissingTensor{name},
//!     UnexpectedTensor{name,family}, ShapeMismatch{name,expected,found}, UnsupportedDtype,
//!     BinOnlyCheckpoint{dir}, CorruptSafetensors, Io{path,message}, Input, Candle }
//!
//! // crate::text::tokenizer (pure, no candle)
//! Tokenizer::from_bytes(&[u8]) / from_file(path); tok.encode(text, Option<pair>, &EncodeOptions)
//!   -> Encoded { ids, pieces, offsets (chars), byte_offsets, type_ids, position_ids,
//!                special_tokens_mask, word_ids, sequence_ids, truncation: Option<Truncation> }
//! EncodeOptions { add_special_tokens: true, max_len: Option<usize> /*cfg.max_input_len()*/,
//!                 position_offset: u32 /*cfg.position_offset()*/ }
//! tok.decode(&ids, skip_special), id_to_token, token_to_id, mask_token() -> Option<(String, u32)>
//! ```
//!
//! Conventions that match `transformers` (so fixtures compare at 1e-4): erf GELU for `"gelu"`,
//! additive padding mask of `f32::MIN`, RoBERTa position ids `cumsum(ids != pad) * (ids != pad) + pad`,
//! `hidden_states[0]` is the embedding output as fed to layer 0 (after ALBERT's projection).

pub mod attention;
pub mod checkpoint;
pub mod config;
pub mod dropout;
pub mod embeddings;
pub mod encoder;
pub mod error;
pub mod heads;
pub mod layer;
pub mod loss;
pub mod models;
pub mod nn;
mod params;
pub mod size;
pub mod views;

pub use candle_nn::VarMap;
pub use checkpoint::{
    component_of, tensors_to_safetensors, varmap_safetensors, Architecture, BuildContext,
    Checkpoint, Loaded,
};
pub use config::{Activation, EncoderConfig, Family};
pub use encoder::{EmbeddingParts, Encoder, EncoderInput, EncoderOutput, ForwardPass, Internals};
pub use error::ModelError;
pub use heads::{MlmHead, PairHead, SequenceClassifier, SpanQa, TokenClassifier};
pub use loss::{classification_loss, masked_lm_loss};
pub use models::{
    ClassifierOutput, ForPreTraining, ForQuestionAnswering, ForSequenceClassification,
    ForTokenClassification, MaskedLm, MaskedLmOutput, PreTrainingOutput, SpanOutput,
};
pub use nn::Mode;
