//! `bertlab pretrain`: MLM (optionally with NSP or SOP) from an existing encoder or from scratch,
//! with checkpoints, resume, a wall-clock budget, a progress line and CSV/JSON metrics. A thin
//! shell over `bertlab_core::train`: files, flags, the clock and the progress line live here.

mod setup;
mod training;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use bertlab_core::text::tokenizer::Tokenizer;
use bertlab_core::train::cloze::parse_cloze_tsv;
use bertlab_core::train::eval::evaluate_cloze;
use bertlab_core::train::pretrain::masker_for;
use bertlab_core::train::Trainer;
use serde::{Deserialize, Serialize};

use self::setup::{build_model, load_data, restore, train_config, Start};
use self::training::RunDir;

#[derive(Clone, Copy, clap::ValueEnum, Serialize, Deserialize, PartialEq, Eq, Debug)]
#[serde(rename_all = "lowercase")]
enum Pair {
    None,
    Nsp,
    Sop,
}

#[derive(Clone, Copy, clap::ValueEnum, Serialize, Deserialize, PartialEq, Eq, Debug)]
#[serde(rename_all = "lowercase")]
enum MaskingKind {
    Dynamic,
    Static,
}

#[derive(clap::Args)]
pub struct Args {
    /// Training text: one sentence per line, a blank line between documents (`bertlab corpus`).
    #[arg(long)]
    train: Option<PathBuf>,
    /// Held-out text in the same format, for validation loss / perplexity.
    #[arg(long)]
    valid: Option<PathBuf>,
    /// Run directory: checkpoint (config.json, model.safetensors, tokenizer.json, resume files),
    /// metrics.csv, metrics.json.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Start from this model folder (a base encoder gets a fresh MLM head tied to its embeddings).
    #[arg(long, conflicts_with_all = ["scratch", "resume"])]
    from: Option<PathBuf>,
    /// Start from random weights; needs --config and a tokenizer (--tokenizer or --train-tokenizer).
    #[arg(long, requires = "config", conflicts_with = "resume")]
    scratch: bool,
    /// With --scratch: an HF config.json, or a preset (layers×hidden): tiny (2×32), recipe (4×128,
    /// the lab-scale recipe comparison), mini (4×256), small (6×384).
    #[arg(long)]
    config: Option<String>,
    /// tokenizer.json to use (default: the --from folder's).
    #[arg(long, conflicts_with = "train_tokenizer")]
    tokenizer: Option<PathBuf>,
    /// With --scratch: train a WordPiece tokenizer on the --train file and save it in the run directory.
    #[arg(long, requires = "scratch")]
    train_tokenizer: bool,
    /// Vocabulary size for --train-tokenizer.
    #[arg(long, default_value_t = 8000)]
    tokenizer_vocab: usize,
    /// Continue the run saved in this directory (its data paths and settings are reused).
    #[arg(long, conflicts_with_all = ["from", "scratch"])]
    resume: Option<PathBuf>,
    /// Optimizer updates (schedule length). With --resume, a larger value extends the run.
    #[arg(long)]
    steps: Option<usize>,
    #[arg(long, default_value_t = 32)]
    batch_size: usize,
    /// Micro-batches per update.
    #[arg(long, default_value_t = 1)]
    grad_accum: usize,
    /// Tokens per sequence, [CLS]/[SEP] included.
    #[arg(long, default_value_t = 64)]
    seq_len: usize,
    /// Train on only the first N sequences of --train, read again every epoch (a small text read
    /// many times, as the lab's recipe race does).
    #[arg(long)]
    train_sequences: Option<usize>,
    /// Peak learning rate of the encoder.
    #[arg(long, default_value_t = 1e-4)]
    lr: f64,
    /// Peak learning rate of the heads.
    #[arg(long, default_value_t = 1e-3)]
    head_lr: f64,
    /// Warmup updates (default: 6 % of the steps).
    #[arg(long)]
    warmup: Option<usize>,
    #[arg(long, default_value_t = 0.01)]
    weight_decay: f64,
    /// Clip the global gradient norm (0 = off).
    #[arg(long, default_value_t = 1.0)]
    max_grad_norm: f64,
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Sentence-pair objective next to MLM.
    #[arg(long, value_enum, default_value = "none")]
    pair: Pair,
    #[arg(long, value_enum, default_value = "dynamic")]
    masking: MaskingKind,
    /// Static masking: masks per sequence (BERT duplicated its data 10×).
    #[arg(long, default_value_t = 10)]
    duplicates: usize,
    #[arg(long, default_value_t = 0.15)]
    mask_rate: f64,
    #[arg(long)]
    whole_word: bool,
    /// Train without dropout.
    #[arg(long)]
    no_dropout: bool,
    /// Validate every N updates (0 = only at the end).
    #[arg(long, default_value_t = 100)]
    eval_every: usize,
    #[arg(long, default_value_t = 20)]
    eval_batches: usize,
    /// Checkpoint every N updates.
    #[arg(long, default_value_t = 200)]
    save_every: usize,
    /// Stop (and checkpoint) after this many minutes of wall-clock time in this session.
    #[arg(long)]
    max_minutes: Option<f64>,
    /// Compute threads (sets RAYON_NUM_THREADS; default: all cores or the variable's value).
    #[arg(long)]
    threads: Option<usize>,
    /// Write the final model.safetensors in F16 (half the size; a resume then starts from rounded weights).
    #[arg(long)]
    save_f16: bool,
    /// Score this cloze benchmark at the end (e.g. tests/data/cloze.tsv).
    #[arg(long)]
    cloze: Option<PathBuf>,
    /// Print a progress line every N updates.
    #[arg(long, default_value_t = 10)]
    log_every: usize,
}

