//! The browser's Cache Storage as a small key → bytes store for model files. Where the browser
//! offers no cache (some private modes) every operation quietly does nothing and files come from
//! the network each time.

use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use super::port::scope;

pub(crate) struct ModelCache(web_sys::Cache);

impl ModelCache {
    pub(crate) async fn open(name: &str) -> Option<ModelCache> {
        let caches = scope().caches().ok()?;
        let cache = JsFuture::from(caches.open(name)).await.ok()?;
        Some(ModelCache(cache.dyn_into().ok()?))
    }

    async fn response(&self, key: &str) -> Option<web_sys::Response> {
        let found = JsFuture::from(self.0.match_with_str(key)).await.ok()?;
        found.dyn_into().ok()
    }

    /// The stored file as a blob: its size and slices are read without loading it whole.
    pub(crate) async fn blob(&self, key: &str) -> Option<web_sys::Blob> {
        let blob = self.response(key).await?.blob().ok()?;
        JsFuture::from(blob).await.ok()?.dyn_into().ok()
    }

    pub(crate) async fn get(&self, key: &str) -> Option<Vec<u8>> {
        let buffer = self.response(key).await?.array_buffer().ok()?;
        let buffer = JsFuture::from(buffer).await.ok()?;
        Some(js_sys::Uint8Array::new(&buffer).to_vec())
    }

    /// Stores `bytes` under `key`; a refusal (quota) is returned as a message.
    pub(crate) async fn put(&self, key: &str, bytes: &[u8]) -> Result<(), String> {
        let array = js_sys::Uint8Array::from(bytes);
        let response = web_sys::Response::new_with_opt_buffer_source(Some(&array))
            .map_err(|e| format!("{e:?}"))?;
        JsFuture::from(self.0.put_with_str(key, &response))
            .await
            .map(|_| ())
            .map_err(|e| {
                let name = js_sys::Reflect::get(&e, &"name".into())
                    .ok()
                    .and_then(|n| n.as_string())
                    .unwrap_or_default();
                if name == "QuotaExceededError" {
                    format!("the browser's storage is full ({} MB needed): delete a stored model or free space", bytes.len().div_ceil(1_000_000))
                } else {
                    format!("{e:?}")
                }
            })
    }

    pub(crate) async fn delete(&self, key: &str) {
        let _ = JsFuture::from(self.0.delete_with_str(key)).await;
    }

    /// Every stored key, as absolute URLs.
    pub(crate) async fn keys(&self) -> Vec<String> {
        let Ok(keys) = JsFuture::from(self.0.keys()).await else {
            return Vec::new();
        };
        js_sys::Array::from(&keys)
            .iter()
            .filter_map(|r| r.dyn_into::<web_sys::Request>().ok())
            .map(|r| r.url())
            .collect()
    }
}

/// Bytes `start..end` of a blob.
pub(crate) async fn blob_slice(blob: &web_sys::Blob, start: f64, end: f64) -> Option<Vec<u8>> {
    let part = blob.slice_with_f64_and_f64(start, end).ok()?;
    let buffer = JsFuture::from(part.array_buffer()).await.ok()?;
    Some(js_sys::Uint8Array::new(&buffer).to_vec())
}
