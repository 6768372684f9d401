//! The chrome around every page: header navigation, theme switch, status bar, and embed mode
//! (`?embed=1`: the page alone, sized for an iframe).

use gloo::storage::{LocalStorage, Storage};
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

use super::catalog::{Track, LABS};
use crate::worker::client::{ModelState, WorkerStatus};

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
            <A href="/" attr:class="brand">"BERT Lab"</A>
            <nav aria-label="Main">
                <ul class="nav-list">
                    {Track::ALL
                        .into_iter()
                        .map(|t| view! { <li><A href=format!("/{}", t.slug())>{t.title()}</A></li> })
                        .collect_view()}
                    <li>
                        <details class="labs-menu">
                            <summary>"Labs"</summary>
                            <ul>
                                <li><A href="/labs">"All labs"</A></li>
                                {LABS
                                    .iter()
                                    .map(|l| view! { <li><A href=format!("/labs/{}", l.slug)>{l.title}</A></li> })
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
        } => {
            let gpu = if info.webgpu_available {
                "WebGPU available"
            } else {
                "no WebGPU"
            };
            let state = if running == 0 {
                "idle".to_string()
            } else {
                format!("busy ({running} job(s))")
            };
            let model = match model {
                ModelState::Loading(step) => format!("model: loading ({step})"),
                ModelState::Loaded(m) => format!(
                    "model: {} ({}, {} layers, {:.1}M parameters{})",
                    m.name,
                    m.family,
                    m.layers,
                    m.parameters as f64 / 1e6,
                    if m.has_mlm_head { "" } else { ", no MLM head" }
                ),
                ModelState::Failed(message) => format!("model failed to load: {message}"),
            };
            (
                "ready",
                format!(
                    "Compute worker: {state} · backend: {} · {gpu} · {model}",
                    info.backend
                ),
            )
        }
        WorkerStatus::Failed(message) => ("failed", format!("Compute worker failed: {message}")),
    };
    view! {
        <footer class="status-bar" role="status" aria-live="polite" data-state=move || text().0>
            {move || text().1}
        </footer>
    }
}
