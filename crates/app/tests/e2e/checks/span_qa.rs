//! The span-QA lab: train a span head from the page, read its held-out exact match and F1 next to
//! the baseline's, then read the answer to the example message with the start and end strips, and
//! ask another question of it. Prints the run's time in the tab.

use std::time::{Duration, Instant};

use super::widgets::{texts, wait_widget};
use super::{click, Ctx, Outcome};

pub async fn span_qa(ctx: &Ctx<'_>) -> Outcome {
    ctx.open("/labs/span-qa?regime=frozen&questions=300&epochs=3")
        .await?;
    wait_widget(ctx, "#qa-train").await?;
    let started = Instant::now();
    click(ctx, "#qa-train").await?;
    let row = ctx
        .wait_text_for("table.qa-runs tbody tr", Duration::from_secs(400), |t| {
            t.contains('%')
        })
        .await?;
    let seconds = started.elapsed().as_secs_f64();
    let percents: Vec<f64> = row
        .split_whitespace()
        .filter_map(|cell| cell.strip_suffix('%')?.parse().ok())
        .collect();
    let [em, f1, baseline_em, baseline_f1] = percents[..] else {
        return Err(format!("expected EM, F1 and the baseline's in {row:?}"));
    };
    // F1 gives partial credit, so it is never below exact match; even a head on frozen features
    // answers far more than it misses (natively 53% EM; half the questions have no answer).
    if f1 < em || em < 40.0 || baseline_f1 < baseline_em {
        return Err(format!("implausible scores in {row:?}"));
    }
    let answer = ctx
        .wait_text("#qa-answer", |t| {
            t.starts_with("Answer") || t.starts_with("No answer")
        })
        .await?;
    let strips = texts(ctx, ".qa-lab figure.attribution figcaption").await?;
    let tokens = texts(ctx, ".qa-lab .attribution-strip").await?;
    let marked = texts(ctx, ".qa-lab .attribution-token.marked code").await?;
    if strips.len() != 2 || tokens.len() != 2 || marked.is_empty() {
        return Err(format!(
            "expected a start and an end strip with the answer outlined: {strips:?}, {marked:?}"
        ));
    }
    // Another question of the same message: the strips are redrawn over the new question's tokens.
    ctx.js(
        "const s = document.querySelector('#qa-question'); s.value = '3'; \
         s.dispatchEvent(new Event('change', {bubbles: true}));",
    )
    .await?;
    ctx.wait_text(".qa-lab .attribution-strip", |t| t.contains("money"))
        .await?;
    let second = ctx.wait_text("#qa-answer", |t| !t.is_empty()).await?;
    eprintln!(
        "span-QA lab: frozen encoder, 300 questions: EM {em}% F1 {f1}% (baseline {baseline_em}% / {baseline_f1}%) in {seconds:.1} s in the tab; order: {answer:?}; amount: {second:?}"
    );
    ctx.js("document.querySelector('#qa-answer').scrollIntoView()")
        .await?;
    ctx.screenshot("lab_qa").await
}
