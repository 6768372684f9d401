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
