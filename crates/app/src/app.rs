//! The root component: router, shared state, and the mount entry point.

use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;
use wasm_bindgen::JsCast;

use super::benchmark::BenchmarkPage;
use super::catalog::Track;
use super::lesson_page::LessonPage;
use super::pages::{GlossaryPage, Home, LabPage, LabsMenu, NotFound, SystemPage, TrackPage};
use super::progress::{Progress, STORAGE_KEY};
use super::shell::Shell;
use crate::client::{self, WorkerStatus};
use crate::url_state::{base_path, query_pairs, set_base};

/// Marks a `<body>` whose content is a snapshot of this page taken by `scripts/prerender.py` at build
/// time: readable (and its links followable) while the wasm downloads, replaced once the app runs.
const PRERENDERED: &str = "data-prerendered";

/// Mount the app on `<body>` and start the compute worker.
pub fn mount() {
    console_error_panic_hook::set_once();
    match document().body().filter(|b| b.has_attribute(PRERENDERED)) {
        // The snapshot is replaced once the browser has shown it and timed its paint (the
        // snapshot's own script says when; at most a second): when the wasm arrives within a frame,
        // replacing it at once would drop it unseen. Dropping it and mounting happen in one task, so
        // no frame shows neither; the app renders the same layout, so nothing shifts.
        Some(body) => wasm_bindgen_futures::spawn_local(async move {
            let shown = js_sys::Reflect::get(&window(), &"bertlabSnapshotShown".into())
                .ok()
                .and_then(|p| p.dyn_into::<js_sys::Promise>().ok());
            if let Some(shown) = shown {
                let _ = wasm_bindgen_futures::JsFuture::from(shown).await;
            }
            remove_snapshot(&body);
            mount_app();
        }),
        None => mount_app(),
    }
}

fn mount_app() {
    leptos::mount::mount_to_body(App);
    if taking_snapshot() {
        if let Some(body) = document().body() {
            let _ = body.set_attribute(PRERENDERED, "");
        }
    }
}

/// `?prerender` in the address: the build's snapshot run. The page renders as a first visit sees it
/// before the worker answers, and the worker never starts.
fn taking_snapshot() -> bool {
    window().location().search().is_ok_and(|search| {
        query_pairs(&search)
            .iter()
            .any(|(key, _)| key == "prerender")
    })
}

/// Everything the snapshot put in `<body>`; the `<noscript>` note and scripts stay.
fn remove_snapshot(body: &web_sys::HtmlElement) {
    let _ = body.remove_attribute(PRERENDERED);
    if let Some(root) = body.parent_element() {
        let _ = root.remove_attribute("data-snapshot-elsewhere");
    }
    let children = body.child_nodes();
    let snapshot: Vec<web_sys::Node> = (0..children.length())
        .filter_map(|i| children.item(i))
        .filter(|node| !matches!(node.node_name().as_str(), "NOSCRIPT" | "SCRIPT"))
        .collect();
    for node in snapshot {
        let _ = body.remove_child(&node);
    }
}

#[component]
fn App() -> impl IntoView {
    let status = RwSignal::new(WorkerStatus::Starting);
    provide_context(status);
    if taking_snapshot() {
        client::hold_requests();
    } else {
        client::start(status);
    }
    provide_context(stored_progress());
    crate::labs::provide_models_changed();
    view! {
        <Router base=router_base()>
            <Shell>
                <Routes fallback=NotFound>
                    <Route path=path!("/") view=Home />
                    <Route path=path!("/beginner") view=|| view! { <TrackPage track=Track::Beginner /> } />
                    <Route path=path!("/beginner/:lesson") view=|| view! { <LessonPage track=Track::Beginner /> } />
                    <Route path=path!("/advanced") view=|| view! { <TrackPage track=Track::Advanced /> } />
                    <Route path=path!("/advanced/:lesson") view=|| view! { <LessonPage track=Track::Advanced /> } />
                    <Route path=path!("/glossary") view=GlossaryPage />
                    <Route path=path!("/labs") view=LabsMenu />
                    <Route path=path!("/labs/:lab") view=LabPage />
                    <Route path=path!("/system") view=SystemPage />
                    <Route path=path!("/benchmark") view=BenchmarkPage />
                </Routes>
            </Shell>
        </Router>
    }
}

/// The path the app is served under ("" at a domain's root), from the `<base href>` Trunk writes
/// (`trunk build --public-url /courses/nlp/bertlab/`), so routes and links work under any sub-path.
fn router_base() -> String {
    let base_uri = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.base_uri().ok().flatten())
        .unwrap_or_default();
    let base = base_path(&base_uri);
    set_base(&base);
    base
}

/// The student's progress, read from localStorage and written back on every change.
fn stored_progress() -> RwSignal<Progress> {
    let storage = web_sys::window().and_then(|w| w.local_storage().ok().flatten());
    let saved = storage
        .as_ref()
        .and_then(|s| s.get_item(STORAGE_KEY).ok().flatten());
    let progress = RwSignal::new(Progress::from_json(saved.as_deref()));
    Effect::new(move |_| {
        let json = progress.with(Progress::to_json);
        if let Some(storage) = &storage {
            // Private browsing may refuse storage; progress then lasts for this visit only.
            let _ = storage.set_item(STORAGE_KEY, &json);
        }
    });
    progress
}
