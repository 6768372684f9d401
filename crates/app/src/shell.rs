//! The chrome around every page: header navigation, theme switch, status bar, and embed mode
//! (`?embed=1`: the page alone, sized for an iframe).

use gloo::storage::{LocalStorage, Storage};
use leptos::prelude::*;
use leptos_router::components::A;

use crate::url_state::app_path;
use leptos_router::hooks::use_query_map;

use super::catalog::Track;
use super::lab_registry::LabId;
use crate::client::{self, WorkerStatus};
use bertlab_protocol::backend::BackendChoice;
use bertlab_protocol::messages::ModelEvent;
use bertlab_protocol::messages::{Reply, Request};

const THEME_KEY: &str = "bertlab.theme";

/// Whether the current URL asks for embed mode.
pub fn use_embed_mode() -> Signal<bool> {
    let query = use_query_map();
    Signal::derive(move || {
        query
            .read()
            .get("embed")
            .is_some_and(|v| v == "1" || v == "true")
    })
}

/// Page frame: navigation and status bar, or the bare page in embed mode.
/// Sets the tab's title and the page's meta description (search results, link previews) while this
/// page is shown.
#[component]
pub fn PageMeta(
    /// The page's own title; the tab shows it before "BERT Lab".
    #[prop(into)]
    title: String,
    /// One or two sentences saying what the page offers.
    #[prop(into)]
    description: String,
) -> impl IntoView {
    if let Some(document) = web_sys::window().and_then(|w| w.document()) {
        document.set_title(&format!("{title} · BERT Lab"));
        if let Ok(Some(meta)) = document.query_selector("meta[name=description]") {
            let _ = meta.set_attribute("content", &description);
        }
    }
}

#[component]
pub fn Shell(children: Children) -> impl IntoView {
    let embed = use_embed_mode();
    let page = children();
    view! {
        <div class="app" class:embed=embed>
            <a class="skip-link" href="#main">"Skip to content"</a>
            <Show when=move || !embed.get()>
                <Header />
            </Show>
            <main id="main" tabindex="-1">{page}</main>
            <StatusBar />
        </div>
    }
}

#[component]
fn Header() -> impl IntoView {
    view! {
        <header class="site-header">
            <A href=app_path("/") attr:class="brand">"BERT Lab"</A>
            <nav aria-label="Main">
                <ul class="nav-list">
                    {Track::ALL
                        .into_iter()
                        .map(|t| view! { <li><A href=app_path(format!("/{}", t.slug()))>{t.title()}</A></li> })
                        .collect_view()}
                    <li><A href=app_path("/glossary")>"Glossary"</A></li>
                    <li>
                        <details class="labs-menu">
                            <summary>"Labs"</summary>
                            <ul>
                                <li><A href=app_path("/labs")>"All labs"</A></li>
                                {LabId::ALL
                                    .iter()
                                    .map(|l| view! { <li><A href=app_path(format!("/labs/{}", l.slug()))>{l.title()}</A></li> })
                                    .collect_view()}
                            </ul>
                        </details>
                    </li>
                </ul>
            </nav>
            <ThemeToggle />
        </header>
    }
}

/// Light/dark switch; follows the system until the user picks, then remembers the choice.
#[component]
fn ThemeToggle() -> impl IntoView {
    let stored: Option<String> = LocalStorage::get(THEME_KEY).ok();
    let system_dark = window()
        .match_media("(prefers-color-scheme: dark)")
        .ok()
        .flatten()
        .is_some_and(|m| m.matches());
    let dark = RwSignal::new(stored.map_or(system_dark, |t| t == "dark"));
    Effect::new(move |_| {
        let theme = if dark.get() { "dark" } else { "light" };
        if let Some(root) = document().document_element() {
            let _ = root.set_attribute("data-theme", theme);
        }
    });
    let toggle = move |_| {
        dark.update(|d| *d = !*d);
        // Losing the preference (private mode, full storage) only costs the user one click next time.
        let _ = LocalStorage::set(
            THEME_KEY,
            if dark.get_untracked() {
                "dark"
            } else {
                "light"
            },
        );
    };
    view! {
        <button class="theme-toggle" on:click=toggle aria-pressed=move || dark.get().to_string()>
            {move || if dark.get() { "Light theme" } else { "Dark theme" }}
        </button>
    }
}

