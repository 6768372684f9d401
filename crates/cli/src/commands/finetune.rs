//! `bertlab finetune`: fine-tune an encoder for sentence (or sentence-pair) classification on a
//! labelled CSV, in one regime or as the whole experiment sheet (every regime × 16 / 64 / 256 / all
//! labelled examples, and for pairs the one-segment ablation), and export the fine-tuned model as a
//! Hugging Face folder.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};
use bertlab_core::train::baseline::{BagOfWords, BaselineConfig};
use bertlab_core::train::export::{export_files, ExportMetrics};
use bertlab_core::train::finetune::{
    Approach, FineTuner, FinetuneConfig, Regime, Scored, SegmentIds, SheetRow,
};
use bertlab_core::train::labelled::{parse_csv, LabelledSet, Split, MISCLASSIFIED_KEPT};

use super::model_dir;
use super::model_source::ModelSource;

#[derive(clap::Args)]
pub struct Args {
    /// The encoder to start from: a model folder, or its http(s) URL (downloaded once into the cache); default: the lab's default model.
    #[arg(long, value_name = "DIR|URL")]
    model: Option<ModelSource>,
    /// A CSV with `text` and `label` columns (optionally `split`: train/test, and `text_pair` for
    /// sentence pairs).
    #[arg(long, default_value = concat!(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."), "/assets/datasets/support-intents.csv"))]
    data: PathBuf,
    /// bag-of-words, frozen (encoder fixed, new head), full, or scratch (random init).
    #[arg(long, default_value = "full", value_parser = parse_approach)]
    regime: Approach,
    /// Use only this many training examples (class-balanced); default: all.
    #[arg(long)]
    train_examples: Option<usize>,
    /// Run every regime on 16, 64, 256 and all training examples and print the sheet.
    #[arg(long, conflicts_with_all = ["regime", "train_examples", "out"])]
    sheet: bool,
    #[arg(long, default_value_t = 4)]
    epochs: usize,
    /// Peak learning rate of the encoder; default 5e-5, or 2e-4 from scratch or for sentence pairs.
    #[arg(long)]
    lr_encoder: Option<f64>,
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// For sentence pairs: per-text (segment A, segment B) or one (every token in segment 0, the
    /// ablation).
    #[arg(long, default_value = "per-text", value_parser = parse_segments)]
    segments: SegmentIds,
    /// Write the fine-tuned model here as a Hugging Face folder (not with bag-of-words).
    #[arg(long)]
    out: Option<PathBuf>,
}

fn parse_approach(slug: &str) -> Result<Approach, String> {
    Approach::from_slug(slug).ok_or_else(|| {
        let all: Vec<&str> = Approach::ALL.iter().map(|a| a.slug()).collect();
        format!("one of {}", all.join(", "))
    })
}

fn parse_segments(slug: &str) -> Result<SegmentIds, String> {
    SegmentIds::from_slug(slug).ok_or_else(|| {
        let all: Vec<&str> = SegmentIds::ALL.iter().map(|s| s.slug()).collect();
        format!("one of {}", all.join(", "))
    })
}

fn print_header() {
    println!(
        "{:<36} {:>8} {:>9} {:>9} {:>12} {:>8}",
        "regime", "examples", "accuracy", "macro-F1", "trainable", "seconds"
    );
}

fn print_row(r: &SheetRow) {
    println!(
        "{:<36} {:>8} {:>8.1}% {:>8.1}% {:>12} {:>8.1}",
        r.describe_approach(),
        r.train_examples,
        r.accuracy * 100.0,
        r.macro_f1 * 100.0,
        r.trainable_parameters,
        r.wall_seconds
    );
}

pub fn run(args: Args) -> Result<()> {
    let bytes =
        std::fs::read(&args.data).with_context(|| format!("reading {}", args.data.display()))?;
    let split =
        parse_csv(&bytes, 0.2, args.seed).with_context(|| format!("{}", args.data.display()))?;
    let folder = model_dir::or_default(args.model.clone())?;
    eprintln!(
        "{}: {} training and {} test examples over {} labels; base model {}",
        args.data.display(),
        split.train.len(),
        split.test.len(),
        split.train.labels.len(),
        folder.display()
    );
    print_header();
    if args.sheet {
        for n in [16, 64, 256, usize::MAX] {
            for approach in Approach::ALL {
                print_row(&run_one(
                    &args,
                    &folder,
                    &split,
                    approach,
                    args.segments,
                    n,
                    None,
                )?);
            }
            if split.train.is_pairs() {
                let ablation = run_one(
                    &args,
                    &folder,
                    &split,
                    Approach::Full,
                    SegmentIds::One,
                    n,
                    None,
                );
                print_row(&ablation?);
            }
        }
        return Ok(());
    }
    if args.out.is_some() && args.regime == Approach::BagOfWords {
        anyhow::bail!("--out exports an encoder; the bag-of-words baseline has none to export");
    }
    let n = args.train_examples.unwrap_or(usize::MAX);
    let row = run_one(
        &args,
        &folder,
        &split,
        args.regime,
        args.segments,
        n,
        args.out.as_deref(),
    )?;
    print_row(&row);
    Ok(())
}

