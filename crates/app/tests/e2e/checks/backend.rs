//! The compute backends end to end: the status bar names what runs and why; choosing WebGPU (here
//! Chromium's SwiftShader adapter) gives the CPU's predictions; the measurement shows both timings;
//! a lost GPU device and a browser without WebGPU both fall back to the CPU with the same
//! predictions and a status line saying so; the worker built without relaxed SIMD (what a browser
//! lacking it gets) gives the same predictions as the fused multiply-add one Chromium runs; the
//! benchmark page fills its table.

use std::time::{Duration, Instant};

use super::widgets::{texts, wait_widget};
use super::{click, Ctx, Outcome};
use crate::browser::Browser;

const FILL_MASK: &str =
    "/labs/fill-mask?text=She%20poured%20a%20cup%20of%20%5BMASK%5D%20and%20sat%20down%20to%20read.";

/// (piece, probability in %) of the guesses for [`FILL_MASK`], once the worker has answered.
async fn guesses(ctx: &Ctx<'_>) -> Result<Vec<(String, f64)>, String> {
    ctx.open(FILL_MASK).await?;
    shown_guesses(ctx).await
}

/// Opens `path` inside the running app (the router follows `popstate`), so the worker, and the
/// GPU state in it, stay as they are; a page load would start a fresh worker.
async fn navigate_in_app(ctx: &Ctx<'_>, path: &str) -> Outcome {
    ctx.js(&format!(
        "history.pushState(null, '', {path:?}); dispatchEvent(new PopStateEvent('popstate'));"
    ))
    .await
    .map(|_| ())
}

async fn shown_guesses(ctx: &Ctx<'_>) -> Result<Vec<(String, f64)>, String> {
    wait_widget(ctx, "table.guesses").await?;
    let pieces = texts(ctx, "table.guesses th").await?;
    let percents = texts(ctx, "table.guesses td.num").await?;
    let values: Vec<f64> = percents
        .iter()
        .filter_map(|p| p.trim_end_matches('%').parse().ok())
        .collect();
    if pieces.is_empty() || values.len() != pieces.len() {
        return Err(format!("unreadable guesses: {pieces:?} {percents:?}"));
    }
    Ok(pieces.into_iter().zip(values).collect())
}

/// Same pieces in the same order, probabilities within 0.15 points (the table rounds to 0.1).
fn same(a: &[(String, f64)], b: &[(String, f64)]) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(x, y)| x.0 == y.0 && (x.1 - y.1).abs() <= 0.15)
}

async fn status(ctx: &Ctx<'_>, accept: impl Fn(&str) -> bool) -> Result<String, String> {
    ctx.wait_text(".status-text", accept).await
}

