//! Errors a student or developer can read: each names the file, tensor or field at fault.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum ModelError {
    /// config.json is not valid JSON or has a field of the wrong kind.
    #[error("invalid config.json: {0}")]
    Config(String),

    #[error(
        "unsupported model_type {model_type:?}: BERT Lab supports \"bert\", \"roberta\", \"albert\" and \"distilbert\""
    )]
    UnsupportedModelType { model_type: String },

    /// A config value this implementation does not handle (e.g. relative position embeddings).
    #[error("unsupported configuration: {0}")]
    UnsupportedConfig(String),

    #[error("checkpoint is missing tensor {name:?}")]
    MissingTensor { name: String },

    #[error("checkpoint has unexpected tensor {name:?} (not part of a {family} model)")]
    UnexpectedTensor { name: String, family: String },

    #[error(
        "tensor {name:?} has shape {found:?} in the checkpoint but the model expects {expected:?}"
    )]
    ShapeMismatch {
        name: String,
        expected: Vec<usize>,
        found: Vec<usize>,
    },

    #[error(
        "tensor {name:?} has dtype {dtype}; only F32, F16, BF16 and F64 weights can be loaded"
    )]
    UnsupportedDtype { name: String, dtype: String },

    #[error(
        "{dir} holds only pytorch_model.bin; BERT Lab reads model.safetensors. Convert it with \
         transformers: AutoModel.from_pretrained(dir).save_pretrained(dir, safe_serialization=True)"
    )]
    BinOnlyCheckpoint { dir: String },

    #[error("model.safetensors is truncated or corrupt: {0}")]
    CorruptSafetensors(String),

    #[error("{path}: {message}")]
    Io { path: String, message: String },

    /// Caller passed tensors of the wrong shape or kind to a forward pass or loss.
    #[error("invalid input: {0}")]
    Input(String),

    #[error(transparent)]
    Candle(#[from] candle_core::Error),
}

pub type Result<T> = std::result::Result<T, ModelError>;
