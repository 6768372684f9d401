//! `bertlab probe`: a linear probe on every layer of an encoder, its random-init twin and
//! optionally a fine-tuned model, for part of speech (words) or intent (messages); prints the
//! accuracy per layer next to the baselines and writes the report as JSON.

use std::path::PathBuf;

use anyhow::{Context, Result};
use bertlab_core::analysis::layer_probes::ProbeSets;
use bertlab_core::model::{Encoder, Loaded};
use bertlab_core::text::tokenizer::Tokenizer;
use bertlab_protocol::probes::ProbeTask;
use candle_core::Device;

use super::model_dir;
use super::model_source::ModelSource;

#[derive(clap::Args)]
pub struct Args {
    /// pos (part of speech of each word) or intent (of each support message).
    #[arg(long, default_value = "pos", value_parser = parse_task)]
    task: ProbeTask,
    /// The encoder: a model folder, or its http(s) URL; default: the lab's default model.
    #[arg(long, value_name = "DIR|URL")]
    model: Option<ModelSource>,
    /// Also probe a fine-tuned model's encoder (a folder written by `bertlab finetune`).
    #[arg(long, value_name = "DIR")]
    tuned: Option<PathBuf>,
    /// The task's data; default: the lab's shipped file.
    #[arg(long)]
    data: Option<PathBuf>,
    /// Train the probes on at most this many sentences or messages.
    #[arg(long)]
    train_limit: Option<usize>,
    /// Write the report here as JSON.
    #[arg(long)]
    out: Option<PathBuf>,
}

fn parse_task(slug: &str) -> Result<ProbeTask, String> {
    ProbeTask::from_slug(slug).ok_or_else(|| "pos or intent".to_string())
}

pub fn run(args: Args) -> Result<()> {
    let folder = model_dir::or_default(args.model)?;
    let checkpoint = model_dir::checkpoint(&folder)?;
    let tokenizer = model_dir::tokenizer(&folder)?;
    let data = args.data.unwrap_or_else(|| {
        PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../..")).join(args.task.path())
    });
    let bytes = std::fs::read(&data).with_context(|| format!("reading {}", data.display()))?;
    let sets = ProbeSets::load(args.task, &bytes, args.train_limit)
        .map_err(anyhow::Error::msg)
        .with_context(|| format!("{}", data.display()))?;
    let mut report = sets.empty_report(args.task).map_err(anyhow::Error::msg)?;
    let mut probe = |encoder: &Encoder, tokenizer: &Tokenizer, who: &str| -> Result<()> {
        let started = std::time::Instant::now();
        sets.add_curve(&mut report, encoder, tokenizer, who, &mut |_, _| {})
            .map_err(anyhow::Error::msg)?;
        let cells: Vec<String> = report.curves.last().map_or(Vec::new(), |c| {
            c.accuracy
                .iter()
                .map(|a| format!("{:5.1}", a * 100.0))
                .collect()
        });
        println!(
            "{who:>12}: {} ({:.1} s)",
            cells.join(" "),
            started.elapsed().as_secs_f32()
        );
        Ok(())
    };
    println!(
        "{}: accuracy (%) of a linear probe at layers 0 (embeddings) to {}",
        args.task.describe(),
        checkpoint.config.num_hidden_layers
    );
    probe(
        &checkpoint.load::<Encoder>(&Device::Cpu)?.model,
        &tokenizer,
        "pretrained",
    )?;
    probe(
        &Loaded::<Encoder>::random(&checkpoint.config, 0, &Device::Cpu)?.model,
        &tokenizer,
        "random init",
    )?;
    if let Some(tuned) = &args.tuned {
        let tuned_checkpoint = model_dir::checkpoint(tuned)?;
        let tuned_tokenizer = model_dir::tokenizer(tuned)?;
        probe(
            &tuned_checkpoint.load::<Encoder>(&Device::Cpu)?.model,
            &tuned_tokenizer,
            "fine-tuned",
        )?;
    }
    println!(
        "{} {} to train, {} to test; {}: {:.1}%; always the commonest class: {:.1}%",
        report.train_items,
        args.task.unit(),
        report.test_items,
        report.baseline_name,
        report.baseline * 100.0,
        report.majority * 100.0
    );
    if let Some(out) = args.out {
        std::fs::write(&out, serde_json::to_vec_pretty(&report)?)
            .with_context(|| format!("writing {}", out.display()))?;
    }
    Ok(())
}
