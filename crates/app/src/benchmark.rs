//! The benchmark page (`/benchmark`): milliseconds per forward on WebGPU and on the CPU, at 16, 64
//! and 128 tokens or the lengths asked for, for the default model and optionally a bert-base-sized
//! one; then pretraining updates per second on each. The settings live in the URL (`?bert_base=1&reps=3&lens=16,512`), and `&run=1` starts at
//! once, which is how the headless runners (`make bench-gpu`, `make bench-peer`) drive it.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use super::shell::PageMeta;
use super::worker_query::start_job;
use crate::client;
use bertlab_protocol::messages::{Outcome, Request};
use bertlab_protocol::views::{BenchRow, TrainingBenchRow};

use crate::bench_lengths::{default_lens, parse_lens};

/// What the last run produced.
#[derive(Clone, PartialEq)]
struct Results {
    adapter: Option<String>,
    software: bool,
    rows: Vec<BenchRow>,
    training: Option<TrainingBenchRow>,
}

#[component]
pub fn BenchmarkPage() -> impl IntoView {
    let query = use_query_map();
    let flag = |key: &str| {
        query
            .read_untracked()
            .get(key)
            .is_some_and(|v| v == "1" || v == "true")
    };
    let bert_base = RwSignal::new(flag("bert_base"));
    let reps = RwSignal::new(
        query
            .read_untracked()
            .get("reps")
            .and_then(|r| r.parse::<usize>().ok())
            .unwrap_or(3)
            .clamp(1, 20),
    );
    let lens = RwSignal::new(
        query
            .read_untracked()
            .get("lens")
            .unwrap_or_else(default_lens),
    );
    let job = RwSignal::new(None::<u32>);
    let message = RwSignal::new(String::from("Not run yet."));
    let results = RwSignal::new(None::<Results>);
    let start = move || {
        results.set(None);
        let lens = match parse_lens(&lens.get_untracked()) {
            Ok(lens) => lens,
            Err(e) => {
                message.set(e);
                return;
            }
        };
        let request = Request::Benchmark {
            bert_base: bert_base.get_untracked(),
            reps: reps.get_untracked(),
            lens,
        };
        start_job(
            request,
            job,
            message,
            move |p| message.set(format!("Timing {}…", p.message)),
            move |outcome| match outcome {
                Outcome::Benchmark {
                    adapter,
                    software,
                    rows,
                    training,
                } => {
                    results.set(Some(Results {
                        adapter,
                        software,
                        rows,
                        training,
                    }));
                    Some("Done.".into())
                }
                _ => None,
            },
        );
    };
    if flag("run") {
        start();
    }
    let cancel = move |_| {
        if let Some(id) = job.get_untracked() {
            client::cancel(id);
        }
    };
    view! {
        <PageMeta title="Backend benchmark" description="Times one forward pass of the encoder on WebGPU and on the CPU in this browser." />
        <h1>"Backend benchmark"</h1>
        <p class="lede">
            "How long one forward takes here, on WebGPU and on the CPU path (candle in WebAssembly "
            "with SIMD), at several input lengths. On the CPU it is timed twice: the encoder alone "
            "(what an embedding model computes) and a fill-mask prediction (the encoder, then the MLM "
            "head at one position). Each figure is the mean of several runs after a warm-up. "
            "Then training: pretraining updates per second of the pretraining lab's race model on "
            "each path, from the same start."
        </p>
        <div class="controls">
            <label>
                <span>
                    <input
                        type="checkbox"
                        prop:checked=move || bert_base.get()
                        on:change=move |e| bert_base.set(event_target_checked(&e))
                    />
                    " Also a bert-base-sized model (12 layers × 768, random weights; slow on the CPU)"
                </span>
            </label>
            <label>
                "Lengths in tokens (comma-separated, 3 to 512)"
                <input
                    type="text"
                    id="benchmark-lens"
                    prop:value=move || lens.get()
                    on:change=move |e| lens.set(event_target_value(&e))
                />
            </label>
            <label>
                "Runs per figure"
                <input
                    type="number"
                    min="1"
                    max="20"
                    prop:value=move || reps.get().to_string()
                    on:change=move |e| {
                        if let Ok(n) = event_target_value(&e).parse::<usize>() {
                            reps.set(n.clamp(1, 20));
                        }
                    }
                />
            </label>
        </div>
        <div class="row">
            <button id="benchmark-run" on:click=move |_| start() disabled=move || job.get().is_some()>
                "Run benchmark"
            </button>
            <button on:click=cancel disabled=move || job.get().is_none()>"Cancel"</button>
        </div>
        <p id="benchmark-status" aria-live="polite">{move || message.get()}</p>
        {move || results.get().map(|r| view! { <ResultsTable results=r /> })}
    }
}

