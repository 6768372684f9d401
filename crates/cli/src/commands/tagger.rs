//! `bertlab finetune-tagger`: fine-tune a token head (part of speech on the Brown sentences, or
//! entity BIO tags on the support messages) frozen, fully or from random weights, test it on the held-out sentences against the
//! lookup-table baseline, and write it as a `*ForTokenClassification` folder. `bertlab tag`: tag
//! texts with such a folder.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result};
use bertlab_core::model::ForTokenClassification;
use bertlab_core::train::tag_tasks::{score, task_sets};
use bertlab_core::train::tagger::{tag_text, PieceLabels, TagTuner, TaggerConfig};
use bertlab_core::train::tagger_export::{tagger_export_files, TaggerMetrics};
use bertlab_protocol::tagging::TagTask;

use super::head_run::HeadRunArgs;
use super::model_dir;
use super::model_source::ModelSource;

#[derive(clap::Args)]
pub struct TrainArgs {
    /// The encoder to start from: a model folder, or its http(s) URL; default: the lab's default model.
    #[arg(long, value_name = "DIR|URL")]
    model: Option<ModelSource>,
    /// What to tag: pos (Brown Corpus sentences) or entities (BIO tags on the support messages).
    #[arg(long, default_value = "pos", value_parser = parse_task)]
    task: TagTask,
    /// The task's file in its format (default: the shipped one): `words<TAB>tags` lines whose
    /// last 200 are the test split for pos, the entity JSON lines for entities.
    #[arg(long)]
    data: Option<PathBuf>,
    /// Which word pieces carry a word's tag in training: first or every.
    #[arg(long, default_value = "first", value_parser = parse_pieces)]
    pieces: PieceLabels,
    #[command(flatten)]
    run: HeadRunArgs,
    /// Write the tagger here as a Hugging Face folder.
    #[arg(long)]
    out: Option<PathBuf>,
}

#[derive(clap::Args)]
pub struct TagArgs {
    /// A `*ForTokenClassification` folder (an export of `bertlab finetune-tagger`), or its URL.
    #[arg(long, value_name = "DIR|URL")]
    model: ModelSource,
    /// One or more texts to tag.
    #[arg(required = true)]
    texts: Vec<String>,
}

fn parse_task(slug: &str) -> Result<TagTask, String> {
    TagTask::from_slug(slug).ok_or_else(|| "pos or entities".to_string())
}

fn parse_pieces(slug: &str) -> Result<PieceLabels, String> {
    PieceLabels::from_slug(slug).ok_or_else(|| "first or every".to_string())
}

pub fn train(args: TrainArgs) -> Result<()> {
    let folder = model_dir::or_default(args.model)?;
    let (checkpoint, tokenizer) = model_dir::open(&folder)?;
    let data = args.data.unwrap_or_else(|| {
        PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../..")).join(args.task.path())
    });
    let text =
        std::fs::read_to_string(&data).with_context(|| format!("reading {}", data.display()))?;
    let (train, test) = task_sets(args.task, &text, args.run.train_limit)
        .map_err(anyhow::Error::msg)
        .with_context(|| data.display().to_string())?;
    let config = TaggerConfig {
        run: args
            .run
            .config(TaggerConfig::for_regime(args.run.approach).run),
        piece_labels: args.pieces,
    };
    let started = Instant::now();
    let mut tuner = TagTuner::new(&checkpoint, tokenizer, &train, config)?;
    while !tuner.is_done() {
        let step = tuner.train_step()?;
        if step.step % 10 == 0 || step.step == step.total_steps {
            eprintln!(
                "update {}/{}: loss {:.3}",
                step.step, step.total_steps, step.loss
            );
        }
    }
    let scores = score(args.task, &train, &test, &tuner.predict(&test)?);
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "{} ({} trainable weights, tags on {}): {:.1}% of {} held-out words right in {seconds:.1} s; \
         each word's commonest training tag: {:.1}%",
        args.run.approach.describe(),
        tuner.trainable_parameters(),
        args.pieces.describe(),
        scores.accuracy * 100.0,
        test.word_count(),
        scores.lookup * 100.0
    );
    if let Some(f1) = scores.entity_f1 {
        println!(
            "entity F1 (exact spans, {} held-out entities): {:.1}%; lookup table: {:.1}%",
            f1.entities,
            f1.tagger * 100.0,
            f1.lookup * 100.0
        );
    }
    if let Some(out) = args.out {
        let metrics = TaggerMetrics {
            base_model: folder.display().to_string(),
            dataset: data.display().to_string(),
            train_sentences: train.len(),
            test_words: test.word_count(),
            trainable_parameters: tuner.trainable_parameters(),
            steps: tuner.step(),
            wall_seconds: seconds,
            config: tuner.config().clone(),
            accuracy: scores.accuracy,
            lookup_baseline: scores.lookup,
            entity_f1: scores.entity_f1,
        };
        model_dir::write_export(&folder, &out, |tokenizer| {
            tagger_export_files(&tuner, tokenizer, &metrics)
        })?;
    }
    Ok(())
}

pub fn tag(args: TagArgs) -> Result<()> {
    let (model, tokenizer) = model_dir::task_model::<ForTokenClassification>(
        &args.model.local_folder()?,
        "ForTokenClassification",
        "bertlab finetune-tagger",
    )?;
    let tags = &model.encoder.config().labels;
    for text in &args.texts {
        let tagged: Vec<String> = tag_text(&model, &tokenizer, text)?
            .into_iter()
            .map(|w| {
                let tag = w.tag.and_then(|t| tags.get(t)).map_or("?", String::as_str);
                format!("{}/{tag}", w.word)
            })
            .collect();
        println!("{}", tagged.join(" "));
    }
    Ok(())
}
