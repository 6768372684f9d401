//! A model folder's files, wherever the model lives:
//! - shipped (`models/NAME/`): from Cache Storage when an earlier visit kept them at the revision
//!   `models/index.json` gives, else downloaded and kept (older revisions are deleted);
//! - at a URL: probed file by file (tokenizer.json or vocab.txt; model.safetensors or the reason it
//!   is missing), the weights' memory checked from their header before they are downloaded;
//! - from the student's disk: the files the page stored.
//!
//! A model the student added is kept in the browser only once it has loaded: [`keep`] stores its
//! files and a [`Manifest`] with its summary (what the model list shows); [`forget`] deletes them.

use std::collections::HashMap;

use bertlab_core::folder::{
    self, check_fits_browser, memory_to_load, FolderError, FolderPlan, ModelFolder,
};
use bertlab_protocol::messages::ModelSummary;
use bertlab_protocol::model_key::{Manifest, ModelKey, MANIFEST, USER_MODELS_CACHE};

use super::fetching::{download, exists, range};
use super::jobs::{JobContext, Stop};
use super::model_cache::{blob_slice, ModelCache};
use crate::lab_model::safetensors_header_len;

/// The Cache Storage cache of shipped models' files.
const SHIPPED_CACHE: &str = "bertlab-models";

/// A model's files, and whether all came from the browser's storage.
pub(crate) struct Fetched {
    pub(crate) folder: ModelFolder,
    pub(crate) from_cache: bool,
    /// The names of the files the folder has (the manifest's list).
    pub(crate) names: Vec<String>,
}

fn folder_error(label: &str, e: FolderError) -> Stop {
    Stop::Failed(format!("{label}: {e}"))
}

/// The folder `plan` describes, from the files read for it.
fn assemble(
    label: &str,
    plan: FolderPlan,
    mut files: HashMap<&'static str, Vec<u8>>,
) -> Result<ModelFolder, Stop> {
    ModelFolder::read_with(plan, |file| files.remove(file).ok_or(file))
        .map_err(|file| Stop::Failed(format!("{label}: {file} was not read")))
}

/// The files of the shipped folder `name` at `revision`.
pub(crate) async fn shipped(
    ctx: &JobContext,
    name: &str,
    revision: Option<&str>,
) -> Result<Fetched, Stop> {
    let cache = match revision {
        Some(_) => ModelCache::open(SHIPPED_CACHE).await,
        None => None,
    };
    let mut from_cache = true;
    let mut files = HashMap::new();
    let plan = FolderPlan {
        tokenizer: folder::TokenizerLayout::Json,
    };
    for (i, file) in plan.files().into_iter().enumerate() {
        let path = format!("models/{name}/{file}");
        let key = revision.map(|r| format!("{path}?revision={r}"));
        let kept = match (&cache, &key) {
            (Some(cache), Some(key)) => cache.get(key).await,
            _ => None,
        };
        let bytes = match kept {
            Some(bytes) => bytes,
            None => {
                from_cache = false;
                ctx.progress(i as u64, 4, format!("downloading {path}"));
                let bytes = download(ctx, name, &path).await?.ok_or_else(|| {
                    Stop::Failed(format!(
                        "could not load {path}: the server has no such file"
                    ))
                })?;
                if let (Some(cache), Some(key)) = (&cache, &key) {
                    // A refusal (quota) only costs the next visit a download.
                    if cache.put(key, &bytes).await.is_ok() {
                        forget_other_revisions(cache, &path, key).await;
                    }
                }
                bytes
            }
        };
        files.insert(file, bytes);
        ctx.yield_or_stop().await?;
    }
    let folder = assemble(name, plan, files)?;
    Ok(Fetched {
        folder,
        from_cache,
        names: Vec::new(),
    })
}

/// Deletes the cached copies of `path` at other revisions than `key`'s.
async fn forget_other_revisions(cache: &ModelCache, path: &str, key: &str) {
    let file = format!("/{path}?revision=");
    for url in cache.keys().await {
        if url.contains(&file) && !url.ends_with(&format!("/{key}")) {
            cache.delete(&url).await;
        }
    }
}

