//! What the worker fetches from next to the app, each fetched once: the model index, model folders
//! (loaded into memory and kept), the tokenizer lab's tokenizers, and data files.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use bertlab_core::text::tokenizer::Tokenizer;
use bertlab_protocol::messages::{FromWorker, ModelEvent, ModelSummary};
use bertlab_protocol::model_key::ModelKey;

use super::jobs::{JobContext, Stop};
use super::port::post;
use super::{fetching, model_files};
use crate::lab_model::{safetensors_header_len, summary_from_header, LabModel};

thread_local! {
    /// Models loaded so far, by folder name; loading is slow, so each is loaded once.
    static MODELS: RefCell<HashMap<String, Rc<LabModel>>> = RefCell::new(HashMap::new());
    /// Models being loaded right now; other jobs wanting one wait for that load instead of repeating it.
    static LOADING: RefCell<HashSet<String>> = RefCell::new(HashSet::new());
    /// `models/index.json`, once fetched.
    static INDEX: RefCell<Option<Rc<ModelIndex>>> = const { RefCell::new(None) };
    /// The tokenizer lab's BPE and Unigram tokenizers, by path, once fetched.
    static TOKENIZERS: RefCell<HashMap<String, Rc<Tokenizer>>> = RefCell::new(HashMap::new());
}

/// `models/index.json`: which one the lab opens with, which model folders it ships (older
/// indexes name only the default), and each folder's revision, which keys the browser's cached copy.
#[derive(serde::Deserialize)]
pub(crate) struct ModelIndex {
    pub(crate) default: String,
    #[serde(default)]
    pub(crate) models: Vec<String>,
    #[serde(default)]
    pub(crate) revisions: HashMap<String, String>,
}

impl ModelIndex {
    /// The deployment's index, fetched once: every job naming no model needs it, and typing sends
    /// a job per keystroke.
    pub(crate) async fn get() -> Result<Rc<ModelIndex>, Stop> {
        if let Some(index) = INDEX.with(|i| i.borrow().clone()) {
            return Ok(index);
        }
        let index = fetch_bytes("models/index.json").await?;
        let mut index = serde_json::from_slice::<ModelIndex>(&index)
            .map_err(|e| Stop::Failed(format!("models/index.json is malformed: {e}")))?;
        if index.models.is_empty() {
            index.models.push(index.default.clone());
        }
        let index = Rc::new(index);
        INDEX.with(|i| *i.borrow_mut() = Some(index.clone()));
        Ok(index)
    }
}

/// Fetch a file served next to the app (the worker script sits at the app's root).
pub(crate) async fn fetch_bytes(path: &str) -> Result<Vec<u8>, Stop> {
    fetching::get(path).await
}

/// The model folder `name` (the default when `None`), downloaded and built once, then kept.
pub(crate) async fn load_model(
    ctx: &JobContext,
    name: Option<String>,
) -> Result<Rc<LabModel>, Stop> {
    let name = match name {
        Some(name) => name,
        None => ModelIndex::get().await?.default.clone(),
    };
    while LOADING.with(|l| l.borrow().contains(&name)) {
        ctx.progress(0, 0, format!("waiting for {name} to load"));
        gloo::timers::future::TimeoutFuture::new(50).await;
        ctx.yield_or_stop().await?;
    }
    if let Some(model) = MODELS.with(|m| m.borrow().get(&name).cloned()) {
        return Ok(model);
    }
    LOADING.with(|l| l.borrow_mut().insert(name.clone()));
    let loaded = download_and_build(ctx, &name).await;
    LOADING.with(|l| l.borrow_mut().remove(&name));
    let event = match &loaded {
        Ok((model, from_cache)) => Some(ModelEvent::Loaded {
            summary: model.summary(),
            from_cache: *from_cache,
        }),
        Err(Stop::Failed(message)) => Some(ModelEvent::Failed {
            name: name.clone(),
            message: message.clone(),
        }),
        // A job is cancelled when a newer one replaces it, and that one loads the model.
        Err(Stop::Cancelled) => None,
    };
    if let Some(event) = event {
        post(&FromWorker::Model(event));
    }
    let model = Rc::new(loaded?.0);
    MODELS.with(|m| m.borrow_mut().insert(name, model.clone()));
    Ok(model)
}

/// Gets a model's files (from the browser's storage when it keeps them) and builds the model;
/// also says whether they came from storage. A model the student added is kept once it builds,
/// and a disk folder that fails is deleted again, so the model list shows only models that load.
async fn download_and_build(ctx: &JobContext, name: &str) -> Result<(LabModel, bool), Stop> {
    let key = ModelKey::parse(name);
    let fetched = match key {
        ModelKey::Shipped(name) => {
            let index = ModelIndex::get().await?;
            let revision = index.revisions.get(name).map(String::as_str);
            model_files::shipped(ctx, name, revision).await
        }
        _ => model_files::user_model(ctx, key).await,
    };
    let built = fetched.and_then(|fetched| {
        ctx.progress(3, 4, format!("building {}", key.label()));
        let model = LabModel::from_folder(name, &fetched.folder)?;
        Ok((model, fetched))
    });
    let (model, fetched) = match built {
        Ok(built) => built,
        Err(stop) => {
            if matches!((key, &stop), (ModelKey::Disk(_), Stop::Failed(_))) {
                model_files::forget(key).await;
            }
            return Err(stop);
        }
    };
    if !matches!(key, ModelKey::Shipped(_)) {
        if let Err(message) = model_files::keep(key, &fetched, &model.summary()).await {
            ctx.progress(
                4,
                4,
                format!("{name} loaded but is not kept for the next visit: {message}"),
            );
        }
    }
    Ok((model, fetched.from_cache))
}

/// Drops a model the student added from memory and from the browser's storage.
pub(crate) async fn forget_model(name: &str) {
    MODELS.with(|m| m.borrow_mut().remove(name));
    model_files::forget(ModelKey::parse(name)).await;
}

/// A model's summary without loading it: `config.json` and the header of `model.safetensors`
/// (two range requests), or the loaded model's own when it is in memory.
pub(crate) async fn describe_model(name: &str) -> Result<ModelSummary, Stop> {
    if let Some(model) = MODELS.with(|m| m.borrow().get(name).cloned()) {
        return Ok(model.summary());
    }
    let config = fetch_bytes(&format!("models/{name}/config.json")).await?;
    let weights = format!("models/{name}/model.safetensors");
    let part = |start: usize, end: usize| {
        let weights = weights.clone();
        async move {
            fetching::range(&weights, start as u64, end as u64)
                .await?
                .ok_or_else(|| Stop::Failed(format!("could not load {weights}: no such file")))
        }
    };
    let len = safetensors_header_len(&part(0, 8).await?)
        .map_err(|e| Stop::Failed(format!("{name}: {e}")))?;
    let header = part(8, 8 + len).await?;
    Ok(summary_from_header(name, &config, &header)?)
}

/// One of the tokenizer lab's shipped tokenizers, fetched once.
pub(crate) async fn shipped_tokenizer(path: &str) -> Result<Rc<Tokenizer>, Stop> {
    if let Some(tok) = TOKENIZERS.with(|t| t.borrow().get(path).cloned()) {
        return Ok(tok);
    }
    let tok = Tokenizer::from_bytes(&fetch_bytes(path).await?)
        .map_err(|e| Stop::Failed(format!("{path}: {e}")))?;
    let tok = Rc::new(tok);
    TOKENIZERS.with(|t| t.borrow_mut().insert(path.to_string(), tok.clone()));
    Ok(tok)
}
