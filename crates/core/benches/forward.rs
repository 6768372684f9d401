//! Forward latency of the encoder (random weights) at sequence lengths 16, 64 and 128, for a
//! MiniLM-L6-sized and a bert-base-sized model, on 1 thread and on all threads.
//!
//! `cargo bench --bench forward`. Thread count is fixed per process (candle reads
//! RAYON_NUM_THREADS for its matmuls and rayon sizes its pool once), so the bench re-runs itself
//! as a child process per thread setting and prints one table.

use std::process::Command;
use std::time::{Duration, Instant};

use bertlab_core::model::{Encoder, EncoderConfig, EncoderInput, Family, Internals, Loaded};
use candle_core::{Device, Tensor};

const CHILD: &str = "BERTLAB_BENCH_CHILD";
const SEQS: [usize; 3] = [16, 64, 128];

fn models() -> [(&'static str, EncoderConfig); 2] {
    [
        (
            "MiniLM-L6 (6x384)",
            EncoderConfig::sized(Family::Bert, 6, 384, 12, 1536),
        ),
        (
            "bert-base (12x768)",
            EncoderConfig::sized(Family::Bert, 12, 768, 12, 3072),
        ),
    ]
}

/// Median of repeated forwards, after a warm-up, within a time budget per case.
fn time_forward(encoder: &Encoder, seq: usize) -> Duration {
    let ids: Vec<u32> = (0..seq as u32).map(|i| 1000 + i * 7).collect();
    let input = EncoderInput::new(Tensor::from_vec(ids, (1, seq), &Device::Cpu).expect("ids"));
    let run = || {
        let start = Instant::now();
        let out = encoder
            .forward(&input, &Internals::none())
            .expect("forward");
        std::hint::black_box(out.last_hidden_state);
        start.elapsed()
    };
    run();
    let budget = Instant::now();
    let mut times = Vec::new();
    while times.len() < 5 || (budget.elapsed() < Duration::from_secs(3) && times.len() < 50) {
        times.push(run());
    }
    times.sort();
    times[times.len() / 2]
}

fn child() {
    for (name, cfg) in models() {
        let encoder = Loaded::<Encoder>::random(&cfg, 0, &Device::Cpu)
            .expect("model")
            .model;
        for seq in SEQS {
            let t = time_forward(&encoder, seq);
            println!("{name}\t{seq}\t{:.2}", t.as_secs_f64() * 1e3);
        }
    }
}

fn main() {
    if std::env::var_os(CHILD).is_some() {
        child();
        return;
    }
    let all = std::thread::available_parallelism().map_or(1, |n| n.get());
    let exe = std::env::current_exe().expect("bench executable");
    let mut columns = Vec::new();
    for threads in [1, all] {
        let out = Command::new(&exe)
            .env(CHILD, "1")
            .env("RAYON_NUM_THREADS", threads.to_string())
            .output()
            .expect("run bench child");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        columns.push(String::from_utf8_lossy(&out.stdout).into_owned());
    }
    println!("encoder forward latency, batch 1, median ms (random weights, f32, CPU)");
    println!(
        "{:<20} {:>5} {:>12} {:>14}",
        "model",
        "seq",
        "1 thread",
        format!("{all} threads")
    );
    let rows: Vec<Vec<&str>> = columns.iter().map(|c| c.lines().collect()).collect();
    for (i, line) in rows[0].iter().enumerate() {
        let f: Vec<&str> = line.split('\t').collect();
        let many = rows[1]
            .get(i)
            .and_then(|l| l.split('\t').nth(2))
            .unwrap_or("?");
        println!("{:<20} {:>5} {:>12} {:>14}", f[0], f[1], f[2], many);
    }
}
