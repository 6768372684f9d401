//! BERT Lab: the model, text, masking and training code shared by the browser lab (wasm32, in a Web
//! Worker), the native CLI, the tests and the benchmarks.
//!
//! Flow is one-directional: page (`ui`, main thread) → `worker` protocol → runtime (in the Web Worker)
//! → `model` / `text` / `masking` / `train` → back. The page never holds a tensor.

pub mod gpu;
pub mod masking;
pub mod model;
pub mod text;
pub mod train;
pub mod ui;
pub mod worker;
