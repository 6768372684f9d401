//! Models the student trained, kept in the browser's Cache Storage as the ZIP the worker exports,
//! so they survive a reload until the student deletes them; and downloading one as a file.

use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::cache_storage::{self, message};
use wasm_bindgen_futures::JsFuture;

use bertlab_protocol::model_key::{
    TRAINED_MODELS_CACHE as CACHE, TRAINED_MODELS_PREFIX as KEY_PREFIX,
};

/// A saved model: its file name and size in bytes.
#[derive(Debug, Clone, PartialEq)]
pub struct SavedModel {
    pub file_name: String,
    pub bytes: usize,
}

async fn cache() -> Result<web_sys::Cache, String> {
    cache_storage::open(CACHE).await
}

fn key(file_name: &str) -> String {
    format!("{KEY_PREFIX}{file_name}")
}

/// Stores `bytes` as `file_name`, replacing a model of that name.
pub async fn save(file_name: &str, bytes: &js_sys::Uint8Array) -> Result<(), String> {
    let response = web_sys::Response::new_with_opt_buffer_source(Some(bytes))
        .map_err(|e| message("cannot wrap the model", e))?;
    cache_storage::put(
        &cache().await?,
        &key(file_name),
        &response,
        &format!("the model {file_name}"),
        bytes.length() as f64,
    )
    .await
}

/// Every saved model, by name.
/// Fills `saved` with the models saved now (in the background); a failure goes to `on_error`.
pub fn refresh(saved: RwSignal<Vec<SavedModel>>, on_error: impl FnOnce(String) + 'static) {
    wasm_bindgen_futures::spawn_local(async move {
        match list().await {
            Ok(list) => saved.set(list),
            Err(m) => on_error(m),
        }
    });
}

pub async fn list() -> Result<Vec<SavedModel>, String> {
    let cache = cache().await?;
    let keys: js_sys::Array = JsFuture::from(cache.keys())
        .await
        .map_err(|e| message("cannot list the saved models", e))?
        .dyn_into()
        .map_err(|_| "the saved-model list is not a list".to_string())?;
    let mut models = Vec::new();
    for request in keys.iter() {
        let Ok(request) = request.dyn_into::<web_sys::Request>() else {
            continue;
        };
        let url = request.url();
        let Some(file_name) = url.split(KEY_PREFIX).nth(1) else {
            continue;
        };
        let file_name = js_sys::decode_uri_component(file_name)
            .map(String::from)
            .unwrap_or_else(|_| file_name.to_string());
        let bytes = blob(&cache, &file_name)
            .await
            .map_or(0, |b| b.size() as usize);
        models.push(SavedModel { file_name, bytes });
    }
    models.sort_by(|a, b| a.file_name.cmp(&b.file_name));
    Ok(models)
}

async fn blob(cache: &web_sys::Cache, file_name: &str) -> Result<web_sys::Blob, String> {
    let response: web_sys::Response = JsFuture::from(cache.match_with_str(&key(file_name)))
        .await
        .map_err(|e| message("cannot read the saved model", e))?
        .dyn_into()
        .map_err(|_| format!("{file_name} is no longer saved"))?;
    JsFuture::from(
        response
            .blob()
            .map_err(|e| message("cannot read the saved model", e))?,
    )
    .await
    .map_err(|e| message("cannot read the saved model", e))?
    .dyn_into()
    .map_err(|_| "the saved model is not a file".to_string())
}

/// Hands the saved model to the browser as a file download.
pub async fn download(file_name: &str) -> Result<(), String> {
    offer_download(&blob(&cache().await?, file_name).await?, file_name)
}

/// Hands `text` to the browser as a file download of type `mime`.
pub fn download_text(text: &str, mime: &str, file_name: &str) -> Result<(), String> {
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(text));
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options)
        .map_err(|e| message("cannot make the file", e))?;
    offer_download(&blob, file_name)
}

fn offer_download(blob: &web_sys::Blob, file_name: &str) -> Result<(), String> {
    let url = web_sys::Url::create_object_url_with_blob(blob)
        .map_err(|e| message("cannot offer the download", e))?;
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or("no document")?;
    let link: web_sys::HtmlAnchorElement = document
        .create_element("a")
        .map_err(|e| message("cannot offer the download", e))?
        .dyn_into()
        .map_err(|_| "not a link".to_string())?;
    link.set_href(&url);
    link.set_download(file_name);
    link.click();
    let _ = web_sys::Url::revoke_object_url(&url);
    Ok(())
}

pub async fn delete(file_name: &str) -> Result<(), String> {
    JsFuture::from(cache().await?.delete_with_str(&key(file_name)))
        .await
        .map_err(|e| message("cannot delete the model", e))?;
    Ok(())
}
