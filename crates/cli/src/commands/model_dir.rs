//! A model folder as the lab lays it out: config.json, model.safetensors, tokenizer.json.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use bertlab_core::folder::{FolderError, ModelFolder, TokenizerFiles, TokenizerLayout};
use bertlab_core::model::{Architecture, Checkpoint, EncoderConfig, MaskedLm};
use bertlab_core::text::tokenizer::Tokenizer;
use bertlab_core::train::classifier::Classifier;
use bertlab_core::train::{PretrainModel, TrainError};
use candle_core::Device;

use super::model_source::ModelSource;

/// The folder of `models/` (the repository's, or `$BERTLAB_MODELS`): where the embedded models live.
fn models_root() -> PathBuf {
    std::env::var_os("BERTLAB_MODELS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../..")).join("models"))
}

/// `--model`'s folder (downloaded first when it is a URL), or the lab's default model
/// (`models/index.json`), as the app opens with.
pub fn or_default(model: Option<ModelSource>) -> Result<PathBuf> {
    if let Some(model) = model {
        return model.local_folder();
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

/// The folder's tokenizer: `tokenizer.json`, else BERT's `vocab.txt` (+ `tokenizer_config.json`).
pub fn tokenizer(dir: &Path) -> Result<Tokenizer> {
    let layout = TokenizerLayout::from_names(|file| dir.join(file).is_file())
        .ok_or_else(|| anyhow::anyhow!("{}: {}", dir.display(), FolderError::NoTokenizer))?;
    let files = TokenizerFiles::read_with(layout, |file| {
        let path = dir.join(file);
        std::fs::read(&path).with_context(|| format!("reading {}", path.display()))
    })?;
    files
        .load()
        .with_context(|| format!("reading the tokenizer in {}", dir.display()))
}

/// The folder's checkpoint and tokenizer, checked against each other as the lab checks them.
pub fn open(dir: &Path) -> Result<(Checkpoint, Tokenizer)> {
    let opened = ModelFolder::read_dir(dir).and_then(|folder| folder.open());
    opened.with_context(|| format!("loading the model in {}", dir.display()))
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

/// The folder's sentence classifier (an export of the lab's fine-tuning, or any
/// `*ForSequenceClassification` checkpoint).
pub fn classifier(dir: &Path) -> Result<Classifier> {
    Classifier::new(&checkpoint(dir)?, tokenizer(dir)?)
        .map_err(|e| anyhow::anyhow!("{}: {e}", dir.display()))
}

/// The folder's task model `A`, refused with a message (naming `how`, the command that makes one)
/// when its `config.json` names no architecture ending in `class` (e.g. `ForTokenClassification`).
pub fn task_model<A: Architecture>(dir: &Path, class: &str, how: &str) -> Result<(A, Tokenizer)> {
    let config = config(dir)?;
    if !config.architectures.iter().any(|a| a.ends_with(class)) {
        anyhow::bail!(
            "{} is not a *{class} model (its config.json names {:?}); make one with {how}",
            dir.display(),
            config.architectures
        );
    }
    let model = checkpoint(dir)?
        .load::<A>(&Device::Cpu)
        .with_context(|| format!("loading the model in {}", dir.display()))?
        .model;
    Ok((model, tokenizer(dir)?))
}

/// Writes the files `export` makes from the base model's `tokenizer.json` (in `base`) into the
/// folder `out`, creating it.
pub fn write_export(
    base: &Path,
    out: &Path,
    export: impl FnOnce(&[u8]) -> Result<Vec<(String, Vec<u8>)>, TrainError>,
) -> Result<()> {
    let tokenizer_path = base.join("tokenizer.json");
    let tokenizer_json = std::fs::read(&tokenizer_path)
        .with_context(|| format!("reading {}", tokenizer_path.display()))?;
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    for (file, bytes) in export(&tokenizer_json)? {
        std::fs::write(out.join(&file), bytes)
            .with_context(|| format!("writing {}", out.join(&file).display()))?;
    }
    eprintln!("wrote {}", out.display());
    Ok(())
}

/// The folder's masked-language model (a `*ForPreTraining` checkpoint's pair head is left unused).
pub fn masked_lm(dir: &Path) -> Result<PretrainModel> {
    let model = checkpoint(dir)?
        .load::<MaskedLm>(&Device::Cpu)
        .with_context(|| format!("loading the masked-language model in {}", dir.display()))?
        .model;
    Ok(PretrainModel::Mlm(model))
}
