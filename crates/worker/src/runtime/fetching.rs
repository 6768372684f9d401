//! HTTP for model files: a probe for whether a file exists, a byte range, and a whole file streamed
//! with progress (bytes and %) that survives a connection breaking off by resuming where it stopped.
//! Every failure names the URL and says what the student can do.

use bertlab_protocol::messages::{FromWorker, ModelEvent};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use super::jobs::{JobContext, Stop};
use super::port::{now_ms, post, scope};

/// Download progress is reported at most this often (ms).
const REPORT_MS: f64 = 100.0;
/// Attempts at a file whose connection breaks off, each resuming from the bytes received.
const ATTEMPTS: usize = 4;

fn failed(url: &str, what: &str) -> Stop {
    Stop::Failed(format!("could not load {url}: {what}"))
}

/// A rejected `fetch` carries no reason a page may read; these are the usual ones.
fn unreachable(url: &str, e: &JsValue) -> Stop {
    let detail = e
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .unwrap_or_else(|| format!("{e:?}"));
    failed(
        url,
        &format!("the server did not answer ({detail}). Check the address and your connection; a server on another site must also allow the lab to read its files (CORS)"),
    )
}

/// The answer to a request: `Ok(None)` for 404 (the file does not exist there).
async fn request(
    url: &str,
    method: &str,
    range: Option<(u64, Option<u64>)>,
) -> Result<Option<web_sys::Response>, Stop> {
    let init = web_sys::RequestInit::new();
    init.set_method(method);
    if let Some((start, end)) = range {
        let headers = web_sys::Headers::new().map_err(|e| failed(url, &format!("{e:?}")))?;
        let end = end
            .map(|e| e.saturating_sub(1).to_string())
            .unwrap_or_default();
        headers
            .set("Range", &format!("bytes={start}-{end}"))
            .map_err(|e| failed(url, &format!("{e:?}")))?;
        init.set_headers(&headers);
    }
    let request = web_sys::Request::new_with_str_and_init(url, &init)
        .map_err(|e| failed(url, &format!("not a valid address: {e:?}")))?;
    let response = JsFuture::from(scope().fetch_with_request(&request))
        .await
        .map_err(|e| unreachable(url, &e))?;
    let response: web_sys::Response = response
        .dyn_into()
        .map_err(|_| failed(url, "not a response"))?;
    match response.status() {
        404 | 410 => Ok(None),
        _ if response.ok() => Ok(Some(response)),
        status => Err(failed(url, &format!("the server answered HTTP {status}"))),
    }
}

/// Whether `url` exists (a HEAD request).
pub(crate) async fn exists(url: &str) -> Result<bool, Stop> {
    Ok(request(url, "HEAD", None).await?.is_some())
}

async fn array_buffer(url: &str, response: &web_sys::Response) -> Result<Vec<u8>, Stop> {
    let buffer = response
        .array_buffer()
        .map_err(|e| failed(url, &format!("{e:?}")))?;
    let buffer = JsFuture::from(buffer)
        .await
        .map_err(|e| failed(url, &format!("the download broke off: {e:?}")))?;
    Ok(js_sys::Uint8Array::new(&buffer).to_vec())
}

/// The whole of `url`, which must exist.
pub(crate) async fn get(url: &str) -> Result<Vec<u8>, Stop> {
    let response = request(url, "GET", None)
        .await?
        .ok_or_else(|| failed(url, "the server has no such file"))?;
    array_buffer(url, &response).await
}

/// Bytes `start..end` of `url` by a range request; `Ok(None)` when it does not exist. A server
/// that ignores ranges answers with the whole file, which is cut here.
pub(crate) async fn range(url: &str, start: u64, end: u64) -> Result<Option<Vec<u8>>, Stop> {
    let Some(response) = request(url, "GET", Some((start, Some(end)))).await? else {
        return Ok(None);
    };
    let partial = response.status() == 206;
    let bytes = array_buffer(url, &response).await?;
    if partial {
        return Ok(Some(bytes));
    }
    let cut = bytes.get(start as usize..(end as usize).min(bytes.len()));
    Ok(cut.map(<[u8]>::to_vec))
}

