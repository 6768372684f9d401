//! The encoder on the GPU: wgpu with WGSL compute kernels — WebGPU in the browser, Vulkan natively
//! (Debian's lavapipe in the tests). candle has no WebGPU backend, so this module runs the same
//! forward as `crate::model` with its own kernels, from the same weights, and returns the same
//! internals (`EncoderOutput`), so a view does not care which backend produced them.
//!
//! - [`GpuContext`]: adapter, device, the compiled kernels, and a record of device failures.
//! - [`GpuMaskedLm`] / [`GpuEncoder`]: weights uploaded once from a loaded CPU model; one command
//!   submission per forward; activation buffers kept per input shape and reused.
//! - Kernels (`shaders/`): tiled matmul with fused bias and activation, residual add + LayerNorm,
//!   attention (scores, padding mask, softmax, weighted sum in one kernel), embedding gather + sum,
//!   row gather.
//!   `dispatches` records the two launches the encoder and the trainer share (LayerNorm, gather).
//! - [`backward`]: the training kernels (gradients, loss, AdamW), for training on the GPU.
//! - [`train`]: a training step on the GPU, for a sequence classifier or the pretraining heads
//!   (weights and moments stay there).
//!
//! Which backend runs a request is the worker's choice (`crate::worker`), never a widget's.

pub mod backward;
pub mod bench;
mod context;
mod dispatches;
mod encoder;
mod kernels;
pub mod parity;
pub mod train;

pub use context::{GpuContext, GpuError};
pub use encoder::{GpuEncoder, GpuMaskedLm, GpuMlmHead, GpuOutput};
pub use kernels::At;
