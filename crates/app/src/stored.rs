//! Values the labs keep in this browser's localStorage as JSON (the experiment sheet, run paces).
//! Storage may be missing or full (private browsing, quota): reading then gives the default and
//! writing does nothing, so the page keeps what is on screen and only loses the persistence.

use serde::de::DeserializeOwned;
use serde::Serialize;

fn storage() -> Option<web_sys::Storage> {
    web_sys::window().and_then(|w| w.local_storage().ok().flatten())
}

/// The value under `key`, or the default when there is none or it does not parse.
pub fn load<T: DeserializeOwned + Default>(key: &str) -> T {
    storage()
        .and_then(|s| s.get_item(key).ok().flatten())
        .and_then(|json| serde_json::from_str(&json).ok())
        .unwrap_or_default()
}

pub fn save<T: Serialize + ?Sized>(key: &str, value: &T) {
    if let (Some(storage), Ok(json)) = (storage(), serde_json::to_string(value)) {
        let _ = storage.set_item(key, &json);
    }
}
