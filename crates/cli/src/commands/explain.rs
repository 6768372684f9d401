//! `bertlab explain`: which tokens made a sentence (or pair) classifier choose its label, by integrated
//! gradients (with its completeness check) and gradient × input.

use anyhow::Result;
use bertlab_core::train::attribution::{explain_within, COMPLETENESS_TOLERANCE, DEFAULT_STEPS};

use super::model_dir;
use super::model_source::ModelSource;

#[derive(clap::Args)]
pub struct Args {
    /// A sentence-classifier folder (config.json, model.safetensors, tokenizer.json), or its http(s) URL.
    #[arg(long, value_name = "DIR|URL")]
    model: ModelSource,
    /// Intervals of the straight path from the baseline (padding) to the text; at least 20, doubled
    /// (up to 8×) while the shares miss the logit's change by more than 5 %.
    #[arg(long, default_value_t = DEFAULT_STEPS)]
    steps: usize,
    /// The second text, for a sentence-pair classifier.
    #[arg(long)]
    pair: Option<String>,
    /// The text whose label to explain.
    text: String,
}

pub fn run(args: Args) -> Result<()> {
    let classifier = model_dir::classifier(&args.model.local_folder()?)?;
    let a = explain_within(
        classifier.model(),
        classifier.tokenizer(),
        &args.text,
        args.pair.as_deref(),
        args.steps,
        COMPLETENESS_TOLERANCE,
    )?;
    println!(
        "label {}: logit {:.3}, {:.3} for the all-padding baseline",
        a.label, a.logit, a.baseline_logit
    );
    println!(
        "{:<16} {:>12} {:>16}",
        "token", "integrated", "gradient×input"
    );
    for ((piece, ig), gx) in a.pieces.iter().zip(&a.integrated).zip(&a.gradient_x_input) {
        println!("{piece:<16} {ig:>12.4} {gx:>16.4}");
    }
    println!(
        "completeness ({} steps): the shares add up to {:.4}, the logit moved {:.4} ({:.1}% apart)",
        a.steps,
        a.share_total(),
        a.logit_change(),
        a.completeness_gap() * 100.0
    );
    Ok(())
}
