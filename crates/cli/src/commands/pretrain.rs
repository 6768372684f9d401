//! `bertlab pretrain`: MLM (optionally with NSP or SOP) from an existing encoder or from scratch,
//! with checkpoints, resume, a wall-clock budget, a progress line and CSV/JSON metrics. A thin
//! shell over `bertlab_core::train`: files, flags, the clock and the progress line live here.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use bertlab_core::masking::{MaskingConfig, Strategy};
use bertlab_core::model::{EncoderConfig, Family};
use bertlab_core::text::tokenizer::TokenizerKind;
use bertlab_core::train::checkpoint::{self, dir};
use bertlab_core::train::cloze::parse_cloze_tsv;
use bertlab_core::train::data::build_examples;
use bertlab_core::train::eval::evaluate_cloze;
use bertlab_core::train::optimizer::AdamWParams;
use bertlab_core::train::pretrain::masker_for;
use bertlab_core::train::{MetricsLog, PairTask, TrainConfig, TrainError, TrainEvent, Trainer};
use serde::{Deserialize, Serialize};

use super::model_dir;
use super::train_tokenizer::{save as save_tokenizer, train_on_files};

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

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("reading {}", path.display()))
}

fn read_text(path: &Path) -> Result<String> {
    String::from_utf8(read(path)?).with_context(|| format!("{} is not UTF-8 text", path.display()))
}

fn preset(name: &str, vocab: usize) -> Result<EncoderConfig> {
    let mut cfg = match name {
        "tiny" => EncoderConfig::tiny(Family::Bert),
        "recipe" => EncoderConfig::sized(Family::Bert, 4, 128, 2, 512),
        "mini" => EncoderConfig::sized(Family::Bert, 4, 256, 4, 1024),
        "small" => EncoderConfig::sized(Family::Bert, 6, 384, 6, 1536),
        path => {
            let bytes = read(Path::new(path)).context(
                "--config is neither a preset (tiny, recipe, mini, small) nor a readable config.json",
            )?;
            EncoderConfig::from_hf_json(&bytes).with_context(|| path.to_string())?
        }
    };
    cfg.vocab_size = vocab;
    Ok(cfg)
}

fn fmt_duration(s: f64) -> String {
    let s = s.max(0.0) as u64;
    if s >= 3600 {
        format!("{}h{:02}m", s / 3600, s / 60 % 60)
    } else {
        format!("{}m{:02}s", s / 60, s % 60)
    }
}

