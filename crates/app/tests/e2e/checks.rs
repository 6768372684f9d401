//! The end-to-end checks, one function each, all against one browser session.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use bertlab_app::catalog::{Availability, Track};
use bertlab_app::lab_registry::LabId;
use fantoccini::{Client, Locator};
use serde_json::Value;

use crate::server::StaticServer;

mod a11y;
mod backend;
mod feature_space;
mod fine_tune;
mod gpu_training;
mod hosting;
mod lessons;
mod own_model;
mod probes;
mod recovery;
mod security;
mod span_qa;
mod tagging;
mod tasks;
mod widgets;

pub struct Ctx<'a> {
    pub client: &'a Client,
    pub server: &'a StaticServer,
    /// The build for a sub-path on a plain static host (no single-page-app fallback).
    pub hosted: &'a StaticServer,
    pub shots: PathBuf,
    /// Run only the checks whose name contains this (as libtest's filter argument).
    pub filter: Option<String>,
    /// Leave out the checks whose name contains any of these (as libtest's `--skip`).
    pub skip: Vec<String>,
}

type Outcome = Result<(), String>;

/// Each check's name and outcome; `None` for a check the filter left out.
pub async fn run_all(ctx: &Ctx<'_>) -> Vec<(&'static str, Option<Outcome>)> {
    vec![
        checked(ctx, "home_renders_and_worker_becomes_ready", home(ctx)).await,
        checked(
            ctx,
            "the_model_downloads_once_then_comes_from_the_cache",
            model_from_cache(ctx),
        )
        .await,
        checked(ctx, "every_route_renders_its_title", every_route(ctx)).await,
        checked(ctx, "unknown_route_says_not_found", not_found(ctx)).await,
        checked(
            ctx,
            "worker_round_trip_with_progress",
            worker_round_trip(ctx),
        )
        .await,
        checked(ctx, "worker_job_can_be_cancelled", worker_cancel(ctx)).await,
        checked(ctx, "embed_mode_hides_navigation", embed_mode(ctx)).await,
        checked(ctx, "fits_a_360px_phone", narrow_phone(ctx)).await,
        checked(ctx, "dark_theme_toggle", dark_theme(ctx)).await,
        checked(ctx, "keyboard_reaches_the_navigation", keyboard(ctx)).await,
        checked(
            ctx,
            "tokenizer_lab_shows_pieces_segments_and_trace",
            tokenizer_lab(ctx),
        )
        .await,
        checked(
            ctx,
            "tokenizer_lab_state_round_trips_through_the_url",
            tokenizer_url_state(ctx),
        )
        .await,
        checked(
            ctx,
            "lessons_walk_every_step_and_answer_every_quiz",
            lessons::walk_lessons(ctx),
        )
        .await,
        checked(
            ctx,
            "a_quiz_link_opens_the_quiz_and_terms_show_definitions",
            lessons::quiz_link_and_glossary(ctx),
        )
        .await,
        checked(
            ctx,
            "fill_mask_predicts_a_typed_sentence_and_shows_the_ablation",
            widgets::fill_mask(ctx),
        )
        .await,
        checked(
            ctx,
            "logit_lens_ends_in_the_fill_mask_answer_and_surprise_compares_two_models",
            widgets::lens_and_surprise(ctx),
        )
        .await,
        checked(
            ctx,
            "masking_grid_changes_from_static_to_dynamic",
            widgets::masking(ctx),
        )
        .await,
        checked(
            ctx,
            "embeddings_segments_and_attention_heads",
            widgets::embeddings_and_attention(ctx),
        )
        .await,
        checked(
            ctx,
            "fine_tune_fills_the_sheet_pauses_resumes_and_stops",
            fine_tune::fine_tune(ctx),
        )
        .await,
        checked(
            ctx,
            "fine_tune_trains_on_webgpu_and_finishes_on_the_cpu_when_the_gpu_is_lost",
            gpu_training::gpu_training(ctx),
        )
        .await,
        checked(
            ctx,
            "pretrain_lab_trains_on_webgpu_and_finishes_on_the_cpu_when_the_gpu_is_lost",
            gpu_training::gpu_pretraining(ctx),
        )
        .await,
        checked(
            ctx,
            "feature_space_draws_pretrained_and_random_clouds_per_layer",
            feature_space::feature_space(ctx),
        )
        .await,
        checked(
            ctx,
            "layer_probes_score_every_layer_of_pretrained_and_random_encoders",
            probes::probes(ctx),
        )
        .await,
        checked(
            ctx,
            "tagging_lab_trains_a_token_head_and_tags_a_sentence",
            tagging::tagging(ctx),
        )
        .await,
        checked(
            ctx,
            "tagging_lab_tags_entities_and_beats_the_lookup_on_entity_f1",
            tagging::entities(ctx),
        )
        .await,
        checked(
            ctx,
            "qa_lab_trains_a_span_head_and_draws_start_and_end_strips",
            span_qa::span_qa(ctx),
        )
        .await,
        checked(
            ctx,
            "pretrain_lab_trains_two_recipes_side_by_side",
            fine_tune::pretrain(ctx),
        )
        .await,
        checked(
            ctx,
            "a_crashed_worker_is_replaced_and_the_lab_answers_again",
            recovery::worker_crashes(ctx),
        )
        .await,
        checked(
            ctx,
            "the_page_runs_under_a_strict_content_security_policy_and_embeds_in_another_site",
            security::content_security_policy(ctx),
        )
        .await,
        checked(
            ctx,
            "a_megabyte_paste_keeps_the_page_responsive_and_is_cut_with_a_note",
            recovery::megabyte_paste(ctx),
        )
        .await,
        checked(
            ctx,
            "a_fine_tune_cut_off_by_a_crash_or_a_reload_resumes_from_its_last_save",
            recovery::interrupted_run_resumes(ctx),
        )
        .await,
        checked(
            ctx,
            "both_pretraining_runs_cut_off_by_a_reload_resume_from_their_saves",
            recovery::interrupted_pretraining_resumes(ctx),
        )
        .await,
        checked(
            ctx,
            "own_models_load_from_a_url_and_from_files_and_broken_ones_are_explained",
            own_model::own_model(ctx),
        )
        .await,
        checked(
            ctx,
            "backends_switch_measure_and_fall_back_with_the_same_predictions",
            backend::backends(ctx),
        )
        .await,
        checked(
            ctx,
            "benchmark_page_times_both_backends",
            backend::benchmark_page(ctx),
        )
        .await,
        checked(
            ctx,
            "a_sub_path_build_on_a_plain_host_opens_deep_links",
            hosting::sub_path(ctx),
        )
        .await,
        checked(
            ctx,
            "axe_finds_no_serious_violations",
            a11y::axe_on_every_page(ctx),
        )
        .await,
    ]
}

