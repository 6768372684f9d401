//! The headless runner of the benchmark page: serves the release build in `dist/`, opens
//! `/benchmark?bert_base=1&reps=3&run=1` in headless Chromium with WebGPU (SwiftShader here), waits
//! for the table and prints it. `make bench-gpu` builds `dist/` first and runs `benches/gpu.rs` too.

#[path = "../tests/e2e/browser.rs"]
mod browser;
// shared with the end-to-end tests, which use more of it
#[allow(dead_code)]
#[path = "../tests/e2e/server.rs"]
mod server;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use fantoccini::Locator;

#[tokio::main]
async fn main() {
    if let Err(e) = run().await {
        eprintln!("benchmark page: {e}");
        std::process::exit(1);
    }
}

async fn run() -> Result<(), String> {
    let dist = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../..")).join("dist");
    let server = server::StaticServer::start(dist).map_err(|e| e.to_string())?;
    let browser = browser::Browser::launch(true).await?;
    let client = &browser.client;
    let result = async {
        client
            .goto(&server.url("/benchmark?bert_base=1&reps=3&run=1"))
            .await
            .map_err(|e| e.to_string())?;
        let started = Instant::now();
        while client.find(Locator::Css("#benchmark-table[data-done]")).await.is_err() {
            if started.elapsed() > Duration::from_secs(900) {
                return Err("no table after 15 minutes".to_string());
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        let text = |css: &'static str| async move {
            client
                .execute(
                    &format!("return [...document.querySelectorAll({css:?})].map(e => e.textContent.trim())"),
                    vec![],
                )
                .await
                .map_err(|e| e.to_string())
        };
        let adapter = text("#benchmark-adapter").await?;
        let cells: Vec<String> =
            serde_json::from_value(text("#benchmark-table tbody td").await?).map_err(|e| e.to_string())?;
        println!("Browser (headless Chromium, wasm CPU path vs WebGPU), ms per fill-mask forward");
        println!("{}", adapter[0].as_str().unwrap_or_default());
        println!(
            "{:<30} {:>6} {:>12} {:>14} {:>10} {:>12}",
            "model", "tokens", "CPU encoder", "CPU fill-mask", "WebGPU ms", "CPU/WebGPU"
        );
        for row in cells.chunks(6).filter(|row| row.len() == 6) {
            println!(
                "{:<30} {:>6} {:>12} {:>14} {:>10} {:>12}",
                row[0], row[1], row[2], row[3], row[4], row[5]
            );
        }
        let training: Vec<String> = serde_json::from_value(text("#benchmark-training tbody td").await?)
            .map_err(|e| e.to_string())?;
        if let [workload, batch, steps, cpu, gpu, ratio] = training.as_slice() {
            println!("\nBrowser pretraining updates/s: {workload}, batches of {batch}, {steps} updates timed");
            println!("{:>14} {:>18} {:>12}", "CPU (wasm)", "WebGPU", "WebGPU/CPU");
            println!("{cpu:>14} {gpu:>18} {ratio:>12}");
        }
        Ok(())
    }
    .await;
    browser.close().await;
    result
}