/// The worker's state and the compute backend, always visible.
#[component]
fn StatusBar() -> impl IntoView {
    let status = expect_context::<RwSignal<WorkerStatus>>();
    let text = move || match status.get() {
        WorkerStatus::Starting => ("starting", "Compute worker: starting…".to_string()),
        WorkerStatus::Ready {
            info,
            running,
            model,
            recovered,
        } => {
            let state = if running == 0 {
                "idle".to_string()
            } else {
                format!("busy ({running} job(s))")
            };
            let model = describe_model(model.as_ref());
            (
                "ready",
                format!(
                    "Compute worker: {state} · backend: {} · {model}{}",
                    info.backend.describe(),
                    recovered.map_or_else(String::new, |why| format!(
                        " · restarted after the previous one stopped ({why})"
                    ))
                ),
            )
        }
        WorkerStatus::Failed(message) => ("failed", format!("Compute worker failed: {message}")),
    };
    // The share of the model's weights downloaded so far, while a download runs.
    let downloaded = move || match status.get() {
        WorkerStatus::Ready {
            model:
                Some(ModelEvent::Downloading {
                    received,
                    total: Some(total),
                    ..
                }),
            ..
        } if total > 0 => Some(received as f64 / total as f64),
        _ => None,
    };
    view! {
        <footer class="status-bar" data-state=move || text().0>
            <span class="status-text" role="status" aria-live="polite">{move || text().1}</span>
            {move || downloaded().map(|share| view! {
                <progress class="model-download" max="1" value=share aria-label="Model download"></progress>
            })}
            <BackendControls />
        </footer>
    }
}

/// The status bar's words for the model state.
fn describe_model(model: Option<&ModelEvent>) -> String {
    let Some(event) = model else {
        return "model: loads when a lab needs it".to_string();
    };
    match event {
        ModelEvent::Downloading {
            name,
            received,
            total,
        } => match *total {
            Some(total) if total > 0 => format!(
                "model: downloading {name} ({:.1} of {:.1} MB, {:.0}%)",
                *received as f64 / 1e6,
                total as f64 / 1e6,
                100.0 * *received as f64 / total as f64
            ),
            _ => format!(
                "model: downloading {name} ({:.1} MB)",
                *received as f64 / 1e6
            ),
        },
        ModelEvent::Loaded {
            summary: m,
            from_cache,
        } => format!(
            "model: {} ({}, {} layers, {:.1}M parameters{}{})",
            m.name,
            m.family,
            m.layers,
            m.parameters as f64 / 1e6,
            if m.has_mlm_head { "" } else { ", no MLM head" },
            if *from_cache {
                ", from the browser's cache"
            } else {
                ""
            }
        ),
        // The message names the model.
        ModelEvent::Failed { message, .. } => format!("model failed to load: {message}"),
    }
}

const BACKEND_KEY: &str = "bertlab.backend";

/// The backend picker (kept in localStorage) and the one-second measurement that compares the two
/// backends on this device.
#[component]
fn BackendControls() -> impl IntoView {
    let status = expect_context::<RwSignal<WorkerStatus>>();
    let backend = move || match status.get() {
        WorkerStatus::Ready { info, .. } => Some(info.backend),
        _ => None,
    };
    let measuring = RwSignal::new(false);
    let problem = RwSignal::new(None::<String>);
    let send = move |request: Request| {
        let on_reply = move |reply: Reply| match reply {
            Reply::Failed { message } => {
                measuring.set(false);
                problem.set(Some(message));
            }
            reply if reply.is_final() => measuring.set(false),
            _ => {}
        };
        if let Err(message) = client::run(status, request, on_reply) {
            problem.set(Some(message));
        }
    };
    // Once the worker is up, apply the choice stored by an earlier visit.
    let restored = StoredValue::new(false);
    Effect::new(move |_| {
        if backend().is_some() && !restored.get_value() {
            restored.set_value(true);
            let stored: Option<String> = LocalStorage::get(BACKEND_KEY).ok();
            if let Some(choice) = stored.as_deref().and_then(BackendChoice::from_key) {
                if choice != BackendChoice::Auto {
                    send(Request::SetBackend { choice });
                }
            }
        }
    });
    let on_change = move |event: leptos::ev::Event| {
        if let Some(choice) = BackendChoice::from_key(&event_target_value(&event)) {
            let _ = LocalStorage::set(BACKEND_KEY, choice.key());
            problem.set(None);
            send(Request::SetBackend { choice });
        }
    };
    let measure = move |_| {
        measuring.set(true);
        problem.set(None);
        send(Request::MeasureBackends);
    };
    let timings = move || {
        let t = backend()?.timings?;
        let gpu = t
            .gpu_ms
            .map_or("WebGPU n/a".to_string(), |ms| format!("WebGPU {ms:.0} ms"));
        Some(format!(
            "CPU {:.0} ms · {gpu} per forward ({} tokens)",
            t.cpu_ms, t.tokens
        ))
    };
    view! {
        <span class="backend-controls">
            <label>
                "Backend "
                <select
                    class="backend-choice"
                    on:change=on_change
                    prop:value=move || backend().map_or("auto", |b| b.choice.key())
                    disabled=move || backend().is_none()
                >
                    {BackendChoice::ALL
                        .into_iter()
                        .map(|c| view! { <option value=c.key()>{c.label()}</option> })
                        .collect_view()}
                </select>
            </label>
            <button
                class="backend-measure"
                on:click=measure
                disabled=move || backend().is_none() || measuring.get()
            >
                {move || if measuring.get() { "Measuring…" } else { "Measure" }}
            </button>
            <span class="backend-timings">{timings}</span>
            <span class="backend-problem">{move || problem.get()}</span>
        </span>
    }
}
