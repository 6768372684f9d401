//! A Hugging Face model folder as bytes in memory, however it arrived: read from disk, downloaded
//! from a URL or picked in the browser. [`FolderPlan`] decides from the names a folder offers which
//! files to read; [`ModelFolder::open`] checks what was read against itself (config, weights,
//! tokenizer) and names the file at fault and the fix before anything is used.

use thiserror::Error;

use crate::model::{Checkpoint, EncoderConfig, ModelError};
use crate::text::tokenizer::Tokenizer;

pub use bertlab_protocol::model_key::files::*;

/// The most a model may need to load in a browser tab: wasm32 memory ends at 4 GiB, and the page's
/// tokenizer, activations and training state need the rest.
pub const BROWSER_MEMORY_LIMIT: u64 = 3 << 30;

#[derive(Debug, Error)]
pub enum FolderError {
    #[error("no config.json: choose the model's own folder, the one holding config.json and model.safetensors")]
    NoConfig,
    #[error("no model.safetensors, only pytorch_model.bin, which BERT Lab does not read (unpickling it could run code). Convert it with transformers in Python: AutoModel.from_pretrained(\"DIR\").save_pretrained(\"DIR\", safe_serialization=True)")]
    TorchOnly,
    #[error("the weights are split into shards (model.safetensors.index.json): save them as one file, e.g. model.save_pretrained(\"DIR\", max_shard_size=\"20GB\")")]
    Sharded,
    #[error("no model.safetensors: the folder has config.json but no weights")]
    NoWeights,
    #[error("no tokenizer: the folder needs tokenizer.json (or BERT's older vocab.txt). Save it next to the model with AutoTokenizer.from_pretrained(\"NAME\").save_pretrained(\"DIR\")")]
    NoTokenizer,
    #[error("{file}: {message}")]
    File { file: &'static str, message: String },
    #[error("{file} has {tokens} tokens but the model has only {rows} word embeddings (vocab_size in config.json): the tokenizer belongs to another model. Use the tokenizer saved with these weights")]
    VocabMismatch {
        file: &'static str,
        tokens: usize,
        rows: usize,
    },
    #[error("loading this model takes about {needed_mb} MB of memory, more than the {limit_mb} MB a browser tab can give it: choose a smaller model (BERT-base size or less)")]
    TooLarge { needed_mb: u64, limit_mb: u64 },
}

impl FolderError {
    fn in_file(file: &'static str, error: impl std::fmt::Display) -> FolderError {
        FolderError::File {
            file,
            message: error.to_string(),
        }
    }
}

/// Which tokenizer files a folder has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenizerLayout {
    /// `tokenizer.json` (any family).
    Json,
    /// BERT's `vocab.txt`, with `tokenizer_config.json` when the folder has one.
    Vocab { with_config: bool },
}

impl TokenizerLayout {
    /// `tokenizer.json` when the folder has it (`has` answers for a file name), else BERT's
    /// `vocab.txt`; `None` with neither.
    pub fn from_names(has: impl Fn(&str) -> bool) -> Option<TokenizerLayout> {
        if has(TOKENIZER) {
            Some(TokenizerLayout::Json)
        } else if has(VOCAB) {
            Some(TokenizerLayout::Vocab {
                with_config: has(TOKENIZER_CONFIG),
            })
        } else {
            None
        }
    }
}

/// The files to read from a folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FolderPlan {
    pub tokenizer: TokenizerLayout,
}

impl FolderPlan {
    /// From the names of the files a folder holds (in any order, without their paths).
    pub fn from_names<S: AsRef<str>>(names: &[S]) -> Result<FolderPlan, FolderError> {
        let has = |file: &str| names.iter().any(|n| n.as_ref() == file);
        if !has(CONFIG) {
            return Err(FolderError::NoConfig);
        }
        if !has(WEIGHTS) {
            return Err(if has(SHARD_INDEX) {
                FolderError::Sharded
            } else if has(TORCH_WEIGHTS) {
                FolderError::TorchOnly
            } else {
                FolderError::NoWeights
            });
        }
        let tokenizer = TokenizerLayout::from_names(has).ok_or(FolderError::NoTokenizer)?;
        Ok(FolderPlan { tokenizer })
    }

