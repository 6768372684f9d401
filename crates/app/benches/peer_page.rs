//! `make bench-peer`: BERT Lab's wasm forward against transformers.js (onnxruntime-web) on the same
//! all-MiniLM-L6-v2 architecture, in one headless Chromium. Serves our build (`dist/`, or
//! `BENCH_PEER_DIST`) and the peer site `target/peer/site` (bench/peer with transformers.js, its
//! onnxruntime-web wasm and the f32 and int8 ONNX models, laid out by tests/harness/bench-peer.sh),
//! times our `/benchmark` page and the peer page at the same lengths, then each side's cold start
//! (a fresh browser profile, navigation to the first result) and the gzip size of its code.
//! `BENCH_PEER_REPS` (default 5) and `BENCH_PEER_LENS` (default 16,32,64,128,256,512) set the runs,
//! `BENCH_PEER_WEBGPU` whether the sweep's browser exposes WebGPU (see `expose_webgpu`), and
//! `BENCH_PEER_CPU=simd128` times our worker build without relaxed SIMD.

#[path = "../tests/e2e/browser.rs"]
mod browser;
// shared with the end-to-end tests, which use more of it
#[allow(dead_code)]
#[path = "../tests/e2e/server.rs"]
mod server;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use fantoccini::Client;
use serde::de::DeserializeOwned;
use serde::Deserialize;

/// The lengths of the main table (those the benchmark page times by default).
const MAIN_LENS: [usize; 3] = [16, 64, 128];
/// Timed first on each page and then ignored (the last row of each length is the one read).
const WARM_UP_LEN: usize = 256;

#[tokio::main]
async fn main() {
    if let Err(e) = run().await {
        eprintln!("bench-peer: {e}");
        std::process::exit(1);
    }
}

/// Our benchmark page's figures at one length.
struct Ours {
    tokens: usize,
    encoder: Option<f64>,
    fill_mask: Option<f64>,
    gpu: Option<f64>,
}

/// One row of the peer page's table (`data-*` attributes of its `<tr>`).
#[derive(Deserialize)]
struct Peer {
    device: String,
    dtype: String,
    tokens: Option<String>,
    load: Option<String>,
    mean: Option<String>,
    error: Option<String>,
}

/// One side's timings, with what its page said (the model, the WebGPU adapter or none, the code it
/// loaded).
struct Sweep<T> {
    about: String,
    rows: Vec<T>,
}

