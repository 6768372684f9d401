//! The tagging lab's jobs: fine-tune a token head on a shipped tagged set (part of speech or
//! entities; test it on the held-out items against the lookup table), then tag any text with it.

use std::cell::RefCell;

use bertlab_core::train::finetune::{FinetuneConfig, FinetuneStep, Regime};
use bertlab_core::train::tag_tasks::{score, task_sets};
use bertlab_core::train::tagger::{tag_text, TagTuner, TaggerConfig};
use bertlab_core::train::TrainError;
use bertlab_protocol::messages::Outcome;
use bertlab_protocol::tagging::{TaggedWord, TaggerReport, TaggerRequest};

use super::finetune::load_base_model;
use crate::runtime::assets::{fetch_bytes, ModelIndex};
use crate::runtime::helpers::{provide_frozen_states, warm_up};
use crate::runtime::jobs::{JobContext, Stop};

thread_local! {
    /// The latest tagger, until the next run replaces it.
    static TAGGER: RefCell<Option<TagTuner>> = const { RefCell::new(None) };
}

pub(super) async fn train(ctx: &JobContext, request: TaggerRequest) -> Result<Outcome, Stop> {
    let failed = |e: &dyn std::fmt::Display| Stop::Failed(e.to_string());
    let started = js_sys::Date::now();
    let name = match &request.model {
        Some(name) => name.clone(),
        None => ModelIndex::get().await?.default.clone(),
    };
    if request.regime == Regime::Frozen {
        warm_up(&name);
    }
    let bytes = fetch_bytes(request.task.path()).await?;
    let text =
        String::from_utf8(bytes).map_err(|_| Stop::Failed("the tag file is not UTF-8".into()))?;
    let (train, test) =
        task_sets(request.task, &text, Some(request.train_sentences)).map_err(Stop::Failed)?;
    let (checkpoint, tokenizer, _) = load_base_model(ctx, &name).await?;
    // The previous tagger gives its memory back before this one is built.
    TAGGER.with(|t| t.borrow_mut().take());
    ctx.progress(
        0,
        0,
        format!("preparing {} training {}", train.len(), request.task.unit()),
    );
    ctx.yield_or_stop().await?;
    let defaults = TaggerConfig::for_regime(request.regime);
    let config = TaggerConfig {
        run: FinetuneConfig {
            epochs: request.epochs.clamp(1, 50),
            seed: request.seed,
            ..defaults.run
        },
        piece_labels: request.pieces,
    };
    let mut tuner =
        TagTuner::new(&checkpoint, tokenizer, &train, config).map_err(|e| failed(&e))?;
    drop(checkpoint);
    // A frozen encoder is the shipped model unchanged: helper workers may compute its states.
    let what = format!("encoding the training {}", request.task.unit());
    provide_frozen_states(ctx, &name, tuner.frozen_rows(), &what).await?;
    run_updates(ctx, || (!tuner.is_done()).then(|| tuner.train_step())).await?;
    ctx.progress(
        0,
        0,
        format!("tagging {} held-out words", test.word_count()),
    );
    ctx.yield_or_stop().await?;
    let predicted = tuner.predict(&test).map_err(|e| failed(&e))?;
    let scores = score(request.task, &train, &test, &predicted);
    let report = TaggerReport {
        task: request.task,
        regime: request.regime,
        pieces: request.pieces,
        train_sentences: train.len(),
        test_words: test.word_count(),
        accuracy: scores.accuracy,
        lookup: scores.lookup,
        entity_f1: scores.entity_f1,
        updates: tuner.step(),
        trainable_parameters: tuner.trainable_parameters(),
        seconds: (js_sys::Date::now() - started) / 1000.0,
    };
    TAGGER.with(|t| *t.borrow_mut() = Some(tuner));
    Ok(Outcome::TaggerTrained(report))
}

/// Makes updates while `next` gives one, reporting each as progress and yielding to the
/// worker's messages (a cancel stops the run between two updates).
pub(super) async fn run_updates(
    ctx: &JobContext,
    mut next: impl FnMut() -> Option<Result<FinetuneStep, TrainError>>,
) -> Result<(), Stop> {
    while let Some(step) = next() {
        let step = step.map_err(|e| Stop::Failed(e.to_string()))?;
        ctx.progress(
            step.step as u64,
            step.total_steps as u64,
            format!(
                "update {} of {}: loss {:.3}",
                step.step, step.total_steps, step.loss
            ),
        );
        ctx.yield_or_stop().await?;
    }
    Ok(())
}

pub(super) fn tag(text: &str) -> Result<Outcome, Stop> {
    TAGGER.with(|t| {
        let tagger = t.borrow();
        let tuner = tagger
            .as_ref()
            .ok_or_else(|| Stop::Failed("no tagger yet: train one first".into()))?;
        let tags = tuner.tags();
        let words = tag_text(tuner.model(), tuner.tokenizer(), text)
            .map_err(|e| Stop::Failed(e.to_string()))?
            .into_iter()
            .map(|w| TaggedWord {
                tag: w.tag.and_then(|t| tags.get(t).cloned()),
                word: w.word,
                pieces: w.pieces,
            })
            .collect();
        Ok(Outcome::Tagged(words))
    })
}
