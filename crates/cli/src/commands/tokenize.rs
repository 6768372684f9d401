//! `bertlab tokenize`: the per-token table the tokenizer lesson shows.

use std::path::PathBuf;

use anyhow::Result;
use bertlab_core::text::tokenizer::{EncodeOptions, Tokenizer};

use super::model_dir;
use super::model_source::ModelSource;

#[derive(clap::Args)]
#[command(group(clap::ArgGroup::new("source").required(true).args(["tokenizer", "model"])))]
pub struct Args {
    /// A tokenizer.json file.
    #[arg(long)]
    tokenizer: Option<PathBuf>,
    /// A model folder, or its http(s) URL (downloaded once into the cache): its tokenizer.json, and config.json for the length limit and positions.
    #[arg(long, value_name = "DIR|URL")]
    model: Option<ModelSource>,
    /// Truncate to this many tokens (default with --model: the model's maximum).
    #[arg(long)]
    max_len: Option<usize>,
    /// Leave out [CLS]/[SEP] (or <s>/</s>).
    #[arg(long)]
    no_special_tokens: bool,
    /// The text to tokenize.
    text: String,
    /// A second sentence, for sentence-pair input.
    #[arg(long)]
    pair: Option<String>,
}

pub fn run(args: Args) -> Result<()> {
    let (tokenizer, config) = match (&args.tokenizer, args.model) {
        (Some(file), _) => (Tokenizer::from_file(file)?, None),
        (None, Some(model)) => {
            let dir = model.local_folder()?;
            (model_dir::tokenizer(&dir)?, Some(model_dir::config(&dir)?))
        }
        (None, None) => anyhow::bail!("give --tokenizer FILE or --model DIR|URL"),
    };
    let opts = EncodeOptions {
        add_special_tokens: !args.no_special_tokens,
        max_len: args.max_len.or(config.as_ref().map(|c| c.max_input_len())),
        position_offset: config.as_ref().map_or(0, |c| c.position_offset()),
    };
    let enc = tokenizer.encode(&args.text, args.pair.as_deref(), &opts)?;
    println!(
        "{:?} tokenizer, vocabulary {}",
        tokenizer.kind(),
        tokenizer.vocab_size()
    );
    println!(
        "{:>4}  {:<16} {:>7} {:>3} {:>4} {:>9} {:>4}  text",
        "#", "piece", "id", "seg", "pos", "chars", "word"
    );
    let texts = [args.text.as_str(), args.pair.as_deref().unwrap_or("")];
    for i in 0..enc.len() {
        let (start, end) = enc.offsets[i];
        let source = match enc.sequence_ids[i] {
            Some(s) if !enc.special_tokens_mask[i] => texts[s]
                .chars()
                .skip(start)
                .take(end - start)
                .collect::<String>(),
            _ => "(special)".to_string(),
        };
        let word = enc.word_ids[i].map_or("-".to_string(), |w| w.to_string());
        println!(
            "{:>4}  {:<16} {:>7} {:>3} {:>4} {:>9} {:>4}  {}",
            i,
            enc.pieces[i],
            enc.ids[i],
            enc.type_ids[i],
            enc.position_ids[i],
            format!("{start}..{end}"),
            word,
            source
        );
    }
    println!("{} tokens", enc.len());
    if let Some(t) = enc.truncation {
        println!(
            "truncated from {} to {} tokens: {} cut from the first text, {} from the second",
            t.original_len, t.max_len, t.removed[0], t.removed[1]
        );
    }
    Ok(())
}