async fn run() -> Result<(), String> {
    let root = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."));
    let dist = std::env::var("BENCH_PEER_DIST").map_or_else(|_| root.join("dist"), PathBuf::from);
    let site = root.join("target/peer/site");
    for (dir, hint) in [
        (&dist, "build it with `trunk build --cargo-profile release`"),
        (&site, "tests/harness/bench-peer.sh lays it out"),
    ] {
        if !dir.join("index.html").is_file() {
            return Err(format!("{} has no index.html: {hint}", dir.display()));
        }
    }
    let reps: usize = env_or("BENCH_PEER_REPS", "5")
        .parse()
        .map_err(|e| format!("BENCH_PEER_REPS: {e}"))?;
    let lens = env_or("BENCH_PEER_LENS", "16,32,64,128,256,512");
    let lens: Vec<usize> = lens
        .split(',')
        .map(|l| {
            l.trim()
                .parse()
                .map_err(|e| format!("BENCH_PEER_LENS {l:?}: {e}"))
        })
        .collect::<Result<_, _>>()?;
    let ours_server = server::StaticServer::start(dist.clone()).map_err(|e| e.to_string())?;
    let peer_server = server::StaticServer::start(site.clone()).map_err(|e| e.to_string())?;
    // A warm-up length first on both pages, whose figures are then dropped: V8 compiles wasm in
    // tiers, and a fresh page's first forwards run baseline code until the optimised code is in.
    let query = format!("reps={reps}&lens={WARM_UP_LEN},{}", join(&lens));

    // BENCH_PEER_CPU=simd128 times our SIMD128 worker build, what a browser without relaxed SIMD
    // runs; otherwise Chromium gets the fused multiply-add one.
    let cpu = match env_or("BENCH_PEER_CPU", "").as_str() {
        "" => "",
        "simd128" => "&cpu=simd128",
        other => return Err(format!("BENCH_PEER_CPU={other}: simd128 or unset")),
    };
    let webgpu = expose_webgpu()?;
    let load_before = load_average();
    // One browser for both sweeps.
    let browser = browser::Browser::launch(webgpu).await?;
    let sweeps = async {
        let ours = ours_sweep(&browser.client, &ours_server, &format!("{query}{cpu}")).await?;
        // The status bar names the worker build that ran (with or without fused multiply-add).
        let status: String = js(
            &browser.client,
            "const s = document.querySelector('.status-text'); return s ? s.textContent : ''",
        )
        .await?;
        let peer = peer_sweep(&browser.client, &peer_server, &query).await?;
        Ok::<_, String>((ours, peer, status))
    }
    .await;
    browser.close().await;
    let (ours, peer, status) = sweeps?;

    println!("BERT Lab (candle, wasm) against transformers.js 4.3.2 (onnxruntime-web, wasm), all-MiniLM-L6-v2 architecture (6 x 384), batch 1");
    println!("our status bar after the timings: {}", status.trim());
    println!("headless Chromium, one wasm thread each, mean ms of {reps} forwards after a warm-up forward (and a first pass at {WARM_UP_LEN} tokens, dropped)");
    // Other work on a shared machine skews the figures: say how busy it was.
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!(
        "{cores} cores; load average (1, 5, 15 min) at the start {load_before}, after the timings {}",
        load_average()
    );
    if !webgpu {
        println!("WebGPU not exposed: no GPU device here (BENCH_PEER_WEBGPU=1 exposes Chromium's, SwiftShader where there is none)");
    }
    println!();
    print_main(&ours.rows, &peer.rows);
    println!();
    print_sweep(&lens, &ours, &peer);
    println!();
    println!("Cold start, a fresh browser profile each (no WebGPU; no HTTP cache: the server says no-store), from navigation to the first result:");
    let cold_ours = cold_ours(&ours_server).await;
    print_cold("BERT Lab, /labs/fill-mask, first guesses shown", cold_ours);
    for (dtype, label) in [
        ("fp32", "transformers.js fp32, first forward done"),
        ("q8", "transformers.js int8, first forward done"),
    ] {
        let ms = cold_peer(&peer_server, dtype).await;
        print_cold(label, ms);
    }
    println!();
    print_sizes(&dist, &site, &ours_server, &peer_server)
}

/// `BENCH_PEER_WEBGPU`: 1 or 0; unset, WebGPU is exposed where the machine has a GPU device
/// (without one Chromium's adapter is SwiftShader, whose timings at 512 tokens take minutes and
/// say nothing about speed).
fn expose_webgpu() -> Result<bool, String> {
    match std::env::var("BENCH_PEER_WEBGPU").as_deref() {
        Ok("1") => Ok(true),
        Ok("0") => Ok(false),
        Ok(other) => Err(format!("BENCH_PEER_WEBGPU={other}: 1 or 0")),
        Err(_) => Ok(["/dev/dri/renderD128", "/dev/nvidiactl"]
            .iter()
            .any(|d| Path::new(d).exists())),
    }
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg").map_or("unknown".into(), |l| {
        l.split_whitespace().take(3).collect::<Vec<_>>().join(" ")
    })
}

fn env_or(key: &str, default: &str) -> String {
    std::env::var(key).unwrap_or_else(|_| default.to_string())
}

