//! A model folder as the lab lays it out: config.json, model.safetensors, tokenizer.json.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use bertlab_core::model::{Checkpoint, EncoderConfig, MaskedLm};
use bertlab_core::text::tokenizer::Tokenizer;
use bertlab_core::train::PretrainModel;
use candle_core::Device;

/// The folder of `models/` (the repository's, or `$BERTLAB_MODELS`): where the embedded models live.
fn models_root() -> PathBuf {
    std::env::var_os("BERTLAB_MODELS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../..")).join("models"))
}

/// `--model` as given, or the lab's default model (`models/index.json`), as the app opens with.
pub fn or_default(model: Option<PathBuf>) -> Result<PathBuf> {
    if let Some(model) = model {
        return Ok(model);
    }
    #[derive(serde::Deserialize)]
    struct Index {
        default: String,
    }
    let root = models_root();
    let path = root.join("index.json");
    let bytes = std::fs::read(&path).with_context(|| {
        format!("no --model given and the default model's index {} is unreadable (set BERTLAB_MODELS to the lab's models folder)", path.display())
    })?;
    let index: Index = serde_json::from_slice(&bytes)
        .with_context(|| format!("{} is malformed", path.display()))?;
    Ok(root.join(index.default))
}

pub fn tokenizer(dir: &Path) -> Result<Tokenizer> {
    let path = dir.join("tokenizer.json");
    if !path.exists() {
        anyhow::bail!("{} has no tokenizer.json", dir.display());
    }
    Ok(Tokenizer::from_file(&path)?)
}

pub fn config(dir: &Path) -> Result<EncoderConfig> {
    let path = dir.join("config.json");
    let bytes = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
    EncoderConfig::from_hf_json(&bytes).with_context(|| path.display().to_string())
}

pub fn checkpoint(dir: &Path) -> Result<Checkpoint> {
    if !dir.is_dir() {
        anyhow::bail!("{} is not a directory", dir.display());
    }
    Ok(Checkpoint::from_dir(dir)?)
}

/// The folder's masked-language model (a `*ForPreTraining` checkpoint's pair head is left unused).
pub fn masked_lm(dir: &Path) -> Result<PretrainModel> {
    let model = checkpoint(dir)?
        .load::<MaskedLm>(&Device::Cpu)
        .with_context(|| format!("loading the masked-language model in {}", dir.display()))?
        .model;
    Ok(PretrainModel::Mlm(model))
}