/// Run one check unless the filter leaves it out; when it fails, keep a screenshot of the page as
/// it was, to see why.
async fn checked(
    ctx: &Ctx<'_>,
    name: &'static str,
    check: impl std::future::Future<Output = Outcome>,
) -> (&'static str, Option<Outcome>) {
    if ctx
        .filter
        .as_ref()
        .is_some_and(|f| !name.contains(f.as_str()))
        || ctx.skip.iter().any(|s| name.contains(s.as_str()))
    {
        return (name, None);
    }
    let started = Instant::now();
    let outcome = check.await;
    // `make test` lists the slowest checks from these lines.
    println!("timing: {:.1} s {name}", started.elapsed().as_secs_f64());
    if outcome.is_err() {
        let _ = ctx.screenshot(&format!("FAILED_{name}")).await;
    }
    (name, Some(outcome))
}

impl Ctx<'_> {
    async fn open(&self, path: &str) -> Outcome {
        self.client
            .goto(&self.server.url(path))
            .await
            .map_err(|e| format!("goto {path}: {e}"))
    }

    async fn js(&self, script: &str) -> Result<Value, String> {
        self.client
            .execute(script, vec![])
            .await
            .map_err(|e| format!("script failed: {e}"))
    }

    /// Poll the text of `css` until `accept` holds, or fail after 30 s with the last text seen.
    async fn wait_text(&self, css: &str, accept: impl Fn(&str) -> bool) -> Result<String, String> {
        self.wait_text_for(css, Duration::from_secs(30), accept)
            .await
    }

    /// [`Ctx::wait_text`] with another time limit.
    async fn wait_text_for(
        &self,
        css: &str,
        limit: Duration,
        accept: impl Fn(&str) -> bool,
    ) -> Result<String, String> {
        let started = Instant::now();
        let mut last = String::from("<element not found>");
        while started.elapsed() < limit {
            if let Ok(element) = self.client.find(Locator::Css(css)).await {
                if let Ok(text) = element.text().await {
                    if accept(&text) {
                        return Ok(text);
                    }
                    last = text;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Err(format!("timed out waiting on `{css}`; last text: {last:?}"))
    }

    async fn screenshot(&self, name: &str) -> Outcome {
        let png = self
            .client
            .screenshot()
            .await
            .map_err(|e| format!("screenshot: {e}"))?;
        std::fs::write(self.shots.join(format!("{name}.png")), png)
            .map_err(|e| format!("save screenshot: {e}"))
    }

    async fn has(&self, css: &str) -> bool {
        self.client.find(Locator::Css(css)).await.is_ok()
    }
}

async fn home(ctx: &Ctx<'_>) -> Outcome {
    ctx.open("/").await?;
    ctx.wait_text("main h1", |t| t == "See what encoder pretraining does")
        .await?;
    // The worker starts and goes idle without downloading a model: the start page needs none.
    let status = ctx
        .wait_text(".status-bar", |t| {
            t.contains("idle") && t.contains("model: loads when a lab needs it")
        })
        .await?;
    if !status.contains("backend: CPU") {
        return Err(format!("status bar does not name the backend: {status:?}"));
    }
    let downloads = ctx.server.whole_downloads("model.safetensors");
    if downloads != 0 {
        return Err(format!(
            "the start page downloaded model weights {downloads} time(s)"
        ));
    }
    ctx.screenshot("home").await
}

/// The first lab that needs the default model downloads it once, with progress in the status
/// bar; a second visit takes it from the browser's cache without asking the server.
async fn model_from_cache(ctx: &Ctx<'_>) -> Outcome {
    let weights = format!("/models/{}/model.safetensors", default_model()?);
    ctx.open("/labs/fill-mask").await?;
    widgets::wait_widget(ctx, "table.guesses").await?;
    let first = ctx.server.whole_downloads(&weights);
    if first != 1 {
        return Err(format!(
            "{weights} was downloaded {first} time(s) on the first visit"
        ));
    }
    ctx.open("/labs/fill-mask").await?;
    widgets::wait_widget(ctx, "table.guesses").await?;
    ctx.wait_text(".status-bar", |t| t.contains("from the browser's cache"))
        .await?;
    let second = ctx.server.whole_downloads(&weights);
    if second != first {
        return Err(format!(
            "the second visit downloaded {weights} again ({second} downloads in all)"
        ));
    }
    Ok(())
}

/// The folder name of the default model, from the committed `models/index.json`.
fn default_model() -> Result<String, String> {
    let index = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../models/index.json"
    ))
    .map_err(|e| format!("models/index.json: {e}"))?;
    let index: Value = serde_json::from_slice(&index).map_err(|e| e.to_string())?;
    index["default"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| "models/index.json names no default".to_string())
}