/// The table, with the adapter and a warning when it is a software one.
#[component]
fn ResultsTable(
    /// One finished run.
    results: Results,
) -> impl IntoView {
    let adapter = match &results.adapter {
        Some(name) if results.software => format!(
            "WebGPU adapter: {name}. It is a software adapter (it runs on the CPU), so its timings show that the GPU path works, not how fast a GPU is."
        ),
        Some(name) => format!("WebGPU adapter: {name}."),
        None => "This browser offers no WebGPU adapter: only the CPU was timed.".into(),
    };
    view! {
        <p id="benchmark-adapter">{adapter}</p>
        <div class="table-scroll">
            <table id="benchmark-table" class="timings" data-done="true">
                <thead>
                    <tr>
                        <th scope="col">"model"</th>
                        <th scope="col" class="num">"tokens"</th>
                        <th scope="col" class="num">"CPU encoder ms"</th>
                        <th scope="col" class="num">"CPU fill-mask ms"</th>
                        <th scope="col" class="num">"WebGPU ms"</th>
                        <th scope="col" class="num">"CPU / WebGPU"</th>
                    </tr>
                </thead>
                <tbody>
                    {results
                        .rows
                        .into_iter()
                        .map(|row| {
                            let (gpu, ratio) = match row.gpu_ms {
                                Some(g) => (format!("{g:.1}"), format!("{:.2}", row.cpu_ms / g)),
                                None => ("n/a".into(), "n/a".into()),
                            };
                            view! {
                                <tr>
                                    <td>{row.model}</td>
                                    <td class="num">{row.seq}</td>
                                    <td class="num">{format!("{:.1}", row.cpu_encoder_ms)}</td>
                                    <td class="num">{format!("{:.1}", row.cpu_ms)}</td>
                                    <td class="num">{gpu}</td>
                                    <td class="num">{ratio}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
        {results.training.map(|row| view! { <TrainingTable row=row /> })}
    }
}

/// Pretraining updates per second on each path, and their ratio.
#[component]
fn TrainingTable(
    /// The run's training figures.
    row: TrainingBenchRow,
) -> impl IntoView {
    let (gpu, ratio) = match (row.gpu_updates_per_s, &row.gpu_error) {
        (Some(g), _) => (
            format!("{g:.2}"),
            format!("{:.2}", g / row.cpu_updates_per_s),
        ),
        (None, Some(e)) => (format!("failed: {e}"), "n/a".into()),
        (None, None) => ("n/a".into(), "n/a".into()),
    };
    view! {
        <h2>"Training"</h2>
        <div class="table-scroll">
            <table id="benchmark-training" class="timings" data-done="true">
                <thead>
                    <tr>
                        <th scope="col">"workload"</th>
                        <th scope="col" class="num">"batch"</th>
                        <th scope="col" class="num">"updates timed"</th>
                        <th scope="col" class="num">"CPU updates/s"</th>
                        <th scope="col" class="num">"WebGPU updates/s"</th>
                        <th scope="col" class="num">"WebGPU / CPU"</th>
                    </tr>
                </thead>
                <tbody>
                    <tr>
                        <td>{row.workload}</td>
                        <td class="num">{format!("{} × {} tokens", row.batch, row.seq)}</td>
                        <td class="num">{row.steps}</td>
                        <td class="num">{format!("{:.2}", row.cpu_updates_per_s)}</td>
                        <td class="num">{gpu}</td>
                        <td class="num">{ratio}</td>
                    </tr>
                </tbody>
            </table>
        </div>
    }
}