/// The whole of `url`, or `Ok(None)` when it does not exist; `label` names the model in progress
/// events. A body that breaks off is requested again from the first missing byte.
pub(crate) async fn download(
    ctx: &JobContext,
    label: &str,
    url: &str,
) -> Result<Option<Vec<u8>>, Stop> {
    let file = url.rsplit('/').next().unwrap_or(url);
    let mut bytes: Vec<u8> = Vec::new();
    let mut total = None;
    let mut last_error = String::new();
    for attempt in 0..ATTEMPTS {
        let resume = (attempt > 0 && !bytes.is_empty()).then_some((bytes.len() as u64, None));
        let Some(response) = request(url, "GET", resume).await? else {
            return Ok(None);
        };
        if resume.is_some() && response.status() != 206 {
            // The server ignored the range: it sends the whole file again.
            bytes.clear();
        }
        if total.is_none() {
            total = length(&response).map(|n| n + bytes.len() as u64);
        }
        match stream_body(ctx, label, file, &response, &mut bytes, total).await {
            Ok(()) => {
                report(ctx, label, file, bytes.len() as u64, total);
                return Ok(Some(bytes));
            }
            Err(StreamStop::Stop(stop)) => return Err(stop),
            Err(StreamStop::Broken(message)) => {
                last_error = message;
                ctx.progress(
                    bytes.len() as u64,
                    total.unwrap_or(0),
                    format!(
                        "{file}: the connection broke off, resuming (attempt {} of {ATTEMPTS})",
                        attempt + 2
                    ),
                );
            }
        }
    }
    Err(failed(
        url,
        &format!("the download broke off {ATTEMPTS} times ({last_error}). Try again when the connection is steadier"),
    ))
}

fn length(response: &web_sys::Response) -> Option<u64> {
    response
        .headers()
        .get("content-length")
        .ok()
        .flatten()
        .and_then(|n| n.parse::<u64>().ok())
}

enum StreamStop {
    /// Cancelled by the page.
    Stop(Stop),
    /// The connection broke off; what arrived is kept.
    Broken(String),
}

/// Appends the response's body to `bytes`, chunk by chunk, reporting progress and honouring
/// cancellation.
async fn stream_body(
    ctx: &JobContext,
    label: &str,
    file: &str,
    response: &web_sys::Response,
    bytes: &mut Vec<u8>,
    total: Option<u64>,
) -> Result<(), StreamStop> {
    let Some(stream) = response.body() else {
        return Ok(());
    };
    let reader: web_sys::ReadableStreamDefaultReader = stream.get_reader().unchecked_into();
    if let Some(total) = total {
        bytes.reserve((total as usize).saturating_sub(bytes.len()));
    }
    let mut last_report = 0.0;
    loop {
        let chunk = JsFuture::from(reader.read())
            .await
            .map_err(|e| StreamStop::Broken(format!("{e:?}")))?;
        let done =
            js_sys::Reflect::get(&chunk, &JsValue::from_str("done")).is_ok_and(|d| d.is_truthy());
        if done {
            return Ok(());
        }
        if let Ok(value) = js_sys::Reflect::get(&chunk, &JsValue::from_str("value")) {
            let part: js_sys::Uint8Array = value.unchecked_into();
            let start = bytes.len();
            bytes.resize(start + part.length() as usize, 0);
            part.copy_to(&mut bytes[start..]);
        }
        if now_ms() - last_report >= REPORT_MS {
            last_report = now_ms();
            report(ctx, label, file, bytes.len() as u64, total);
            if let Err(stop) = ctx.yield_or_stop().await {
                let _ = reader.cancel();
                return Err(StreamStop::Stop(stop));
            }
        }
    }
}

/// Tells the job (its widget) and the page (the status bar) how far the download is.
fn report(ctx: &JobContext, label: &str, file: &str, received: u64, total: Option<u64>) {
    let mb = |n: u64| n as f64 / 1e6;
    let message = match total {
        Some(total) if total > 0 => format!(
            "downloading {file}: {:.1} of {:.1} MB ({:.0}%)",
            mb(received),
            mb(total),
            100.0 * received as f64 / total as f64
        ),
        _ => format!("downloading {file}: {:.1} MB", mb(received)),
    };
    ctx.progress(received, total.unwrap_or(0), message);
    post(&FromWorker::Model(ModelEvent::Downloading {
        name: label.to_string(),
        received,
        total,
    }));
}
