//! `bertlab card`: turns a finished `bertlab pretrain` run into a model folder — the final
//! checkpoint's config.json, model.safetensors and tokenizer.json, a training-curve PNG and a
//! card.md written only from the run's recorded files: run.json (data paths and every session's
//! command line), trainer_state.json (the run's settings, steps, tokens seen), metrics.json
//! (wall time, validation), the corpus manifest.json next to the training text, the base model's
//! SOURCE.md, and a cloze score of the copied weights.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::corpus::Manifest;
use anyhow::{bail, Context, Result};
use bertlab_core::masking::Strategy;
use bertlab_core::model::EncoderConfig;
use bertlab_core::train::cloze::{parse_cloze_tsv, ClozeScore};
use bertlab_core::train::curves::DEFAULT_SMOOTHING;
use bertlab_core::train::eval::evaluate_cloze;
use bertlab_core::train::pretrain::ResumeState;
use bertlab_core::train::{MetricsLog, PairTask, TrainConfig};

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

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_slice(&bytes).with_context(|| format!("{} is unreadable", path.display()))
}

/// An argument as a POSIX shell word.
fn shell_word(arg: &str) -> String {
    let plain = !arg.is_empty()
        && arg
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-./:=,+@%".contains(c));
    if plain {
        arg.to_string()
    } else {
        format!("'{}'", arg.replace('\'', r"'\''"))
    }
}

fn command_line(args: &[String]) -> String {
    std::iter::once("bertlab".to_string())
        .chain(args.iter().map(|a| shell_word(a)))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A run predating recorded command lines: its recorded settings as an equivalent command.
fn reconstructed_command(info: &RunInfo, c: &TrainConfig, run: &Path) -> Vec<String> {
    let mut a: Vec<String> = vec!["pretrain".into()];
    let mut push = |flag: &str, value: String| {
        a.push(flag.into());
        a.push(value);
    };
    push("--train", info.train.display().to_string());
    if let Some(v) = &info.valid {
        push("--valid", v.display().to_string());
    }
    push("--out", run.display().to_string());
    match info.started_from.strip_prefix("scratch:") {
        Some(config) => {
            a.push("--scratch".into());
            a.extend(["--config".into(), config.to_string()]);
            a.extend([
                "--tokenizer".into(),
                run.join("tokenizer.json").display().to_string(),
            ]);
        }
        None => a.extend(["--from".into(), info.started_from.clone()]),
    }
    let mut push = |flag: &str, value: String| {
        a.push(flag.into());
        a.push(value);
    };
    push("--steps", c.steps.to_string());
    push("--batch-size", c.batch_size.to_string());
    push("--grad-accum", c.grad_accum.to_string());
    push("--seq-len", info.seq_len.to_string());
    push("--lr", c.lr_encoder.to_string());
    push("--head-lr", c.lr_head.to_string());
    push("--warmup", c.warmup_steps.to_string());
    push("--weight-decay", c.adam.weight_decay.to_string());
    push("--max-grad-norm", c.max_grad_norm.to_string());
    push("--seed", c.seed.to_string());
    push("--pair", pair_name(c.pair_task).to_string());
    match c.masking.strategy {
        Strategy::Static { duplicates } => {
            push("--masking", "static".into());
            push("--duplicates", duplicates.to_string());
        }
        Strategy::Dynamic => push("--masking", "dynamic".into()),
    }
    push("--mask-rate", c.masking.selection_rate.to_string());
    push("--eval-every", c.eval_every.to_string());
    push("--eval-batches", c.eval_batches.to_string());
    if c.masking.whole_word {
        a.push("--whole-word".into());
    }
    if !c.dropout {
        a.push("--no-dropout".into());
    }
    a
}

fn pair_name(task: PairTask) -> &'static str {
    match task {
        PairTask::None => "none",
        PairTask::Nsp => "nsp",
        PairTask::Sop => "sop",
    }
}

