//! Native half of the training benchmark: prints the throughput of tiny-encoder pretraining
//! (tokens/s) and full fine-tuning (examples/s), and of pretraining (16 × 64 tokens, the workload
//! `training/bench_step.py` runs in PyTorch) and fine-tuning an encoder of the default model's
//! shape, in the format `tests/harness/bench-train.sh` reads. Run through `make bench-train`, which
//! also runs it on one thread, the browser half (`tests/train_speed_wasm.rs`) and the PyTorch peer,
//! and prints the ratios.

use std::time::Instant;

/// The command line's allocator (see `crates/cli/src/main.rs`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use bertlab_core::model::EncoderConfig;
use bertlab_core::text::tokenizer::Tokenizer;
use bertlab_core::train::bench::{
    fine_tuning, pretraining, tiny_encoder, tiny_pretraining, PretrainWorkload, TINY_STEPS,
};

const TOKENIZER: &[u8] = include_bytes!("../../../models/all-minilm-l6-v2/tokenizer.json");
const CORPUS: &str = include_str!("../../../assets/corpus/train.txt");
const SUPPORT: &[u8] = include_bytes!("../../../assets/datasets/support-intents.csv");
const DEFAULT_CONFIG: &[u8] = include_bytes!("../../../models/bertlab-minilm-mlm/config.json");
/// Updates timed on the default encoder's shape (1.2–2 s each before any speed work); the
/// environment's `BENCH_STEPS` overrides it.
const DEFAULT_ENCODER_STEPS: usize = 10;

fn main() {
    bertlab_core::native_runtime::tune_for_training();
    let started = Instant::now();
    let now = || started.elapsed().as_secs_f64() * 1000.0;
    let tokenizer = Tokenizer::from_bytes(TOKENIZER).expect("tokenizer");
    let pre = tiny_pretraining(&tokenizer, CORPUS, now).expect("pretraining");
    println!("native pretraining tokens/s {:.1}", pre.per_second());
    let config = EncoderConfig::from_hf_json(DEFAULT_CONFIG).expect("the default model's config");
    let workload = PretrainWorkload::sixteen_by_64(config);
    let steps = std::env::var("BENCH_STEPS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(DEFAULT_ENCODER_STEPS);
    let default = pretraining(&workload, &tokenizer, CORPUS, steps, now)
        .expect("default-encoder pretraining");
    println!(
        "native default-encoder pretraining tokens/s {:.1} ({:.2} s per update)",
        default.per_second(),
        default.seconds / steps as f64
    );
    let fine = fine_tuning(
        tiny_encoder(&tokenizer),
        tokenizer.clone(),
        SUPPORT,
        TINY_STEPS,
        now,
    )
    .expect("fine-tuning");
    println!(
        "native fine-tuning examples/s {:.1}",
        fine.throughput.per_second()
    );
    let fine = fine_tuning(workload.config, tokenizer, SUPPORT, steps, now)
        .expect("default-encoder fine-tuning");
    println!(
        "native default-encoder fine-tuning examples/s {:.1} ({} updates at the lab's defaults)",
        fine.throughput.per_second(),
        fine.updates_at_defaults
    );
}