    /// The files to read, weights last (the largest, so the cheap checks fail first).
    pub fn files(&self) -> Vec<&'static str> {
        let mut files = vec![CONFIG];
        match self.tokenizer {
            TokenizerLayout::Json => files.push(TOKENIZER),
            TokenizerLayout::Vocab { with_config } => {
                files.push(VOCAB);
                if with_config {
                    files.push(TOKENIZER_CONFIG);
                }
            }
        }
        files.push(WEIGHTS);
        files
    }
}

/// The tokenizer's files.
#[derive(Debug, Clone)]
pub enum TokenizerFiles {
    Json(Vec<u8>),
    Vocab {
        vocab: Vec<u8>,
        tokenizer_config: Option<Vec<u8>>,
    },
}

impl TokenizerFiles {
    /// Reads the files `layout` names with `read`.
    pub fn read_with<E>(
        layout: TokenizerLayout,
        mut read: impl FnMut(&'static str) -> Result<Vec<u8>, E>,
    ) -> Result<TokenizerFiles, E> {
        Ok(match layout {
            TokenizerLayout::Json => TokenizerFiles::Json(read(TOKENIZER)?),
            TokenizerLayout::Vocab { with_config } => TokenizerFiles::Vocab {
                vocab: read(VOCAB)?,
                tokenizer_config: if with_config {
                    Some(read(TOKENIZER_CONFIG)?)
                } else {
                    None
                },
            },
        })
    }

    /// The file a problem with the tokenizer is reported against.
    pub fn file_name(&self) -> &'static str {
        match self {
            TokenizerFiles::Json(_) => TOKENIZER,
            TokenizerFiles::Vocab { .. } => VOCAB,
        }
    }

    pub fn load(&self) -> Result<Tokenizer, FolderError> {
        match self {
            TokenizerFiles::Json(json) => Tokenizer::from_bytes(json),
            TokenizerFiles::Vocab {
                vocab,
                tokenizer_config,
            } => Tokenizer::from_vocab_txt(vocab, tokenizer_config.as_deref()),
        }
        .map_err(|e| FolderError::in_file(self.file_name(), e))
    }
}

/// A model folder's files, read.
#[derive(Debug, Clone)]
pub struct ModelFolder {
    pub config: Vec<u8>,
    pub weights: Vec<u8>,
    pub tokenizer: TokenizerFiles,
}

impl ModelFolder {
    /// Each file by its name, as a folder on disk would hold them.
    pub fn files(&self) -> Vec<(&'static str, &[u8])> {
        let mut files = vec![(CONFIG, self.config.as_slice())];
        match &self.tokenizer {
            TokenizerFiles::Json(json) => files.push((TOKENIZER, json)),
            TokenizerFiles::Vocab {
                vocab,
                tokenizer_config,
            } => {
                files.push((VOCAB, vocab));
                if let Some(config) = tokenizer_config {
                    files.push((TOKENIZER_CONFIG, config));
                }
            }
        }
        files.push((WEIGHTS, &self.weights));
        files
    }

    /// Builds the folder from `read(file)` over the files `plan` names.
    pub fn read_with<E>(
        plan: FolderPlan,
        mut read: impl FnMut(&'static str) -> Result<Vec<u8>, E>,
    ) -> Result<ModelFolder, E> {
        let config = read(CONFIG)?;
        let tokenizer = TokenizerFiles::read_with(plan.tokenizer, &mut read)?;
        let weights = read(WEIGHTS)?;
        Ok(ModelFolder {
            config,
            weights,
            tokenizer,
        })
    }

    /// Reads a folder on disk.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn read_dir(dir: &std::path::Path) -> Result<ModelFolder, FolderError> {
        let names: Vec<String> = std::fs::read_dir(dir)
            .map_err(|e| FolderError::File {
                file: CONFIG,
                message: format!("cannot list {}: {e}", dir.display()),
            })?
            .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
            .collect();
        let plan = FolderPlan::from_names(&names)?;
        ModelFolder::read_with(plan, |file| {
            std::fs::read(dir.join(file)).map_err(|e| FolderError::in_file(file, e))
        })
    }

