//! The steps before training: where the session starts, the run's configuration, the model, the
//! data, and on resume the trainer's state and metrics.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use bertlab_core::masking::{MaskingConfig, Strategy};
use bertlab_core::model::{EncoderConfig, Family};
use bertlab_core::text::tokenizer::{Tokenizer, TokenizerKind};
use bertlab_core::train::checkpoint::{self, dir, RunFiles};
use bertlab_core::train::data::{build_examples, Example};
use bertlab_core::train::optimizer::AdamWParams;
use bertlab_core::train::pretrain::ResumeState;
use bertlab_core::train::{MetricsLog, PairTask, PretrainModel, TrainConfig, Trainer};
use candle_core::Tensor;
use candle_nn::VarMap;

use super::{read, read_text, Args, MaskingKind, Pair, RunInfo, RUN_INFO};
use crate::commands::model_dir;
use crate::commands::train_tokenizer::{save as save_tokenizer, train_on_files};

/// The trainer state and AdamW moments a resumed run continues from.
pub type Restored = (ResumeState, HashMap<String, Tensor>);

/// Where a session starts: the run directory, its `run.json`, the tokenizer file and, on resume,
/// the saved trainer files.
pub struct Start {
    pub out: PathBuf,
    pub info: RunInfo,
    pub tokenizer_path: PathBuf,
    pub saved: Option<RunFiles>,
}

impl Start {
    /// --resume: everything comes from the run directory.
    pub fn resume(dir: &Path) -> Result<Start> {
        let info: RunInfo = serde_json::from_slice(&read(&dir.join(RUN_INFO))?)
            .with_context(|| format!("{} is not a pretrain run directory", dir.display()))?;
        let saved = dir::load_run_files(dir)?;
        Ok(Start {
            out: dir.to_path_buf(),
            info,
            tokenizer_path: dir.join("tokenizer.json"),
            saved: Some(saved),
        })
    }

    /// A first session: the flags name the data, the starting point and the tokenizer.
    pub fn new_run(args: &Args) -> Result<Start> {
        let out = args
            .out
            .clone()
            .context("--out DIR is required (or --resume DIR)")?;
        let train = args.train.clone().context("--train FILE is required")?;
        let (tokenizer_path, started_from) = match (&args.from, args.scratch) {
            (Some(f), _) => (
                args.tokenizer
                    .clone()
                    .unwrap_or_else(|| f.join("tokenizer.json")),
                f.display().to_string(),
            ),
            (None, true) => (
                scratch_tokenizer(args, &train, &out)?,
                format!("scratch:{}", args.config.clone().unwrap_or_default()),
            ),
            (None, false) => {
                bail!("say where to start: --from DIR, --scratch --config PRESET, or --resume DIR")
            }
        };
        let info = RunInfo {
            train,
            valid: args.valid.clone(),
            seq_len: args.seq_len,
            train_sequences: args.train_sequences,
            started_from,
            sessions: Vec::new(),
        };
        Ok(Start {
            out,
            info,
            tokenizer_path,
            saved: None,
        })
    }
}

/// With --scratch: the --tokenizer file, or (--train-tokenizer) a WordPiece tokenizer trained on
/// the training text and saved in the run directory.
fn scratch_tokenizer(args: &Args, train: &Path, out: &Path) -> Result<PathBuf> {
    if !args.train_tokenizer {
        return args
            .tokenizer
            .clone()
            .context("--scratch needs --tokenizer FILE (tokenizer.json) or --train-tokenizer");
    }
    let trained = train_on_files(
        TokenizerKind::WordPiece,
        args.tokenizer_vocab,
        &[train.to_path_buf()],
    )?;
    let path = out.join("tokenizer.json");
    save_tokenizer(&trained, &path)?;
    eprintln!(
        "trained a WordPiece tokenizer of {} tokens on {}; saved {}",
        trained.vocab_size(),
        train.display(),
        path.display()
    );
    Ok(path)
}