/// Picks `key` in the status bar's backend select, once the page has drawn it and the worker's
/// status has enabled it (right after a page load, neither has happened yet).
pub(super) async fn choose(ctx: &Ctx<'_>, key: &str) -> Outcome {
    let started = Instant::now();
    loop {
        let chosen = ctx
            .js(&format!(
                "const s = document.querySelector('.backend-choice'); \
                 if (!s || s.disabled) return false; \
                 s.value = {key:?}; s.dispatchEvent(new Event('change')); return true;"
            ))
            .await?;
        if chosen.as_bool() == Some(true) {
            return Ok(());
        }
        if started.elapsed() > Duration::from_secs(60) {
            return Err(format!(
                "no enabled backend choice to set to {key} after 60 s"
            ));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub async fn backends(ctx: &Ctx<'_>) -> Outcome {
    ctx.open(FILL_MASK).await?;
    // Auto leaves SwiftShader, a software adapter, unused: the CPU is faster here.
    let line = status(ctx, |t| t.contains("idle") && t.contains("swiftshader")).await?;
    if !line.contains("backend: CPU (wasm SIMD128 with fused multiply-add)")
        || !line.contains("software fallback")
    {
        return Err(format!(
            "Auto should stay on the CPU's fused multiply-add build and say why: {line:?}"
        ));
    }
    let on_cpu = guesses(ctx).await?;

    // The SIMD128 build, as a browser without relaxed SIMD loads it, predicts the same.
    ctx.open(&format!("{FILL_MASK}&cpu=simd128")).await?;
    let plain_kernels = shown_guesses(ctx).await?;
    let line = status(ctx, |t| t.contains("idle")).await?;
    if !line.contains("backend: CPU (wasm SIMD128) ·") || !same(&on_cpu, &plain_kernels) {
        return Err(format!(
            "SIMD128 build: {line:?} {plain_kernels:?}, fused multiply-add: {on_cpu:?}"
        ));
    }

    choose(ctx, "webgpu").await?;
    status(ctx, |t| t.contains("backend: WebGPU (google swiftshader)")).await?;
    // The choice is kept: a reload comes back on WebGPU and answers from the GPU kernels.
    let on_gpu = guesses(ctx).await?;
    let line = status(ctx, |t| t.contains("idle") && t.contains("backend: WebGPU")).await?;
    if !same(&on_cpu, &on_gpu) {
        return Err(format!("CPU {on_cpu:?} but WebGPU {on_gpu:?} ({line})"));
    }
    println!("    WebGPU and CPU agree on {on_gpu:?}");
    ctx.screenshot("backend_webgpu_fill_mask").await?;

    click(ctx, ".backend-measure").await?;
    let timings = ctx
        .wait_text(".backend-timings", |t| {
            t.contains("CPU") && t.contains("WebGPU") && t.contains("ms")
        })
        .await?;
    println!("    measured: {timings}");

    // The attention lab draws from the GPU's attention probabilities.
    ctx.open("/labs/attention").await?;
    wait_widget(ctx, ".head-detail").await?;

    // A lost device: the next request fails on the GPU and is answered on the CPU.
    ctx.open("/system").await?;
    status(ctx, |t| t.contains("idle") && t.contains("backend: WebGPU")).await?;
    click(ctx, "#gpu-lose").await?;
    ctx.wait_text("#gpu-lose-result", |t| t.contains("device is gone"))
        .await?;
    navigate_in_app(ctx, FILL_MASK).await?;
    let after_loss = shown_guesses(ctx).await?;
    let line = status(ctx, |t| t.contains("WebGPU failed, switched to CPU"))
        .await
        .map_err(|e| format!("after the device loss: {e}"))?;
    if !line.contains("backend: CPU") || !same(&on_gpu, &after_loss) {
        return Err(format!("after the loss: {line:?}, {after_loss:?}"));
    }
    ctx.screenshot("backend_lost_device").await?;

    // A browser without WebGPU, even with WebGPU chosen, runs on the CPU and says why.
    let plain = Browser::launch(false).await?;
    let other = Ctx {
        client: &plain.client,
        server: ctx.server,
        hosted: ctx.hosted,
        shots: ctx.shots.clone(),
        filter: None,
        skip: Vec::new(),
    };
    let outcome = async {
        other.open(FILL_MASK).await?;
        other
            .js("localStorage.setItem('bertlab.backend', JSON.stringify('webgpu'))")
            .await?;
        let without = guesses(&other).await?;
        let line = status(&other, |t| {
            t.contains("idle") && t.contains("WebGPU unavailable")
        })
        .await?;
        if !line.contains("backend: CPU") {
            return Err(format!("no WebGPU, yet: {line:?}"));
        }
        if !same(&on_gpu, &without) {
            return Err(format!("WebGPU {on_gpu:?} but the fallback {without:?}"));
        }
        other.screenshot("backend_no_webgpu").await
    }
    .await;
    plain.close().await;
    outcome?;

    // Leave the main browser as the other checks expect it: Auto.
    ctx.open("/").await?;
    choose(ctx, "auto").await?;
    Ok(())
}

/// The benchmark page, started from its URL as the headless runners do, with one run per figure:
/// a length it cannot time is named, and the lengths asked for are the rows timed.
pub async fn benchmark_page(ctx: &Ctx<'_>) -> Outcome {
    ctx.open("/benchmark?reps=1&lens=16,abc&run=1").await?;
    ctx.wait_text("#benchmark-status", |t| t.contains("“abc” is not a length"))
        .await?;
    ctx.open("/benchmark?reps=1&lens=16,40&run=1").await?;
    let started = Instant::now();
    while !ctx.has("#benchmark-table[data-done]").await {
        if started.elapsed() > Duration::from_secs(240) {
            let state = ctx.wait_text("#benchmark-status", |_| true).await?;
            return Err(format!("no table after 240 s: {state}"));
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let cells = texts(ctx, "#benchmark-table tbody td").await?;
    // model, tokens, CPU encoder ms, CPU fill-mask ms, WebGPU ms, ratio.
    let rows: Vec<&[String]> = cells.chunks(6).collect();
    let lengths: Vec<&str> = rows.iter().map(|r| r[1].as_str()).collect();
    if lengths != ["16", "40"] {
        return Err(format!("expected 16 and 40 tokens: {cells:?}"));
    }
    for row in &rows {
        for ms in &row[2..5] {
            if !ms.parse::<f64>().is_ok_and(|v| v > 0.0) {
                return Err(format!("not a timing: {ms:?} in {row:?}"));
            }
        }
    }
    let adapter = ctx.wait_text("#benchmark-adapter", |_| true).await?;
    if !adapter.contains("software adapter") {
        return Err(format!("SwiftShader's timings must be flagged: {adapter}"));
    }
    println!("    benchmark: {}", cells.join(" "));
    // workload, batch, updates timed, CPU updates/s, WebGPU updates/s, ratio.
    let training = texts(ctx, "#benchmark-training tbody td").await?;
    let rates = training.get(3..6).unwrap_or_default();
    if rates.len() != 3
        || !rates
            .iter()
            .all(|r| r.parse::<f64>().is_ok_and(|v| v > 0.0))
    {
        return Err(format!("no training rates on both paths: {training:?}"));
    }
    println!("    training: {}", training.join(" "));
    ctx.screenshot("benchmark").await
}
