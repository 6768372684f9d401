//! The training labs timed in headless Chromium (the wasm CPU path), on the optimised build in
//! `dist/`: the fine-tuning lab runs the default model on the shipped support set (all 600 training
//! messages, the lab's 4 epochs) frozen and then fully fine-tuned, and the pretraining lab races its
//! two recipes at its default budget. Prints the seconds from the click to each result, with the
//! result. `make bench-train` builds `dist/` first.

#[path = "../tests/e2e/browser.rs"]
mod browser;
// shared with the end-to-end tests, which use more of it
#[allow(dead_code)]
#[path = "../tests/e2e/server.rs"]
mod server;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use fantoccini::{Client, Locator};

#[tokio::main]
async fn main() {
    if let Err(e) = run().await {
        eprintln!("training labs: {e}");
        std::process::exit(1);
    }
}

async fn rows(client: &Client) -> Result<Vec<String>, String> {
    let v = client
        .execute(
            "return [...document.querySelectorAll('table.sheet tbody tr')].map(r => r.innerText.replace(/\\s+/g, ' '))",
            vec![],
        )
        .await
        .map_err(|e| e.to_string())?;
    serde_json::from_value(v).map_err(|e| e.to_string())
}

/// Waits for the button `css`, scrolls it to the middle of the window (the status bar covers the
/// bottom edge) and clicks it.
async fn click(client: &Client, css: &str) -> Result<(), String> {
    let button = client
        .wait()
        .for_element(Locator::Css(css))
        .await
        .map_err(|e| e.to_string())?;
    client
        .execute(
            &format!("document.querySelector({css:?}).scrollIntoView({{block: 'center'}})"),
            vec![],
        )
        .await
        .map_err(|e| e.to_string())?;
    button.click().await.map_err(|e| e.to_string())
}

/// The pretraining lab's race at its default budget, until both recipes report.
async fn race(client: &Client, server: &server::StaticServer) -> Result<(), String> {
    client
        .goto(&server.url("/labs/pretrain"))
        .await
        .map_err(|e| e.to_string())?;
    let started = Instant::now();
    click(client, "#pt-run").await?;
    loop {
        let v = client
            .execute(
                "return [...document.querySelectorAll('.pt-summary')].map(e => e.textContent)",
                vec![],
            )
            .await
            .map_err(|e| e.to_string())?;
        let summaries: Vec<String> = serde_json::from_value(v).map_err(|e| e.to_string())?;
        if let Some(failed) = summaries.iter().find(|t| t.contains("failed")) {
            return Err(failed.clone());
        }
        if summaries.len() == 2 && summaries.iter().all(|t| t.contains("done after")) {
            println!(
                "tab pretrain race seconds {:.1} ({})",
                started.elapsed().as_secs_f64(),
                summaries.join(" | ")
            );
            return Ok(());
        }
        if started.elapsed() > Duration::from_secs(1800) {
            return Err("the race: no result after 30 minutes".into());
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

async fn run() -> Result<(), String> {
    let dist = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../..")).join("dist");
    let server = server::StaticServer::start(dist).map_err(|e| e.to_string())?;
    let browser = browser::Browser::launch(true).await?;
    let client = &browser.client;
    let result = async {
        for approach in ["frozen", "full"] {
            let url = server.url(&format!("/labs/fine-tune?approach={approach}&examples=0&epochs=4"));
            client.goto(&url).await.map_err(|e| e.to_string())?;
            client.wait().for_element(Locator::Css("#ft-run")).await.map_err(|e| e.to_string())?;
            let before = rows(client).await?.len();
            let started = Instant::now();
            click(client, "#ft-run").await?;
            let row = loop {
                if let Some(row) = rows(client).await?.get(before) {
                    break row.clone();
                }
                if started.elapsed() > Duration::from_secs(1800) {
                    return Err(format!("{approach}: no result after 30 minutes"));
                }
                tokio::time::sleep(Duration::from_millis(250)).await;
            };
            println!(
                "tab {approach} fine-tuning seconds {:.1} (default model, 600 support messages, 4 epochs; row: {row})",
                started.elapsed().as_secs_f64()
            );
        }
        race(client, &server).await
    }
    .await;
    browser.close().await;
    result
}
