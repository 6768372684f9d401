//! The AdamW update on GPU buffers (`shaders/adamw.wgsl`), with the scalars `train::optimizer`
//! computes for the same update.

use super::super::context::{GpuContext, GpuError};
use super::super::kernels::At;
use super::launch::{check, stride_groups, word, Launch};
use super::BackwardKernels;
use crate::train::optimizer::{AdamWParams, Group};

/// The scalars of one update, shared by every weight's launch: one uniform, rewritten before each
/// update, so the launches are recorded once.
pub struct AdamWStep {
    buffer: wgpu::Buffer,
}

impl AdamWStep {
    pub fn new(ctx: &GpuContext) -> AdamWStep {
        AdamWStep {
            buffer: ctx.device.create_buffer(&wgpu::BufferDescriptor {
                label: Some("adamw step"),
                size: 48,
                usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            }),
        }
    }

    /// Update number `t` (from 1: `AdamW::steps_taken` once it is made) at the encoder's and the
    /// heads' rates, every gradient scaled by `grad_scale` (1, or the clipping factor). Takes
    /// effect with the next submission.
    pub fn write(
        &self,
        ctx: &GpuContext,
        hp: &AdamWParams,
        t: usize,
        (lr_encoder, lr_head): (f64, f64),
        grad_scale: f64,
    ) {
        let encoder = hp.coefficients(t, lr_encoder, true, grad_scale);
        let head = hp.coefficients(t, lr_head, true, grad_scale);
        let words = [
            encoder.lr,
            head.lr,
            encoder.decay,
            head.decay,
            encoder.beta1,
            encoder.beta2,
            encoder.one_minus_beta1,
            encoder.one_minus_beta2,
            encoder.eps,
            encoder.scale_m,
            encoder.scale_v,
            encoder.grad_scale,
        ];
        let bytes: Vec<u8> = words.iter().flat_map(|v| v.to_le_bytes()).collect();
        ctx.queue.write_buffer(&self.buffer, 0, &bytes);
    }
}

/// One weight of `len` floats: its values, gradient and moments, its rate's group, and whether it
/// is decayed (`train::optimizer::decays` of its name).
pub struct AdamWTensor<'a> {
    pub len: usize,
    pub group: Group,
    pub decays: bool,
    pub param: At<'a>,
    pub grad: At<'a>,
    pub m: At<'a>,
    pub v: At<'a>,
}

/// The update of one weight, in place (value and moments).
pub fn adamw(
    ctx: &GpuContext,
    kernels: &BackwardKernels,
    step: &AdamWStep,
    w: &AdamWTensor,
) -> Result<Launch, GpuError> {
    for (what, at) in [
        ("weight", w.param),
        ("gradient", w.grad),
        ("m", w.m),
        ("v", w.v),
    ] {
        check(what, at, w.len)?;
    }
    let params = [
        word("length", w.len)?,
        w.decays as u32,
        match w.group {
            Group::Encoder => 0,
            Group::Head => 1,
        },
        word("offset", w.param.1)?,
        word("offset", w.grad.1)?,
        word("offset", w.m.1)?,
        word("offset", w.v.1)?,
        0,
    ];
    Launch::new(
        ctx,
        &kernels.adamw,
        &params,
        &[&step.buffer, w.param.0, w.grad.0, w.m.0, w.v.0],
        stride_groups(w.len),
    )
}