async fn every_route(ctx: &Ctx<'_>) -> Outcome {
    let mut routes: Vec<(String, String, bool)> = vec![
        ("/labs".into(), "Labs".into(), false),
        ("/glossary".into(), "Glossary".into(), false),
    ];
    for track in Track::ALL {
        routes.push((format!("/{}", track.slug()), track.title().into(), false));
        for lesson in track.lessons() {
            let coming = matches!(lesson.availability, Availability::Coming { .. });
            routes.push((
                format!("/{}/{}", track.slug(), lesson.slug),
                lesson.title.into(),
                coming,
            ));
        }
    }
    for lab in LabId::ALL {
        routes.push((
            format!("/labs/{}", lab.slug()),
            format!("{} lab", lab.title()),
            false,
        ));
    }
    routes.push(("/system".into(), "System check".into(), false));
    routes.push(("/benchmark".into(), "Backend benchmark".into(), false));
    for (path, title, coming) in routes {
        ctx.open(&path).await?;
        ctx.wait_text("main h1", |t| t == title)
            .await
            .map_err(|e| format!("{path}: {e}"))?;
        // Each page names itself in the tab and describes itself to search engines.
        let meta = ctx
            .js("return [document.title, document.querySelector('meta[name=description]')?.content || '']")
            .await?;
        let (tab, description): (String, String) =
            serde_json::from_value(meta).map_err(|e| e.to_string())?;
        if tab != format!("{title} · BERT Lab") || description.len() < 20 {
            return Err(format!(
                "{path}: title {tab:?}, description {description:?}"
            ));
        }
        if coming {
            ctx.wait_text("main .coming", |t| t.contains("Coming soon"))
                .await
                .map_err(|e| format!("{path}: {e}"))?;
        }
        let name = path.trim_start_matches('/').replace('/', "_");
        ctx.screenshot(&name).await?;
    }
    Ok(())
}

