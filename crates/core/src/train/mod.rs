//! Training: MLM pretraining (with optional NSP / SOP) — data packing, AdamW with warm-up and linear
//! decay, metrics, training curves, checkpoints and evaluation, including the cloze benchmark — then
//! fine-tuning for sentence and sentence-pair classification (`finetune`, on `labelled` sets and
//! `sentence_pairs` or the sentence objectives' `objective_pairs`, against the bag-of-words
//! `baseline`) and `export` as a Hugging Face folder or ZIP.
//!
//! The training path has no clock, files or threads: a trainer makes one update per call and the
//! caller (the CLI or the worker) loops, reports progress and decides when to stop. Only
//! `checkpoint` has native helpers for run directories. Corpus preparation is the CLI's.

pub(crate) mod adamw_kernel;
pub mod attribution;
pub mod baseline;
pub mod bench;
pub mod checkpoint;
pub mod classifier;
pub mod cloze;
pub mod curves;
pub mod data;
pub mod entities;
mod error;
pub mod eval;
pub mod export;
pub mod finetune;
pub mod labelled;
pub mod metrics;
pub mod objective_pairs;
pub mod optimizer;
pub mod pair_rule;
pub mod pretrain;
pub mod qa_export;
pub mod qa_tuner;
pub mod schedule;
pub mod sentence_pairs;
mod snapshot;
pub mod span_qa;
pub mod tag_tasks;
pub mod tagged;
pub mod tagger;
pub mod tagger_export;
pub mod zip;

pub use data::PairTask;
pub use error::TrainError;
pub use metrics::{MetricsLog, MetricsRow};
pub use pretrain::{
    Batch, EvalMetrics, PretrainModel, StepMetrics, TrainConfig, TrainEvent, Trainer,
};
pub use schedule::LinearSchedule;
