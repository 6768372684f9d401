//! Training: corpus preparation, the cloze benchmark, and MLM pretraining (with optional NSP / SOP):
//! data packing, AdamW with warmup/decay, metrics, training curves, checkpoints and evaluation;
//! then fine-tuning for sentence classification (`finetune`, on `labelled` sets, against the
//! bag-of-words `baseline`) and its Hugging Face `export`.
//!
//! Long operations report progress through a callback, so the CLI draws a progress bar and the Web
//! Worker posts events with the same code. Nothing on the training path touches the filesystem,
//! threads or the clock: the caller supplies text and bytes and writes what it gets back
//! (`checkpoint` has native-only helpers for directories).

pub mod baseline;
pub mod bench;
pub mod checkpoint;
pub mod cloze;
pub mod corpus;
pub mod curves;
pub mod data;
mod error;
pub mod eval;
pub mod export;
pub mod finetune;
pub mod labelled;
pub mod metrics;
pub mod optimizer;
pub mod pretrain;
pub mod schedule;
pub mod zip;

pub use data::PairTask;
pub use error::TrainError;
pub use metrics::{MetricsLog, MetricsRow};
pub use pretrain::{
    Batch, EvalMetrics, PretrainModel, StepMetrics, TrainConfig, TrainEvent, Trainer,
};
pub use schedule::LinearSchedule;
