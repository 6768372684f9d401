//! The layer-probes lab: one click trains a probe on every layer of the pretrained encoder and of
//! its random-init twin; the table and the chart show accuracy per layer, the pretrained encoder's
//! best layer beats the random twin's best and the lookup-table floor, and a progress bar moves
//! while the probes run. Prints the time the probes took in the tab.

use std::time::{Duration, Instant};

use super::widgets::wait_widget;
use super::{click, Ctx, Outcome};

/// Per table row: the encoder and its accuracy (%) per layer.
async fn table(ctx: &Ctx<'_>) -> Result<Vec<(String, Vec<f64>)>, String> {
    let rows = ctx
        .js(
            "return [...document.querySelectorAll('table.probe-table tbody tr')].map(r => \
             [r.querySelector('th').innerText, [...r.querySelectorAll('td')].map(c => parseFloat(c.innerText))])",
        )
        .await?;
    Ok(rows
        .as_array()
        .map(|rows| {
            rows.iter()
                .map(|r| {
                    let cells = r[1]
                        .as_array()
                        .map(|c| c.iter().filter_map(|v| v.as_f64()).collect());
                    (
                        r[0].as_str().unwrap_or_default().to_string(),
                        cells.unwrap_or_default(),
                    )
                })
                .collect()
        })
        .unwrap_or_default())
}

pub async fn probes(ctx: &Ctx<'_>) -> Outcome {
    ctx.open("/labs/probes?task=pos").await?;
    wait_widget(ctx, "#probe-run").await?;
    let started = Instant::now();
    click(ctx, "#probe-run").await?;
    let mut saw_progress = false;
    let rows = loop {
        saw_progress |= ctx.has("#probe-progress").await;
        if let Ok(error) = ctx
            .js("const e = document.querySelector('.probes-lab .error'); return e && e.innerText")
            .await
        {
            if let Some(text) = error.as_str() {
                return Err(format!("the probes failed: {text}"));
            }
        }
        let rows = table(ctx).await?;
        if rows.len() >= 2 {
            break rows;
        }
        if started.elapsed() > Duration::from_secs(300) {
            return Err("no probe table after 300 s".into());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let seconds = started.elapsed().as_secs_f64();
    let names: Vec<&str> = rows.iter().map(|(n, _)| n.as_str()).collect();
    if names != ["pretrained", "random init"] {
        return Err(format!(
            "expected pretrained and random-init rows, got {names:?}"
        ));
    }
    // The default model has 6 layers: the embeddings and 6 more.
    if rows.iter().any(|(_, cells)| cells.len() != 7) {
        return Err(format!("expected 7 layers per row, got {rows:?}"));
    }
    if !saw_progress {
        return Err("no progress bar showed while the probes ran".into());
    }
    let best = |cells: &[f64]| cells.iter().copied().fold(0.0, f64::max);
    let summary = ctx
        .wait_text("#probe-summary", |t| t.contains("held-out words"))
        .await?;
    // "each word's commonest tag in training: 82.6%": the floor every encoder's probe is read against.
    let floor: f64 = summary
        .split("commonest tag in training: ")
        .nth(1)
        .and_then(|rest| rest.split('%').next())
        .and_then(|n| n.trim().parse().ok())
        .ok_or_else(|| format!("no lookup-table baseline in {summary:?}"))?;
    let (pretrained, random) = (best(&rows[0].1), best(&rows[1].1));
    if pretrained <= random || pretrained <= floor {
        return Err(format!(
            "the pretrained encoder's best layer ({pretrained}%) should beat the random twin ({random}%) \
             and the lookup table ({floor}%)"
        ));
    }
    if !ctx.has(".probes-lab figure.chart svg").await {
        return Err("no accuracy-per-layer chart".into());
    }
    eprintln!("layer probes (part of speech, pretrained and random init) took {seconds:.1} s in the tab: {rows:?}");
    ctx.screenshot("lab_probes").await
}
