//! The training labs timed in headless Chromium (the wasm CPU path), on the optimised build in
//! `dist/`: the fine-tuning lab runs the default model on the shipped support set (all 600 training
//! messages, the lab's 4 epochs) frozen and then fully fine-tuned; the sentence-pair, tagging,
//! span-QA and layer-probe labs run at their defaults (and frozen where the default trains the
//! whole encoder); the pretraining lab races its two recipes at its default budget. Prints the
//! seconds from the click to each result, with the result. `make bench-train` builds `dist/` first.
//! An argument keeps the runs whose name contains it (`cargo bench … -- race`).

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

async fn rows(client: &Client, css: &str) -> Result<Vec<String>, String> {
    let v = client
        .execute(
            &format!(
                "return [...document.querySelectorAll({css:?})].map(r => r.innerText.replace(/\\s+/g, ' '))"
            ),
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

/// One training lab's run: where, what starts it, and the table its result lands in.
struct LabRun {
    name: &'static str,
    setting: &'static str,
    url: &'static str,
    button: &'static str,
    rows: &'static str,
    /// Whether a row of that table holds the finished result.
    done: fn(&str) -> bool,
}

fn has_percent(row: &str) -> bool {
    row.contains('%')
}

/// The fine-tuning lab on the support intents (frozen, then full), then each lab of the downstream
/// heads at its defaults and, where the default trains the whole encoder, frozen as well.
const LAB_RUNS: [LabRun; 10] = [
    LabRun {
        name: "frozen fine-tuning",
        setting: "default model, 600 support messages, 4 epochs",
        url: "/labs/fine-tune?approach=frozen&examples=0&epochs=4",
        button: "#ft-run",
        rows: "table.sheet tbody tr",
        done: has_percent,
    },
    LabRun {
        name: "full fine-tuning",
        setting: "default model, 600 support messages, 4 epochs",
        url: "/labs/fine-tune?approach=full&examples=0&epochs=4",
        button: "#ft-run",
        rows: "table.sheet tbody tr",
        done: has_percent,
    },
    LabRun {
        name: "sentence pairs frozen",
        setting: "the lab's defaults on the pair set: 64 pairs, 4 epochs",
        url: "/labs/fine-tune?dataset=support_pairs&approach=frozen",
        button: "#ft-run",
        rows: "table.sheet tbody tr",
        done: has_percent,
    },
    LabRun {
        name: "sentence pairs full",
        setting: "64 pairs, 4 epochs",
        url: "/labs/fine-tune?dataset=support_pairs&approach=full",
        button: "#ft-run",
        rows: "table.sheet tbody tr",
        done: has_percent,
    },
    LabRun {
        name: "POS tagging full",
        setting: "the lab's defaults: 100 sentences, 3 epochs",
        url: "/labs/tagging",
        button: "#tag-train",
        rows: "table.tagger-runs tbody tr",
        done: has_percent,
    },
    LabRun {
        name: "POS tagging frozen",
        setting: "100 sentences, 3 epochs",
        url: "/labs/tagging?regime=frozen",
        button: "#tag-train",
        rows: "table.tagger-runs tbody tr",
        done: has_percent,
    },
    LabRun {
        name: "entity tagging full",
        setting: "the lab's defaults: 100 messages, 3 epochs",
        url: "/labs/tagging?task=entities",
        button: "#tag-train",
        rows: "table.tagger-runs tbody tr",
        done: has_percent,
    },
    LabRun {
        name: "entity tagging frozen",
        setting: "100 messages, 3 epochs",
        url: "/labs/tagging?task=entities&regime=frozen",
        button: "#tag-train",
        rows: "table.tagger-runs tbody tr",
        done: has_percent,
    },
    LabRun {
        name: "span QA frozen",
        setting: "the lab's defaults: 300 questions, 3 epochs",
        url: "/labs/span-qa",
        button: "#qa-train",
        rows: "table.qa-runs tbody tr",
        done: has_percent,
    },
    LabRun {
        name: "layer probes",
        setting:
            "the lab's defaults: part of speech, pretrained and random-init encoders, every layer",
        url: "/labs/probes",
        button: "#probe-run",
        rows: "table.probe-table tbody tr:nth-child(2)",
        // the table appears once both encoders' probes are done, accuracies without a unit
        done: |row| !row.trim().is_empty(),
    },
];

async fn run() -> Result<(), String> {
    let dist = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../..")).join("dist");
    let server = server::StaticServer::start(dist).map_err(|e| e.to_string())?;
    let browser = browser::Browser::launch(true).await?;
    let client = &browser.client;
    // cargo passes `--bench`; the first other argument picks runs by name.
    let only = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let picked = |name: &str| only.as_deref().is_none_or(|o| name.contains(o));
    let result = async {
        for lab in LAB_RUNS.iter().filter(|lab| picked(lab.name)) {
            let url = server.url(lab.url);
            client.goto(&url).await.map_err(|e| e.to_string())?;
            client
                .wait()
                .for_element(Locator::Css(lab.button))
                .await
                .map_err(|e| e.to_string())?;
            let before = rows(client, lab.rows).await?.len();
            let started = Instant::now();
            click(client, lab.button).await?;
            let row = loop {
                if let Some(row) = rows(client, lab.rows).await?.get(before) {
                    if (lab.done)(row) {
                        break row.clone();
                    }
                }
                if started.elapsed() > Duration::from_secs(1800) {
                    return Err(format!("{}: no result after 30 minutes", lab.name));
                }
                tokio::time::sleep(Duration::from_millis(250)).await;
            };
            println!(
                "tab {} seconds {:.1} ({}; row: {row})",
                lab.name,
                started.elapsed().as_secs_f64(),
                lab.setting
            );
        }
        if picked("pretrain race") {
            race(client, &server).await?;
        }
        Ok(())
    }
    .await;
    browser.close().await;
    result
}
