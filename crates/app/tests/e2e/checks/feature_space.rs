//! The feature-space lab: the pretrained and random-init clouds of the support messages appear
//! with one dot per text and the variance their axes hold; moving the layer redraws from the
//! projections the worker already sent; every support message makes 800 dots per panel (1,600 on
//! the page), and a layer change redraws them all; a fine-tuning run that watches its features
//! redraws the held-out cloud as it trains.

use std::time::{Duration, Instant};

use super::widgets::wait_widget;
use super::{click, Ctx, Outcome};

/// Per panel: its caption and its number of dots.
async fn panels(ctx: &Ctx<'_>) -> Result<Vec<(String, u64)>, String> {
    let found = ctx
        .js(
            "return [...document.querySelectorAll('.feature-clouds figure')].map(f => \
             [f.getAttribute('aria-label') || '', f.querySelectorAll('circle').length])",
        )
        .await?;
    Ok(found
        .as_array()
        .map(|panels| {
            panels
                .iter()
                .map(|p| {
                    let caption = p[0].as_str().unwrap_or_default().to_string();
                    (caption, p[1].as_u64().unwrap_or(0))
                })
                .collect()
        })
        .unwrap_or_default())
}

/// Waits until the panels read `want` dots each and their captions pass `accept`.
async fn wait_panels(
    ctx: &Ctx<'_>,
    dots: u64,
    accept: impl Fn(&[(String, u64)]) -> bool,
) -> Result<Vec<(String, u64)>, String> {
    let started = Instant::now();
    loop {
        let now = panels(ctx).await?;
        if now.len() >= 2 && now.iter().all(|(_, n)| *n == dots) && accept(&now) {
            return Ok(now);
        }
        if started.elapsed() > Duration::from_secs(300) {
            let shown = ctx
                .js("return document.querySelector('.feature-space-lab').innerText")
                .await?;
            return Err(format!(
                "expected panels of {dots} dots, got {now:?}; the lab shows: {shown}"
            ));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub async fn feature_space(ctx: &Ctx<'_>) -> Outcome {
    ctx.open("/labs/feature-space").await?;
    wait_widget(ctx, ".feature-clouds figure").await?;
    // The test split of the support messages: 200 texts, 8 intents.
    let first = wait_panels(ctx, 200, |_| true).await?;
    let names: Vec<&str> = first
        .iter()
        .map(|(c, _)| c.split(':').next().unwrap_or(""))
        .collect();
    if names != ["pretrained", "random init"] {
        return Err(format!(
            "expected pretrained and random-init panels, got {names:?}"
        ));
    }
    if !first.iter().all(|(c, _)| c.contains("% of the variance")) {
        return Err(format!(
            "the captions do not give the variance held: {first:?}"
        ));
    }
    let legend = ctx
        .js("return document.querySelectorAll('.cloud-legend li').length")
        .await?;
    if legend.as_u64() != Some(8) {
        return Err(format!("expected 8 intents in the legend, got {legend}"));
    }
    ctx.screenshot("lab_feature_space").await?;

    // Another layer: redrawn from what the worker sent (no new request), so it is quick.
    let layer_of = |t: &str| t.contains("at layer 0");
    ctx.js(
        "const i = document.querySelector('#fs-layer'); i.value = '0'; \
            i.dispatchEvent(new Event('input', {bubbles: true}));",
    )
    .await?;
    ctx.wait_text(".feature-space-lab p.meta", layer_of).await?;
    let embeddings = wait_panels(ctx, 200, |p| p != first.as_slice()).await?;
    if embeddings == first {
        return Err("moving to layer 0 did not redraw the clouds".into());
    }

    // Every support message: 800 dots per panel, and a layer change still redraws them all.
    ctx.open("/labs/feature-space?all_texts=true&layer=6")
        .await?;
    let all = wait_panels(ctx, 800, |_| true).await?;
    let started = Instant::now();
    ctx.js(
        "const i = document.querySelector('#fs-layer'); i.value = '3'; \
            i.dispatchEvent(new Event('input', {bubbles: true}));",
    )
    .await?;
    ctx.wait_text(".feature-space-lab p.meta", |t| t.contains("at layer 3"))
        .await?;
    wait_panels(ctx, 800, |p| p != all.as_slice()).await?;
    eprintln!(
        "feature space: {} panels of 800 dots redrawn for a new layer in {:.0} ms",
        all.len(),
        started.elapsed().as_secs_f64() * 1000.0
    );
    ctx.screenshot("lab_feature_space_all").await?;
    watched_while_training(ctx).await
}

/// Full fine-tuning with "Redraw the feature space as it trains": the held-out messages' cloud
/// appears after the first update and is redrawn as the run goes (a new caption each time), with
/// every held-out message a dot.
async fn watched_while_training(ctx: &Ctx<'_>) -> Outcome {
    ctx.open("/labs/fine-tune?approach=full&examples=16&epochs=1")
        .await?;
    wait_widget(ctx, "#ft-run").await?;
    click(ctx, "#ft-watch").await?;
    // The sheet keeps earlier runs (of this browser's earlier checks): this run adds a row.
    let rows = || async {
        let n = ctx
            .js("return document.querySelectorAll('table.sheet tbody tr').length")
            .await?;
        Ok::<u64, String>(n.as_u64().unwrap_or(0))
    };
    let rows_before = rows().await?;
    click(ctx, "#ft-run").await?;
    let started = Instant::now();
    let mut captions: Vec<String> = Vec::new();
    loop {
        let seen = ctx
            .js(
                "const f = document.querySelector('.training-cloud figure'); \
                 return f ? [f.getAttribute('aria-label'), f.querySelectorAll('circle').length] : null",
            )
            .await?;
        if let Some(caption) = seen[0].as_str() {
            if seen[1].as_u64() != Some(200) {
                return Err(format!("the training cloud has {} dots, not 200", seen[1]));
            }
            if captions.last().map(String::as_str) != Some(caption) {
                captions.push(caption.to_string());
            }
        }
        if rows().await? > rows_before && !captions.is_empty() {
            break;
        }
        if started.elapsed() > Duration::from_secs(300) {
            return Err(format!(
                "the watched run did not finish in 300 s; clouds seen: {captions:?}"
            ));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    if captions.len() < 3 || !captions.iter().all(|c| c.starts_with("after update ")) {
        return Err(format!(
            "expected the cloud redrawn at least 3 times during the run, saw {captions:?}"
        ));
    }
    eprintln!(
        "feature space while fine-tuning: {} redraws in {:.0} s ({})",
        captions.len(),
        started.elapsed().as_secs_f64(),
        captions
            .iter()
            .map(|c| c.split(':').next().unwrap_or(""))
            .collect::<Vec<_>>()
            .join(", ")
    );
    ctx.js("document.querySelector('.training-cloud').scrollIntoView()")
        .await?;
    ctx.screenshot("lab_fine_tune_watched_features").await
}