fn join(lens: &[usize]) -> String {
    lens.iter()
        .map(usize::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

async fn js<T: DeserializeOwned>(client: &Client, script: &str) -> Result<T, String> {
    let value = client
        .execute(script, vec![])
        .await
        .map_err(|e| e.to_string())?;
    serde_json::from_value(value).map_err(|e| format!("{e} in the answer to {script}"))
}

/// Polls `script` (which returns a string or null) until it gives a string. Rarely: WebDriver's
/// polling costs CPU that the page, being timed, would miss on 2 cores.
async fn wait_for(
    client: &Client,
    script: &str,
    limit: Duration,
    what: &str,
) -> Result<String, String> {
    let started = Instant::now();
    loop {
        if let Some(done) = js::<Option<String>>(client, script).await? {
            return Ok(done);
        }
        if started.elapsed() > limit {
            return Err(format!("{what}: nothing after {} s", limit.as_secs()));
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}

async fn ours_sweep(
    client: &Client,
    server: &server::StaticServer,
    query: &str,
) -> Result<Sweep<Ours>, String> {
    client
        .goto(&server.url(&format!("/benchmark?{query}&run=1")))
        .await
        .map_err(|e| e.to_string())?;
    let status =
        "const s = document.querySelector('#benchmark-status'); return s ? s.textContent : ''";
    let done = "return document.querySelector('#benchmark-table[data-done]') ? 'done' : null";
    if let Err(e) = wait_for(
        client,
        done,
        Duration::from_secs(1800),
        "our benchmark page",
    )
    .await
    {
        let text: String = js(client, status).await.unwrap_or_default();
        return Err(format!("{e} (status: {text})"));
    }
    let headers: Vec<String> = js(
        client,
        "return [...document.querySelectorAll('#benchmark-table thead th')].map(e => e.textContent.trim())",
    )
    .await?;
    let cells: Vec<Vec<String>> = js(
        client,
        "return [...document.querySelectorAll('#benchmark-table tbody tr')].map(r => [...r.cells].map(c => c.textContent.trim()))",
    )
    .await?;
    // By header text: the page names its columns, their order may change.
    let column = |name: &str| headers.iter().position(|h| h == name);
    let model = column("model").ok_or("no model column")?;
    let tokens = column("tokens").ok_or("no tokens column")?;
    let encoder = column("CPU encoder ms");
    let fill_mask = column("CPU fill-mask ms");
    let gpu = column("WebGPU ms");
    let cell = |row: &[String], i: Option<usize>| {
        i.and_then(|i| row.get(i))
            .and_then(|c| c.parse::<f64>().ok())
    };
    // The default model's rows (a bert-base-sized one may follow).
    let first_model = cells.first().and_then(|r| r.get(model)).cloned();
    let rows = cells
        .iter()
        .filter(|r| r.get(model) == first_model.as_ref())
        .filter_map(|r| {
            Some(Ours {
                tokens: r.get(tokens)?.parse().ok()?,
                encoder: cell(r, encoder),
                fill_mask: cell(r, fill_mask),
                gpu: cell(r, gpu),
            })
        })
        .collect();
    let adapter: String = js(
        client,
        "const a = document.querySelector('#benchmark-adapter'); return a ? a.textContent.trim() : ''",
    )
    .await?;
    Ok(Sweep {
        about: format!("{}; {adapter}", first_model.unwrap_or_default()),
        rows,
    })
}

async fn peer_sweep(
    client: &Client,
    server: &server::StaticServer,
    query: &str,
) -> Result<Sweep<Peer>, String> {
    client
        .goto(&server.url(&format!("/?{query}&dtypes=fp32,q8&devices=wasm,webgpu")))
        .await
        .map_err(|e| e.to_string())?;
    let done = "return document.querySelector('#peer-table[data-done]') ? 'done' : null";
    wait_for(client, done, Duration::from_secs(1800), "the peer page").await?;
    let failed: Option<String> = js(
        client,
        "return document.querySelector('#peer-table').dataset.error ?? null",
    )
    .await?;
    if let Some(e) = failed {
        return Err(format!("the peer page failed: {e}"));
    }
    let rows: Vec<Peer> = js(
        client,
        "return [...document.querySelectorAll('#peer-table tbody tr')].map(r => ({...r.dataset}))",
    )
    .await?;
    let adapter: String = js(
        client,
        "return document.querySelector('#peer-adapter').textContent.trim()",
    )
    .await?;
    let code: Vec<String> = js(
        client,
        "return performance.getEntriesByType('resource').map(e => new URL(e.name).pathname).filter(p => /\\.(m?js|wasm)$/.test(p))",
    )
    .await?;
    Ok(Sweep {
        about: format!("{adapter} Code loaded: {}", code.join(", ")),
        rows,
    })
}

fn peer_mean(rows: &[Peer], device: &str, dtype: &str, tokens: usize) -> Option<f64> {
    rows.iter()
        .rfind(|r| {
            r.device == device
                && r.dtype == dtype
                && r.tokens.as_deref() == Some(tokens.to_string().as_str())
        })
        .and_then(|r| r.mean.as_deref()?.parse().ok())
}

fn ms(v: Option<f64>) -> String {
    v.map_or("n/a".into(), |v| format!("{v:.1}"))
}

fn ratio(a: Option<f64>, b: Option<f64>) -> String {
    match (a, b) {
        (Some(a), Some(b)) if b > 0.0 => format!("{:.2}", a / b),
        _ => "n/a".into(),
    }
}

fn print_main(ours: &[Ours], peer: &[Peer]) {
    println!("Main table: one forward, ms (us/them below 1 means BERT Lab is faster; both ratios compare the encoder alone)");
    println!("| seq len | BERT Lab wasm CPU (encoder) ms | BERT Lab fill-mask ms | transformers.js fp32 ms | transformers.js int8 ms | us/fp32 | us/int8 |");
    println!("|---|---|---|---|---|---|---|");
    for n in MAIN_LENS {
        let o = ours.iter().rfind(|o| o.tokens == n);
        let enc = o.and_then(|o| o.encoder);
        let fp32 = peer_mean(peer, "wasm", "fp32", n);
        let int8 = peer_mean(peer, "wasm", "q8", n);
        println!(
            "| {n} | {} | {} | {} | {} | {} | {} |",
            ms(enc),
            ms(o.and_then(|o| o.fill_mask)),
            ms(fp32),
            ms(int8),
            ratio(enc, fp32),
            ratio(enc, int8)
        );
    }
}

fn print_sweep(lens: &[usize], ours: &Sweep<Ours>, peer: &Sweep<Peer>) {
    println!("Latency against sequence length, ms (WebGPU: ours is a fill-mask forward, theirs the encoder)");
    println!("BERT Lab: {}", ours.about);
    println!("transformers.js: {}", peer.about);
    for r in &peer.rows {
        if let Some(e) = &r.error {
            println!(
                "transformers.js {} {} at {} tokens failed: {e}",
                r.device,
                r.dtype,
                r.tokens.as_deref().unwrap_or("-")
            );
        }
    }
    // The time from_pretrained took for each model (the server is local and already warm).
    let mut loads: Vec<String> = Vec::new();
    for r in &peer.rows {
        let name = format!("{} {}", r.device, r.dtype);
        if let (Some(load), false) = (&r.load, loads.iter().any(|l| l.starts_with(&name))) {
            loads.push(format!("{name} {load} ms"));
        }
    }
    if !loads.is_empty() {
        println!(
            "transformers.js model load (from_pretrained): {}",
            loads.join(", ")
        );
    }
    println!("| tokens | BERT Lab CPU encoder | BERT Lab CPU fill-mask | transformers.js fp32 | transformers.js int8 | BERT Lab WebGPU | transformers.js WebGPU fp32 |");
    println!("|---|---|---|---|---|---|---|");
    for &n in lens {
        let o = ours.rows.iter().rfind(|o| o.tokens == n);
        println!(
            "| {n} | {} | {} | {} | {} | {} | {} |",
            ms(o.and_then(|o| o.encoder)),
            ms(o.and_then(|o| o.fill_mask)),
            ms(peer_mean(&peer.rows, "wasm", "fp32", n)),
            ms(peer_mean(&peer.rows, "wasm", "q8", n)),
            ms(o.and_then(|o| o.gpu)),
            ms(peer_mean(&peer.rows, "webgpu", "fp32", n)),
        );
    }
}

/// The fill-mask lab in a fresh profile: from navigation start to the first guesses in the DOM.
async fn cold_ours(server: &server::StaticServer) -> Result<f64, String> {
    let browser = browser::Browser::launch(false).await?;
    let client = &browser.client;
    let result = async {
        client.goto(&server.url("/labs/fill-mask")).await.map_err(|e| e.to_string())?;
        // The page's own clock, stamped by an observer the moment the guesses appear (an upper
        // bound if they were already there when the observer started).
        client
            .execute(
                "const seen = () => document.querySelector('table.guesses th');
                 if (seen()) { window.firstGuess = performance.now(); }
                 else { new MutationObserver((_, o) => { if (seen()) { window.firstGuess = performance.now(); o.disconnect(); } })
                          .observe(document.body, { childList: true, subtree: true }); }",
                vec![],
            )
            .await
            .map_err(|e| e.to_string())?;
        let script = "const e = document.querySelector('main .error');
                      if (e) return 'error: ' + e.textContent;
                      return window.firstGuess === undefined ? null : String(window.firstGuess)";
        let at = wait_for(client, script, Duration::from_secs(300), "our fill-mask lab").await?;
        at.parse::<f64>().map_err(|_| format!("the fill-mask lab: {at}"))
    }
    .await;
    browser.close().await;
    result
}

/// The peer page in a fresh profile, one model on wasm: from navigation start to its first forward
/// done (transformers.js, the onnxruntime-web wasm and the model downloaded and compiled).
async fn cold_peer(server: &server::StaticServer, dtype: &str) -> Result<f64, String> {
    let browser = browser::Browser::launch(false).await?;
    let client = &browser.client;
    let result = async {
        let url = server.url(&format!("/?lens=16&reps=0&dtypes={dtype}&devices=wasm"));
        client.goto(&url).await.map_err(|e| e.to_string())?;
        let script = "const t = document.querySelector('#peer-table');
                      if (!t.dataset.done) return null;
                      return document.querySelector('#peer-first').dataset.ms ?? ('error: ' + (t.dataset.error ?? t.innerText))";
        let at = wait_for(client, script, Duration::from_secs(300), "the peer page").await?;
        at.parse::<f64>().map_err(|_| format!("the peer page: {at}"))
    }
    .await;
    browser.close().await;
    result
}

fn print_cold(label: &str, ms: Result<f64, String>) {
    match ms {
        Ok(ms) => println!("  {label:<52} {:>8.2} s", ms / 1000.0),
        Err(e) => println!("  {label:<52} failed: {e}"),
    }
}

/// Bytes of `path` after `gzip -9`.
fn gzip_size(path: &Path) -> Result<u64, String> {
    let out = std::process::Command::new("gzip")
        .args(["-9", "-c"])
        .arg(path)
        .output()
        .map_err(|e| format!("gzip: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "gzip {}: {}",
            path.display(),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(out.stdout.len() as u64)
}

/// Prints each file raw and gzip -9 and returns the gzip total.
fn size_lines(files: &[PathBuf]) -> Result<u64, String> {
    let mut total = 0;
    for f in files {
        let raw = std::fs::metadata(f)
            .map_err(|e| format!("{}: {e}", f.display()))?
            .len();
        let gz = gzip_size(f)?;
        total += gz;
        let name = f
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        println!(
            "  {name:<45} {:>7.2} MB raw {:>7.2} MB gzip -9",
            raw as f64 / 1e6,
            gz as f64 / 1e6
        );
    }
    Ok(total)
}

/// The code files (wasm, JS) in `dir` that `server` (serving `dir` at its root) sent whole, i.e. the
/// ones the pages actually loaded (of our two worker builds, only the one the browser started).
fn loaded_code(
    dir: &Path,
    sub: &str,
    server: &server::StaticServer,
) -> Result<Vec<PathBuf>, String> {
    let folder = dir.join(sub);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&folder)
        .map_err(|e| format!("{}: {e}", folder.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.is_file()
                && matches!(
                    p.extension().and_then(|e| e.to_str()),
                    Some("wasm" | "js" | "mjs")
                )
        })
        .filter(|p| {
            p.strip_prefix(dir)
                .is_ok_and(|rel| server.whole_downloads(&format!("/{}", rel.to_string_lossy())) > 0)
        })
        .collect();
    files.sort();
    Ok(files)
}

fn print_sizes(
    dist: &Path,
    site: &Path,
    ours_server: &server::StaticServer,
    peer_server: &server::StaticServer,
) -> Result<(), String> {
    println!("Code the pages loaded (model weights apart), gzip -9:");
    println!("BERT Lab ({}, no wasm-opt pass):", dist.display());
    let ours = size_lines(&loaded_code(dist, "", ours_server)?)?;
    // Theirs: the bundle (it carries onnxruntime-web's JS) and the onnxruntime-web build it loads
    // (the asyncify one, which also has the WebGPU backend).
    println!("transformers.js 4.3.2:");
    let mut theirs = loaded_code(site, "", peer_server)?;
    theirs.extend(loaded_code(site, "ort", peer_server)?);
    theirs.retain(|p| !p.ends_with("peer.mjs"));
    let theirs = size_lines(&theirs)?;
    println!(
        "  total: BERT Lab {:.2} MB, transformers.js {:.2} MB gzip (us/them {:.2})",
        ours as f64 / 1e6,
        theirs as f64 / 1e6,
        ours as f64 / theirs.max(1) as f64
    );
    println!("Model weights: BERT Lab's default model (f16 safetensors), then the ONNX files transformers.js loads:");
    let mut models = vec![dist
        .join("models")
        .join(default_model(dist)?)
        .join("model.safetensors")];
    for f in [
        "models/all-minilm-l6-v2/onnx/model.onnx",
        "models/all-minilm-l6-v2/onnx/model_quantized.onnx",
    ] {
        models.push(site.join(f));
    }
    size_lines(&models)?;
    Ok(())
}

/// The default model's folder name, from the build's `models/index.json`.
fn default_model(dist: &Path) -> Result<String, String> {
    let path = dist.join("models/index.json");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let index: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    index["default"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| format!("{}: no \"default\"", path.display()))
}