/// `run.json`: what a resume needs besides the trainer state (where the data and tokenizer came
/// from), and every session's command line, so a model card can print the commands that made it.
#[derive(Serialize, Deserialize)]
pub struct RunInfo {
    pub train: PathBuf,
    pub valid: Option<PathBuf>,
    pub seq_len: usize,
    /// Only the first this many training sequences are used (`--train-sequences`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub train_sequences: Option<usize>,
    pub started_from: String,
    /// In order: the first session, then each resume. Runs made before sessions were recorded
    /// have none.
    #[serde(default)]
    pub sessions: Vec<Session>,
}

/// One `bertlab pretrain` invocation of a run.
#[derive(Serialize, Deserialize)]
pub struct Session {
    /// The arguments after the program name, exactly as given.
    pub args: Vec<String>,
    /// The working directory the (relative) paths in `args` are relative to.
    pub cwd: PathBuf,
    pub bertlab_version: String,
    /// Update count when the session started and when it ended (absent if it never finished).
    pub start_step: usize,
    pub end_step: Option<usize>,
    /// Wall-clock seconds of the session's training (absent if it never finished).
    pub wall_s: Option<f64>,
}

pub const RUN_INFO: &str = "run.json";

impl RunInfo {
    fn write(&self, out: &Path) -> Result<()> {
        let path = out.join(RUN_INFO);
        std::fs::write(&path, serde_json::to_vec_pretty(self)?)
            .with_context(|| format!("writing {}", path.display()))
    }
}

impl Session {
    /// This invocation, starting at update `start_step`.
    fn current(start_step: usize) -> Result<Session> {
        Ok(Session {
            args: std::env::args().skip(1).collect(),
            cwd: std::env::current_dir().context("reading the working directory")?,
            bertlab_version: env!("CARGO_PKG_VERSION").to_string(),
            start_step,
            end_step: None,
            wall_s: None,
        })
    }
}

pub fn run(args: Args) -> Result<()> {
    set_threads(args.threads)?;
    let Start {
        out,
        mut info,
        tokenizer_path,
        saved,
    } = match &args.resume {
        Some(dir) => Start::resume(dir)?,
        None => Start::new_run(&args)?,
    };
    let tokenizer_json = read(&tokenizer_path)?;
    let tok = Tokenizer::from_bytes(&tokenizer_json)
        .with_context(|| tokenizer_path.display().to_string())?;
    let (config, restored) = train_config(&args, saved.as_ref())?;
    let (model, varmap) = build_model(&args, &config, &tok, info.seq_len)?;
    let (train, valid) = load_data(&info, &tok, &config)?;

    let masker = masker_for(&tok, config.masking.clone())?;
    let mut trainer = Trainer::new(model, &varmap, train, valid, masker, config.clone())?;
    let mut log = restore(&mut trainer, restored.as_ref(), &out, config.steps)?;
    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    // Recorded before training, so even an interrupted session leaves its command line.
    info.sessions.push(Session::current(trainer.step())?);
    info.write(&out)?;

    let start = Instant::now();
    let first_step = trainer.step();
    let run_dir = RunDir {
        out: &out,
        varmap: &varmap,
        tokenizer_json: &tokenizer_json,
    };
    let stopped_by_budget = training::train(&mut trainer, &mut log, &run_dir, &args, start)?;
    training::finish(&mut trainer, &mut log, &run_dir, &args, stopped_by_budget)?;
    let secs = start.elapsed().as_secs_f64();
    if let Some(session) = info.sessions.last_mut() {
        session.end_step = Some(trainer.step());
        session.wall_s = Some(secs);
    }
    info.write(&out)?;
    println!(
        "trained {} updates this session ({} in all, {} tokens seen) in {}; checkpoint in {}{}",
        trainer.step() - first_step,
        trainer.step(),
        trainer.tokens_seen(),
        fmt_duration(secs),
        out.display(),
        if args.save_f16 { " (F16 weights)" } else { "" }
    );
    if let Some(path) = &args.cloze {
        score_cloze(path, &trainer, &tok, &out)?;
    }
    let _ = std::io::stdout().flush();
    Ok(())
}

fn set_threads(threads: Option<usize>) -> Result<()> {
    if let Some(n) = threads {
        if n == 0 {
            bail!("--threads must be at least 1");
        }
        // candle's matmuls and rayon's pool both read it; set before any tensor work.
        std::env::set_var("RAYON_NUM_THREADS", n.to_string());
    }
    Ok(())
}

/// --cloze: scores the trained model, prints top-1 / top-5 and writes cloze.json.
fn score_cloze(path: &Path, trainer: &Trainer, tok: &Tokenizer, out: &Path) -> Result<()> {
    let items = parse_cloze_tsv(&read_text(path)?).with_context(|| path.display().to_string())?;
    let score = evaluate_cloze(trainer.model(), tok, &items)?;
    println!(
        "cloze ({} items): top-1 {:.1}%  top-5 {:.1}%",
        score.overall.items,
        100.0 * score.top1(),
        100.0 * score.top5()
    );
    let json = out.join("cloze.json");
    std::fs::write(&json, serde_json::to_vec_pretty(&score)?)
        .with_context(|| format!("writing {}", json.display()))
}

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("reading {}", path.display()))
}

fn read_text(path: &Path) -> Result<String> {
    String::from_utf8(read(path)?).with_context(|| format!("{} is not UTF-8 text", path.display()))
}

fn fmt_duration(s: f64) -> String {
    let s = s.max(0.0) as u64;
    if s >= 3600 {
        format!("{}h{:02}m", s / 3600, s / 60 % 60)
    } else {
        format!("{}m{:02}s", s / 60, s % 60)
    }
}