fn run_one(
    args: &Args,
    folder: &Path,
    split: &Split,
    approach: Approach,
    segments: SegmentIds,
    n: usize,
    out: Option<&Path>,
) -> Result<SheetRow> {
    let train = split.train.balanced_subset(n, args.seed);
    let started = Instant::now();
    let Some(regime) = approach.regime() else {
        let model = BagOfWords::train(&train, &BaselineConfig::default())?;
        let Scored {
            metrics: test,
            predicted,
        } = model.score(&split.test);
        return Ok(SheetRow {
            approach,
            model: String::new(),
            dataset: args.data.display().to_string(),
            segments: SegmentIds::PerText,
            train_examples: train.len(),
            accuracy: test.accuracy,
            macro_f1: test.macro_f1,
            trainable_parameters: model.trainable_parameters(),
            wall_seconds: started.elapsed().as_secs_f64(),
            updates: BaselineConfig::default().epochs,
            stopped_early: false,
            note: String::new(),
            errors: split.test.misclassified(&predicted, MISCLASSIFIED_KEPT),
            trained_on: String::new(),
        });
    };
    let tuner = fine_tune(args, folder, &train, approach, regime, segments)?;
    let Scored {
        metrics: test,
        predicted,
    } = tuner.score(&split.test)?;
    let seconds = started.elapsed().as_secs_f64();
    if let Some(out) = out {
        let metrics = ExportMetrics {
            base_model: folder.display().to_string(),
            dataset: args.data.display().to_string(),
            train_examples: train.len(),
            test_examples: split.test.len(),
            trainable_parameters: tuner.trainable_parameters(),
            steps: tuner.step(),
            wall_seconds: seconds,
            config: tuner.config().clone(),
            test: test.clone(),
        };
        export(&tuner, folder, &metrics, out)?;
    }
    Ok(SheetRow {
        approach,
        model: folder.display().to_string(),
        dataset: args.data.display().to_string(),
        segments,
        train_examples: train.len(),
        accuracy: test.accuracy,
        macro_f1: test.macro_f1,
        trainable_parameters: tuner.trainable_parameters(),
        wall_seconds: seconds,
        updates: tuner.step(),
        stopped_early: false,
        note: String::new(),
        errors: split.test.misclassified(&predicted, MISCLASSIFIED_KEPT),
        trained_on: "the CPU (native candle)".into(),
    })
}

/// Fine-tunes the encoder in `folder` on `train` in one regime, with a progress line.
fn fine_tune(
    args: &Args,
    folder: &Path,
    train: &LabelledSet,
    approach: Approach,
    regime: Regime,
    segments: SegmentIds,
) -> Result<FineTuner> {
    let defaults = FinetuneConfig::for_regime(regime).for_data(train);
    let config = FinetuneConfig {
        epochs: args.epochs,
        segments,
        lr_encoder: args.lr_encoder.unwrap_or(defaults.lr_encoder),
        seed: args.seed,
        ..defaults
    };
    let checkpoint = model_dir::checkpoint(folder)?;
    let tokenizer = model_dir::tokenizer(folder)?;
    let mut tuner = FineTuner::new(&checkpoint, tokenizer, train, config)?;
    while !tuner.is_done() {
        let step = tuner.train_step()?;
        if step.step % 10 == 0 || step.step == step.total_steps {
            eprint!(
                "\r  {}: update {}/{} loss {:.3}   ",
                approach.describe(),
                step.step,
                step.total_steps,
                step.loss
            );
        }
    }
    eprintln!();
    Ok(tuner)
}

/// Writes the fine-tuned model into `out` as a Hugging Face folder, with the base's tokenizer.
fn export(tuner: &FineTuner, folder: &Path, metrics: &ExportMetrics, out: &Path) -> Result<()> {
    model_dir::write_export(folder, out, |tokenizer| {
        export_files(tuner, tokenizer, metrics)
    })
}
