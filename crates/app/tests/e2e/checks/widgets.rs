//! The lab widgets end to end: type a sentence and see predictions, switch static/dynamic masking
//! and see the grid change, reopen shared URLs.

use std::time::{Duration, Instant};

use bertlab_app::lab_registry::LabId;
use fantoccini::Locator;
use serde_json::Value;

use super::{click, Ctx, Outcome};

/// The element a widget shows once the worker has answered.
pub(super) fn ready_marker(lab: LabId) -> &'static str {
    match lab {
        LabId::Tokenizer => "ol.tokens",
        LabId::Embeddings => "table.norms",
        LabId::Masking => "#mask-grid",
        LabId::FillMask => "table.guesses",
        LabId::Attention => ".head-detail",
        LabId::LogitLens => "table.lens",
        LabId::Surprise => ".surprise-strip",
        LabId::FineTune => "table.sheet",
        LabId::FeatureSpace => ".feature-clouds figure",
        LabId::Pretrain => "#pt-run",
        LabId::Probes => "#probe-run",
        LabId::Tagging => "#tag-train",
        LabId::SpanQa => "#qa-train",
    }
}

/// Wait until `css` exists and no widget error is shown; a worker error fails with its message.
pub(super) async fn wait_widget(ctx: &Ctx<'_>, css: &str) -> Outcome {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(60) {
        if let Ok(error) = ctx.client.find(Locator::Css("main .error")).await {
            let text = error.text().await.unwrap_or_default();
            return Err(format!("the widget reports an error: {text}"));
        }
        if ctx.has(css).await {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(format!("timed out waiting for `{css}`"))
}

pub(super) async fn texts(ctx: &Ctx<'_>, css: &str) -> Result<Vec<String>, String> {
    let script =
        format!("return [...document.querySelectorAll({css:?})].map(e => e.textContent.trim())");
    serde_json::from_value(ctx.js(&script).await?).map_err(|e| e.to_string())
}

/// Opens a training lab at `url`, presses `button` once it is ready and waits (up to `limit`)
/// for the first row of `row_css` to show a percentage: that row's text, its percentages in
/// order, and the seconds from the press.
pub(super) async fn train_and_read_row(
    ctx: &Ctx<'_>,
    url: &str,
    button: &str,
    row_css: &str,
    limit: Duration,
) -> Result<(String, Vec<f64>, f64), String> {
    ctx.open(url).await?;
    wait_widget(ctx, button).await?;
    let started = Instant::now();
    click(ctx, button).await?;
    let row = ctx
        .wait_text_for(row_css, limit, |t| t.contains('%'))
        .await?;
    let seconds = started.elapsed().as_secs_f64();
    let percents = row
        .split_whitespace()
        .filter_map(|cell| cell.strip_suffix('%')?.parse().ok())
        .collect();
    Ok((row, percents, seconds))
}

pub(super) async fn type_into(ctx: &Ctx<'_>, css: &str, text: &str) -> Outcome {
    let input = ctx
        .client
        .find(Locator::Css(css))
        .await
        .map_err(|e| format!("find {css}: {e}"))?;
    input.clear().await.map_err(|e| e.to_string())?;
    input.send_keys(text).await.map_err(|e| e.to_string())
}

/// Type a sentence with [MASK] and see ranked guesses with probabilities; hiding the right context
/// strikes those tokens through and changes the guesses. Prints how long the first guesses took.
pub async fn fill_mask(ctx: &Ctx<'_>) -> Outcome {
    ctx.open("/labs/fill-mask").await?;
    wait_widget(ctx, "table.guesses").await?;
    let before = texts(ctx, "table.guesses th").await?;
    // Timed inside the page: the last input event, and the last change of the result area.
    ctx.js(
        "window.fmTiming = { typed: 0, drawn: 0 };
         document.querySelector('#fm-text').addEventListener('input', () => { fmTiming.typed = performance.now(); });
         new MutationObserver(() => { fmTiming.drawn = performance.now(); })
             .observe(document.querySelector('.fm-result'), { childList: true, subtree: true, characterData: true });",
    )
    .await?;
    type_into(
        ctx,
        "#fm-text",
        "She poured a cup of [MASK] and sat down to read.",
    )
    .await?;
    let started = Instant::now();
    let guesses = loop {
        // One script reads both, so they come from the same render.
        let pair = ctx
            .js("return [[...document.querySelectorAll('table.guesses th')].map(e => e.textContent.trim()),
                         [...document.querySelectorAll('ol.tokens .piece')].map(e => e.textContent.trim())]")
            .await?;
        let (now, seen): (Vec<String>, Vec<String>) =
            serde_json::from_value(pair).map_err(|e| e.to_string())?;
        if seen.iter().any(|p| p == "poured") && seen.iter().any(|p| p == "read") && !now.is_empty()
        {
            break now;
        }
        if started.elapsed() > Duration::from_secs(30) {
            return Err(format!(
                "no guesses for the typed sentence; tokens {seen:?}"
            ));
        }
        // Polling through WebDriver costs CPU that the worker, being timed, would miss on a small
        // machine: look rarely.
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    // Let any late answer land, then read when the final guesses were drawn.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let latency = ctx.js("return fmTiming.drawn - fmTiming.typed").await?;
    println!(
        "    fill-mask: guesses drawn {:.0} ms after the last keystroke (in-page clock; WebDriver saw them after {} ms)",
        latency.as_f64().unwrap_or(f64::NAN),
        started.elapsed().as_millis()
    );
    if guesses == before {
        return Err(format!(
            "the guesses did not change with the sentence: {guesses:?}"
        ));
    }
    let percents = texts(ctx, "table.guesses td.num").await?;
    let values: Vec<f64> = percents
        .iter()
        .filter_map(|p| p.trim_end_matches('%').parse().ok())
        .collect();
    if values.len() != guesses.len() || values.windows(2).any(|w| w[0] < w[1]) {
        return Err(format!(
            "probabilities must be listed best first: {percents:?}"
        ));
    }
    ctx.screenshot("lab_fill_mask_typed").await?;

    // Right context hidden: tokens after the mask are struck through, and the guesses change.
    let both = guesses;
    click(ctx, "#fm-side-left_only").await?;
    let started = Instant::now();
    loop {
        let hidden = texts(ctx, "ol.tokens .hidden-token .piece").await?;
        if hidden.iter().any(|p| p == "read") {
            break;
        }
        if started.elapsed() > Duration::from_secs(30) {
            return Err(format!(
                "left-only context did not hide the right side: {hidden:?}"
            ));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let left_only = texts(ctx, "table.guesses th").await?;
    if left_only == both {
        return Err(format!(
            "hiding the right context changed nothing: {both:?}"
        ));
    }
    let url = ctx.client.current_url().await.map_err(|e| e.to_string())?;
    if !url.as_str().contains("side=left_only") {
        return Err(format!("the URL does not carry the context side: {url}"));
    }
    ctx.screenshot("lab_fill_mask_left_only").await?;

    // The shared link reopens into the same predictions.
    ctx.client
        .goto(url.as_str())
        .await
        .map_err(|e| e.to_string())?;
    wait_widget(ctx, "table.guesses").await?;
    let reopened = texts(ctx, "table.guesses th").await?;
    if reopened != left_only {
        return Err(format!(
            "reopened link shows {reopened:?}, expected {left_only:?}"
        ));
    }
    Ok(())
}

fn grid_rows(rows: &[Vec<String>]) -> String {
    rows.iter()
        .map(|r| r.join(" "))
        .collect::<Vec<_>>()
        .join(" | ")
}

async fn read_grid(ctx: &Ctx<'_>) -> Result<Vec<Vec<String>>, String> {
    let rows = ctx
        .js("return [...document.querySelectorAll('#mask-grid tbody tr')].map(r => [...r.querySelectorAll('td')].map(c => c.className + ':' + c.textContent))")
        .await?;
    serde_json::from_value(rows).map_err(|e| e.to_string())
}

/// Static masking repeats its masks with the number of copies as period; switching to dynamic
/// masking changes the grid and targets more distinct positions; the state survives a reload.
pub async fn masking(ctx: &Ctx<'_>) -> Outcome {
    ctx.open("/labs/masking?strategy=static&duplicates=2&epochs=8")
        .await?;
    wait_widget(ctx, "#mask-grid").await?;
    let fixed = read_grid(ctx).await?;
    if fixed.len() != 8 {
        return Err(format!("expected 8 epoch rows, got {}", fixed.len()));
    }
    for e in 2..fixed.len() {
        if fixed[e] != fixed[e - 2] {
            return Err(format!(
                "static masking with 2 copies must repeat every 2 epochs: {}",
                grid_rows(&fixed)
            ));
        }
    }
    if !ctx.has(".chart svg").await {
        return Err("the masking chart is missing".into());
    }
    let counts_static = ctx.wait_text("#mask-counts", |t| !t.is_empty()).await?;
    ctx.screenshot("lab_masking_static").await?;

    click(ctx, "#mask-dynamic").await?;
    let started = Instant::now();
    let fresh = loop {
        let grid = read_grid(ctx).await?;
        if grid != fixed && grid.len() == 8 {
            break grid;
        }
        if started.elapsed() > Duration::from_secs(30) {
            return Err("switching to dynamic masking did not change the grid".into());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    if (2..fresh.len()).all(|e| fresh[e] == fresh[e - 2]) {
        return Err(format!(
            "dynamic masking still repeats: {}",
            grid_rows(&fresh)
        ));
    }
    let counts_dynamic = ctx
        .wait_text("#mask-counts", |t| t != counts_static)
        .await?;
    let ever = |t: &str| {
        t.split(' ')
            .next()
            .and_then(|n| n.parse::<u32>().ok())
            .unwrap_or(0)
    };
    if ever(&counts_dynamic) <= ever(&counts_static) {
        return Err(format!(
            "dynamic masking should reach more positions: static {counts_static:?}, dynamic {counts_dynamic:?}"
        ));
    }
    ctx.screenshot("lab_masking_dynamic").await?;
    let url = ctx.client.current_url().await.map_err(|e| e.to_string())?;
    ctx.client
        .goto(url.as_str())
        .await
        .map_err(|e| e.to_string())?;
    wait_widget(ctx, "#mask-grid").await?;
    if read_grid(ctx).await? != fresh {
        return Err(format!("reopening {url} did not restore the same grid"));
    }
    let checked = ctx
        .js("return document.querySelector('#mask-dynamic').checked")
        .await?;
    if checked != Value::Bool(true) {
        return Err("reopened link lost the dynamic choice".into());
    }
    Ok(())
}

/// Embeddings: heatmaps and norms; changing a segment id changes the sum's norm and the URL.
/// Attention: choosing a head enlarges it and goes into the URL.
pub async fn embeddings_and_attention(ctx: &Ctx<'_>) -> Outcome {
    ctx.open("/labs/embeddings?text=Hello+there&pair=").await?;
    wait_widget(ctx, "table.norms").await?;
    let maps = ctx
        .js("return document.querySelectorAll('canvas.heatmap').length")
        .await?;
    if maps.as_u64().unwrap_or(0) < 5 {
        return Err(format!(
            "expected token, segment, position, sum and similarity maps, got {maps}"
        ));
    }
    let norms = texts(ctx, "table.norms tbody tr").await?;
    click(ctx, ".token-column li:nth-child(2) button.seg-toggle").await?;
    ctx.wait_text(".token-column li:nth-child(2) button.seg-toggle", |t| {
        t == "seg 1"
    })
    .await?;
    let started = Instant::now();
    loop {
        let now = texts(ctx, "table.norms tbody tr").await?;
        if now.len() == norms.len() && now != norms {
            break;
        }
        if started.elapsed() > Duration::from_secs(30) {
            return Err("changing a segment id did not change the norms".into());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let url = ctx.client.current_url().await.map_err(|e| e.to_string())?;
    if !url.as_str().contains("segments=") {
        return Err(format!("the segment override is not in the URL: {url}"));
    }
    ctx.screenshot("lab_embeddings_segment_changed").await?;

    ctx.open("/labs/attention").await?;
    wait_widget(ctx, ".head-detail").await?;
    click(ctx, "button.head-thumb[aria-label='layer 2 head 3']").await?;
    ctx.wait_text(".head-detail h3", |t| t == "Layer 2, head 3")
        .await?;
    let url = ctx.client.current_url().await.map_err(|e| e.to_string())?;
    if !(url.as_str().contains("layer=1") && url.as_str().contains("head=2")) {
        return Err(format!("the chosen head is not in the URL: {url}"));
    }
    click(ctx, "#att-hide-special").await?;
    ctx.screenshot("lab_attention_head").await
}

/// The logit lens's last layer ranks the words the fill-mask lab shows for the same sentence, with
/// one row per layer (embeddings included); the surprise lab draws one bar per word for each of
/// two models, with their pseudo-perplexities.
pub async fn lens_and_surprise(ctx: &Ctx<'_>) -> Outcome {
    let text = "The+capital+of+France+is+[MASK].";
    ctx.open(&format!("/labs/fill-mask?text={text}&top_k=3"))
        .await?;
    wait_widget(ctx, "table.guesses").await?;
    let filled = texts(ctx, "table.guesses th").await?;
    ctx.open(&format!("/labs/logit-lens?text={text}&top_k=3"))
        .await?;
    wait_widget(ctx, "table.lens").await?;
    let rows = texts(ctx, "table.lens tbody tr").await?;
    // The default model has 6 layers: the embeddings' row and one per layer.
    if rows.len() != 7 || !rows[0].starts_with("embeddings") {
        return Err(format!("the lens shows rows {rows:?}"));
    }
    let last = texts(ctx, "table.lens tbody tr:last-child code").await?;
    let expected = filled.iter().map(|w| w.as_str()).collect::<Vec<_>>();
    let shown: Vec<&str> = last
        .first()
        .map(|l| l.split(" · ").filter_map(|g| g.split(' ').next()).collect())
        .unwrap_or_default();
    if shown != expected {
        return Err(format!(
            "the lens's last layer ranks {shown:?}, fill-mask {expected:?}"
        ));
    }
    ctx.screenshot("logit-lens").await?;

    let sentence = "She put the milk in the fridge.";
    ctx.open(&format!(
        "/labs/surprise?text={}&compare=true&other=recipe-bert",
        sentence.replace(' ', "+")
    ))
    .await?;
    let started = Instant::now();
    loop {
        let strips = ctx
            .js("return [...document.querySelectorAll('.surprise-strip')].map(s => s.querySelectorAll('li').length)")
            .await?;
        let counts: Vec<usize> = serde_json::from_value(strips).map_err(|e| e.to_string())?;
        // Seven words and the full stop; the two tokenizers split them the same way.
        if counts.len() == 2 && counts.iter().all(|&n| n == 8) {
            break;
        }
        if started.elapsed() > Duration::from_secs(60) {
            return Err(format!(
                "the surprise lab shows strips of {counts:?} tokens"
            ));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let pppl = texts(ctx, ".pppl").await?;
    let values: Vec<f64> = pppl
        .iter()
        .filter_map(|t| t.rsplit(' ').next()?.parse().ok())
        .collect();
    // The pretrained default model finds an everyday sentence far less surprising than a tiny
    // encoder trained for minutes.
    if values.len() != 2 || values[0] >= values[1] {
        return Err(format!("pseudo-perplexities {pppl:?}"));
    }
    // With a [MASK], each column also shows the model's guesses there and where the mask looks.
    type_into(ctx, "#sp-text", "She put the [MASK] in the fridge.").await?;
    let started = Instant::now();
    loop {
        let counts = ctx
            .js("return ['.compare-guesses', '.compare-attention'].map(c => document.querySelectorAll(c).length)")
            .await?;
        let counts: Vec<usize> = serde_json::from_value(counts).map_err(|e| e.to_string())?;
        if counts == [2, 2] {
            break;
        }
        if started.elapsed() > Duration::from_secs(60) {
            return Err(format!(
                "guesses and attention tables: {counts:?}, not two each"
            ));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    ctx.js("document.querySelector('.surprise-models').scrollIntoView()")
        .await?;
    ctx.screenshot("surprise").await
}
