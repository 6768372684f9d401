//! An instructor's hosting: the static build for a sub-path, on a host that answers unknown paths
//! with `404.html` and has no single-page-app fallback.

use fantoccini::Locator;

use super::widgets::{texts, wait_widget};
use super::{Ctx, Outcome};
use bertlab_app::catalog::Track;

pub async fn sub_path(ctx: &Ctx<'_>) -> Outcome {
    let prefix = &ctx.hosted.prefix;
    // A lesson link shared with students: no file exists there, so the host answers with 404.html.
    let lesson = Track::Beginner
        .lessons()
        .last()
        .ok_or("the beginner track has no lessons")?;
    let deep = format!("/{}/{}", Track::Beginner.slug(), lesson.slug);
    goto(ctx, &deep).await?;
    ctx.wait_text("main h1", |t| t == lesson.title)
        .await
        .map_err(|e| format!("the deep lesson link under {prefix}: {e}"))?;
    // The app replaced the build's snapshot of the page instead of rendering beside it.
    let mains = ctx
        .js("return document.querySelectorAll('main').length")
        .await?;
    if mains.as_u64() != Some(1) {
        return Err(format!("{mains} <main> elements after the app started"));
    }
    ctx.screenshot("hosted_deep_lesson").await?;
    // What the host sends for that link, before any wasm runs: the prerendered lesson.
    let sent = ctx
        .js(&format!(
            "const r = new XMLHttpRequest(); r.open('GET', {:?}, false); r.send(); return r.responseText;",
            ctx.hosted.url(&deep)
        ))
        .await?;
    let sent = sent.as_str().unwrap_or_default();
    let title = lesson
        .title
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    if !sent.contains("data-prerendered") || !sent.contains(&format!(">{title}</h1>")) {
        return Err(format!(
            "the host's page for {deep} is not the prerendered lesson"
        ));
    }

    // The navigation stays under the sub-path.
    let track = Track::Advanced;
    ctx.client
        .find(Locator::Css(&format!("nav a[href$='/{}']", track.slug())))
        .await
        .map_err(|e| format!("no {} link in the navigation: {e}", track.title()))?
        .click()
        .await
        .map_err(|e| e.to_string())?;
    ctx.wait_text("main h1", |t| t == track.title()).await?;
    let path = ctx.js("return location.pathname").await?;
    if path.as_str() != Some(&format!("{prefix}/{}", track.slug())) {
        return Err(format!("the navigation left the sub-path: {path}"));
    }

    // A lab loads its model and tokenizer from under the sub-path and predicts.
    goto(ctx, "/labs/fill-mask").await?;
    wait_widget(ctx, "table.guesses").await?;
    let guesses = texts(ctx, "table.guesses th").await?;
    if guesses.iter().all(String::is_empty) {
        return Err("the hosted fill-mask lab shows no guesses".into());
    }
    // The embed snippet an instructor copies points at the hosted address (the clipboard is
    // replaced by a recorder: headless Chromium may refuse the real one).
    ctx.js("navigator.clipboard.writeText = t => { window.copiedSnippet = t; return Promise.resolve(); };")
        .await?;
    // Clicked from a script: on a short window the fixed status bar covers the button.
    ctx.js("document.querySelector('.embed-code button').click()")
        .await?;
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let snippet = ctx.js("return window.copiedSnippet || ''").await?;
    let expected = ctx.hosted.url("/labs/fill-mask?");
    if !snippet.as_str().is_some_and(|s| s.contains(&expected)) {
        return Err(format!(
            "the embed snippet does not use the hosted address {expected}: {snippet}"
        ));
    }
    ctx.screenshot("hosted_fill_mask").await
}

async fn goto(ctx: &Ctx<'_>, path: &str) -> Outcome {
    let url = ctx.hosted.url(path);
    ctx.client
        .goto(&url)
        .await
        .map_err(|e| format!("goto {url}: {e}"))
}