async fn not_found(ctx: &Ctx<'_>) -> Outcome {
    ctx.open("/no/such/page").await?;
    ctx.wait_text("main h1", |t| t == "Page not found")
        .await
        .map(|_| ())
}

async fn click(ctx: &Ctx<'_>, css: &str) -> Outcome {
    // Centre it first: at the bottom edge the sticky status bar would take the click. A widget
    // answering meanwhile can move it again, so a click the status bar intercepted is retried.
    let mut attempt = 0;
    loop {
        ctx.js(&format!(
            "document.querySelector({css:?})?.scrollIntoView({{block: 'center'}})"
        ))
        .await?;
        tokio::time::sleep(Duration::from_millis(150)).await;
        let element = ctx
            .client
            .find(Locator::Css(css))
            .await
            .map_err(|e| format!("find {css}: {e}"))?;
        match element.click().await {
            Ok(()) => return Ok(()),
            Err(e) if attempt < 3 && e.to_string().contains("intercepted") => attempt += 1,
            Err(e) => return Err(format!("click {css}: {e}")),
        }
    }
}

async fn worker_round_trip(ctx: &Ctx<'_>) -> Outcome {
    ctx.open("/system").await?;
    ctx.wait_text(".status-bar", |t| t.contains("idle")).await?;
    click(ctx, "#worker-check").await?;
    // Progress messages arrive before the final answer.
    ctx.wait_text("#worker-check-result", |t| t.starts_with("step "))
        .await?;
    let done = ctx
        .wait_text("#worker-check-result", |t| t.starts_with("Done:"))
        .await?;
    if !done.contains("operations per second") {
        return Err(format!("unexpected result: {done:?}"));
    }
    ctx.screenshot("system_after_check").await
}

async fn worker_cancel(ctx: &Ctx<'_>) -> Outcome {
    ctx.open("/system").await?;
    ctx.wait_text(".status-bar", |t| t.contains("idle")).await?;
    click(ctx, "#worker-check").await?;
    ctx.wait_text(".status-bar", |t| t.contains("busy")).await?;
    click(ctx, "#worker-cancel").await?;
    ctx.wait_text("#worker-check-result", |t| t == "Cancelled.")
        .await?;
    ctx.wait_text(".status-bar", |t| t.contains("idle"))
        .await
        .map(|_| ())
}

async fn embed_mode(ctx: &Ctx<'_>) -> Outcome {
    ctx.open("/labs/masking?embed=1").await?;
    ctx.wait_text("main h1", |t| t == "Masking lab").await?;
    if ctx.has(".site-header").await || !ctx.has(".app.embed").await {
        return Err("embed mode still shows the navigation chrome".into());
    }
    ctx.screenshot("embed_masking").await
}

