//! The span-QA lab: train a span head from the page, read its held-out exact match and F1 next to
//! the baseline's, then read the answer to the example message with the start and end strips, and
//! ask another question of it; the run then shows in the fine-tune lab's "what transfers" table.
//! Prints the run's time in the tab.

use std::time::Duration;

use super::widgets::{texts, train_and_read_row};
use super::{Ctx, Outcome};

pub async fn span_qa(ctx: &Ctx<'_>) -> Outcome {
    let (row, percents, seconds) = train_and_read_row(
        ctx,
        "/labs/span-qa?regime=frozen&questions=300&epochs=3",
        "#qa-train",
        "table.qa-runs tbody tr",
        Duration::from_secs(400),
    )
    .await?;
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
    ctx.screenshot("lab_qa").await?;
    // The run and its baseline are cells of the fine-tune lab's "what transfers" table.
    ctx.open("/labs/fine-tune").await?;
    let transfer = ctx
        .wait_text("table.transfer", |t| t.contains("span QA (F1)"))
        .await?;
    for score in [f1, baseline_f1] {
        let cell = format!("{score:.1}% (300)");
        if !transfer.contains(&cell) {
            return Err(format!("the transfer table lacks {cell:?}: {transfer:?}"));
        }
    }
    ctx.js("document.querySelector('table.transfer').scrollIntoView()")
        .await?;
    ctx.screenshot("lab_transfer_table").await
}
