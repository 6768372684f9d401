//! Errors of the training pipeline, each with a message a student can act on.

use crate::masking::MaskingError;
use crate::model::ModelError;

#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    #[error("{0}")]
    Model(#[from] ModelError),
    #[error("masking: {0}")]
    Masking(#[from] MaskingError),
    #[error("training data: {0}")]
    Data(String),
    #[error("training configuration: {0}")]
    Config(String),
    #[error("cannot resume: {0}")]
    Resume(String),
    /// The loss or the gradient norm stopped being a finite number; the update was not applied.
    #[error("the {what} became {value} at step {step}: training stopped before applying that update (try a lower learning rate or stronger clipping)")]
    NonFinite {
        what: &'static str,
        value: f64,
        step: usize,
    },
    #[error("drawing the training curve: {0}")]
    Plot(String),
    /// The GPU failed (lost device, out of memory, unsupported input); a fine-tuner can continue
    /// on the CPU from its last synced state.
    #[error("GPU: {0}")]
    Gpu(#[from] crate::gpu::GpuError),
    #[error("tensor operation failed: {0}")]
    Candle(#[from] candle_core::Error),
}

impl TrainError {
    /// `value` (the loss, the gradient norm) when it is a finite number, else the error that stops
    /// training at `step`.
    pub fn ensure_finite(what: &'static str, value: f64, step: usize) -> Result<f64, TrainError> {
        if value.is_finite() {
            Ok(value)
        } else {
            Err(TrainError::NonFinite { what, value, step })
        }
    }
}
