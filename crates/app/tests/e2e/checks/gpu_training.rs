//! Training on WebGPU end to end (Chromium's SwiftShader adapter, chosen in the status bar): a
//! full fine-tuning run trains on the GPU and its sheet line says so; in a second run the lab's
//! drill takes the GPU away mid-run, and the run goes on on the CPU past that update and its line
//! says from which update the CPU took over. The same for the pretraining lab's two recipes.

use std::time::{Duration, Instant};

use super::backend::choose;
use super::fine_tune::{status, wait_rows};
use super::widgets::texts;
use super::{click, Ctx, Outcome};

/// Full fine-tuning of the small encoder.
const LAB: &str = "/labs/fine-tune?approach=full&examples=64&epochs=4&model=recipe-bert";

/// The "Trained on" cell of each sheet line.
async fn trained_on(ctx: &Ctx<'_>) -> Result<Vec<String>, String> {
    texts(ctx, "table.sheet td.trained-on").await
}

/// The pretraining lab's race, small: one layer of 64, 10 updates.
const PRETRAIN_LAB: &str = "/labs/pretrain?steps=10&layers=1&heads=2";

pub async fn gpu_training(ctx: &Ctx<'_>) -> Outcome {
    on_webgpu(ctx, LAB, train_then_lose_the_gpu(ctx)).await
}

pub async fn gpu_pretraining(ctx: &Ctx<'_>) -> Outcome {
    on_webgpu(ctx, PRETRAIN_LAB, pretrain_then_lose_the_gpu(ctx)).await
}

/// Opens `lab` with WebGPU chosen in the status bar, runs `check`, then goes back to the default
/// choice, which later checks run on, whatever happened.
async fn on_webgpu(
    ctx: &Ctx<'_>,
    lab: &str,
    check: impl std::future::Future<Output = Outcome>,
) -> Outcome {
    ctx.open(lab).await?;
    ctx.wait_text(".status-text", |t| t.contains("idle"))
        .await?;
    choose(ctx, "webgpu").await?;
    ctx.wait_text(".status-text", |t| t.contains("backend: WebGPU"))
        .await?;
    let outcome = check.await;
    ctx.open("/").await?;
    ctx.wait_text(".status-text", |t| t.contains("idle"))
        .await?;
    choose(ctx, "auto").await?;
    outcome
}

/// Both recipes train on the GPU to the end; in a second race the drill takes the GPU away
/// mid-run, and both finish on the CPU, saying from which update.
async fn pretrain_then_lose_the_gpu(ctx: &Ctx<'_>) -> Outcome {
    click(ctx, "#pt-run").await?;
    let done = race_summaries(ctx, |_| false).await?;
    println!("    {}", done[0]);
    if !done
        .iter()
        .all(|s| s.contains("trained on WebGPU (google swiftshader"))
    {
        return Err(format!(
            "both recipes should have trained on WebGPU: {done:?}"
        ));
    }
    ctx.screenshot("pretrain_lab_on_webgpu").await?;

    click(ctx, "#pt-run").await?;
    race_summaries(ctx, |summaries| {
        summaries
            .iter()
            .all(|s| update_of(s).is_some_and(|k| k >= 3))
    })
    .await?;
    click(ctx, "#gpu-lose").await?;
    ctx.wait_text(".status-text", |t| {
        t.contains("WebGPU failed, switched to CPU")
    })
    .await?;
    let done = race_summaries(ctx, |_| false).await?;
    println!("    after the loss: {}", done[0]);
    if !done
        .iter()
        .all(|s| s.contains("trained on WebGPU to update") && s.contains("then CPU"))
    {
        return Err(format!(
            "both summaries should say the CPU took over: {done:?}"
        ));
    }
    Ok(())
}

/// The update a race summary reports ("…: update 7 of 20, …").
fn update_of(summary: &str) -> Option<usize> {
    summary
        .split("update ")
        .nth(1)?
        .split(' ')
        .next()?
        .parse()
        .ok()
}

/// Waits until both runs of the race are done, or `enough` says the summaries so far will do.
async fn race_summaries(
    ctx: &Ctx<'_>,
    enough: impl Fn(&[String]) -> bool,
) -> Result<Vec<String>, String> {
    let started = Instant::now();
    loop {
        let summaries = texts(ctx, ".pt-status li").await?;
        if summaries.len() == 2 && summaries.iter().all(|s| s.contains("done after")) {
            return Ok(summaries);
        }
        if summaries.len() == 2 && enough(&summaries) {
            return Ok(summaries);
        }
        // "static masking + NSP failed: …" (a progress line may say that WebGPU failed).
        let failed = |s: &&String| {
            s.split(':')
                .next()
                .is_some_and(|name| name.ends_with(" failed"))
        };
        if let Some(failed) = summaries.iter().find(failed) {
            return Err(failed.clone());
        }
        if started.elapsed() > Duration::from_secs(300) {
            return Err(format!("the race did not get there: {summaries:?}"));
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

async fn train_then_lose_the_gpu(ctx: &Ctx<'_>) -> Outcome {
    // SwiftShader runs the kernels on the CPU, slowly: each run is stopped after a few updates.
    let before = texts(ctx, "table.sheet tbody tr").await?.len();
    click(ctx, "#ft-run").await?;
    wait_for_update(ctx, 2).await?;
    click(ctx, "#ft-stop").await?;
    wait_rows(ctx, before + 1).await?;
    let first = trained_on(ctx).await?.last().cloned().unwrap_or_default();
    println!("    trained on: {first}");
    if !first.starts_with("WebGPU (google swiftshader)") {
        return Err(format!("the run should have trained on WebGPU: {first:?}"));
    }

    // The drill appears while a run trains on the GPU, and takes the device away.
    click(ctx, "#ft-run").await?;
    wait_for_update(ctx, 2).await?;
    click(ctx, "#gpu-lose").await?;
    // The next GPU update fails; the CPU takes over (the drill goes, as the run no longer uses
    // the GPU) and goes on past where the GPU stopped.
    ctx.wait_text(".status-text", |t| {
        t.contains("WebGPU failed, switched to CPU")
    })
    .await?;
    wait_for_update(ctx, 6).await?;
    click(ctx, "#ft-stop").await?;
    wait_rows(ctx, before + 2).await?;
    let second = trained_on(ctx).await?.last().cloned().unwrap_or_default();
    println!("    after the loss: {second}");
    if !second.starts_with("WebGPU to update") || !second.contains("then CPU") {
        return Err(format!("the line should say the CPU took over: {second:?}"));
    }
    ctx.screenshot("fine_tune_gpu_lost_mid_run").await?;
    Ok(())
}

/// Waits until the run's status line reports update `n` or a later one.
async fn wait_for_update(ctx: &Ctx<'_>, n: usize) -> Outcome {
    let started = Instant::now();
    loop {
        let line = status(ctx).await;
        let at: Option<usize> = line
            .strip_prefix("update ")
            .and_then(|rest| rest.split(' ').next())
            .and_then(|k| k.parse().ok());
        if at.is_some_and(|k| k >= n) {
            return Ok(());
        }
        if line.starts_with("Failed") || started.elapsed() > Duration::from_secs(180) {
            return Err(format!("no update {n}: {line}"));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
