//! `bertlab classify`: label texts (or text pairs) with a sentence classifier folder (an export of the lab's
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
    /// For a sentence-pair classifier: the second text of each pair, once per text and in the
    /// same order (`--pair B1 --pair B2` with texts `A1 A2`).
    #[arg(long = "pair", value_name = "TEXT")]
    pairs: Vec<String>,
    /// One or more texts to label.
    #[arg(required = true)]
    texts: Vec<String>,
}

pub fn run(args: Args) -> Result<()> {
    let classifier = model_dir::classifier(&args.model.local_folder()?)?;
    if !args.pairs.is_empty() && args.pairs.len() != args.texts.len() {
        anyhow::bail!(
            "{} texts but {} --pair texts: give one --pair per text",
            args.texts.len(),
            args.pairs.len()
        );
    }
    for (i, text) in args.texts.iter().enumerate() {
        let pair = args.pairs.get(i).map(String::as_str);
        let ranked = classifier.classify(text, pair)?;
        let shown = if args.all { ranked.len() } else { 1 };
        let labels: Vec<String> = ranked
            .iter()
            .take(shown)
            .map(|(label, p)| format!("{label} {:.1}%", p * 100.0))
            .collect();
        match pair {
            Some(pair) => println!("{}\t{text}\t{pair}", labels.join(", ")),
            None => println!("{}\t{text}", labels.join(", ")),
        }
    }
    Ok(())
}
