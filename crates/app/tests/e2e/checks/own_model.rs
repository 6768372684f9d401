//! Bringing one's own model: from a web address (download progress seen, a reload served from the
//! browser's cache) and from files through the real file input; every broken folder of the shared
//! set gives its message while the lab keeps working on the model it had; deleting a model.

use std::path::{Path, PathBuf};
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

/// Waits until the panel's message differs from `before` and starts with `Loaded`, `Failed` or
/// `Deleted`; also says whether a download progress bar with a percentage was seen on the way.
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
            && ["Loaded", "Failed", "Deleted"]
                .iter()
                .any(|w| text.starts_with(w))
        {
            return Ok((text, saw_progress));
        }
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
    Err(format!(
        "no outcome; the message says {:?}",
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

/// The lab still answers on its model: a new sentence gets guesses, with no error.
async fn still_works(ctx: &Ctx<'_>, text: &str) -> Outcome {
    type_into(ctx, "#fm-text", text).await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    wait_widget(ctx, "table.guesses").await
}

pub async fn own_model(ctx: &Ctx<'_>) -> Outcome {
    let root = std::env::temp_dir().join(format!("bertlab-e2e-models-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let result = run(ctx, &root).await;
    let _ = std::fs::remove_dir_all(&root);
    result
}

async fn run(ctx: &Ctx<'_>, root: &PathBuf) -> Outcome {
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

    // Both models are listed with their size; deleting them puts the lab back on the default.
    let listed = super::widgets::texts(ctx, ".stored-models li").await?;
    if listed.len() != 2 || !listed.iter().all(|l| l.contains("MB")) {
        return Err(format!("the stored models are listed as {listed:?}"));
    }
    ctx.wait_text(".storage-use", |t| t.contains("your browser allows"))
        .await?;
    for _ in 0..2 {
        let before = message(ctx).await;
        click(ctx, ".stored-models li button.delete").await?;
        let (text, _) = wait_outcome(ctx, &before).await?;
        if !text.starts_with("Deleted") {
            return Err(format!("deleting a model: {text}"));
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    wait_chosen(ctx, "").await?;
    still_works(ctx, "paris is the [MASK] of france .").await
}
