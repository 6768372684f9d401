//! The span-QA lab's jobs: fine-tune a span head on the questions over the support messages
//! (score it on the held-out ones against the word-lookup baseline), then answer any question
//! over any text with it, every token's start and end logits included.

use std::cell::RefCell;

use bertlab_core::train::entities::parse_messages;
use bertlab_core::train::finetune::{FinetuneConfig, Regime};
use bertlab_core::train::qa_tuner::{answer, qa_config, QaTuner};
use bertlab_core::train::span_qa::{qa_scores, qa_sets, WordLookupQa};
use bertlab_protocol::messages::Outcome;
use bertlab_protocol::span_qa::{QaReport, QaRequest, QA_DATA_PATH};

use super::finetune::load_base_model;
use super::tagger::run_updates;
use crate::runtime::assets::{fetch_bytes, ModelIndex};
use crate::runtime::helpers::{encode_rows, provide_frozen_states, warm_up};
use crate::runtime::jobs::{JobContext, Stop};

thread_local! {
    /// The latest span head, until the next run replaces it.
    static READER: RefCell<Option<QaTuner>> = const { RefCell::new(None) };
}

pub(super) async fn train(ctx: &JobContext, request: QaRequest) -> Result<Outcome, Stop> {
    let failed = |e: &dyn std::fmt::Display| Stop::Failed(e.to_string());
    let started = js_sys::Date::now();
    let name = match &request.model {
        Some(name) => name.clone(),
        None => ModelIndex::get().await?.default.clone(),
    };
    if request.regime == Regime::Frozen {
        warm_up(&name);
    }
    let bytes = fetch_bytes(QA_DATA_PATH).await?;
    let text = String::from_utf8(bytes)
        .map_err(|_| Stop::Failed("the question file is not UTF-8".into()))?;
    let messages = parse_messages(&text).map_err(Stop::Failed)?;
    let (mut train, test) = qa_sets(&messages);
    train.truncate(request.train_questions.max(1));
    let (checkpoint, tokenizer, _) = load_base_model(ctx, &name).await?;
    // The previous reader gives its memory back before this one is built.
    READER.with(|r| r.borrow_mut().take());
    ctx.progress(
        0,
        0,
        format!("preparing {} training questions", train.len()),
    );
    ctx.yield_or_stop().await?;
    let config = FinetuneConfig {
        epochs: request.epochs.clamp(1, 50),
        seed: request.seed,
        ..qa_config(request.regime)
    };
    let mut tuner = QaTuner::new(&checkpoint, tokenizer, &train, config).map_err(|e| failed(&e))?;
    drop(checkpoint);
    // A frozen encoder is the shipped model unchanged: helper workers may compute its states.
    let what = "encoding the training questions";
    provide_frozen_states(ctx, &name, tuner.frozen_rows(), what).await?;
    let shipped = (request.regime == Regime::Frozen).then_some(name.as_str());
    run_updates(ctx, || (!tuner.is_done()).then(|| tuner.train_step())).await?;
    let questions = tuner.tokenize_questions(&test).map_err(|e| failed(&e))?;
    let what = "answering the held-out questions";
    let states = encode_rows(
        ctx,
        shipped,
        &tuner.model().encoder,
        &questions.rows(),
        what,
    )
    .await?;
    let answers = tuner
        .answers_from_states(&test, &questions, &states)
        .map_err(|e| failed(&e))?;
    let scores = qa_scores(&test, &answers);
    let baseline = WordLookupQa::fit(&train).scores(&test);
    let report = QaReport {
        regime: request.regime,
        train_questions: train.len(),
        test_questions: test.len(),
        unanswerable: test.iter().filter(|e| e.answer.is_none()).count(),
        exact_match: scores.exact_match,
        f1: scores.f1,
        baseline_exact_match: baseline.exact_match,
        baseline_f1: baseline.f1,
        updates: tuner.step(),
        trainable_parameters: tuner.trainable_parameters(),
        seconds: (js_sys::Date::now() - started) / 1000.0,
    };
    READER.with(|r| *r.borrow_mut() = Some(tuner));
    Ok(Outcome::QaTrained(report))
}

pub(super) fn answer_question(question: &str, text: &str) -> Result<Outcome, Stop> {
    READER.with(|r| {
        let reader = r.borrow();
        let tuner = reader
            .as_ref()
            .ok_or_else(|| Stop::Failed("no span head yet: train one first".into()))?;
        answer(tuner.model(), tuner.tokenizer(), question, text)
            .map(Outcome::Answered)
            .map_err(|e| Stop::Failed(e.to_string()))
    })
}
