//! `bertlab feature-space`: a labelled set's sentence features at one layer of an encoder,
//! projected onto their first two principal axes; prints the explained variance and writes the
//! features, the points and the texts as JSON, for a plot or a reference check.

use std::path::PathBuf;

use anyhow::{Context, Result};
use bertlab_core::analysis::features::sentence_features;
use bertlab_core::analysis::pca::pca_2d;
use bertlab_core::model::{Encoder, Loaded};
use bertlab_core::train::labelled::parse_csv;
use bertlab_protocol::features::Pooling;
use candle_core::Device;

use super::model_dir;
use super::model_source::ModelSource;

#[derive(clap::Args)]
pub struct Args {
    /// The encoder: a model folder, or its http(s) URL; default: the lab's default model.
    #[arg(long, value_name = "DIR|URL")]
    model: Option<ModelSource>,
    /// Use the same architecture with random weights (seeded), the untrained twin.
    #[arg(long)]
    random_init: bool,
    /// A CSV with `text` and `label` columns (and optionally `split`).
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/../../assets/datasets/support-intents.csv"))]
    data: PathBuf,
    /// Which texts: train, test or all.
    #[arg(long, default_value = "all", value_parser = ["train", "test", "all"])]
    split: String,
    /// The layer to read: 0 is the embeddings, the encoder's layer count the last; default the last.
    #[arg(long)]
    layer: Option<usize>,
    /// mean (of the token vectors) or cls (the first token).
    #[arg(long, default_value = "mean", value_parser = parse_pooling)]
    pooling: Pooling,
    /// Write the texts, labels and points here as JSON.
    #[arg(long)]
    out: Option<PathBuf>,
}

fn parse_pooling(slug: &str) -> Result<Pooling, String> {
    Pooling::from_slug(slug).ok_or_else(|| "mean or cls".to_string())
}

pub fn run(args: Args) -> Result<()> {
    let folder = model_dir::or_default(args.model)?;
    let checkpoint = model_dir::checkpoint(&folder)?;
    let tokenizer = model_dir::tokenizer(&folder)?;
    let encoder = if args.random_init {
        Loaded::<Encoder>::random(&checkpoint.config, 0, &Device::Cpu)?.model
    } else {
        checkpoint.load::<Encoder>(&Device::Cpu)?.model
    };
    let layers = encoder.config().num_hidden_layers;
    let layer = args.layer.unwrap_or(layers);
    if layer > layers {
        anyhow::bail!("--layer {layer}: this encoder has layers 0 (the embeddings) to {layers}");
    }
    let bytes =
        std::fs::read(&args.data).with_context(|| format!("reading {}", args.data.display()))?;
    let split = parse_csv(&bytes, 0.2, 0).with_context(|| format!("{}", args.data.display()))?;
    let mut set = match args.split.as_str() {
        "train" => split.train,
        "test" => split.test,
        _ => split.train.followed_by(split.test),
    };
    set.text_pairs = None;
    let features = sentence_features(&encoder, &tokenizer, &set.texts, args.pooling, 128)
        .map_err(anyhow::Error::msg)?;
    let projection = pca_2d(&features[layer]).map_err(anyhow::Error::msg)?;
    println!(
        "{} texts, layer {layer} of {layers}, {}: the two axes hold {:.1}% and {:.1}% of the variance",
        set.len(),
        args.pooling.describe(),
        projection.explained[0] * 100.0,
        projection.explained[1] * 100.0
    );
    if let Some(out) = args.out {
        let json = serde_json::json!({
            "model": folder.display().to_string(),
            "random_init": args.random_init,
            "layer": layer,
            "pooling": args.pooling,
            "max_len": 128,
            "texts": set.texts,
            "labels": set.labels,
            "label_ids": set.label_ids,
            "features": features[layer],
            "points": projection.points,
            "explained": projection.explained,
        });
        std::fs::write(&out, serde_json::to_vec(&json)?)
            .with_context(|| format!("writing {}", out.display()))?;
    }
    Ok(())
}
