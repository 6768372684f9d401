//! Training: corpus preparation, the cloze benchmark, and (to come) loops, optimizers, schedules,
//! metrics and export. Long operations report progress through a callback, so the CLI draws a
//! progress bar and the Web Worker posts events with the same code.

pub mod cloze;
pub mod corpus;
