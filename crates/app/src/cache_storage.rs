//! The browser's Cache Storage from the page, where the student's models are kept (those trained in
//! the tab, `saved_models`, and those brought from disk, `own_models`).

use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// A message for a failed browser call: what failed, then what the browser said.
pub fn message(what: &str, e: JsValue) -> String {
    format!(
        "{what}: {}",
        e.as_string().unwrap_or_else(|| format!("{e:?}"))
    )
}

/// Stores `response` (`what`, of `bytes` bytes) under `key`. A full storage says how much space
/// the file needs and how to make room.
pub async fn put(
    cache: &web_sys::Cache,
    key: &str,
    response: &web_sys::Response,
    what: &str,
    bytes: f64,
) -> Result<(), String> {
    match JsFuture::from(cache.put_with_str(key, response)).await {
        Ok(_) => Ok(()),
        Err(e) => {
            let name = js_sys::Reflect::get(&e, &"name".into())
                .ok()
                .and_then(|n| n.as_string());
            Err(if name.as_deref() == Some("QuotaExceededError") {
                format!(
                    "the browser's storage is full: {what} needs {:.1} MB. Delete a stored model \
                     (or free space on the disk) and try again",
                    bytes / 1e6
                )
            } else {
                message(&format!("{what} could not be stored"), e)
            })
        }
    }
}

/// The cache `name`, or why the browser offers none.
pub async fn open(name: &str) -> Result<web_sys::Cache, String> {
    let caches = web_sys::window()
        .ok_or("no window")?
        .caches()
        .map_err(|e| message("this browser cannot store models", e))?;
    JsFuture::from(caches.open(name))
        .await
        .map_err(|e| message("cannot open the model store", e))?
        .dyn_into()
        .map_err(|_| "the model store is not a cache".to_string())
}
