//! What the GPU backward parity tests share: the device, seeded random tensors, the comparison
//! against candle with its table row, and the attention mask; `cases` holds the checks.

pub mod cases;

use bertlab_core::gpu::backward::{self as bw, BackwardKernels, Launch};
use bertlab_core::gpu::{At, GpuContext};
use candle_core::{Device, Tensor};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// What "the same" means here: max |GPU − CPU| ≤ TOLERANCE × max |CPU| per output. The kernels sum
/// in another order than candle (tiles of 16, tree reductions in workgroups) and GELU's erf is
/// approximated (error < 1.5e-7): both cost a few f32 ulps per term, about 1e-6 relative over the
/// 1,536-term sums here. A wrong index, transpose, scale or a missing term is off by O(1) relative,
/// far above.
pub const TOLERANCE: f32 = 1e-4;

/// The AdamW update reproduces `train::adamw_kernel`'s arithmetic operation for operation; what is
/// left is a compiler contracting `a * b + c` into one fma, an ulp per operation.
pub const ADAMW_TOLERANCE: f32 = 1e-6;

pub struct Gpu {
    pub ctx: GpuContext,
    pub kernels: BackwardKernels,
}

pub async fn gpu() -> Gpu {
    let ctx = GpuContext::new().await.unwrap_or_else(|e| {
        panic!(
            "{e}: the GPU tests need a Vulkan adapter natively (apt install mesa-vulkan-drivers: \
             lavapipe), and Chromium --enable-unsafe-webgpu in the browser"
        )
    });
    let kernels = BackwardKernels::new(&ctx);
    Gpu { ctx, kernels }
}

impl Gpu {
    pub async fn run(&self, launches: &[&Launch]) {
        bw::submit(&self.ctx, launches).await.unwrap();
    }

    pub async fn read(&self, buffer: &wgpu::Buffer, offset: usize, floats: usize) -> Vec<f32> {
        bw::read(&self.ctx, At(buffer, offset), floats)
            .await
            .unwrap()
    }

    pub fn write(&self, buffer: &wgpu::Buffer, t: &Tensor) {
        bw::write(&self.ctx, At(buffer, 0), &flat(t)).unwrap();
    }

    pub fn upload(&self, t: &Tensor) -> wgpu::Buffer {
        bw::upload(&self.ctx, "test", &flat(t))
    }
}

pub fn flat(t: &Tensor) -> Vec<f32> {
    t.flatten_all().unwrap().to_vec1::<f32>().unwrap()
}

pub fn random(rng: &mut ChaCha8Rng, dims: &[usize], scale: f32) -> Tensor {
    let n = dims.iter().product();
    let data: Vec<f32> = (0..n)
        .map(|_| rng.random_range(-1.0f32..1.0) * scale)
        .collect();
    Tensor::from_vec(data, dims, &Device::Cpu).unwrap()
}

/// Prints the table row and asserts that the max difference is within `tolerance` of max |CPU|.
pub fn agree_within(kernel: &str, case: &str, gpu: &[f32], cpu: &Tensor, tolerance: f32) {
    let cpu = flat(cpu);
    assert_eq!(gpu.len(), cpu.len(), "{kernel} {case}: lengths");
    let scale = cpu
        .iter()
        .fold(0f32, |m, v| m.max(v.abs()))
        .max(f32::MIN_POSITIVE);
    // NaN compares false with everything: count it as infinitely far.
    let diff = gpu
        .iter()
        .zip(&cpu)
        .map(|(g, c)| (g - c).abs())
        .map(|d| if d.is_nan() { f32::INFINITY } else { d })
        .fold(0f32, f32::max);
    let relative = diff / scale;
    say(format!(
        "  {kernel:<24} {case:<34} {diff:>10.3e} {scale:>10.3e} {relative:>10.3e}"
    ));
    assert!(
        relative <= tolerance,
        "{kernel} {case}: max |diff| {diff:e} is {relative:e} of max |reference| {scale:e}"
    );
}

pub fn agree(kernel: &str, case: &str, gpu: &[f32], cpu: &Tensor) {
    agree_within(kernel, case, gpu, cpu, TOLERANCE)
}

pub fn header(what: &str, ctx: &GpuContext) {
    say(format!(
        "{what} on {}: kernel, case, max |diff|, max |ref|, relative",
        ctx.adapter_name()
    ));
}

/// A line of the table: the test's output natively, the browser console under wasm-bindgen-test.
fn say(line: String) {
    #[cfg(target_arch = "wasm32")]
    wasm_bindgen_test::console_log!("{line}");
    #[cfg(not(target_arch = "wasm32"))]
    println!("{line}");
}

/// `sum(y ⊙ r)`: its gradient at `y` is `r`, a random upstream gradient.
pub fn probe(y: &Tensor, r: &Tensor) -> Tensor {
    (y * r).unwrap().sum_all().unwrap()
}

/// The forward's additive mask for sequences of `lengths` tokens padded to `seq`.
pub fn additive_mask(lengths: &[usize], seq: usize) -> Tensor {
    let values: Vec<f32> = lengths
        .iter()
        .flat_map(|&n| (0..seq).map(move |j| if j < n { 0.0 } else { f32::MIN }))
        .collect();
    Tensor::from_vec(values, (lengths.len(), seq), &Device::Cpu).unwrap()
}

/// `[batch, seq]` mask broadcast over heads and queries: `[batch, 1, 1, seq]`.
pub fn key_mask(mask: &Tensor) -> Tensor {
    let (b, s) = mask.dims2().unwrap();
    mask.reshape((b, 1, 1, s)).unwrap()
}
