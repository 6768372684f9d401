//! `bertlab finetune-qa`: fine-tune a span head on the questions over the support messages
//! (frozen, fully or from random weights), score it on the held-out ones (exact match and F1,
//! SQuAD 2.0 style) against the word-lookup baseline, and write it as a
//! `*ForQuestionAnswering` folder. `bertlab answer`: answer a question over texts with one.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result};
use bertlab_core::model::ForQuestionAnswering;
use bertlab_core::train::entities::parse_messages;
use bertlab_core::train::qa_export::{qa_export_files, QaMetrics};
use bertlab_core::train::qa_tuner::{answer, qa_config, QaTuner};
use bertlab_core::train::span_qa::{qa_scores, qa_sets, WordLookupQa};

use super::head_run::HeadRunArgs;
use super::model_dir;
use super::model_source::ModelSource;

#[derive(clap::Args)]
pub struct TrainArgs {
    /// The encoder to start from: a model folder, or its http(s) URL; default: the lab's default model.
    #[arg(long, value_name = "DIR|URL")]
    model: Option<ModelSource>,
    /// The support messages with their entity spans (JSON lines); each entity type is a question.
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/../../assets/datasets/support-entities.jsonl"))]
    data: PathBuf,
    #[command(flatten)]
    run: HeadRunArgs,
    /// Write the model here as a Hugging Face folder.
    #[arg(long)]
    out: Option<PathBuf>,
}

#[derive(clap::Args)]
pub struct AnswerArgs {
    /// A `*ForQuestionAnswering` folder (an export of `bertlab finetune-qa`), or its URL.
    #[arg(long, value_name = "DIR|URL")]
    model: ModelSource,
    /// The question, asked of each text.
    #[arg(long)]
    question: String,
    /// One or more texts to answer it from.
    #[arg(required = true)]
    texts: Vec<String>,
}

pub fn train(args: TrainArgs) -> Result<()> {
    let folder = model_dir::or_default(args.model)?;
    let (checkpoint, tokenizer) = model_dir::open(&folder)?;
    let text = std::fs::read_to_string(&args.data)
        .with_context(|| format!("reading {}", args.data.display()))?;
    let messages = parse_messages(&text)
        .map_err(anyhow::Error::msg)
        .with_context(|| args.data.display().to_string())?;
    let (mut train, test) = qa_sets(&messages);
    if test.is_empty() {
        anyhow::bail!("{}: no held-out (test) messages", args.data.display());
    }
    train.truncate(args.run.train_limit.unwrap_or(train.len()));
    let baseline = WordLookupQa::fit(&train).scores(&test);
    let config = args.run.config(qa_config(args.run.approach));
    let started = Instant::now();
    let mut tuner = QaTuner::new(&checkpoint, tokenizer, &train, config)?;
    while !tuner.is_done() {
        let step = tuner.train_step()?;
        if step.step % 10 == 0 || step.step == step.total_steps {
            eprintln!(
                "update {}/{}: loss {:.3}",
                step.step, step.total_steps, step.loss
            );
        }
    }
    let scores = qa_scores(&test, &tuner.predict(&test)?);
    let seconds = started.elapsed().as_secs_f64();
    let unanswerable = test.iter().filter(|e| e.answer.is_none()).count();
    println!(
        "{} ({} trainable weights, {} training questions): exact match {:.1}%, F1 {:.1}% on {} \
         held-out questions ({unanswerable} unanswerable) in {seconds:.1} s; word-lookup baseline: \
         {:.1}% and {:.1}%",
        args.run.approach.describe(),
        tuner.trainable_parameters(),
        train.len(),
        scores.exact_match * 100.0,
        scores.f1 * 100.0,
        test.len(),
        baseline.exact_match * 100.0,
        baseline.f1 * 100.0
    );
    if let Some(out) = args.out {
        let metrics = QaMetrics {
            base_model: folder.display().to_string(),
            dataset: args.data.display().to_string(),
            train_questions: train.len(),
            test_questions: test.len(),
            trainable_parameters: tuner.trainable_parameters(),
            steps: tuner.step(),
            wall_seconds: seconds,
            config: tuner.config().clone(),
            exact_match: scores.exact_match,
            f1: scores.f1,
            baseline_exact_match: baseline.exact_match,
            baseline_f1: baseline.f1,
        };
        model_dir::write_export(&folder, &out, |tokenizer| {
            qa_export_files(&tuner, tokenizer, &metrics)
        })?;
    }
    Ok(())
}

pub fn answer_texts(args: AnswerArgs) -> Result<()> {
    let (model, tokenizer) = model_dir::task_model::<ForQuestionAnswering>(
        &args.model.local_folder()?,
        "ForQuestionAnswering",
        "bertlab finetune-qa",
    )?;
    for text in &args.texts {
        let found = answer(&model, &tokenizer, &args.question, text)?;
        if found.text.is_empty() {
            println!("(no answer)");
        } else {
            println!("{}", found.text);
        }
    }
    Ok(())
}
