//! Bringing one's own model: from a web address (download progress seen, a reload served from the
//! browser's cache) and from files through the real file input; every broken folder of the shared
//! set gives its message while the lab keeps working on the model it had; deleting a model.

use std::path::Path;
use std::time::{Duration, Instant};

use fantoccini::Locator;

use super::widgets::{type_into, wait_widget};
use super::{click, Ctx, Outcome};
use crate::model_folders::{broken_folders, good_folder, write_folder};
use crate::server::StaticServer;

const PICKER: &str = "#fm-model";

async fn chosen_model(ctx: &Ctx<'_>) -> Result<String, String> {
    let value = ctx
        .js(&format!("return document.querySelector({PICKER:?}).value"))
        .await?;
    Ok(value.as_str().unwrap_or_default().to_string())
}

/// Waits (the list refreshes after a load) until the picker shows `expected`.
async fn wait_chosen(ctx: &Ctx<'_>, expected: &str) -> Outcome {
    let started = Instant::now();
    loop {
        let chosen = chosen_model(ctx).await?;
        if chosen == expected {
            return Ok(());
        }
        if started.elapsed() > Duration::from_secs(10) {
            return Err(format!("the picker shows {chosen:?}, not {expected:?}"));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn message(ctx: &Ctx<'_>) -> String {
    ctx.js("return document.querySelector('#fm-model-own-message')?.textContent ?? ''")
        .await
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// Waits until the panel's message differs from `before` and starts with `Loaded`, `Failed`,
/// `Deleted` or `Cancelled`; also says whether a download progress bar with a percentage was seen on the way.
async fn wait_outcome(ctx: &Ctx<'_>, before: &str) -> Result<(String, bool), String> {
    let started = Instant::now();
    let mut saw_progress = false;
    while started.elapsed() < Duration::from_secs(90) {
        let progress = ctx
            .js("const p = document.querySelector('#fm-model-own-progress'); return p ? p.nextElementSibling.textContent : ''")
            .await?;
        saw_progress |= progress.as_str().is_some_and(|t| t.contains('%'));
        let text = message(ctx).await;
        if text != before
            && ["Loaded", "Failed", "Deleted", "Cancelled"]
                .iter()
                .any(|w| text.starts_with(w))
        {
            return Ok((text, saw_progress));
        }
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
    Err(format!(
        "no outcome after {before:?}; the message says {:?}",
        message(ctx).await
    ))
}

/// Gives the files input these files, as a student picking them would.
async fn pick_files(ctx: &Ctx<'_>, folder: &Path) -> Outcome {
    let mut paths: Vec<String> = std::fs::read_dir(folder)
        .map_err(|e| e.to_string())?
        .filter_map(|e| Some(e.ok()?.path().display().to_string()))
        .collect();
    paths.sort();
    ctx.client
        .find(Locator::Css("#fm-model-own-files"))
        .await
        .map_err(|e| format!("find the files input: {e}"))?
        .send_keys(&paths.join("\n"))
        .await
        .map_err(|e| format!("pick {}: {e}", folder.display()))
}

/// Drops `files` on the panel as a drag from the desktop would.
async fn drop_files(ctx: &Ctx<'_>, files: &[(&'static str, Vec<u8>)]) -> Outcome {
    use base64::Engine;
    let files: Vec<(String, String)> = files
        .iter()
        .map(|(name, bytes)| {
            (
                name.to_string(),
                base64::engine::general_purpose::STANDARD.encode(bytes),
            )
        })
        .collect();
    let files = serde_json::to_string(&files).map_err(|e| e.to_string())?;
    ctx.js(&format!(
        "const dt = new DataTransfer();
         for (const [name, data] of {files}) {{
             dt.items.add(new File([Uint8Array.from(atob(data), c => c.charCodeAt(0))], name));
         }}
         document.querySelector('.own-model .drop-zone')
             .dispatchEvent(new DragEvent('drop', {{ dataTransfer: dt, bubbles: true, cancelable: true }}));"
    ))
    .await
    .map(drop)
}

/// The lab still answers on its model: a new sentence gets guesses, with no error.
async fn still_works(ctx: &Ctx<'_>, text: &str) -> Outcome {
    type_into(ctx, "#fm-text", text).await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    wait_widget(ctx, "table.guesses").await
}

/// A safetensors file whose header declares 4 GB of F32 weights (its data is not there: the lab
/// must refuse it from the header alone).
fn huge_weights() -> Vec<u8> {
    let header = br#"{"bert.embeddings.word_embeddings.weight":{"dtype":"F32","shape":[1000000000],"data_offsets":[0,4000000000]}}"#;
    let mut bytes = (header.len() as u64).to_le_bytes().to_vec();
    bytes.extend_from_slice(header);
    bytes.extend_from_slice(&[0; 16]);
    bytes
}

pub async fn own_model(ctx: &Ctx<'_>) -> Outcome {
    let root = std::env::temp_dir().join(format!("bertlab-e2e-models-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let result = run(ctx, &root).await;
    let _ = std::fs::remove_dir_all(&root);
    result
}

async fn run(ctx: &Ctx<'_>, root: &Path) -> Outcome {
    let web = root.join("web");
    write_folder(&web, "tiny-bert", &good_folder());
    let host = StaticServer::start_slow(web).map_err(|e| e.to_string())?;
    ctx.open("/labs/fill-mask").await?;
    wait_widget(ctx, "table.guesses").await?;
    click(ctx, ".own-model summary").await?;

    // From a web address: progress while the weights trickle in, then the lab uses it.
    type_into(ctx, "#fm-model-own-url", &host.url("/tiny-bert")).await?;
    click(ctx, "#fm-model-own-load").await?;
    let (text, saw_progress) = wait_outcome(ctx, "").await?;
    if !text.starts_with("Loaded") {
        return Err(format!("loading from the address: {text}"));
    }
    if !saw_progress {
        return Err("no download progress (bytes and %) was shown".into());
    }
    let url_key = host.url("/tiny-bert/");
    wait_chosen(ctx, &url_key).await?;
    still_works(ctx, "the cat sat on the [MASK] .").await?;
    let weights = "/tiny-bert/model.safetensors";
    let downloads = host.whole_downloads(weights);
    if downloads != 1 {
        return Err(format!("{weights} was downloaded {downloads} times"));
    }
    // The host broke the download off halfway: two range requests read the header, a third
    // fetched the rest.
    let ranged = host.ranged_requests(weights);
    if ranged < 3 {
        return Err(format!(
            "the broken download was not resumed ({ranged} range requests)"
        ));
    }

    // A download can be cancelled; the lab stays on its model and keeps nothing.
    write_folder(&root.join("web"), "to-cancel", &good_folder());
    type_into(ctx, "#fm-model-own-url", &host.url("/to-cancel")).await?;
    click(ctx, "#fm-model-own-load").await?;
    ctx.wait_text("#fm-model-own-progress + span", |t| {
        t.contains("model.safetensors")
    })
    .await?;
    let before = message(ctx).await;
    click(ctx, "#fm-model-own-cancel").await?;
    let (text, _) = wait_outcome(ctx, &before).await?;
    if !text.starts_with("Cancelled") {
        return Err(format!("cancelling a download: {text}"));
    }
    wait_chosen(ctx, &url_key).await?;

    // Weights too large for a tab are refused from their header, before they are downloaded.
    let mut huge = good_folder();
    huge.retain(|(name, _)| *name != "model.safetensors");
    huge.push(("model.safetensors", huge_weights()));
    write_folder(&root.join("web"), "huge", &huge);
    let before = message(ctx).await;
    type_into(ctx, "#fm-model-own-url", &host.url("/huge/")).await?;
    click(ctx, "#fm-model-own-load").await?;
    let (text, _) = wait_outcome(ctx, &before).await?;
    if !text.contains("more than the 3072 MB a browser tab can give it") {
        return Err(format!("too-large weights: {text}"));
    }
    if host.whole_downloads("/huge/model.safetensors") != 0 {
        return Err("the too-large weights were downloaded before being refused".into());
    }
    wait_chosen(ctx, &url_key).await?;

    // A reload opens the same model (its key is in the lab's URL), from the browser's cache.
    let address = ctx.client.current_url().await.map_err(|e| e.to_string())?;
    if !address.as_str().contains("model=") {
        return Err(format!("the lab's URL does not name the model: {address}"));
    }
    ctx.client
        .goto(address.as_str())
        .await
        .map_err(|e| e.to_string())?;
    wait_widget(ctx, "table.guesses").await?;
    wait_chosen(ctx, &url_key).await?;
    ctx.wait_text(".status-bar", |t| t.contains("from the browser's cache"))
        .await?;
    if host.whole_downloads(weights) != 1 {
        return Err("the reload downloaded the weights again instead of using the cache".into());
    }

    // From files, through the real file input.
    click(ctx, ".own-model summary").await?;
    let good = write_folder(&root.join("disk"), "good", &good_folder());
    let before = message(ctx).await;
    pick_files(ctx, &good).await?;
    let (text, _) = wait_outcome(ctx, &before).await?;
    if !text.starts_with("Loaded") {
        return Err(format!("loading the picked files: {text}"));
    }
    wait_chosen(ctx, "disk:model").await?;
    let disk_key = "disk:model";
    still_works(ctx, "she put the [MASK] in the fridge .").await?;

    // Files dropped on the panel load too (a script builds the drop: WebDriver cannot drag files).
    let before = message(ctx).await;
    drop_files(ctx, &good_folder()).await?;
    let (text, _) = wait_outcome(ctx, &before).await?;
    if !text.starts_with("Loaded") {
        return Err(format!("loading dropped files: {text}"));
    }
    wait_chosen(ctx, "disk:model (2)").await?;
    still_works(ctx, "a dog sat on the [MASK] .").await?;
    // Back to the first folder, through the picker.
    ctx.js(&format!(
        "const s = document.querySelector({PICKER:?}); s.value = 'disk:model'; s.dispatchEvent(new Event('change'));"
    ))
    .await?;
    wait_chosen(ctx, disk_key).await?;

    // Every broken folder is explained, and the lab stays on the model it had.
    for case in broken_folders() {
        let folder = write_folder(&root.join("broken"), case.name, &case.files);
        let before = message(ctx).await;
        pick_files(ctx, &folder).await?;
        let (text, _) = wait_outcome(ctx, &before).await?;
        if !text.starts_with("Failed") || !text.contains(case.message) {
            return Err(format!(
                "{}: the message {text:?} lacks {:?}",
                case.name, case.message
            ));
        }
        if chosen_model(ctx).await? != disk_key {
            return Err(format!("{}: the lab left the model it had", case.name));
        }
        still_works(ctx, &format!("the {} sat on the [MASK] .", case.name.len())).await?;
    }
    ctx.screenshot("own-model").await?;

    // The three models are listed with their size; deleting them puts the lab back on the default.
    let listed = super::widgets::texts(ctx, ".stored-models li").await?;
    if listed.len() != 3 || !listed.iter().all(|l| l.contains("MB")) {
        return Err(format!("the stored models are listed as {listed:?}"));
    }
    ctx.wait_text(".storage-use", |t| t.contains("your browser allows"))
        .await?;
    for left in [2, 1, 0] {
        let before = message(ctx).await;
        click(ctx, ".stored-models li button.delete").await?;
        let (text, _) = wait_outcome(ctx, &before).await?;
        if !text.starts_with("Deleted") {
            return Err(format!("deleting a model: {text}"));
        }
        // The list refreshes before the next delete button is pressed.
        let started = Instant::now();
        while super::widgets::texts(ctx, ".stored-models li").await?.len() != left {
            if started.elapsed() > Duration::from_secs(10) {
                return Err(format!("the list did not shrink to {left} after a delete"));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    wait_chosen(ctx, "").await?;
    still_works(ctx, "paris is the [MASK] of france .").await
}