async fn narrow_phone(ctx: &Ctx<'_>) -> Outcome {
    ctx.client
        .set_window_size(360, 780)
        .await
        .map_err(|e| e.to_string())?;
    let mut result = Ok(());
    let pages = [
        "/",
        "/labs",
        "/advanced",
        "/labs/tokenizer",
        "/labs/embeddings",
        "/labs/masking",
        "/labs/fill-mask",
        "/labs/attention",
        "/beginner/what-the-model-sees?step=4",
        "/advanced/recipes-after-bert?step=2",
    ];
    for path in pages {
        ctx.open(path).await?;
        ctx.wait_text("main h1", |t| !t.is_empty()).await?;
        // Widgets are measured with the worker's answer drawn, not their placeholder.
        ctx.wait_text(".status-bar", |t| t.contains("idle")).await?;
        tokio::time::sleep(Duration::from_millis(800)).await;
        let overflow = ctx
            .js("return document.documentElement.scrollWidth - window.innerWidth")
            .await?;
        if overflow.as_i64().unwrap_or(1) > 0 {
            result = Err(format!(
                "{path} scrolls sideways at 360 px by {overflow} px"
            ));
            break;
        }
        ctx.screenshot(&format!("phone{}", path.replace(['/', '?', '='], "_")))
            .await?;
    }
    ctx.client
        .set_window_size(1280, 900)
        .await
        .map_err(|e| e.to_string())?;
    result
}

async fn dark_theme(ctx: &Ctx<'_>) -> Outcome {
    ctx.open("/").await?;
    ctx.wait_text("main h1", |t| !t.is_empty()).await?;
    let before = ctx
        .js("return document.documentElement.dataset.theme")
        .await?;
    click(ctx, ".theme-toggle").await?;
    let after = ctx
        .js("return document.documentElement.dataset.theme")
        .await?;
    if before == after {
        return Err(format!("theme did not change ({before} -> {after})"));
    }
    ctx.screenshot(&format!("home_{}", after.as_str().unwrap_or("theme")))
        .await?;
    // The choice survives a reload.
    ctx.open("/").await?;
    ctx.wait_text("main h1", |t| !t.is_empty()).await?;
    let reloaded = ctx
        .js("return document.documentElement.dataset.theme")
        .await?;
    if reloaded != after {
        return Err(format!(
            "theme not remembered: {after} before reload, {reloaded} after"
        ));
    }
    click(ctx, ".theme-toggle").await
}

async fn keyboard(ctx: &Ctx<'_>) -> Outcome {
    ctx.open("/").await?;
    ctx.wait_text("main h1", |t| !t.is_empty()).await?;
    let body = ctx
        .client
        .find(Locator::Css("body"))
        .await
        .map_err(|e| e.to_string())?;
    let mut reached = Vec::new();
    for _ in 0..8 {
        body.send_keys("\u{E004}")
            .await
            .map_err(|e| format!("Tab key: {e}"))?;
        let focused = ctx
            .js("return document.activeElement.textContent.trim()")
            .await?;
        reached.push(focused.as_str().unwrap_or_default().to_string());
    }
    for wanted in [
        "Skip to content",
        "Beginner track",
        "Advanced track",
        "Labs",
    ] {
        if !reached.iter().any(|r| r == wanted) {
            return Err(format!(
                "Tab never reached {wanted:?}; focus went through {reached:?}"
            ));
        }
    }
    Ok(())
}

