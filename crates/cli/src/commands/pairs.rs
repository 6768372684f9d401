//! `bertlab datasets-support-pairs`: the fine-tuning lab's sentence-pair set, made from the support
//! messages (`support-intents.csv`): each message paired with one other of its split, `same` when
//! both ask for the same thing (same intent), `different` otherwise (the most word-sharing message
//! of another intent), so the pair task cannot be solved by word overlap alone.

use std::path::PathBuf;

use anyhow::{Context, Result};
use bertlab_core::train::labelled::{parse_csv, LabelledSet};
use bertlab_core::train::sentence_pairs::pair_split;

#[derive(clap::Args)]
pub struct Args {
    /// The labelled messages to pair (`text,label,split`).
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/../../assets/datasets/support-intents.csv"))]
    from: PathBuf,
    /// The CSV to write (`text,text_pair,label,split`).
    #[arg(long)]
    out: PathBuf,
    #[arg(long, default_value_t = 42)]
    seed: u64,
}

pub fn run(args: Args) -> Result<()> {
    let bytes =
        std::fs::read(&args.from).with_context(|| format!("reading {}", args.from.display()))?;
    let split =
        parse_csv(&bytes, 0.25, args.seed).with_context(|| format!("{}", args.from.display()))?;
    if split.train.is_pairs() {
        anyhow::bail!("{} already holds pairs", args.from.display());
    }
    let pairs = pair_split(&split, args.seed);
    let mut out = csv::Writer::from_path(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    out.write_record(["text", "text_pair", "label", "split"])?;
    let mut write = |set: &LabelledSet, split: &str| -> Result<()> {
        for i in 0..set.len() {
            let (text, pair) = set.example(i);
            let label = &set.labels[set.label_ids[i]];
            out.write_record([text, pair.unwrap_or_default(), label, split])?;
        }
        Ok(())
    };
    write(&pairs.train, "train")?;
    write(&pairs.test, "test")?;
    out.flush()?;
    eprintln!(
        "wrote {} training and {} test pairs to {}",
        pairs.train.len(),
        pairs.test.len(),
        args.out.display()
    );
    Ok(())
}
