//! `bertlab card`: turns a finished `bertlab pretrain` run into a model folder — the final
//! checkpoint's config.json, model.safetensors and tokenizer.json, a training-curve PNG and a
//! card.md written only from the run's recorded files: run.json (data paths and every session's
//! command line), trainer_state.json (the run's settings, steps, tokens seen), metrics.json
//! (wall time, validation), the corpus manifest.json next to the training text, the base model's
//! SOURCE.md, and a cloze score of the copied weights.

mod command_line;
mod render;

use std::path::{Path, PathBuf};

use crate::corpus::Manifest;
use anyhow::{bail, Context, Result};
use bertlab_core::model::EncoderConfig;
use bertlab_core::train::cloze::parse_cloze_tsv;
use bertlab_core::train::curves::DEFAULT_SMOOTHING;
use bertlab_core::train::eval::evaluate_cloze;
use bertlab_core::train::pretrain::ResumeState;
use bertlab_core::train::MetricsLog;

use self::command_line::command_line;
use self::render::{render, Facts};
use super::model_dir;
use super::plot;
use super::pretrain::{RunInfo, RUN_INFO};

#[derive(clap::Args)]
pub struct Args {
    /// A run directory written by `bertlab pretrain`.
    #[arg(long)]
    run: PathBuf,
    /// The model folder to write (created; its config.json, model.safetensors, tokenizer.json,
    /// card.md and curve.png are replaced).
    #[arg(long)]
    out: PathBuf,
    /// The model's name in the card (default: the folder's name).
    #[arg(long)]
    name: Option<String>,
    /// The cloze benchmark the copied model is scored on.
    #[arg(long, default_value = "tests/data/cloze.tsv")]
    cloze: PathBuf,
    /// Another run drawn on the same curve for comparison (repeatable).
    #[arg(long)]
    compare: Vec<PathBuf>,
}

/// The checkpoint files a model folder holds (the lab's model layout).
const MODEL_FILES: [&str; 3] = ["config.json", "model.safetensors", "tokenizer.json"];

pub fn run(args: Args) -> Result<()> {
    let (info, state, log) = read_run(&args.run)?;
    if std::fs::canonicalize(&args.run).ok() == std::fs::canonicalize(&args.out).ok() {
        bail!("--out must be a folder other than the run directory");
    }
    let cloze_text = std::fs::read_to_string(&args.cloze)
        .with_context(|| format!("reading the cloze benchmark {}", args.cloze.display()))?;
    let items = parse_cloze_tsv(&cloze_text).with_context(|| args.cloze.display().to_string())?;

    copy_model_files(&args.run, &args.out)?;
    let weights = Weights::of(&args.out)?;
    let tok = model_dir::tokenizer(&args.out)?;
    let cloze = evaluate_cloze(&model_dir::masked_lm(&args.out)?, &tok, &items)?;

    let name = args
        .name
        .clone()
        .unwrap_or_else(|| plot::run_label(&args.out));
    draw_curve(&args, &name)?;

    let facts = Facts {
        name,
        run: args.run.clone(),
        state,
        log,
        model: weights.model,
        architecture: weights.architecture,
        parameters: weights.parameters,
        weights_dtype: weights.dtype,
        weights_bytes: weights.bytes,
        manifest: corpus_manifest(&info)?,
        base_source: base_source(&info),
        cloze_path: args.cloze.clone(),
        cloze,
        compared: args.compare.iter().map(|r| plot::run_label(r)).collect(),
        card_command: command_line(&std::env::args().skip(1).collect::<Vec<_>>()),
        info,
    };
    let card = args.out.join("card.md");
    std::fs::write(&card, render(&facts)?)
        .with_context(|| format!("writing {}", card.display()))?;
    println!(
        "wrote {} (card.md, curve.png, {}): cloze top-1 {:.1}%, top-5 {:.1}%",
        args.out.display(),
        MODEL_FILES.join(", "),
        100.0 * facts.cloze.top1(),
        100.0 * facts.cloze.top5()
    );
    Ok(())
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_slice(&bytes).with_context(|| format!("{} is unreadable", path.display()))
}

