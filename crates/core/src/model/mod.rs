//! Encoder families on one shared core — BERT, RoBERTa, ALBERT, DistilBERT — with their internals
//! visible, Hugging Face checkpoint loading, task heads and losses. Pure candle (CPU device); no UI.
//!
//! Module structs mirror the HF module names and `load(vb.pp(..))` mirrors the tensor keys, so a
//! `transformers` checkpoint loads without renaming. All weights live in a [`VarMap`] as trainable
//! [`candle_core::Var`]s, whether they came from a checkpoint or from seeded random init.
//!
//! Start at [`Encoder`] (the shared core: `forward` takes an [`EncoderInput`] and an [`Internals`]
//! request and returns an [`EncoderOutput`] with the embedding parts, hidden states and attention
//! maps asked for), the task models in `task_models` (MLM, pretraining, sequence and token
//! classification, span QA) and [`Checkpoint`] (Hugging Face folders and bytes).
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
pub mod fused;
pub mod heads;
pub mod layer;
pub mod loss;
pub mod nn;
mod params;
pub mod size;
pub mod task_models;

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
pub use nn::Mode;
pub use task_models::{
    ClassifierOutput, ForPreTraining, ForQuestionAnswering, ForSequenceClassification,
    ForTokenClassification, MaskedLm, MaskedLmOutput, PreTrainingOutput, SpanOutput,
};