async fn tokenizer_lab(ctx: &Ctx<'_>) -> Outcome {
    ctx.open("/labs/tokenizer?text=Playing%20tokenizers&pair=Second%20one")
        .await?;
    let tokens = ctx
        .wait_text("ol#tok-tokens", |t| t.contains("[SEP]"))
        .await?;
    let pieces = ctx
        .js("return [...document.querySelectorAll('ol#tok-tokens .piece')].map(e => e.textContent)")
        .await?;
    let pieces: Vec<String> = serde_json::from_value(pieces).map_err(|e| e.to_string())?;
    if pieces.first().map(String::as_str) != Some("[CLS]")
        || pieces.iter().filter(|p| *p == "[SEP]").count() != 2
    {
        return Err(format!(
            "a pair must read [CLS] A [SEP] B [SEP]: {pieces:?} ({tokens:?})"
        ));
    }
    if !pieces.iter().any(|p| p.starts_with("##")) {
        return Err(format!("expected a ## continuation piece in {pieces:?}"));
    }
    let segments = ctx.js("return [...document.querySelectorAll('ol#tok-tokens .tok')].map(e => e.classList.contains('seg-1'))").await?;
    let segments: Vec<bool> = serde_json::from_value(segments).map_err(|e| e.to_string())?;
    let first_b = segments
        .iter()
        .position(|b| *b)
        .ok_or("no token has segment 1")?;
    if pieces[first_b - 1] != "[SEP]" || segments[first_b..].iter().any(|b| !b) {
        return Err(format!(
            "segment ids must switch to 1 right after the first [SEP]: {segments:?}"
        ));
    }
    // Focusing a piece highlights its characters in the source sentence.
    ctx.js("document.querySelectorAll('ol#tok-tokens .tok')[1].focus()")
        .await?;
    let lit = ctx.wait_text(".source", |_| true).await?;
    let highlighted = ctx.js("return [...document.querySelectorAll('.source .lit')].map(e => e.textContent).join('')").await?;
    if highlighted.as_str().unwrap_or_default().to_lowercase() != pieces[1].trim_start_matches("##")
    {
        return Err(format!(
            "focusing {:?} highlighted {highlighted} in {lit:?}",
            pieces[1]
        ));
    }
    ctx.screenshot("lab_tokenizer_pair").await?;

    // The trace of a word ends in exactly the pieces the tokenizer gives that word.
    ctx.open("/labs/tokenizer?text=unaffable&pair=&word=unaffable")
        .await?;
    ctx.wait_text("ol#tok-tokens", |t| t.contains("[SEP]"))
        .await?;
    let pieces = ctx
        .js("return [...document.querySelectorAll('ol#tok-tokens .tok:not(.special) .piece')].map(e => e.textContent).join(' ')")
        .await?;
    let pieces = pieces.as_str().unwrap_or_default().to_string();
    ctx.wait_text("table.trace caption", |t| {
        !pieces.is_empty() && t.ends_with(&format!("becomes: {pieces}"))
    })
    .await
    .map_err(|e| format!("{e} (the token row shows {pieces:?})"))?;
    let rows = ctx
        .js("return document.querySelectorAll('table.trace tbody tr').length")
        .await?;
    if rows.as_u64().unwrap_or(0) <= pieces.split(' ').count() as u64 {
        return Err(format!(
            "the trace should show the failed lookups too, it has {rows} rows for {pieces:?}"
        ));
    }
    ctx.screenshot("lab_tokenizer_trace").await
}

async fn tokenizer_url_state(ctx: &Ctx<'_>) -> Outcome {
    ctx.open("/labs/tokenizer").await?;
    ctx.wait_text("ol#tok-tokens", |t| t.contains("[CLS]"))
        .await?;
    let input = ctx
        .client
        .find(Locator::Css("#tok-pair"))
        .await
        .map_err(|e| e.to_string())?;
    input.clear().await.map_err(|e| e.to_string())?;
    input
        .send_keys("Shared links keep state")
        .await
        .map_err(|e| e.to_string())?;
    ctx.wait_text("ol#tok-tokens", |t| t.contains("shared"))
        .await?;
    let url = ctx.client.current_url().await.map_err(|e| e.to_string())?;
    if !url.as_str().contains("pair=Shared") {
        return Err(format!("the URL does not carry the typed sentence: {url}"));
    }
    // Reopening the shared link restores the same view.
    ctx.client
        .goto(url.as_str())
        .await
        .map_err(|e| e.to_string())?;
    ctx.wait_text("ol#tok-tokens", |t| t.contains("shared"))
        .await?;
    let value = ctx
        .js("return document.querySelector('#tok-pair').value")
        .await?;
    if value != "Shared links keep state" {
        return Err(format!("reloaded input holds {value}"));
    }
    // Instructors can hide a control through the URL.
    ctx.open("/labs/tokenizer?hide=pair,max_len&lock=text")
        .await?;
    ctx.wait_text("ol#tok-tokens", |t| t.contains("[CLS]"))
        .await?;
    if ctx.has("#tok-pair").await || ctx.has("#tok-max").await {
        return Err("hide=pair,max_len left the controls visible".into());
    }
    let locked = ctx
        .js("return document.querySelector('#tok-text').disabled")
        .await?;
    if locked != Value::Bool(true) {
        return Err("lock=text left the text editable".into());
    }
    Ok(())
}
