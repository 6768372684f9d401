//! BERT Lab's core: the model, text, masking and training code shared by the compute worker (wasm32),
//! the native CLI, the tests and the benchmarks, plus the GPU forward. No browser code: the worker
//! crate turns what this crate computes into the views the page draws.

pub mod analysis;
pub mod folder;
pub mod gpu;
pub mod masking;
pub mod model;
#[cfg(not(target_arch = "wasm32"))]
pub mod native_runtime;
pub mod text;
pub mod train;