/// The manifest of a model the student added, if the browser still keeps one.
async fn manifest(cache: &ModelCache, key: &ModelKey<'_>) -> Option<Manifest> {
    let bytes = cache.get(&key.stored_file(MANIFEST)?).await?;
    serde_json::from_slice(&bytes).ok()
}

/// The files of a model the student added: from the browser's storage when it keeps them (always
/// for a disk folder), else downloaded from its URL.
pub(crate) async fn user_model(ctx: &JobContext, key: ModelKey<'_>) -> Result<Fetched, Stop> {
    let label = key.label();
    let cache = ModelCache::open(USER_MODELS_CACHE).await;
    let kept = match &cache {
        Some(cache) => manifest(cache, &key).await,
        None => None,
    };
    match (key, kept, &cache) {
        // A disk folder's manifest is written by the page before it asks for the model.
        (ModelKey::Url(_), Some(m), Some(cache)) if m.summary.is_some() => stored(ctx, cache, &key, m.files).await,
        (ModelKey::Disk(_), Some(m), Some(cache)) => stored(ctx, cache, &key, m.files).await,
        (ModelKey::Disk(name), _, _) => Err(Stop::Failed(format!(
            "the folder {name} is no longer stored in this browser: open it again with \"Use a folder from your computer\""
        ))),
        (ModelKey::Url(url), _, _) => from_url(ctx, &label, url).await,
        (ModelKey::Shipped(name), _, _) => Err(Stop::Failed(format!("{name} is not a model the student added"))),
    }
}

/// Refuses weights that would not fit the tab, from their header alone.
fn check_header(label: &str, header: &[u8]) -> Result<(), Stop> {
    memory_to_load(header)
        .and_then(check_fits_browser)
        .map_err(|e| folder_error(label, e))
}

/// A model's files from the browser's storage.
async fn stored(
    ctx: &JobContext,
    cache: &ModelCache,
    key: &ModelKey<'_>,
    names: Vec<String>,
) -> Result<Fetched, Stop> {
    let label = key.label();
    let plan = FolderPlan::from_names(&names).map_err(|e| folder_error(&label, e))?;
    let stored_key = |file: &str| key.stored_file(file).unwrap_or_default();
    let missing = |file: &str| {
        Stop::Failed(format!(
            "{label}: {file} is no longer in the browser's storage: load the model again"
        ))
    };
    let weights = cache
        .blob(&stored_key(folder::WEIGHTS))
        .await
        .ok_or_else(|| missing(folder::WEIGHTS))?;
    let first = blob_slice(&weights, 0.0, 8.0).await.unwrap_or_default();
    let len = safetensors_header_len(&first).map_err(|e| Stop::Failed(format!("{label}: {e}")))?;
    let header = blob_slice(&weights, 8.0, 8.0 + len as f64)
        .await
        .unwrap_or_default();
    check_header(&label, &header)?;
    let mut files = HashMap::new();
    for (i, file) in plan.files().into_iter().enumerate() {
        ctx.progress(
            i as u64,
            plan.files().len() as u64,
            format!("reading {file}"),
        );
        let bytes = cache
            .get(&stored_key(file))
            .await
            .ok_or_else(|| missing(file))?;
        files.insert(file, bytes);
        ctx.yield_or_stop().await?;
    }
    let folder = assemble(&label, plan, files)?;
    Ok(Fetched {
        folder,
        from_cache: true,
        names,
    })
}

