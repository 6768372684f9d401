//! A shipped model's three files, from the browser's Cache Storage when an earlier visit kept them,
//! else downloaded with progress (bytes and %) and kept for the next visit. The model's revision
//! in `models/index.json` is part of each cache key, so a redeployed model is downloaded afresh and
//! the older copy deleted. Without a revision, or where the browser offers no cache (some private
//! modes), the files come from the network every time.

use bertlab_protocol::messages::{FromWorker, ModelEvent};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use super::jobs::{JobContext, Stop};
use super::port::{now_ms, post, scope};

/// The Cache Storage cache of shipped models' files.
const CACHE: &str = "bertlab-models";
/// Download progress is reported at most this often (ms).
const REPORT_MS: f64 = 100.0;

/// `config.json`, `tokenizer.json` and `model.safetensors` of one model folder.
pub(crate) struct ModelFiles {
    pub(crate) config: Vec<u8>,
    pub(crate) tokenizer: Vec<u8>,
    pub(crate) weights: Vec<u8>,
    /// All three came from the cache: nothing was downloaded.
    pub(crate) from_cache: bool,
}

/// The files of the model folder `name` at `revision`.
pub(crate) async fn model_files(
    ctx: &JobContext,
    name: &str,
    revision: Option<&str>,
) -> Result<ModelFiles, Stop> {
    let cache = match revision {
        Some(_) => open_cache().await,
        None => None,
    };
    let mut from_cache = true;
    let mut files = Vec::with_capacity(3);
    for file in ["config.json", "tokenizer.json", "model.safetensors"] {
        let path = format!("models/{name}/{file}");
        let key = revision.map(|r| format!("{path}?revision={r}"));
        let kept = match (&cache, &key) {
            (Some(cache), Some(key)) => cached(cache, key).await,
            _ => None,
        };
        let bytes = match kept {
            Some(response) => body(response).await.map_err(|e| failed(&path, &e))?,
            None => {
                from_cache = false;
                ctx.progress(files.len() as u64, 4, format!("downloading {path}"));
                download(ctx, name, &path, cache.as_ref().zip(key.as_deref())).await?
            }
        };
        files.push(bytes);
        ctx.yield_or_stop().await?;
    }
    let weights = files.pop().unwrap_or_default();
    let tokenizer = files.pop().unwrap_or_default();
    let config = files.pop().unwrap_or_default();
    Ok(ModelFiles {
        config,
        tokenizer,
        weights,
        from_cache,
    })
}

fn failed(path: &str, what: &str) -> Stop {
    Stop::Failed(format!("could not load {path}: {what}"))
}

async fn open_cache() -> Option<web_sys::Cache> {
    let caches = scope().caches().ok()?;
    JsFuture::from(caches.open(CACHE))
        .await
        .ok()?
        .dyn_into()
        .ok()
}

async fn cached(cache: &web_sys::Cache, key: &str) -> Option<web_sys::Response> {
    let found = JsFuture::from(cache.match_with_str(key)).await.ok()?;
    found.dyn_into().ok()
}

async fn body(response: web_sys::Response) -> Result<Vec<u8>, String> {
    let buffer = response.array_buffer().map_err(|e| format!("{e:?}"))?;
    let buffer = JsFuture::from(buffer).await.map_err(|e| format!("{e:?}"))?;
    Ok(js_sys::Uint8Array::new(&buffer).to_vec())
}

/// Fetches `path`, reading its body chunk by chunk to report progress; with `keep`, the response is
/// also stored in the cache under the key, while it streams in.
async fn download(
    ctx: &JobContext,
    name: &str,
    path: &str,
    keep: Option<(&web_sys::Cache, &str)>,
) -> Result<Vec<u8>, Stop> {
    let response = JsFuture::from(scope().fetch_with_str(path))
        .await
        .map_err(|e| failed(path, &format!("{e:?}")))?;
    let response: web_sys::Response = response
        .dyn_into()
        .map_err(|_| failed(path, "not a response"))?;
    if !response.ok() {
        return Err(failed(path, &format!("HTTP {}", response.status())));
    }
    // The cache reads its own copy of the stream; a refusal (quota, private mode) only costs the
    // next visit a download.
    let storing = keep.and_then(|(cache, key)| {
        let copy = response.clone().ok()?;
        Some((
            cache.clone(),
            key.to_string(),
            cache.put_with_str(key, &copy),
        ))
    });
    let total = response
        .headers()
        .get("content-length")
        .ok()
        .flatten()
        .and_then(|n| n.parse::<u64>().ok());
    let bytes = stream_body(ctx, name, path, &response, total).await?;
    if let Some((cache, key, put)) = storing {
        if JsFuture::from(put).await.is_ok() {
            forget_other_revisions(&cache, &key).await;
        }
    }
    Ok(bytes)
}

async fn stream_body(
    ctx: &JobContext,
    name: &str,
    path: &str,
    response: &web_sys::Response,
    total: Option<u64>,
) -> Result<Vec<u8>, Stop> {
    let Some(stream) = response.body() else {
        return Ok(Vec::new());
    };
    let reader: web_sys::ReadableStreamDefaultReader = stream.get_reader().unchecked_into();
    let mut bytes = Vec::with_capacity(total.unwrap_or(0) as usize);
    let mut last_report = 0.0;
    loop {
        let chunk = JsFuture::from(reader.read())
            .await
            .map_err(|e| failed(path, &format!("the download broke off: {e:?}")))?;
        let done =
            js_sys::Reflect::get(&chunk, &JsValue::from_str("done")).is_ok_and(|d| d.is_truthy());
        if done {
            break;
        }
        if let Ok(value) = js_sys::Reflect::get(&chunk, &JsValue::from_str("value")) {
            let part: js_sys::Uint8Array = value.unchecked_into();
            let start = bytes.len();
            bytes.resize(start + part.length() as usize, 0);
            part.copy_to(&mut bytes[start..]);
        }
        if now_ms() - last_report >= REPORT_MS {
            last_report = now_ms();
            report(ctx, name, path, bytes.len() as u64, total);
        }
    }
    report(ctx, name, path, bytes.len() as u64, total);
    Ok(bytes)
}

/// Tells the job (its widget) and the page (the status bar) how far the download is.
fn report(ctx: &JobContext, name: &str, path: &str, received: u64, total: Option<u64>) {
    let mb = |n: u64| n as f64 / 1e6;
    let message = match total {
        Some(total) if total > 0 => format!(
            "downloading {path}: {:.1} of {:.1} MB ({:.0}%)",
            mb(received),
            mb(total),
            100.0 * received as f64 / total as f64
        ),
        _ => format!("downloading {path}: {:.1} MB", mb(received)),
    };
    ctx.progress(received, total.unwrap_or(0), message);
    post(&FromWorker::Model(ModelEvent::Downloading {
        name: name.to_string(),
        received,
        total,
    }));
}

/// Deletes the cached copies of the same file at other revisions.
async fn forget_other_revisions(cache: &web_sys::Cache, key: &str) {
    let Some((file, _)) = key.split_once("?revision=") else {
        return;
    };
    let Ok(keys) = JsFuture::from(cache.keys()).await else {
        return;
    };
    let current = format!("/{key}");
    for request in js_sys::Array::from(&keys).iter() {
        let Ok(request) = request.dyn_into::<web_sys::Request>() else {
            continue;
        };
        let url = request.url();
        if url.contains(&format!("/{file}?revision=")) && !url.ends_with(&current) {
            let _ = JsFuture::from(cache.delete_with_request(&request)).await;
        }
    }
}
