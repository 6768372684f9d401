//! A model folder as the lab lays it out: config.json, model.safetensors, tokenizer.json.

use std::path::Path;

use anyhow::{Context, Result};
use bertlab::model::{Checkpoint, EncoderConfig, MaskedLm};
use bertlab::text::tokenizer::Tokenizer;
use bertlab::train::PretrainModel;
use candle_core::Device;

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
    Ok(EncoderConfig::from_hf_json(&bytes).with_context(|| path.display().to_string())?)
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