/// The run's configuration, validated: on resume the saved one (--steps may extend it) together
/// with the state to restore, else the flags'.
pub fn train_config(
    args: &Args,
    saved: Option<&RunFiles>,
) -> Result<(TrainConfig, Option<Restored>)> {
    let (config, restored) = match saved {
        Some(files) => {
            let (state, moments) = files.parse()?;
            let mut c = state.config.clone();
            if let Some(s) = args.steps {
                c.steps = s;
            }
            (c, Some((state, moments)))
        }
        None => (config_from_flags(args), None),
    };
    config.validate()?;
    Ok((config, restored))
}

fn config_from_flags(args: &Args) -> TrainConfig {
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
    TrainConfig {
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
    }
}

/// The model: the resumed checkpoint, the --from folder's weights (missing heads freshly
/// initialised) or random weights of the --config preset; its positions must cover --seq-len.
pub fn build_model(
    args: &Args,
    config: &TrainConfig,
    tok: &Tokenizer,
    seq_len: usize,
) -> Result<(PretrainModel, VarMap)> {
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
        base_model(f, config, tok)?
    } else {
        let cfg = preset(args.config.as_deref().unwrap_or("tiny"), tok.vocab_size())?;
        checkpoint::fresh_model(&cfg, config.pair_task, config.seed)?
    };
    let positions = model.encoder().config().max_input_len();
    if positions < seq_len {
        bail!("--seq-len {seq_len} exceeds the model's {positions} positions");
    }
    Ok((model, varmap))
}

/// --from: the folder's weights; heads it lacks (a base encoder's MLM head) start fresh.
fn base_model(
    folder: &Path,
    config: &TrainConfig,
    tok: &Tokenizer,
) -> Result<(PretrainModel, VarMap)> {
    let ckpt = model_dir::checkpoint(folder)?;
    if ckpt.config.vocab_size != tok.vocab_size() {
        bail!(
            "the model has {} token embeddings but the tokenizer {} tokens",
            ckpt.config.vocab_size,
            tok.vocab_size()
        );
    }
    let (m, v, report) = checkpoint::model_from_checkpoint(&ckpt, config.pair_task, config.seed)?;
    eprintln!(
        "loaded {} tensors from {}; freshly initialised: {}",
        report.loaded,
        folder.display(),
        if report.fresh.is_empty() {
            "none".to_string()
        } else {
            report.fresh.join(", ")
        }
    );
    Ok((m, v))
}

/// The training and validation sequences, packed to the run's length; validation draws its
/// sentence pairs (NSP/SOP) from a seed of its own.
pub fn load_data(
    info: &RunInfo,
    tok: &Tokenizer,
    config: &TrainConfig,
) -> Result<(Vec<Example>, Vec<Example>)> {
    let t0 = Instant::now();
    let examples = |path: &Path, seed: u64| -> Result<Vec<Example>> {
        build_examples(&read_text(path)?, tok, info.seq_len, config.pair_task, seed)
            .with_context(|| path.display().to_string())
    };
    let mut train = examples(&info.train, config.seed)?;
    if let Some(n) = info.train_sequences {
        if n == 0 {
            bail!("--train-sequences must be at least 1");
        }
        train.truncate(n);
    }
    let valid = match &info.valid {
        Some(v) => examples(v, config.seed ^ 1)?,
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
    Ok((train, valid))
}

/// On resume: the trainer's state and the run's metrics up to its checkpoint (a failed session may
/// have logged updates past it). A fresh run starts with an empty log.
pub fn restore(
    trainer: &mut Trainer,
    restored: Option<&Restored>,
    out: &Path,
    total: usize,
) -> Result<MetricsLog> {
    let mut log = MetricsLog::default();
    let Some((state, moments)) = restored else {
        return Ok(log);
    };
    trainer.restore(state, moments)?;
    if let Ok(bytes) = std::fs::read(out.join("metrics.json")) {
        log = serde_json::from_slice(&bytes).context("metrics.json of the run is unreadable")?;
        log.truncate_after(state.step);
    }
    eprintln!(
        "resuming at step {} of {} ({} tokens seen)",
        state.step, total, state.tokens_seen
    );
    Ok(log)
}

/// --config: a preset or an HF config.json, sized to the tokenizer's vocabulary.
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
