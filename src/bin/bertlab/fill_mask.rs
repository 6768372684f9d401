//! `bertlab fill-mask`: top-k predictions of a masked-language model for each mask.

use anyhow::{Context, Result};
use bertlab::model::{component_of, EncoderInput, Internals, MaskedLm};
use bertlab::text::tokenizer::EncodeOptions;
use candle_core::{Device, D};

use std::path::PathBuf;

use super::model_dir;

#[derive(clap::Args)]
pub struct Args {
    /// A model folder with config.json, model.safetensors (with an MLM head) and tokenizer.json.
    #[arg(long)]
    model: PathBuf,
    /// How many candidates to print per mask.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..))]
    top_k: u32,
    /// Text with one or more [MASK] (the model's own mask token, e.g. <mask>, works too).
    text: String,
}

pub fn run(args: Args) -> Result<()> {
    let tokenizer = model_dir::tokenizer(&args.model)?;
    let checkpoint = model_dir::checkpoint(&args.model)?;
    let config = checkpoint.config.clone();
    let (mask, mask_id) = tokenizer
        .mask_token()
        .context("the tokenizer has no mask token")?;
    // Students write [MASK] whatever the model; RoBERTa spells it <mask>.
    let text = args.text.replace("[MASK]", &mask);
    let opts = EncodeOptions {
        max_len: Some(config.max_input_len()),
        position_offset: config.position_offset(),
        ..EncodeOptions::default()
    };
    let enc = tokenizer.encode(&text, None, &opts)?;
    if let Some(t) = enc.truncation {
        eprintln!(
            "warning: text truncated from {} to {} tokens",
            t.original_len, t.max_len
        );
    }
    let positions: Vec<usize> = (0..enc.len()).filter(|&i| enc.ids[i] == mask_id).collect();
    if positions.is_empty() {
        anyhow::bail!("no {mask} in the text: write [MASK] where a word is missing");
    }
    let has_mlm_head = checkpoint
        .tensor_names()
        .iter()
        .any(|n| component_of(config.family, n) == "MLM head");
    if !has_mlm_head {
        anyhow::bail!(
            "{} has no masked-language-model head ({}); fill-mask needs a *ForMaskedLM or *ForPreTraining checkpoint",
            args.model.display(),
            config.architectures.join(", ")
        );
    }
    let model = checkpoint
        .load::<MaskedLm>(&Device::Cpu)
        .context("loading the masked-language model")?
        .model;
    let device = Device::Cpu;
    let types = (config.type_vocab_size > 0).then_some(vec![enc.type_ids.clone()]);
    let input = EncoderInput::from_rows(
        &[enc.ids.clone()],
        types.as_deref(),
        config.pad_token_id,
        &device,
    )?;
    let logits = model
        .forward(&input, &Internals::none())?
        .logits
        .squeeze(0)?;
    let probs = candle_nn::ops::softmax(&logits, D::Minus1)?;
    for (n, &pos) in positions.iter().enumerate() {
        println!("{mask} #{} (token {pos}):", n + 1);
        let row: Vec<f32> = probs.get(pos)?.to_vec1()?;
        let mut ranked: Vec<(usize, f32)> = row.into_iter().enumerate().collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
        for (rank, (id, p)) in ranked.into_iter().take(args.top_k as usize).enumerate() {
            let id = id as u32;
            let piece = tokenizer
                .id_to_token(id)
                .unwrap_or_else(|| format!("<{id}>"));
            let word = tokenizer.decode(&[id], false)?;
            println!(
                "  {:>2}. {:<16} {:<16} {:.4}",
                rank + 1,
                piece,
                word.trim(),
                p
            );
        }
    }
    Ok(())
}
