//! GPU against CPU natively: milliseconds per fill-mask forward (encoder + MLM head at one
//! position) with wgpu (crates/core/src/gpu) and with candle, at sequence lengths 16, 64 and 128, for the
//! embedded default model and a bert-base-sized random model.
//!
//! `cargo bench --bench gpu` (or `make bench-gpu`, which adds the browser's figures). wgpu takes
//! the first Vulkan adapter; on a machine without a GPU that is lavapipe, a CPU rasteriser whose
//! timings say nothing about GPU speed (the output says so).

use std::path::Path;
use std::time::Instant;

use bertlab_core::gpu::bench::{
    bench_input, bert_base_config, time_cpu, time_gpu, CpuForward, BENCH_SEQ_LENS,
};
use bertlab_core::gpu::{GpuContext, GpuMaskedLm};
use bertlab_core::model::{Checkpoint, Loaded, MaskedLm};
use candle_core::Device;

fn main() {
    let ctx = match pollster::block_on(GpuContext::new()) {
        Ok(ctx) => ctx,
        Err(e) => {
            eprintln!("{e}: install a Vulkan driver (Debian: mesa-vulkan-drivers for lavapipe)");
            std::process::exit(1);
        }
    };
    let default_dir =
        Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../..")).join("models/bertlab-minilm-mlm");
    let default = Checkpoint::from_dir(&default_dir)
        .and_then(|c| c.load::<MaskedLm>(&Device::Cpu))
        .unwrap_or_else(|e| panic!("{}: {e}", default_dir.display()))
        .model;
    let base = Loaded::<MaskedLm>::random(&bert_base_config(), 0, &Device::Cpu)
        .expect("random bert-base")
        .model;
    let clock = Instant::now();
    let now = || clock.elapsed().as_secs_f64() * 1e3;
    println!("adapter: {}", ctx.adapter_name());
    if ctx.is_software() {
        println!("  (a software adapter: its timings check that the path runs, they are not GPU speed figures)");
    }
    println!(
        "candle CPU threads: {}",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    println!(
        "\n{:<30} {:>5} {:>12} {:>12} {:>10}",
        "model", "seq", "candle ms", "wgpu ms", "cpu/gpu"
    );
    for (name, model) in [
        ("bertlab-minilm-mlm (6x384)", &default),
        ("bert-base random (12x768)", &base),
    ] {
        let gpu = pollster::block_on(GpuMaskedLm::upload(&ctx, model)).expect("upload");
        for seq in BENCH_SEQ_LENS {
            let input = bench_input(model.encoder.config(), seq).expect("input");
            let reps = if seq >= 128 { 5 } else { 10 };
            let cpu = time_cpu(
                model,
                &input,
                CpuForward::FillMask,
                reps,
                f64::INFINITY,
                &now,
            )
            .expect("cpu forward");
            let gpu = pollster::block_on(time_gpu(&ctx, &gpu, &input, reps, f64::INFINITY, &now))
                .expect("gpu forward");
            println!(
                "{name:<30} {seq:>5} {cpu:>12.2} {gpu:>12.2} {:>10.2}",
                cpu / gpu
            );
        }
    }
}
