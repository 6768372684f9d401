//! The kernels a training step runs: the backward ones (`gpu::backward`), the few the training
//! forward adds (an activation kept apart from its matmul, dropout, the squared-gradient sums of
//! clipping, the MLM hit count), and the forward's own kernels recorded for the training buffers.

use super::super::backward::{check, stride_groups, word, BackwardKernels, Launch};
use super::super::context::{GpuContext, GpuError};
use super::super::kernels::{
    activation_code, compile, linear_kernel, At, Dispatch, ACTIVATION_WGSL, REDUCE_WGSL,
};
use crate::model::config::Activation;

/// Workgroups at most per gradient in the sum-of-squares kernel (its partial sums).
pub(super) const SQUARE_GROUPS: usize = 64;

pub(super) struct TrainKernels {
    pub backward: BackwardKernels,
    activate: wgpu::ComputePipeline,
    dropout_in_place: wgpu::ComputePipeline,
    dropout_copy: wgpu::ComputePipeline,
    sum_squares: wgpu::ComputePipeline,
    sum_total: wgpu::ComputePipeline,
    hits: wgpu::ComputePipeline,
}

impl TrainKernels {
    pub fn new(ctx: &GpuContext) -> TrainKernels {
        let device = &ctx.device;
        let build = |label: &str, parts: &[&str]| compile(device, label, &parts.concat());
        let dropout = include_str!("shaders/dropout.wgsl");
        TrainKernels {
            backward: BackwardKernels::new(ctx),
            activate: build(
                "activate",
                &[ACTIVATION_WGSL, include_str!("shaders/activate.wgsl")],
            ),
            dropout_in_place: build(
                "dropout_in_place",
                &[dropout, include_str!("shaders/dropout_in_place.wgsl")],
            ),
            dropout_copy: build(
                "dropout_copy",
                &[dropout, include_str!("shaders/dropout_copy.wgsl")],
            ),
            sum_squares: build(
                "sum_squares",
                &[REDUCE_WGSL, include_str!("shaders/sum_squares.wgsl")],
            ),
            sum_total: build(
                "sum_total",
                &[REDUCE_WGSL, include_str!("shaders/sum_total.wgsl")],
            ),
            hits: build("hits", &[REDUCE_WGSL, include_str!("shaders/hits.wgsl")]),
        }
    }
}

/// One step of a recorded plan: a forward kernel or a training kernel.
pub(super) enum Op {
    Forward(Dispatch),
    Train(Launch),
}

impl Op {
    pub fn record(&self, ctx: &GpuContext, pass: &mut wgpu::ComputePass<'_>) {
        match self {
            Op::Forward(d) => d.record(&ctx.kernels, pass),
            Op::Train(l) => l.record(pass),
        }
    }
}

impl From<Launch> for Op {
    fn from(l: Launch) -> Op {
        Op::Train(l)
    }
}

impl From<Dispatch> for Op {
    fn from(d: Dispatch) -> Op {
        Op::Forward(d)
    }
}

/// `y = act(x)` over `len` floats.
pub(super) fn activate(
    ctx: &GpuContext,
    k: &TrainKernels,
    activation: Activation,
    len: usize,
    x: At,
    y: At,
) -> Result<Launch, GpuError> {
    check("activation input", x, len)?;
    check("activation output", y, len)?;
    let params = [
        word("length", len)?,
        word("offset", x.1)?,
        word("offset", y.1)?,
        activation_code(Some(activation)),
    ];
    Launch::new(ctx, &k.activate, &params, &[x.0, y.0], stride_groups(len))
}

/// One dropout site: its probability and its stream (which tells its mask from the others').
#[derive(Debug, Clone, Copy)]
pub(super) struct Site {
    pub p: f32,
    pub stream: u32,
}

impl Site {
    pub fn active(&self) -> bool {
        self.p > 0.0
    }

    fn words(&self, len: usize, src: usize, dst: usize) -> Result<[u32; 8], GpuError> {
        // The CPU's rule (`model::dropout`): drop when a uniform u32 falls below p · 2³².
        let threshold = (f64::from(self.p.min(1.0)) * 4_294_967_296.0).min(u32::MAX as f64) as u32;
        let scale = if self.p >= 1.0 {
            0.0
        } else {
            1.0 / (1.0 - self.p)
        };
        Ok([
            word("length", len)?,
            word("offset", src)?,
            word("offset", dst)?,
            self.stream,
            threshold,
            scale.to_bits(),
            0,
            0,
        ])
    }
}

