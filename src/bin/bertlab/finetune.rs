//! `bertlab finetune`: fine-tune an encoder for sentence classification on a labelled CSV, in one
//! regime or as the whole experiment sheet (every regime × 16 / 64 / 256 / all labelled examples),
//! and export the fine-tuned model as a Hugging Face folder.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};
use bertlab::train::baseline::{BagOfWords, BaselineConfig};
use bertlab::train::export::{export_files, ExportMetrics};
use bertlab::train::finetune::{ClassMetrics, FineTuner, FinetuneConfig, Regime};
use bertlab::train::labelled::{parse_csv, Split};

use super::model_dir;

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Choice {
    /// Pretrained encoder fixed, a new linear head trained.
    Frozen,
    /// The whole pretrained model trained.
    Full,
    /// The same architecture from random weights.
    Scratch,
    /// TF-IDF bag of words with logistic regression (no encoder).
    BagOfWords,
}

#[derive(clap::Args)]
pub struct Args {
    /// The encoder to start from (a model folder); default: the lab's default model.
    #[arg(long)]
    model: Option<PathBuf>,
    /// A CSV with `text` and `label` columns (and optionally `split`: train/test).
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/datasets/support-intents.csv"))]
    data: PathBuf,
    #[arg(long, value_enum, default_value = "full")]
    regime: Choice,
    /// Use only this many training examples (class-balanced); default: all.
    #[arg(long)]
    train_examples: Option<usize>,
    /// Run every regime on 16, 64, 256 and all training examples and print the sheet.
    #[arg(long, conflicts_with_all = ["regime", "train_examples", "out"])]
    sheet: bool,
    #[arg(long, default_value_t = 4)]
    epochs: usize,
    #[arg(long, default_value_t = 5e-5)]
    lr_encoder: f64,
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Write the fine-tuned model here as a Hugging Face folder (not with bag-of-words).
    #[arg(long)]
    out: Option<PathBuf>,
}

/// One line of the experiment sheet.
struct Row {
    regime: Choice,
    train_examples: usize,
    test: ClassMetrics,
    trainable: usize,
    seconds: f64,
}

fn name(choice: Choice) -> &'static str {
    match choice {
        Choice::Frozen => Regime::Frozen.describe(),
        Choice::Full => Regime::Full.describe(),
        Choice::Scratch => Regime::Scratch.describe(),
        Choice::BagOfWords => "bag of words + logistic regression",
    }
}

fn print_header() {
    println!(
        "{:<36} {:>8} {:>9} {:>9} {:>12} {:>8}",
        "regime", "examples", "accuracy", "macro-F1", "trainable", "seconds"
    );
}

fn print_row(r: &Row) {
    println!(
        "{:<36} {:>8} {:>8.1}% {:>8.1}% {:>12} {:>8.1}",
        name(r.regime),
        r.train_examples,
        r.test.accuracy * 100.0,
        r.test.macro_f1 * 100.0,
        r.trainable,
        r.seconds
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
            for regime in [
                Choice::BagOfWords,
                Choice::Frozen,
                Choice::Full,
                Choice::Scratch,
            ] {
                print_row(&run_one(&args, &folder, &split, regime, n, None)?);
            }
        }
        return Ok(());
    }
    if args.out.is_some() && args.regime == Choice::BagOfWords {
        anyhow::bail!("--out exports an encoder; the bag-of-words baseline has none to export");
    }
    let n = args.train_examples.unwrap_or(usize::MAX);
    let row = run_one(&args, &folder, &split, args.regime, n, args.out.as_deref())?;
    print_row(&row);
    Ok(())
}

fn run_one(
    args: &Args,
    folder: &Path,
    split: &Split,
    regime: Choice,
    n: usize,
    out: Option<&Path>,
) -> Result<Row> {
    let train = split.train.balanced_subset(n, args.seed);
    let started = Instant::now();
    let regime = match regime {
        Choice::BagOfWords => {
            let model = BagOfWords::train(&train, &BaselineConfig::default())?;
            return Ok(Row {
                regime,
                train_examples: train.len(),
                test: model.evaluate(&split.test),
                trainable: model.trainable_parameters(),
                seconds: started.elapsed().as_secs_f64(),
            });
        }
        Choice::Frozen => (Regime::Frozen, regime),
        Choice::Full => (Regime::Full, regime),
        Choice::Scratch => (Regime::Scratch, regime),
    };
    let config = FinetuneConfig {
        regime: regime.0,
        epochs: args.epochs,
        // From random weights the encoder needs a larger step to get anywhere.
        lr_encoder: if regime.0 == Regime::Scratch {
            args.lr_encoder * 4.0
        } else {
            args.lr_encoder
        },
        seed: args.seed,
        ..FinetuneConfig::default()
    };
    let checkpoint = model_dir::checkpoint(folder)?;
    let tokenizer = model_dir::tokenizer(folder)?;
    let mut tuner = FineTuner::new(&checkpoint, tokenizer, &train, config)?;
    while !tuner.is_done() {
        let step = tuner.train_step()?;
        if step.step % 10 == 0 || step.step == step.total_steps {
            eprint!(
                "\r  {}: update {}/{} loss {:.3}   ",
                name(regime.1),
                step.step,
                step.total_steps,
                step.loss
            );
        }
    }
    eprintln!();
    let test = tuner.evaluate(&split.test)?;
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
        let tokenizer_json = std::fs::read(folder.join("tokenizer.json"))?;
        std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
        for (file, bytes) in export_files(&tuner, &tokenizer_json, &metrics)? {
            std::fs::write(out.join(&file), bytes)
                .with_context(|| format!("writing {}", out.join(&file).display()))?;
        }
        eprintln!("wrote {}", out.display());
    }
    Ok(Row {
        regime: regime.1,
        train_examples: train.len(),
        test,
        trainable: tuner.trainable_parameters(),
        seconds,
    })
}