/// Downloads a model folder from `url`, finding out which files it has on the way.
async fn from_url(ctx: &JobContext, label: &str, url: &str) -> Result<Fetched, Stop> {
    let at = |file: &str| format!("{url}{file}");
    let mut names = Vec::new();
    let mut files = HashMap::new();
    ctx.progress(0, 0, format!("asking {url} for config.json"));
    let Some(config) = download(ctx, label, &at(folder::CONFIG)).await? else {
        return Err(Stop::Failed(format!(
            "{label}: there is no config.json at {url}. The address should be the model's folder, the one holding config.json and model.safetensors"
        )));
    };
    names.push(folder::CONFIG.to_string());
    files.insert(folder::CONFIG, config);
    for (file, then_try) in [
        (folder::TOKENIZER, None),
        (folder::VOCAB, Some(folder::TOKENIZER_CONFIG)),
    ] {
        if let Some(bytes) = download(ctx, label, &at(file)).await? {
            names.push(file.to_string());
            files.insert(file, bytes);
            if let Some(extra) = then_try {
                if let Some(bytes) = download(ctx, label, &at(extra)).await? {
                    names.push(extra.to_string());
                    files.insert(extra, bytes);
                }
            }
            break;
        }
    }
    let weights = at(folder::WEIGHTS);
    match range(&weights, 0, 8).await? {
        Some(first) => {
            let len = safetensors_header_len(&first)
                .map_err(|e| Stop::Failed(format!("{label}: {e}")))?;
            let header = range(&weights, 8, 8 + len as u64)
                .await?
                .unwrap_or_default();
            check_header(label, &header)?;
            names.push(folder::WEIGHTS.to_string());
        }
        None => {
            for other in [folder::SHARD_INDEX, folder::TORCH_WEIGHTS] {
                if exists(&at(other)).await? {
                    names.push(other.to_string());
                }
            }
        }
    }
    // The same reasons as for a folder on disk, before the largest download.
    let plan = FolderPlan::from_names(&names).map_err(|e| folder_error(label, e))?;
    let bytes = download(ctx, label, &weights).await?.ok_or_else(|| {
        Stop::Failed(format!(
            "{label}: {weights} disappeared during the download"
        ))
    })?;
    files.insert(folder::WEIGHTS, bytes);
    let folder = assemble(label, plan, files)?;
    Ok(Fetched {
        folder,
        from_cache: false,
        names,
    })
}

/// Keeps a model the student added that has just loaded: its files (when they were downloaded)
/// and a manifest with its summary and size. Storage refused (quota) is reported, not fatal: the
/// model is loaded for this visit.
pub(crate) async fn keep(
    key: ModelKey<'_>,
    fetched: &Fetched,
    summary: &ModelSummary,
) -> Result<(), String> {
    let cache = ModelCache::open(USER_MODELS_CACHE)
        .await
        .ok_or("this browser offers no storage for models (private mode?): the model lasts until the page closes")?;
    let file_key = |file: &str| key.stored_file(file).unwrap_or_default();
    let mut bytes = 0;
    for (file, data) in fetched.folder.files() {
        bytes += data.len() as u64;
        if !fetched.from_cache {
            cache.put(&file_key(file), data).await?;
        }
    }
    let manifest = Manifest {
        key: summary.name.clone(),
        files: fetched.names.clone(),
        summary: Some(ModelSummary {
            stored_bytes: Some(bytes),
            ..summary.clone()
        }),
    };
    let json = serde_json::to_vec(&manifest).map_err(|e| e.to_string())?;
    cache.put(&file_key(MANIFEST), &json).await
}

/// Deletes every file the browser keeps of a model the student added.
pub(crate) async fn forget(key: ModelKey<'_>) {
    let Some(cache) = ModelCache::open(USER_MODELS_CACHE).await else {
        return;
    };
    for file in folder::READ.into_iter().chain([MANIFEST]) {
        if let Some(k) = key.stored_file(file) {
            cache.delete(&k).await;
        }
    }
}

/// The summaries of the models the student added that have loaded at least once, by key.
pub(crate) async fn kept_models() -> Vec<ModelSummary> {
    let Some(cache) = ModelCache::open(USER_MODELS_CACHE).await else {
        return Vec::new();
    };
    let mut models = Vec::new();
    for url in cache.keys().await {
        if !url.ends_with(&format!("/{MANIFEST}")) {
            continue;
        }
        let Some(bytes) = cache.get(&url).await else {
            continue;
        };
        if let Ok(Manifest {
            summary: Some(summary),
            ..
        }) = serde_json::from_slice(&bytes)
        {
            models.push(summary);
        }
    }
    models.sort_by(|a, b| a.name.cmp(&b.name));
    models
}