/// `x *= mask` over `len` floats, the step's seed in `seed` (two u32 words).
pub(super) fn dropout(
    ctx: &GpuContext,
    k: &TrainKernels,
    site: Site,
    seed: &wgpu::Buffer,
    len: usize,
    x: At,
) -> Result<Launch, GpuError> {
    check("dropout", x, len)?;
    Launch::new(
        ctx,
        &k.dropout_in_place,
        &site.words(len, x.1, x.1)?,
        &[seed, x.0],
        stride_groups(len),
    )
}

/// `dst = src · mask` over `len` floats.
pub(super) fn dropout_copy(
    ctx: &GpuContext,
    k: &TrainKernels,
    site: Site,
    seed: &wgpu::Buffer,
    len: usize,
    (src, dst): (At, At),
) -> Result<Launch, GpuError> {
    check("dropout input", src, len)?;
    check("dropout output", dst, len)?;
    Launch::new(
        ctx,
        &k.dropout_copy,
        &site.words(len, src.1, dst.1)?,
        &[seed, src.0, dst.0],
        stride_groups(len),
    )
}

/// Σ x² of `len` floats from `x` into `partials` from `slot`; returns the launch and the slots
/// it used.
pub(super) fn sum_squares(
    ctx: &GpuContext,
    k: &TrainKernels,
    len: usize,
    x: At,
    partials: &wgpu::Buffer,
    slot: usize,
) -> Result<(Launch, usize), GpuError> {
    let groups = len.div_ceil(256).clamp(1, SQUARE_GROUPS);
    check("squared gradient", x, len)?;
    check("partial sums", At(partials, slot), groups)?;
    let params = [
        word("length", len)?,
        word("offset", x.1)?,
        word("slot", slot)?,
        0,
    ];
    let launch = Launch::new(
        ctx,
        &k.sum_squares,
        &params,
        &[x.0, partials],
        [groups, 1, 1],
    )?;
    Ok((launch, groups))
}

/// `out = Σ partials[0..count]`.
pub(super) fn sum_total(
    ctx: &GpuContext,
    k: &TrainKernels,
    partials: &wgpu::Buffer,
    count: usize,
    out: At,
) -> Result<Launch, GpuError> {
    check("partial sums", At(partials, 0), count)?;
    check("sum", out, 1)?;
    let params = [word("count", count)?, word("offset", out.1)?, 0, 0];
    Launch::new(ctx, &k.sum_total, &params, &[partials, out.0], [1, 1, 1])
}

/// `out` = how many of the `rows` labelled rows of `logits` `[rows, classes]` have their argmax
/// at their label (`labels` from `backward::label_words`): the MLM accuracy without reading the
/// logits back.
pub(super) fn hits(
    ctx: &GpuContext,
    k: &TrainKernels,
    (rows, classes): (usize, usize),
    logits: At,
    labels: &wgpu::Buffer,
    out: At,
) -> Result<Launch, GpuError> {
    check("logits", logits, rows * classes)?;
    check("labels", At(labels, 0), rows)?;
    check("hits", out, 1)?;
    let params = [
        word("rows", rows)?,
        word("classes", classes)?,
        word("offset", logits.1)?,
        word("offset", out.1)?,
    ];
    Launch::new(ctx, &k.hits, &params, &[logits.0, labels, out.0], [1, 1, 1])
}

/// The forward's linear kernel: `out = act(a · Wᵀ + b)` for `rows` rows, `W` `[out_dim, in_dim]`.
pub(super) fn linear(
    ctx: &GpuContext,
    (weight, bias): (&wgpu::Buffer, &wgpu::Buffer),
    (in_dim, out_dim): (usize, usize),
    rows: usize,
    (a, out): (At, At),
    activation: Option<Activation>,
) -> Dispatch {
    let (kernel, groups) = linear_kernel(rows, out_dim);
    Dispatch::new(
        &ctx.device,
        &ctx.kernels,
        kernel,
        [
            rows as u32,
            out_dim as u32,
            in_dim as u32,
            activation_code(activation),
            a.1 as u32,
            out.1 as u32,
            0,
            0,
        ],
        &[a.0, weight, bias, out.0],
        groups,
    )
}
