//! The compute worker: runs every model, masking and training request of the page inside a Web
//! Worker and answers with the views of `bertlab_protocol`.
//!
//! `views` and `lab_model` are plain Rust over the core and compile natively (tests, CLI); the
//! runtime and the GPU backend choice need the browser.

pub mod lab_model;
pub mod views;

#[cfg(target_arch = "wasm32")]
pub mod runtime;

/// Both worker binaries' `main`: starts the runtime in the browser, explains itself elsewhere.
pub fn main() {
    #[cfg(target_arch = "wasm32")]
    runtime::start();
    #[cfg(not(target_arch = "wasm32"))]
    eprintln!("bertlab-worker runs inside the browser lab: use `make serve`.");
}