    /// The checkpoint and the tokenizer, each checked and checked against the other: config first,
    /// then the tokenizer (cheap), then the weights.
    pub fn open(&self) -> Result<(Checkpoint, Tokenizer), FolderError> {
        let config = EncoderConfig::from_hf_json(&self.config)
            .map_err(|e| FolderError::in_file(CONFIG, e))?;
        let tokenizer = self.tokenizer.load()?;
        check_tokenizer_fits(&tokenizer, self.tokenizer.file_name(), &config)?;
        let checkpoint =
            Checkpoint::from_bytes(&self.config, &self.weights).map_err(|e| match e {
                ModelError::Config(_) => FolderError::in_file(CONFIG, e),
                e => FolderError::in_file(WEIGHTS, e),
            })?;
        Ok((checkpoint, tokenizer))
    }
}

/// Every id the tokenizer can produce must have a row in the word embeddings; a tokenizer with
/// fewer tokens than rows is fine (checkpoints often pad the matrix). Counted by the largest id
/// ([`Tokenizer::id_rows`]), not the number of tokens: ids can have gaps.
pub fn check_tokenizer_fits(
    tokenizer: &Tokenizer,
    file: &'static str,
    config: &EncoderConfig,
) -> Result<(), FolderError> {
    let tokens = tokenizer.id_rows();
    if tokens > config.vocab_size {
        return Err(FolderError::VocabMismatch {
            file,
            tokens,
            rows: config.vocab_size,
        });
    }
    Ok(())
}

/// Bytes a browser tab needs to load weights whose safetensors header (the JSON after the file's
/// first 8 bytes) is `header_json`, before any weight is read: the file itself plus its float
/// tensors as F32, twice (the checkpoint's copy and the model's while it is built).
pub fn memory_to_load(header_json: &[u8]) -> Result<u64, FolderError> {
    let header: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(header_json)
        .map_err(|e| FolderError::in_file(WEIGHTS, format!("the header is not valid JSON: {e}")))?;
    let mut floats: u64 = 0;
    let mut data_end: u64 = 0;
    for (name, info) in header.iter().filter(|(k, _)| *k != "__metadata__") {
        let invalid = || {
            FolderError::in_file(
                WEIGHTS,
                format!("tensor {name} has no valid shape and offsets in the header"),
            )
        };
        let end = info
            .get("data_offsets")
            .and_then(|o| o.get(1)?.as_u64())
            .ok_or_else(invalid)?;
        data_end = data_end.max(end);
        let dtype = info.get("dtype").and_then(|d| d.as_str()).unwrap_or("");
        if !matches!(dtype, "F16" | "BF16" | "F32" | "F64") {
            continue;
        }
        let elements = info
            .get("shape")
            .and_then(|s| s.as_array())
            .and_then(|dims| {
                dims.iter()
                    .try_fold(1u64, |n, d| n.checked_mul(d.as_u64()?))
            })
            .ok_or_else(invalid)?;
        floats = floats.saturating_add(elements);
    }
    // Saturating: a header may claim any offset (u64::MAX too), which is "too large", not a panic.
    let file = (8 + header_json.len() as u64).saturating_add(data_end);
    Ok(file.saturating_add(floats.saturating_mul(8)))
}

/// Refuses a model whose [`memory_to_load`] exceeds [`BROWSER_MEMORY_LIMIT`].
pub fn check_fits_browser(needed: u64) -> Result<(), FolderError> {
    if needed > BROWSER_MEMORY_LIMIT {
        return Err(FolderError::TooLarge {
            needed_mb: needed.div_ceil(1 << 20),
            limit_mb: BROWSER_MEMORY_LIMIT >> 20,
        });
    }
    Ok(())
}

#[cfg(test)]
#[path = "folder_tests.rs"]
mod tests;
