//! card.md from the facts `bertlab card` gathered: one function per section, in the card's order.

use std::fmt::{Result, Write as _};
use std::path::{Path, PathBuf};

use bertlab_core::masking::Strategy;
use bertlab_core::model::EncoderConfig;
use bertlab_core::train::cloze::ClozeScore;
use bertlab_core::train::curves::DEFAULT_SMOOTHING;
use bertlab_core::train::pretrain::ResumeState;
use bertlab_core::train::{MetricsLog, PairTask};

use super::command_line::{command_line, pair_name, reconstructed_command, shell_word};
use crate::commands::pretrain::RunInfo;
use crate::corpus::Manifest;

/// Everything the card states, read from files.
pub struct Facts {
    pub name: String,
    pub run: PathBuf,
    pub info: RunInfo,
    pub state: ResumeState,
    pub log: MetricsLog,
    pub model: EncoderConfig,
    pub architecture: String,
    pub parameters: usize,
    pub weights_dtype: String,
    pub weights_bytes: u64,
    pub manifest: Option<(PathBuf, Manifest)>,
    pub base_source: Option<(PathBuf, String)>,
    pub cloze_path: PathBuf,
    pub cloze: ClozeScore,
    pub compared: Vec<String>,
    pub card_command: String,
}

type Section = fn(&mut String, &Facts) -> Result;

/// The card's sections, in order.
const SECTIONS: [Section; 7] = [
    intro,
    model,
    training,
    results,
    training_curve,
    data,
    reproduce,
];

pub fn render(f: &Facts) -> std::result::Result<String, std::fmt::Error> {
    let mut md = String::new();
    for section in SECTIONS {
        section(&mut md, f)?;
    }
    Ok(md)
}

fn intro(w: &mut String, f: &Facts) -> Result {
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
    )
}

fn model(w: &mut String, f: &Facts) -> Result {
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
    Ok(())
}

fn training(w: &mut String, f: &Facts) -> Result {
    let c = &f.state.config;
    writeln!(w, "## Training\n")?;
    let wall = f.log.rows.last().map_or(0.0, |r| r.wall_s);
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
    if let Some(n) = f.info.train_sequences {
        let epochs = (f.state.step * c.grad_accum * c.batch_size) as f64 / n as f64;
        writeln!(
            w,
            "| training text | the first {} sequences of the training file, read about {epochs:.0} times |",
            thousands(n as u64)
        )?;
    }
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
    writeln!(w, "| seed | {} |\n", c.seed)
}

fn results(w: &mut String, f: &Facts) -> Result {
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
    if let Some((step, m)) = f
        .log
        .rows
        .iter()
        .rev()
        .find_map(|r| r.new_masks.as_ref().map(|m| (r.step.step, m)))
    {
        writeln!(
            w,
            "The training text itself at update {step}, under masks the run was never shown ({} of its \
             sequences, {} masked tokens): MLM loss {:.4}, MLM accuracy **{:.1} %**.\n",
            thousands(m.sequences as u64),
            thousands(m.masked_tokens as u64),
            m.loss,
            100.0 * m.accuracy
        )?;
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
    writeln!(w)
}

fn training_curve(w: &mut String, f: &Facts) -> Result {
    writeln!(w, "## Training curve\n")?;
    writeln!(w, "![MLM loss against tokens seen](curve.png)\n")?;
    write!(
        w,
        "`curve.png`: training MLM loss (faint: per update; bold: running average, weight {}) and \
         validation MLM loss (dots), against tokens seen",
        DEFAULT_SMOOTHING
    )?;
    if f.compared.is_empty() {
        writeln!(w, ".\n")
    } else {
        writeln!(
            w,
            "; also drawn for comparison: {}.\n",
            f.compared
                .iter()
                .map(|c| format!("`{c}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    }
}

fn data(w: &mut String, f: &Facts) -> Result {
    writeln!(w, "## Data\n")?;
    writeln!(w, "- training text: `{}`", f.info.train.display())?;
    if let Some(v) = &f.info.valid {
        writeln!(w, "- validation text: `{}`", v.display())?;
    }
    match &f.manifest {
        Some((path, man)) => corpus_sources(w, path, man),
        None => writeln!(
            w,
            "- no corpus manifest.json next to the training text: its sources and licences are \
             recorded wherever that text came from (for the committed sample, assets/corpus/SOURCES.md).\n"
        ),
    }
}

/// The corpus's recipe and its per-source table, from its manifest.
fn corpus_sources(w: &mut String, path: &Path, man: &Manifest) -> Result {
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
            if s.redistributable {
                "yes"
            } else {
                "no (train only)"
            }
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
    )
}

fn reproduce(w: &mut String, f: &Facts) -> Result {
    writeln!(w, "## Reproduce\n")?;
    writeln!(
        w,
        "Build the CLI (`cargo build --release --bin bertlab`; `bertlab` below is \
         `target/release/bertlab`), then run, in order:\n"
    )?;
    writeln!(w, "```sh")?;
    if let Some((path, man)) = &f.manifest {
        writeln!(
            w,
            "# the corpus (the registries' packages at the versions above)"
        )?;
        writeln!(w, "{}", command_line(&corpus_command(path, man)))?;
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
            command_line(&reconstructed_command(&f.info, &f.state.config, &f.run))
        )?;
    } else {
        sessions(w, &f.info)?;
    }
    writeln!(w, "# this folder")?;
    writeln!(w, "{}", f.card_command)?;
    writeln!(w, "```")
}

/// `bertlab corpus` with the manifest's settings, writing where the manifest lies.
fn corpus_command(manifest_path: &Path, man: &Manifest) -> Vec<String> {
    let dir = manifest_path.parent().unwrap_or(Path::new("."));
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
    args
}

/// Each recorded session's command line, with a `cd` wherever the working directory changes.
fn sessions(w: &mut String, info: &RunInfo) -> Result {
    let mut cwd: Option<&Path> = None;
    for (i, s) in info.sessions.iter().enumerate() {
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
    Ok(())
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
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn big_numbers_get_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(15_992_044), "15,992,044");
    }
}
