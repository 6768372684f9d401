//! GPU against CPU natively. Forward: milliseconds per fill-mask forward (encoder + MLM head at
//! one position) with wgpu (crates/core/src/gpu) and with candle, at sequence lengths 16, 64 and
//! 128, for the embedded default model and a bert-base-sized random model. Training: updates per
//! second of `FineTuner` on the default model, `train_step_gpu` against `train_step`, full and
//! frozen, at the lab's batch size on the lab's support-intents texts; and of `Trainer` on the
//! pretraining lab's race model and text.
//!
//! `cargo bench --bench gpu` (or `make bench-gpu`, which adds the browser's forward figures). wgpu
//! takes the first Vulkan adapter; on a machine without a GPU that is lavapipe, a CPU rasteriser
//! whose timings say nothing about GPU speed (the output says so).

use std::path::Path;
use std::time::Instant;

/// The command line's allocator (see `crates/cli/src/main.rs`), so the CPU rows time the CPU path
/// as `bertlab` runs it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use bertlab_core::gpu::bench::{
    bench_input, bert_base_config, race_bench_request, time_cpu, time_gpu, updates_per_second,
    CpuForward, BENCH_SEQ_LENS,
};
use bertlab_core::gpu::{GpuContext, GpuMaskedLm};
use bertlab_core::model::{Checkpoint, Loaded, MaskedLm};
use bertlab_core::text::tokenizer::Tokenizer;
use bertlab_core::train::finetune::{FineTuner, FinetuneConfig, Regime};
use bertlab_core::train::labelled::parse_csv;
use bertlab_core::train::pretrain::race::{race_sequences, race_trainer, RACE_SEQ};
use bertlab_protocol::training::RACE_BATCH;
use candle_core::Device;

/// The lab's intent-classification dataset: texts of the length people type into the lab.
const SUPPORT: &[u8] = include_bytes!("../../../assets/datasets/support-intents.csv");
/// Examples trained on: four batches of the lab's 16, so the warm-up and 3 timed full updates are
/// one epoch, every example once. The frozen regime's warm-up encodes all of them on the CPU.
const TRAIN_EXAMPLES: usize = 64;
/// Updates timed per path after one warm-up: a full update of the default model took 0.4 s on
/// the CPU and 32 s on lavapipe on a 2-core machine. `BENCH_GPU_TRAIN_STEPS` overrides it.
const FULL_STEPS: usize = 3;
/// Frozen updates train the head alone (milliseconds): more of them for a steadier mean.
const FROZEN_STEPS: usize = 20;
/// The pretraining lab's text, and updates timed per path of its race model.
const CORPUS: &str = include_str!("../../../assets/corpus/train.txt");
const HELD_OUT: &str = include_str!("../../../assets/corpus/valid.txt");
const PRETRAIN_STEPS: usize = 10;

fn main() {
    // The command line's process settings, first thing (see `native_runtime`), for the same reason
    // as the allocator.
    bertlab_core::native_runtime::tune_for_training();
    let ctx = match pollster::block_on(GpuContext::new()) {
        Ok(ctx) => ctx,
        Err(e) => {
            eprintln!("{e}: install a Vulkan driver (Debian: mesa-vulkan-drivers for lavapipe)");
            std::process::exit(1);
        }
    };
    let default_dir =
        Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../..")).join("models/bertlab-minilm-mlm");
    let checkpoint = Checkpoint::from_dir(&default_dir)
        .unwrap_or_else(|e| panic!("{}: {e}", default_dir.display()));
    let default = checkpoint
        .load::<MaskedLm>(&Device::Cpu)
        .expect("the default model")
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
    let tokenizer = std::fs::read(default_dir.join("tokenizer.json"))
        .map_err(|e| e.to_string())
        .and_then(|json| Tokenizer::from_bytes(&json).map_err(|e| e.to_string()))
        .unwrap_or_else(|e| panic!("the default model's tokenizer: {e}"));
    training_rows(&ctx, &checkpoint, &tokenizer);
    pretraining_row(&ctx, &tokenizer);
}

