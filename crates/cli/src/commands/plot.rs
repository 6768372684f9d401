//! `bertlab plot`: the training curve of one or more pretraining runs as a PNG
//! (`bertlab_core::train::curves`), read from each run directory's metrics.json.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use bertlab_core::train::curves::{self, RunCurves, DEFAULT_SMOOTHING};
use bertlab_core::train::MetricsLog;

#[derive(clap::Args)]
pub struct Args {
    /// A run directory written by `bertlab pretrain` (repeatable: several runs on one chart).
    #[arg(long = "run", required = true)]
    runs: Vec<PathBuf>,
    /// Legend name of each run, in the order of --run (default: the directory's name).
    #[arg(long = "label")]
    labels: Vec<String>,
    /// The PNG to write.
    #[arg(long)]
    out: PathBuf,
    #[arg(long, default_value = "Masked-language-model loss")]
    title: String,
    #[arg(long, default_value_t = 900)]
    width: u32,
    #[arg(long, default_value_t = 540)]
    height: u32,
    /// Weight of the running average drawn over the training loss (0 = none).
    #[arg(long, default_value_t = DEFAULT_SMOOTHING)]
    smoothing: f64,
}

/// A run directory's metrics.json.
pub fn read_metrics(run: &Path) -> Result<MetricsLog> {
    let path = run.join("metrics.json");
    let bytes = std::fs::read(&path).with_context(|| {
        format!(
            "reading {} (is {} a `bertlab pretrain` run directory?)",
            path.display(),
            run.display()
        )
    })?;
    serde_json::from_slice(&bytes)
        .with_context(|| format!("{} is not a metrics log", path.display()))
}

/// The legend name of a run: its directory's name.
pub fn run_label(run: &Path) -> String {
    run.file_name().map_or_else(
        || run.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// The curves of `runs` labelled `labels` (or by directory name) as PNG bytes.
pub fn render(
    runs: &[PathBuf],
    labels: &[String],
    title: &str,
    size: (u32, u32),
    smoothing: f64,
) -> Result<Vec<u8>> {
    if !labels.is_empty() && labels.len() != runs.len() {
        bail!(
            "{} --label for {} --run: give one per run, or none",
            labels.len(),
            runs.len()
        );
    }
    let curves = runs
        .iter()
        .enumerate()
        .map(|(i, run)| {
            let label = labels.get(i).cloned().unwrap_or_else(|| run_label(run));
            Ok(RunCurves::from_log(label, &read_metrics(run)?, smoothing))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(curves::png(&curves, title, size.0, size.1)?)
}

pub fn run(args: Args) -> Result<()> {
    let png = render(
        &args.runs,
        &args.labels,
        &args.title,
        (args.width, args.height),
        args.smoothing,
    )?;
    std::fs::write(&args.out, png).with_context(|| format!("writing {}", args.out.display()))?;
    println!(
        "wrote {} ({}×{}, {} run{})",
        args.out.display(),
        args.width,
        args.height,
        args.runs.len(),
        if args.runs.len() == 1 { "" } else { "s" }
    );
    Ok(())
}
