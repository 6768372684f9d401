//! `bertlab classify`: label texts with a sentence classifier folder (an export of the lab's
//! fine-tuning, or any `*ForSequenceClassification` checkpoint of the four families).

use anyhow::{Context, Result};
use bertlab_core::model::{EncoderInput, ForSequenceClassification, Internals};
use bertlab_core::text::tokenizer::EncodeOptions;
use candle_core::{Device, D};

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
    let folder = args.model.local_folder()?;
    let checkpoint = model_dir::checkpoint(&folder)?;
    let tokenizer = model_dir::tokenizer(&folder)?;
    let config = checkpoint.config.clone();
    let model = checkpoint
        .load::<ForSequenceClassification>(&Device::Cpu)
        .with_context(|| {
            format!(
                "{} is not a sentence classifier ({})",
                folder.display(),
                config.architectures.join(", ")
            )
        })?
        .model;
    let options = EncodeOptions {
        add_special_tokens: true,
        max_len: Some(config.max_input_len()),
        position_offset: config.position_offset(),
    };
    for text in &args.texts {
        let enc = tokenizer.encode(text, None, &options)?;
        let types = (config.type_vocab_size > 0).then(|| vec![enc.type_ids.clone()]);
        let input = EncoderInput::from_rows(
            std::slice::from_ref(&enc.ids),
            types.as_deref(),
            config.pad_token_id,
            &Device::Cpu,
        )?;
        let logits = model.forward(&input, &Internals::none())?.logits;
        let probabilities = candle_nn::ops::softmax(&logits, D::Minus1)?
            .squeeze(0)?
            .to_vec1::<f32>()?;
        let mut ranked: Vec<(usize, f32)> = probabilities.into_iter().enumerate().collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
        let shown = if args.all { ranked.len() } else { 1 };
        let labels: Vec<String> = ranked[..shown]
            .iter()
            .map(|(i, p)| format!("{} {:.1}%", config.labels[*i], p * 100.0))
            .collect();
        println!("{}\t{text}", labels.join(", "));
    }
    Ok(())
}