/// The run's recorded files: run.json, trainer_state.json and its metrics (at least one step).
fn read_run(run: &Path) -> Result<(RunInfo, ResumeState, MetricsLog)> {
    let info: RunInfo = read_json(&run.join(RUN_INFO)).with_context(|| {
        format!(
            "{} is not a `bertlab pretrain` run directory",
            run.display()
        )
    })?;
    let state: ResumeState = read_json(&run.join("trainer_state.json"))?;
    let log = plot::read_metrics(run)?;
    if log.rows.is_empty() {
        bail!("{} recorded no training step", run.display());
    }
    Ok((info, state, log))
}

/// The model folder: the run's checkpoint files, copied unchanged.
fn copy_model_files(run: &Path, out: &Path) -> Result<()> {
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    for file in MODEL_FILES {
        let from = run.join(file);
        std::fs::copy(&from, out.join(file))
            .with_context(|| format!("copying {} into {}", from.display(), out.display()))?;
    }
    Ok(())
}

/// What the card says about the copied weights.
struct Weights {
    model: EncoderConfig,
    architecture: String,
    /// Stored parameters, aliases of tied weights skipped.
    parameters: usize,
    dtype: String,
    bytes: u64,
}

impl Weights {
    fn of(dir: &Path) -> Result<Weights> {
        let model = model_dir::config(dir)?;
        let ckpt = model_dir::checkpoint(dir)?;
        let parameters = ckpt
            .tensor_names()
            .iter()
            .filter(|name| !ckpt.is_alias(name))
            .filter_map(|name| ckpt.tensor(name))
            .map(|t| t.elem_count())
            .sum();
        let file = dir.join("model.safetensors");
        let bytes = std::fs::metadata(&file)
            .with_context(|| format!("reading {}", file.display()))?
            .len();
        let architecture = model
            .architectures
            .first()
            .cloned()
            .unwrap_or_else(|| format!("{}ForMaskedLM", model.family.class_prefix()));
        Ok(Weights {
            model,
            architecture,
            parameters,
            dtype: ckpt.source_dtypes().join(", "),
            bytes,
        })
    }
}

/// curve.png: this run's curve, with the --compare runs drawn next to it.
fn draw_curve(args: &Args, name: &str) -> Result<()> {
    let mut runs = vec![args.run.clone()];
    runs.extend(args.compare.iter().cloned());
    let mut labels = vec![name.to_string()];
    labels.extend(args.compare.iter().map(|r| plot::run_label(r)));
    let png = plot::render(
        &runs,
        &labels,
        &format!("{name}: masked-language-model loss"),
        (900, 540),
        DEFAULT_SMOOTHING,
    )?;
    let path = args.out.join("curve.png");
    std::fs::write(&path, png).with_context(|| format!("writing {}", path.display()))
}

/// A path recorded by a session, resolved against that session's working directory.
fn resolve(path: &Path, info: &RunInfo) -> PathBuf {
    match info.sessions.first() {
        Some(s) if path.is_relative() => s.cwd.join(path),
        _ => path.to_path_buf(),
    }
}

/// The manifest.json `bertlab corpus` left next to the training text, if any.
fn corpus_manifest(info: &RunInfo) -> Result<Option<(PathBuf, Manifest)>> {
    info.train
        .parent()
        .map(|d| resolve(&d.join("manifest.json"), info))
        .filter(|p| p.exists())
        .map(|p| read_json::<Manifest>(&p).map(|m| (p, m)))
        .transpose()
}

/// The base model's SOURCE.md (where its weights came from), unless the run started from scratch.
fn base_source(info: &RunInfo) -> Option<(PathBuf, String)> {
    if info.started_from.starts_with("scratch:") {
        return None;
    }
    let path = resolve(Path::new(&info.started_from), info).join("SOURCE.md");
    std::fs::read_to_string(&path).ok().map(|t| (path, t))
}
