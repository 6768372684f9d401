//! `bertlab train-tokenizer`: train a WordPiece (BERT-style), byte-level BPE (RoBERTa-style) or
//! Unigram (ALBERT-style) tokenizer on text files and save its tokenizer.json.

use std::path::{Path, PathBuf};

use crate::train_tokenizer::train_tokenizer;
use anyhow::{Context, Result};
use bertlab_core::text::tokenizer::{Tokenizer, TokenizerKind};

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum Kind {
    Wordpiece,
    Bpe,
    Unigram,
}

impl From<Kind> for TokenizerKind {
    fn from(kind: Kind) -> Self {
        match kind {
            Kind::Wordpiece => TokenizerKind::WordPiece,
            Kind::Bpe => TokenizerKind::Bpe,
            Kind::Unigram => TokenizerKind::Unigram,
        }
    }
}

#[derive(clap::Args)]
pub struct Args {
    #[arg(long, value_enum)]
    kind: Kind,
    /// Largest vocabulary, special tokens included.
    #[arg(long, default_value_t = 8000)]
    vocab_size: usize,
    /// Text files, one sentence (or paragraph) per line.
    #[arg(long, required = true, num_args = 1..)]
    input: Vec<PathBuf>,
    /// Where to write tokenizer.json.
    #[arg(long)]
    out: PathBuf,
}

/// Trains on the lines of `files`.
pub fn train_on_files(
    kind: TokenizerKind,
    vocab_size: usize,
    files: &[PathBuf],
) -> Result<Tokenizer> {
    let texts = files
        .iter()
        .map(|f| std::fs::read_to_string(f).with_context(|| format!("reading {}", f.display())))
        .collect::<Result<Vec<String>>>()?;
    Ok(train_tokenizer(
        kind,
        vocab_size,
        texts.iter().flat_map(|t| t.lines()),
    )?)
}

/// Writes `tokenizer` as `path`, creating its folder.
pub fn save(tokenizer: &Tokenizer, path: &Path) -> Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    std::fs::write(path, tokenizer.to_json()?)
        .with_context(|| format!("writing {}", path.display()))
}

pub fn run(args: Args) -> Result<()> {
    let tokenizer = train_on_files(args.kind.into(), args.vocab_size, &args.input)?;
    save(&tokenizer, &args.out)?;
    println!(
        "trained a {:?} tokenizer of {} tokens; saved {}",
        tokenizer.kind(),
        tokenizer.vocab_size(),
        args.out.display()
    );
    Ok(())
}
