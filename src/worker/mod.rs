//! The page ↔ worker boundary.
//!
//! `protocol` holds the typed messages (serde, JSON over `postMessage`) and compiles everywhere so it
//! can be tested natively. `runtime` runs inside the Web Worker; `client` is the page's handle to it.

pub mod backend;
pub mod lab_model;
pub mod protocol;

#[cfg(target_arch = "wasm32")]
pub mod accelerator;
#[cfg(target_arch = "wasm32")]
pub mod client;
#[cfg(target_arch = "wasm32")]
pub mod runtime;
