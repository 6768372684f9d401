//! The tagging lab: train a frozen-encoder tagger from the page, read its held-out accuracy next
//! to the lookup table in the runs table, then tag a typed sentence: every word gets one of the
//! 12 tags and shows its word pieces; then the same for entities (BIO tags, entity F1). Prints
//! each run's time in the tab.

use std::time::Duration;

use super::widgets::{texts, train_and_read_row};
use super::{Ctx, Outcome};
use bertlab_protocol::tagging::{ENTITY_LABELS, UNIVERSAL_TAGS};

pub async fn tagging(ctx: &Ctx<'_>) -> Outcome {
    let (row, percents, seconds) = train_and_read_row(
        ctx,
        "/labs/tagging?regime=frozen&sentences=100&epochs=1",
        "#tag-train",
        "table.tagger-runs tbody tr",
        Duration::from_secs(300),
    )
    .await?;
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
    let tags = texts(ctx, ".tagged-words .tag").await?;
    if tags.len() != 9 || !tags.iter().all(|t| UNIVERSAL_TAGS.contains(&t.as_str())) {
        return Err(format!(
            "expected 9 words with universal tags, got {tags:?} in {shown:?}"
        ));
    }
    eprintln!(
        "tagging lab: frozen encoder, 100 sentences: {accuracy}% (lookup {lookup}%) in {seconds:.1} s in the tab; {tags:?}"
    );
    ctx.screenshot("lab_tagging").await
}

/// The tagging lab's entity task: a frozen-encoder tagger on the support messages beats the lookup
/// table on exact-span entity F1, and tags the example message with BIO tags, finding an entity.
pub async fn entities(ctx: &Ctx<'_>) -> Outcome {
    let (row, percents, seconds) = train_and_read_row(
        ctx,
        "/labs/tagging?task=entities&regime=frozen&sentences=780&epochs=3",
        "#tag-train",
        "table.tagger-runs tbody tr",
        Duration::from_secs(300),
    )
    .await?;
    let [accuracy, lookup, f1, lookup_f1] = percents[..] else {
        return Err(format!(
            "expected word accuracy, the lookup's, entity F1 and the lookup's in {row:?}"
        ));
    };
    if f1 <= lookup_f1 || !(0.0..=100.0).contains(&f1) {
        return Err(format!(
            "the tagger's entity F1 should beat the lookup table's: {row:?}"
        ));
    }
    let shown = ctx
        .wait_text(".tagged-words", |t| t.contains("blender"))
        .await?;
    let tags = texts(ctx, ".tagged-words .tag").await?;
    let bio = |t: &str| {
        t == "O"
            || ENTITY_LABELS
                .iter()
                .any(|l| t == format!("B-{l}") || t == format!("I-{l}"))
    };
    if tags.is_empty() || !tags.iter().all(|t| bio(t)) || !tags.iter().any(|t| t.starts_with("B-"))
    {
        return Err(format!(
            "expected BIO tags with at least one entity, got {tags:?} in {shown:?}"
        ));
    }
    eprintln!(
        "tagging lab, entities: frozen encoder, 780 messages: entity F1 {f1}% (lookup {lookup_f1}%), words {accuracy}% (lookup {lookup}%) in {seconds:.1} s in the tab; {tags:?}"
    );
    ctx.screenshot("lab_tagging_entities").await
}
