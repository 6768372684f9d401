//! The tagging lab: train a frozen-encoder tagger from the page, read its held-out accuracy next
//! to the lookup table in the runs table, then tag a typed sentence: every word gets one of the
//! 12 tags and shows its word pieces. Prints the run's time in the tab.

use std::time::{Duration, Instant};

use super::widgets::wait_widget;
use super::{click, Ctx, Outcome};
use bertlab_protocol::tagging::UNIVERSAL_TAGS;

pub async fn tagging(ctx: &Ctx<'_>) -> Outcome {
    ctx.open("/labs/tagging?regime=frozen&sentences=100&epochs=1")
        .await?;
    wait_widget(ctx, "#tag-train").await?;
    let started = Instant::now();
    click(ctx, "#tag-train").await?;
    let row = ctx
        .wait_text_for(
            "table.tagger-runs tbody tr",
            Duration::from_secs(300),
            |t| t.contains('%'),
        )
        .await?;
    let seconds = started.elapsed().as_secs_f64();
    let percents: Vec<f64> = row
        .split_whitespace()
        .filter_map(|cell| cell.strip_suffix('%')?.parse().ok())
        .collect();
    let [accuracy, lookup] = percents[..] else {
        return Err(format!(
            "expected an accuracy and the lookup table's in {row:?}"
        ));
    };
    // A linear head on frozen features of 100 sentences: well above choosing at random among 12.
    if accuracy < 50.0 || !(50.0..100.0).contains(&lookup) {
        return Err(format!("implausible scores in {row:?}"));
    }
    let text = "The cats were playing near 3 old houses .";
    ctx.js(&format!(
        "const i = document.querySelector('#tag-text'); i.value = {text:?}; \
         i.dispatchEvent(new Event('input', {{bubbles: true}}));"
    ))
    .await?;
    let shown = ctx
        .wait_text(".tagged-words", |t| {
            t.contains("cats") && t.contains("houses")
        })
        .await?;
    let tags = ctx
        .js("return [...document.querySelectorAll('.tagged-words .tag')].map(t => t.innerText)")
        .await?;
    let tags: Vec<&str> = tags
        .as_array()
        .map(|a| a.iter().filter_map(|v| v.as_str()).collect())
        .unwrap_or_default();
    if tags.len() != 9 || !tags.iter().all(|t| UNIVERSAL_TAGS.contains(t)) {
        return Err(format!(
            "expected 9 words with universal tags, got {tags:?} in {shown:?}"
        ));
    }
    eprintln!(
        "tagging lab: frozen encoder, 100 sentences: {accuracy}% (lookup {lookup}%) in {seconds:.1} s in the tab; {tags:?}"
    );
    ctx.screenshot("lab_tagging").await
}
