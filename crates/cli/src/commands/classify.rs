//! `bertlab classify`: label texts with a sentence classifier folder (an export of the lab's
//! fine-tuning, or any `*ForSequenceClassification` checkpoint of the four families).

use anyhow::Result;

use super::model_dir;
use super::model_source::ModelSource;

#[derive(clap::Args)]
pub struct Args {
    /// A folder with config.json, model.safetensors and tokenizer.json, or its http(s) URL (downloaded once into the cache).
    #[arg(long, value_name = "DIR|URL")]
    model: ModelSource,
    /// Print the probability of every label, not only the best.
    #[arg(long)]
    all: bool,
    /// One or more texts to label.
    #[arg(required = true)]
    texts: Vec<String>,
}

pub fn run(args: Args) -> Result<()> {
    let classifier = model_dir::classifier(&args.model.local_folder()?)?;
    for text in &args.texts {
        let ranked = classifier.classify(text)?;
        let shown = if args.all { ranked.len() } else { 1 };
        let labels: Vec<String> = ranked
            .iter()
            .take(shown)
            .map(|(label, p)| format!("{label} {:.1}%", p * 100.0))
            .collect();
        println!("{}\t{text}", labels.join(", "));
    }
    Ok(())
}
