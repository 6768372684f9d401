//! Fine-tuning on WebGPU end to end (Chromium's SwiftShader adapter, chosen in the status bar): a
//! full fine-tuning run trains on the GPU and its sheet line says so; in a second run the lab's
//! drill takes the GPU away mid-run, and the run goes on on the CPU past that update and its line
//! says from which update the CPU took over.

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

pub async fn gpu_training(ctx: &Ctx<'_>) -> Outcome {
    ctx.open(LAB).await?;
    ctx.wait_text(".status-text", |t| t.contains("idle"))
        .await?;
    choose(ctx, "webgpu").await?;
    ctx.wait_text(".status-text", |t| t.contains("backend: WebGPU"))
        .await?;
    let outcome = train_then_lose_the_gpu(ctx).await;
    // Later checks run on the default choice, whatever happened here.
    ctx.open("/").await?;
    ctx.wait_text(".status-text", |t| t.contains("idle"))
        .await?;
    choose(ctx, "auto").await?;
    outcome
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
