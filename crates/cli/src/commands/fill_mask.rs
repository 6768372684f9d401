//! `bertlab fill-mask`: top-k predictions of a masked-language model for each mask (the same
//! computation as the fill-mask widget, `bertlab_worker::views::fill_mask::fill_mask_view`).

use anyhow::{Context, Result};
use bertlab_core::model::{component_of, MaskedLm};
use bertlab_protocol::views::ContextSide;
use bertlab_worker::views::fill_mask::fill_mask_view;
use candle_core::Device;

use super::model_dir;
use super::model_source::ModelSource;

#[derive(clap::Args)]
pub struct Args {
    /// A model folder with config.json, model.safetensors (with an MLM head) and tokenizer.json, or its http(s) URL (downloaded once into the cache); default: the lab's default model.
    #[arg(long, value_name = "DIR|URL")]
    model: Option<ModelSource>,
    /// How many candidates to print per mask.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..))]
    top_k: u32,
    /// Text with one or more [MASK] (the model's own mask token, e.g. <mask>, works too).
    text: String,
}

pub fn run(args: Args) -> Result<()> {
    let folder = model_dir::or_default(args.model)?;
    let (checkpoint, tokenizer) = model_dir::open(&folder)?;
    let config = checkpoint.config.clone();
    let has_mlm_head = checkpoint
        .tensor_names()
        .iter()
        .any(|n| component_of(config.family, n) == "MLM head");
    if !has_mlm_head {
        anyhow::bail!(
            "{} has no masked-language-model head ({}); fill-mask needs a *ForMaskedLM or *ForPreTraining checkpoint",
            folder.display(),
            config.architectures.join(", ")
        );
    }
    let model = checkpoint
        .load::<MaskedLm>(&Device::Cpu)
        .context("loading the masked-language model")?
        .model;
    let view = fill_mask_view(
        &model,
        &tokenizer,
        &args.text,
        args.top_k as usize,
        ContextSide::Both,
    )
    .map_err(anyhow::Error::msg)?;
    if view.removed > 0 {
        eprintln!(
            "warning: {} tokens cut from the end to fit the model's {}",
            view.removed,
            config.max_input_len()
        );
    }
    for (n, mask) in view.masks.iter().enumerate() {
        println!(
            "{} #{} (token {}):",
            view.pieces[mask.position].trim(),
            n + 1,
            mask.position
        );
        for (rank, c) in mask.candidates.iter().enumerate() {
            let word = tokenizer.decode(&[c.id], false)?;
            println!(
                "  {:>2}. {:<16} {:<16} {:.4}",
                rank + 1,
                c.piece,
                word.trim(),
                c.probability
            );
        }
    }
    Ok(())
}