/// Updates per second of the pretraining lab's default race model on its text, CPU against GPU
/// from the same start (`gpu::bench::race_bench_request`, as the benchmark page times it).
fn pretraining_row(ctx: &GpuContext, tokenizer: &Tokenizer) {
    let request = race_bench_request();
    let trainer = || {
        let (train, valid) =
            race_sequences(&request, tokenizer, (CORPUS, HELD_OUT)).expect("the race's sequences");
        race_trainer(&request, tokenizer, train, valid)
            .expect("the race's trainer")
            .0
    };
    let clock = Instant::now();
    let now = || clock.elapsed().as_secs_f64() * 1e3;
    let rate = |gpu: Option<&GpuContext>| {
        pollster::block_on(updates_per_second(
            &mut trainer(),
            gpu,
            PRETRAIN_STEPS,
            &now,
        ))
        .expect("pretraining updates")
    };
    let (cpu_rate, gpu_rate) = (rate(None), rate(Some(ctx)));
    println!(
        "\npretraining the lab's race model (BERT + NSP, {} × {}, {} pieces), updates/s after 1 warm-up update",
        request.layers,
        request.hidden_size,
        tokenizer.vocab_size()
    );
    println!(
        "{:<8} {:>5} {:>12} {:>6} {:>12} {:>12} {:>9}",
        "", "batch", "tokens/ex.", "steps", "CPU upd/s", "GPU upd/s", "gpu/cpu"
    );
    println!(
        "{:<8} {RACE_BATCH:>5} {RACE_SEQ:>12} {PRETRAIN_STEPS:>6} {cpu_rate:>12.3} {gpu_rate:>12.3} {:>9.3}",
        "MLM+NSP",
        gpu_rate / cpu_rate
    );
}

/// Updates per second of fine-tuning the default model on the CPU and on the GPU, from the same
/// start on the same batches (same seed; dropout as the checkpoint has it, as in the lab).
fn training_rows(ctx: &GpuContext, base: &Checkpoint, tokenizer: &Tokenizer) {
    let train = parse_csv(SUPPORT, 0.2, 0)
        .expect("support-intents.csv")
        .train
        .balanced_subset(TRAIN_EXAMPLES, 0);
    let full_steps = std::env::var("BENCH_GPU_TRAIN_STEPS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(FULL_STEPS);
    println!(
        "\nfine-tuning bertlab-minilm-mlm on {} support-intents texts, updates/s after 1 warm-up update{}",
        train.len(),
        if ctx.is_software() {
            " (GPU on a software adapter: the row checks that GPU training runs, it is not a GPU speed figure)"
        } else {
            ""
        }
    );
    println!(
        "{:<8} {:>5} {:>12} {:>6} {:>12} {:>12} {:>9}",
        "regime", "batch", "tokens/ex.", "steps", "CPU upd/s", "GPU upd/s", "gpu/cpu"
    );
    for (regime, steps) in [(Regime::Full, full_steps), (Regime::Frozen, FROZEN_STEPS)] {
        let config = FinetuneConfig {
            // Room for the warm-up and the timed updates whatever the set's size.
            min_updates: steps + 1,
            ..FinetuneConfig::for_regime(regime)
        };
        let batch = config.batch_size;
        let tuner =
            || FineTuner::new(base, tokenizer.clone(), &train, config.clone()).expect("fine-tuner");
        let mut cpu = tuner();
        let rows = cpu.rows(&train).expect("token rows");
        let (tokens, longest) = (
            rows.iter().map(|r| r.ids.len()).sum::<usize>() as f64 / rows.len() as f64,
            rows.iter().map(|r| r.ids.len()).max().unwrap_or(0),
        );
        let cpu_rate = timed_updates(steps, || {
            cpu.train_step().expect("CPU update");
        });
        let mut gpu = tuner();
        pollster::block_on(gpu.attach_gpu(ctx)).expect("attach the GPU");
        let gpu_rate = timed_updates(steps, || {
            pollster::block_on(gpu.train_step_gpu(ctx)).expect("GPU update");
        });
        println!(
            "{:<8} {batch:>5} {:>12} {steps:>6} {cpu_rate:>12.3} {gpu_rate:>12.3} {:>9.3}",
            format!("{regime:?}"),
            format!("{tokens:.1} (≤{longest})"),
            gpu_rate / cpu_rate
        );
    }
}

/// `steps` updates per second of wall time, after one untimed warm-up update that takes the
/// first-use costs (in the frozen regime, encoding the whole set once for the cache).
fn timed_updates(steps: usize, mut update: impl FnMut()) -> f64 {
    update();
    let start = Instant::now();
    for _ in 0..steps {
        update();
    }
    steps as f64 / start.elapsed().as_secs_f64()
}
