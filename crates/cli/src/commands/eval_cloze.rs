//! `bertlab eval-cloze`: top-1 / top-5 of a masked-language model on the cloze benchmark,
//! overall and per category.

use std::path::PathBuf;

use anyhow::{Context, Result};
use bertlab_core::train::cloze::parse_cloze_tsv;
use bertlab_core::train::eval::{cloze_predictions, evaluate_cloze};

use super::model_dir;
use super::model_source::ModelSource;

#[derive(clap::Args)]
pub struct Args {
    /// A model folder with config.json, model.safetensors (with an MLM head) and tokenizer.json, or its http(s) URL (downloaded once into the cache); default: the lab's default model.
    #[arg(long, value_name = "DIR|URL")]
    model: Option<ModelSource>,
    /// The benchmark TSV (id, category, sentence, answers).
    #[arg(long, default_value = "tests/data/cloze.tsv")]
    data: PathBuf,
    /// Also list this many missed items with the model's top 5.
    #[arg(long, default_value_t = 0)]
    show_misses: usize,
    /// Print the score as JSON.
    #[arg(long)]
    json: bool,
}

pub fn run(args: Args) -> Result<()> {
    let folder = model_dir::or_default(args.model)?;
    let text = std::fs::read_to_string(&args.data)
        .with_context(|| format!("reading {}", args.data.display()))?;
    let items = parse_cloze_tsv(&text).with_context(|| args.data.display().to_string())?;
    let tok = model_dir::tokenizer(&folder)?;
    let model = model_dir::masked_lm(&folder)?;
    let score = evaluate_cloze(&model, &tok, &items)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&score)?);
    } else {
        println!(
            "{:<14} {:>5} {:>7} {:>7}",
            "category", "items", "top-1", "top-5"
        );
        for (cat, t) in &score.by_category {
            println!(
                "{:<14} {:>5} {:>6.1}% {:>6.1}%",
                cat.as_str(),
                t.items,
                100.0 * t.top1_rate(),
                100.0 * t.top5_rate()
            );
        }
        let t = score.overall;
        println!(
            "{:<14} {:>5} {:>6.1}% {:>6.1}%",
            "all",
            t.items,
            100.0 * t.top1_rate(),
            100.0 * t.top5_rate()
        );
    }
    if args.show_misses > 0 {
        let preds = cloze_predictions(&model, &tok, &items, 5)?;
        let misses = items
            .iter()
            .zip(&preds)
            .filter(|(i, p)| !p.iter().any(|w| i.accepts(w)));
        for (item, p) in misses.take(args.show_misses) {
            println!(
                "miss {} [{}] {} -> {} (want {})",
                item.id,
                item.category,
                item.sentence,
                p.join(" "),
                item.answers.join("/")
            );
        }
    }
    Ok(())
}