fn fmt_wall(s: f64) -> String {
    let s = s.max(0.0).round() as u64;
    match s {
        0..=59 => format!("{s} s"),
        60..=3599 => format!("{} min {:02} s", s / 60, s % 60),
        _ => format!("{} h {:02} min", s / 3600, s / 60 % 60),
    }
}

fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A path recorded by a session, resolved against that session's working directory.
fn resolve(path: &Path, info: &RunInfo) -> PathBuf {
    match info.sessions.first() {
        Some(s) if path.is_relative() => s.cwd.join(path),
        _ => path.to_path_buf(),
    }
}

/// Everything the card states, read from files.
struct Facts {
    name: String,
    run: PathBuf,
    info: RunInfo,
    state: ResumeState,
    log: MetricsLog,
    model: EncoderConfig,
    architecture: String,
    parameters: usize,
    weights_dtype: String,
    weights_bytes: u64,
    manifest: Option<(PathBuf, Manifest)>,
    base_source: Option<(PathBuf, String)>,
    cloze_path: PathBuf,
    cloze: ClozeScore,
    compared: Vec<String>,
    card_command: String,
}

fn render(f: &Facts) -> Result<String> {
    let c = &f.state.config;
    let mut md = String::new();
    let w = &mut md;
    writeln!(w, "# {}\n", f.name)?;
    let from = match f.info.started_from.strip_prefix("scratch:") {
        Some(preset) => format!("from random initialisation (`--config {preset}`)"),
        None => format!("from `{}`", f.info.started_from),
    };
    writeln!(
        w,
        "A {} masked-language model pretrained {from} by BERT Lab's own pipeline \
         (`bertlab pretrain`). Every number below is read from the run's files in `{}` \
         by `bertlab card`; none is typed in.\n",
        f.architecture,
        f.run.display()
    )?;

    writeln!(w, "## Model\n")?;
    let m = &f.model;
    writeln!(w, "| | |\n|---|---|")?;
    writeln!(w, "| architecture | {} ({}) |", f.architecture, m.family)?;
    writeln!(
        w,
        "| size | {} layers, hidden {}, {} heads, intermediate {}, {} positions |",
        m.num_hidden_layers,
        m.hidden_size,
        m.num_attention_heads,
        m.intermediate_size,
        m.max_position_embeddings
    )?;
    writeln!(
        w,
        "| vocabulary | {} (tokenizer.json) |",
        thousands(m.vocab_size as u64)
    )?;
    writeln!(
        w,
        "| parameters | {} (tied MLM decoder counted once) |",
        thousands(f.parameters as u64)
    )?;
    writeln!(
        w,
        "| weights | model.safetensors, {}, {:.1} MB |\n",
        f.weights_dtype,
        f.weights_bytes as f64 / 1e6
    )?;
    if let Some((path, text)) = &f.base_source {
        writeln!(w, "Base model (from `{}`):\n", path.display())?;
        for line in text.lines() {
            writeln!(w, "> {line}")?;
        }
        writeln!(w)?;
    }

    writeln!(w, "## Training\n")?;
    let last = f.log.rows.last();
    let wall = last.map_or(0.0, |r| r.wall_s);
    writeln!(w, "| | |\n|---|---|")?;
    let finished = if f.state.step >= c.steps {
        String::new()
    } else {
        format!(" (stopped before the planned {})", c.steps)
    };
    writeln!(w, "| updates | {}{finished} |", f.state.step)?;
    writeln!(
        w,
        "| per update | {} × {} sequences of ≤ {} tokens |",
        c.grad_accum, c.batch_size, f.info.seq_len
    )?;
    writeln!(
        w,
        "| tokens seen | {} (real tokens, padding excluded; {} sequence slots of {} tokens) |",
        thousands(f.state.tokens_seen),
        thousands((f.state.step * c.grad_accum * c.batch_size) as u64),
        f.info.seq_len
    )?;
    writeln!(w, "| wall time | {} of training |", fmt_wall(wall))?;
    let objectives = match c.pair_task {
        PairTask::None => "MLM".to_string(),
        t => format!("MLM + {}", pair_name(t).to_uppercase()),
    };
    writeln!(w, "| objectives | {objectives} |")?;
    let strategy = match c.masking.strategy {
        Strategy::Static { duplicates } => {
            format!("static, {duplicates} masks per sequence (BERT's duplication)")
        }
        Strategy::Dynamic => "dynamic, a fresh mask each time a sequence is seen".into(),
    };
    writeln!(
        w,
        "| masking | {strategy}; {:.0} % of tokens, {:.0}/{:.0}/{:.0} [MASK]/random/kept{} |",
        100.0 * c.masking.selection_rate,
        100.0 * c.masking.mask_fraction,
        100.0 * c.masking.random_fraction,
        100.0 * c.masking.keep_fraction(),
        if c.masking.whole_word {
            ", whole words"
        } else {
            ""
        }
    )?;
    writeln!(
        w,
        "| optimizer | AdamW (β {}, {}; ε {:e}; weight decay {}), peak lr {:e} encoder / {:e} heads, \
         {} warmup updates then linear decay, gradient clipping at {} |",
        c.adam.beta1,
        c.adam.beta2,
        c.adam.eps,
        c.adam.weight_decay,
        c.lr_encoder,
        c.lr_head,
        c.warmup_steps,
        c.max_grad_norm
    )?;
    writeln!(
        w,
        "| dropout | {} |",
        if c.dropout { "as configured" } else { "off" }
    )?;
    writeln!(w, "| seed | {} |\n", c.seed)?;

    writeln!(w, "## Results\n")?;
    let valid = f
        .log
        .rows
        .iter()
        .rev()
        .find_map(|r| r.valid.as_ref().map(|v| (r.step.step, v)));
    match valid {
        Some((step, v)) => {
            writeln!(
                w,
                "Validation at update {step} ({} held-out sequences, {} masked tokens, fixed masks): \
                 MLM loss **{:.4}**, perplexity **{:.2}**, MLM accuracy {:.1} %{}.\n",
                thousands(v.sequences as u64),
                thousands(v.masked_tokens as u64),
                v.loss,
                v.perplexity,
                100.0 * v.accuracy,
                v.pair_accuracy
                    .map_or(String::new(), |a| format!(", pair accuracy {:.1} %", 100.0 * a))
            )?;
        }
        None => writeln!(w, "The run recorded no validation.\n")?,
    }
    writeln!(
        w,
        "Cloze benchmark (`{}`, {} sentences, scored on this folder's weights): \
         top-1 **{:.1} %**, top-5 **{:.1} %**.\n",
        f.cloze_path.display(),
        f.cloze.overall.items,
        100.0 * f.cloze.top1(),
        100.0 * f.cloze.top5()
    )?;
    writeln!(
        w,
        "| category | items | top-1 | top-5 |\n|---|---:|---:|---:|"
    )?;
    for (cat, t) in &f.cloze.by_category {
        writeln!(
            w,
            "| {} | {} | {:.1} % | {:.1} % |",
            cat.as_str(),
            t.items,
            100.0 * t.top1_rate(),
            100.0 * t.top5_rate()
        )?;
    }
    writeln!(w)?;

    writeln!(w, "## Training curve\n")?;
    writeln!(w, "![MLM loss against tokens seen](curve.png)\n")?;
    write!(
        w,
        "`curve.png`: training MLM loss (faint: per update; bold: running average, weight {}) and \
         validation MLM loss (dots), against tokens seen",
        DEFAULT_SMOOTHING
    )?;
    if f.compared.is_empty() {
        writeln!(w, ".\n")?;
    } else {
        writeln!(
            w,
            "; also drawn for comparison: {}.\n",
            f.compared
                .iter()
                .map(|c| format!("`{c}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )?;
    }

    writeln!(w, "## Data\n")?;
    writeln!(w, "- training text: `{}`", f.info.train.display())?;
    if let Some(v) = &f.info.valid {
        writeln!(w, "- validation text: `{}`", v.display())?;
    }
    match &f.manifest {
        Some((path, man)) => {
            writeln!(
                w,
                "- made by `bertlab corpus` (manifest `{}`): seed {}, {:.0} % of documents held out, \
                 sentences of {}–{} words kept, exact and near duplicates removed.\n",
                path.display(),
                man.seed,
                100.0 * man.valid_fraction,
                man.clean.min_words,
                man.clean.max_words
            )?;
            writeln!(
                w,
                "| source | package | licence | train words | valid words | text redistributable |"
            )?;
            writeln!(w, "|---|---|---|---:|---:|---|")?;
            for s in &man.sources {
                writeln!(
                    w,
                    "| {} | {} `{}` {} | {} | {} | {} | {} |",
                    s.name,
                    s.registry,
                    s.package,
                    s.version,
                    s.licence.replace('|', "/"),
                    thousands(s.train.words as u64),
                    thousands(s.valid.words as u64),
                    if s.redistributable { "yes" } else { "no (train only)" }
                )?;
            }
            writeln!(
                w,
                "| **all** | | | {} | {} | |\n",
                thousands(man.train.words as u64),
                thousands(man.valid.words as u64)
            )?;
            writeln!(
                w,
                "The weights are a statistical summary of this text; the text itself is not shipped.\n"
            )?;
        }
        None => writeln!(
            w,
            "- no corpus manifest.json next to the training text: its sources and licences are \
             recorded wherever that text came from (for the committed sample, assets/corpus/SOURCES.md).\n"
        )?,
    }

    writeln!(w, "## Reproduce\n")?;
    writeln!(
        w,
        "Build the CLI (`cargo build --release --bin bertlab`; `bertlab` below is \
         `target/release/bertlab`), then run, in order:\n"
    )?;
    writeln!(w, "```sh")?;
    if let Some((path, man)) = &f.manifest {
        let dir = path.parent().unwrap_or(Path::new("."));
        let mut args = vec![
            "corpus".to_string(),
            "--out".into(),
            dir.display().to_string(),
            "--seed".into(),
            man.seed.to_string(),
            "--valid-fraction".into(),
            man.valid_fraction.to_string(),
        ];
        for s in &man.sources {
            args.extend(["--source".into(), s.name.clone()]);
        }
        writeln!(
            w,
            "# the corpus (the registries' packages at the versions above)"
        )?;
        writeln!(w, "{}", command_line(&args))?;
    }
    if f.info.sessions.is_empty() {
        writeln!(
            w,
            "# this run predates recorded command lines: its recorded settings as one command\n\
             # (thread count, checkpoint cadence and F16 export were not recorded)"
        )?;
        writeln!(
            w,
            "{}",
            command_line(&reconstructed_command(&f.info, c, &f.run))
        )?;
    } else {
        let mut cwd: Option<&Path> = None;
        for (i, s) in f.info.sessions.iter().enumerate() {
            if cwd != Some(s.cwd.as_path()) {
                writeln!(w, "cd {}", shell_word(&s.cwd.display().to_string()))?;
                cwd = Some(&s.cwd);
            }
            let span = match (s.end_step, s.wall_s) {
                (Some(e), Some(t)) => format!("updates {}–{e}, {}", s.start_step, fmt_wall(t)),
                _ => format!("from update {}, interrupted", s.start_step),
            };
            writeln!(
                w,
                "# session {} (bertlab {}; {span})",
                i + 1,
                s.bertlab_version
            )?;
            writeln!(w, "{}", command_line(&s.args))?;
        }
    }
    writeln!(w, "# this folder")?;
    writeln!(w, "{}", f.card_command)?;
    writeln!(w, "```")?;
    Ok(md)
}

/// Stored parameters (aliases of tied weights skipped) and the weights' dtypes.
fn count_parameters(dir: &Path) -> Result<(usize, String)> {
    let ckpt = model_dir::checkpoint(dir)?;
    let n = ckpt
        .tensor_names()
        .iter()
        .filter(|name| !ckpt.is_alias(name))
        .filter_map(|name| ckpt.tensor(name))
        .map(|t| t.elem_count())
        .sum();
    Ok((n, ckpt.source_dtypes().join(", ")))
}

pub fn run(args: Args) -> Result<()> {
    let run = &args.run;
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
    if std::fs::canonicalize(run).ok() == std::fs::canonicalize(&args.out).ok() {
        bail!("--out must be a folder other than the run directory");
    }
    let cloze_text = std::fs::read_to_string(&args.cloze)
        .with_context(|| format!("reading the cloze benchmark {}", args.cloze.display()))?;
    let items = parse_cloze_tsv(&cloze_text).with_context(|| args.cloze.display().to_string())?;

    // The model folder: the checkpoint files, copied unchanged.
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    for file in MODEL_FILES {
        let from = run.join(file);
        std::fs::copy(&from, args.out.join(file))
            .with_context(|| format!("copying {} into {}", from.display(), args.out.display()))?;
    }
    let model = model_dir::config(&args.out)?;
    let (parameters, weights_dtype) = count_parameters(&args.out)?;
    let weights_bytes = std::fs::metadata(args.out.join("model.safetensors"))?.len();
    let architecture = model
        .architectures
        .first()
        .cloned()
        .unwrap_or_else(|| format!("{}ForMaskedLM", model.family.class_prefix()));

    let tok = model_dir::tokenizer(&args.out)?;
    let cloze = evaluate_cloze(&model_dir::masked_lm(&args.out)?, &tok, &items)?;

    let name = args
        .name
        .clone()
        .unwrap_or_else(|| plot::run_label(&args.out));
    let mut runs = vec![run.clone()];
    runs.extend(args.compare.iter().cloned());
    let mut labels = vec![name.clone()];
    labels.extend(args.compare.iter().map(|r| plot::run_label(r)));
    let png = plot::render(
        &runs,
        &labels,
        &format!("{name}: masked-language-model loss"),
        (900, 540),
        DEFAULT_SMOOTHING,
    )?;
    std::fs::write(args.out.join("curve.png"), png)?;

    let manifest = info
        .train
        .parent()
        .map(|d| resolve(&d.join("manifest.json"), &info))
        .filter(|p| p.exists())
        .map(|p| read_json::<Manifest>(&p).map(|m| (p, m)))
        .transpose()?;
    let base_source = if info.started_from.starts_with("scratch:") {
        None
    } else {
        let path = resolve(Path::new(&info.started_from), &info).join("SOURCE.md");
        std::fs::read_to_string(&path).ok().map(|t| (path, t))
    };
    let facts = Facts {
        name,
        run: run.clone(),
        state,
        log,
        model,
        architecture,
        parameters,
        weights_dtype,
        weights_bytes,
        manifest,
        base_source,
        cloze_path: args.cloze.clone(),
        cloze,
        compared: args.compare.iter().map(|r| plot::run_label(r)).collect(),
        card_command: command_line(&std::env::args().skip(1).collect::<Vec<_>>()),
        info,
    };
    let card = render(&facts)?;
    std::fs::write(args.out.join("card.md"), card)?;
    println!(
        "wrote {} (card.md, curve.png, {}): cloze top-1 {:.1}%, top-5 {:.1}%",
        args.out.display(),
        MODEL_FILES.join(", "),
        100.0 * facts.cloze.top1(),
        100.0 * facts.cloze.top5()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_words_quote_only_what_needs_it() {
        assert_eq!(shell_word("--lr"), "--lr");
        assert_eq!(shell_word("runs/a-b_1.0"), "runs/a-b_1.0");
        assert_eq!(shell_word("two words"), "'two words'");
        assert_eq!(shell_word("it's"), r"'it'\''s'");
        assert_eq!(shell_word(""), "''");
    }

    #[test]
    fn big_numbers_get_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(15_992_044), "15,992,044");
    }
}
