//! `bertlab datasets-sentence-objectives`: the fine-tuning lab's next-sentence and sentence-order
//! sets, made from the public-domain corpus sample (training pairs from `train.txt`, test pairs from
//! `valid.txt`, so no document is on both sides), in couples (see `train::objective_pairs`).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use bertlab_core::train::data::documents;
use bertlab_core::train::objective_pairs::{objective_pairs, ObjectivePair, SENTENCE_WORDS};
use bertlab_core::train::PairTask;

#[derive(clap::Args)]
pub struct Args {
    /// The corpus folder (`train.txt`, `valid.txt`: one sentence per line, a blank line between
    /// documents).
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/../../assets/corpus"))]
    corpus: PathBuf,
    /// The folder to write `next-sentence.csv` and `sentence-order.csv` to.
    #[arg(long)]
    out_dir: PathBuf,
    /// Couples (a positive and a negative pair each) drawn from `train.txt`.
    #[arg(long, default_value_t = 300)]
    train_couples: usize,
    /// Couples drawn from `valid.txt`.
    #[arg(long, default_value_t = 100)]
    test_couples: usize,
    #[arg(long, default_value_t = 42)]
    seed: u64,
}

fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))
}

pub fn run(args: Args) -> Result<()> {
    let train = read(&args.corpus.join("train.txt"))?;
    let test = read(&args.corpus.join("valid.txt"))?;
    let (train, test) = (documents(&train), documents(&test));
    for (task, file) in [
        (PairTask::Nsp, "next-sentence.csv"),
        (PairTask::Sop, "sentence-order.csv"),
    ] {
        let splits = [
            (
                "train",
                objective_pairs(&train, task, args.train_couples, args.seed),
            ),
            (
                "test",
                objective_pairs(&test, task, args.test_couples, args.seed),
            ),
        ];
        for (split, pairs) in &splits {
            let wanted = if *split == "train" {
                args.train_couples
            } else {
                args.test_couples
            };
            if pairs.len() < 2 * wanted {
                anyhow::bail!(
                    "{}: only {} {split} couples of neighbouring sentences (of {} to {} words), {wanted} wanted",
                    args.corpus.display(),
                    pairs.len() / 2,
                    SENTENCE_WORDS.start(),
                    SENTENCE_WORDS.end()
                );
            }
        }
        let path = args.out_dir.join(file);
        let mut out = csv::Writer::from_path(&path)
            .with_context(|| format!("creating {}", path.display()))?;
        out.write_record(["text", "text_pair", "label", "split"])?;
        for (split, pairs) in &splits {
            for ObjectivePair {
                text,
                text_pair,
                label,
            } in pairs
            {
                out.write_record([text.as_str(), text_pair, label, split])?;
            }
        }
        out.flush()?;
        eprintln!(
            "wrote {} training and {} test pairs to {}",
            splits[0].1.len(),
            splits[1].1.len(),
            path.display()
        );
    }
    Ok(())
}