pub fn run(args: Args) -> Result<()> {
    if let Some(n) = args.threads {
        if n == 0 {
            bail!("--threads must be at least 1");
        }
        // candle's matmuls and rayon's pool both read it; set before any tensor work.
        std::env::set_var("RAYON_NUM_THREADS", n.to_string());
    }
    let (out, mut info, tokenizer_path, saved_state) = match &args.resume {
        Some(d) => {
            let info: RunInfo = serde_json::from_slice(&read(&d.join(RUN_INFO))?)
                .with_context(|| format!("{} is not a pretrain run directory", d.display()))?;
            let files = dir::load_run_files(d)?;
            (d.clone(), info, d.join("tokenizer.json"), Some(files))
        }
        None => {
            let out = args
                .out
                .clone()
                .context("--out DIR is required (or --resume DIR)")?;
            let train = args.train.clone().context("--train FILE is required")?;
            let (tokenizer, started_from) = match (&args.from, args.scratch) {
                (Some(f), _) => (
                    args.tokenizer
                        .clone()
                        .unwrap_or_else(|| f.join("tokenizer.json")),
                    f.display().to_string(),
                ),
                (None, true) => {
                    let tokenizer = if args.train_tokenizer {
                        let trained = train_on_files(
                            TokenizerKind::WordPiece,
                            args.tokenizer_vocab,
                            std::slice::from_ref(&train),
                        )?;
                        let path = out.join("tokenizer.json");
                        save_tokenizer(&trained, &path)?;
                        eprintln!(
                            "trained a WordPiece tokenizer of {} tokens on {}; saved {}",
                            trained.vocab_size(),
                            train.display(),
                            path.display()
                        );
                        path
                    } else {
                        args.tokenizer.clone().context(
                            "--scratch needs --tokenizer FILE (tokenizer.json) or --train-tokenizer",
                        )?
                    };
                    (
                        tokenizer,
                        format!("scratch:{}", args.config.clone().unwrap_or_default()),
                    )
                }
                (None, false) => bail!(
                    "say where to start: --from DIR, --scratch --config PRESET, or --resume DIR"
                ),
            };
            let info = RunInfo {
                train,
                valid: args.valid.clone(),
                seq_len: args.seq_len,
                started_from,
                sessions: Vec::new(),
            };
            (out, info, tokenizer, None)
        }
    };
    let tokenizer_json = read(&tokenizer_path)?;
    let tok = bertlab_core::text::tokenizer::Tokenizer::from_bytes(&tokenizer_json)
        .with_context(|| tokenizer_path.display().to_string())?;

    // The run's configuration: saved one on resume (steps may be extended), else the flags.
    let (config, state_moments) = match &saved_state {
        Some(files) => {
            let (state, moments) = files.parse()?;
            let mut c = state.config.clone();
            if let Some(s) = args.steps {
                c.steps = s;
            }
            (c, Some((state, moments)))
        }
        None => {
            let steps = args.steps.unwrap_or(1000);
            let masking = MaskingConfig {
                selection_rate: args.mask_rate,
                whole_word: args.whole_word,
                strategy: match args.masking {
                    MaskingKind::Dynamic => Strategy::Dynamic,
                    MaskingKind::Static => Strategy::Static {
                        duplicates: args.duplicates,
                    },
                },
                seed: args.seed,
                ..MaskingConfig::default()
            };
            let c = TrainConfig {
                steps,
                batch_size: args.batch_size,
                grad_accum: args.grad_accum,
                lr_encoder: args.lr,
                lr_head: args.head_lr,
                warmup_steps: args.warmup.unwrap_or(steps * 6 / 100),
                adam: AdamWParams {
                    weight_decay: args.weight_decay,
                    ..AdamWParams::default()
                },
                max_grad_norm: args.max_grad_norm,
                seed: args.seed,
                dropout: !args.no_dropout,
                pair_task: match args.pair {
                    Pair::None => PairTask::None,
                    Pair::Nsp => PairTask::Nsp,
                    Pair::Sop => PairTask::Sop,
                },
                masking,
                eval_every: args.eval_every,
                eval_batches: args.eval_batches,
            };
            (c, None)
        }
    };
    config.validate()?;

    // The model.
    let (model, varmap) = if let Some(d) = &args.resume {
        let (m, v, report) = checkpoint::model_from_checkpoint(
            &model_dir::checkpoint(d)?,
            config.pair_task,
            config.seed,
        )?;
        if !report.fresh.is_empty() {
            bail!("the checkpoint in {} lacks {:?}", d.display(), report.fresh);
        }
        (m, v)
    } else if let Some(f) = &args.from {
        let ckpt = model_dir::checkpoint(f)?;
        if ckpt.config.vocab_size != tok.vocab_size() {
            bail!(
                "the model has {} token embeddings but the tokenizer {} tokens",
                ckpt.config.vocab_size,
                tok.vocab_size()
            );
        }
        let (m, v, report) =
            checkpoint::model_from_checkpoint(&ckpt, config.pair_task, config.seed)?;
        eprintln!(
            "loaded {} tensors from {}; freshly initialised: {}",
            report.loaded,
            f.display(),
            if report.fresh.is_empty() {
                "none".to_string()
            } else {
                report.fresh.join(", ")
            }
        );
        (m, v)
    } else {
        let cfg = preset(args.config.as_deref().unwrap_or("tiny"), tok.vocab_size())?;
        if cfg.max_input_len() < info.seq_len {
            bail!(
                "--seq-len {} exceeds the model's {} positions",
                info.seq_len,
                cfg.max_input_len()
            );
        }
        checkpoint::fresh_model(&cfg, config.pair_task, config.seed)?
    };
    let mcfg = model.encoder().config().clone();
    if mcfg.max_input_len() < info.seq_len {
        bail!(
            "--seq-len {} exceeds the model's {} positions",
            info.seq_len,
            mcfg.max_input_len()
        );
    }

    // The data.
    let t0 = Instant::now();
    let train = build_examples(
        &read_text(&info.train)?,
        &tok,
        info.seq_len,
        config.pair_task,
        config.seed,
    )
    .with_context(|| info.train.display().to_string())?;
    let valid = match &info.valid {
        Some(v) => build_examples(
            &read_text(v)?,
            &tok,
            info.seq_len,
            config.pair_task,
            config.seed ^ 1,
        )
        .with_context(|| v.display().to_string())?,
        None => Vec::new(),
    };
    let train_tokens: usize = train.iter().map(|e| e.ids.len()).sum();
    eprintln!(
        "data: {} training sequences ({} tokens), {} validation sequences, packed to {} tokens in {:.1}s",
        train.len(),
        train_tokens,
        valid.len(),
        info.seq_len,
        t0.elapsed().as_secs_f64()
    );

    let masker = masker_for(&tok, config.masking.clone())?;
    let mut trainer = Trainer::new(model, &varmap, train, valid, masker, config.clone())?;
    let mut log = MetricsLog::default();
    if let Some((state, moments)) = &state_moments {
        trainer.restore(state, moments)?;
        if let Ok(bytes) = std::fs::read(out.join("metrics.json")) {
            log =
                serde_json::from_slice(&bytes).context("metrics.json of the run is unreadable")?;
            log.truncate_after(state.step);
        }
        eprintln!(
            "resuming at step {} of {} ({} tokens seen)",
            state.step, config.steps, state.tokens_seen
        );
    }
    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    // Recorded before training, so even an interrupted session leaves its command line.
    info.sessions.push(Session {
        args: std::env::args().skip(1).collect(),
        cwd: std::env::current_dir().context("reading the working directory")?,
        bertlab_version: env!("CARGO_PKG_VERSION").to_string(),
        start_step: trainer.step(),
        end_step: None,
        wall_s: None,
    });
    let write_info = |info: &RunInfo| -> Result<()> {
        std::fs::write(out.join(RUN_INFO), serde_json::to_vec_pretty(info)?)
            .with_context(|| format!("writing {}", out.join(RUN_INFO).display()))
    };
    write_info(&info)?;

    let total = config.steps;
    let start = Instant::now();
    let wall0 = log.last_wall_s();
    let first_step = trainer.step();
    let budget = args.max_minutes.map(|m| m * 60.0);
    let mut stopped_by_budget = false;
    let save = |trainer: &Trainer, log: &MetricsLog, f16: bool| -> Result<()> {
        dir::save(&out, trainer, &varmap, &tokenizer_json, f16)?;
        std::fs::write(out.join("metrics.csv"), log.to_csv())?;
        std::fs::write(out.join("metrics.json"), log.to_json())?;
        Ok(())
    };
    let mut last_saved = trainer.step();
    let mut session_tokens = 0f64;
    let log_every = args.log_every.max(1);
    while trainer.step() < total && !stopped_by_budget {
        let until = total.min(trainer.step() + args.save_every.max(1));
        let mut should_stop = || {
            let over = budget.is_some_and(|b| start.elapsed().as_secs_f64() >= b);
            stopped_by_budget |= over;
            over
        };
        let mut on_event = |ev: TrainEvent| match ev {
            TrainEvent::Step(m) => {
                let elapsed = start.elapsed().as_secs_f64();
                let done = m.step - first_step;
                session_tokens += m.tokens as f64;
                if m.step % log_every == 0 || m.step == total || m.step == first_step + 1 {
                    let rate = session_tokens / elapsed.max(1e-9);
                    let eta = elapsed / done as f64 * (total - m.step) as f64;
                    let pair = m
                        .pair_accuracy
                        .map_or(String::new(), |a| format!(" pair-acc {a:.3}"));
                    eprintln!(
                        "step {}/{} loss {:.4} mlm-acc {:.3}{pair} ppl {:.1} lr {:.2e} |g| {:.2} | {:.0} tok/s | {} elapsed, ETA {}",
                        m.step, total, m.loss, m.mlm_accuracy, m.perplexity, m.lr, m.grad_norm, rate,
                        fmt_duration(elapsed), fmt_duration(eta)
                    );
                }
                log.push_step(m, wall0 + elapsed);
            }
            TrainEvent::Validation(e) => {
                eprintln!(
                    "  validation at step {}: loss {:.4} acc {:.3} ppl {:.2}",
                    e.step, e.loss, e.accuracy, e.perplexity
                );
                log.push_validation(e);
            }
        };
        match trainer.run(until, &mut should_stop, &mut on_event) {
            Ok(_) => {}
            Err(err @ TrainError::NonFinite { .. }) => {
                std::fs::write(out.join("metrics.csv"), log.to_csv())?;
                std::fs::write(out.join("metrics.json"), log.to_json())?;
                bail!(
                    "{err}\nthe last good checkpoint (step {last_saved}) is kept in {}",
                    out.display()
                );
            }
            Err(err) => return Err(err.into()),
        }
        if trainer.step() < total && !stopped_by_budget {
            save(&trainer, &log, false)?;
            last_saved = trainer.step();
        }
    }
    if stopped_by_budget {
        eprintln!(
            "stopped after the {:.1}-minute budget at step {}",
            args.max_minutes.unwrap_or(0.0),
            trainer.step()
        );
    }
    // Final validation (unless the last update just ran one) and checkpoint.
    if log.rows.last().is_some_and(|r| r.valid.is_none()) {
        if let Some(e) = trainer.validate()? {
            eprintln!(
                "validation at step {}: loss {:.4} acc {:.3} ppl {:.2}",
                e.step, e.loss, e.accuracy, e.perplexity
            );
            log.push_validation(e);
        }
    }
    save(&trainer, &log, args.save_f16)?;
    let secs = start.elapsed().as_secs_f64();
    if let Some(session) = info.sessions.last_mut() {
        session.end_step = Some(trainer.step());
        session.wall_s = Some(secs);
    }
    write_info(&info)?;
    let tokens = trainer.tokens_seen();
    println!(
        "trained {} updates this session ({} in all, {} tokens seen) in {}; checkpoint in {}{}",
        trainer.step() - first_step,
        trainer.step(),
        tokens,
        fmt_duration(secs),
        out.display(),
        if args.save_f16 { " (F16 weights)" } else { "" }
    );
    if let Some(path) = &args.cloze {
        let items =
            parse_cloze_tsv(&read_text(path)?).with_context(|| path.display().to_string())?;
        let score = evaluate_cloze(trainer.model(), &tok, &items)?;
        println!(
            "cloze ({} items): top-1 {:.1}%  top-5 {:.1}%",
            score.overall.items,
            100.0 * score.top1(),
            100.0 * score.top5()
        );
        std::fs::write(out.join("cloze.json"), serde_json::to_vec_pretty(&score)?)?;
    }
    let _ = std::io::stdout().flush();
    Ok(())
}
