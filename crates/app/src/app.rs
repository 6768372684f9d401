//! The root component: router, shared state, and the mount entry point.

use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;

use super::benchmark::BenchmarkPage;
use super::catalog::Track;
use super::lesson_page::LessonPage;
use super::pages::{Home, LabPage, LabsMenu, NotFound, SystemPage, TrackPage};
use super::progress::{Progress, STORAGE_KEY};
use super::shell::Shell;
use crate::client::{self, WorkerStatus};
use crate::url_state::{base_path, set_base};

/// Mount the app on `<body>` and start the compute worker.
pub fn mount() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(App);
}

#[component]
fn App() -> impl IntoView {
    let status = RwSignal::new(WorkerStatus::Starting);
    provide_context(status);
    client::start(status);
    provide_context(stored_progress());
    view! {
        <Router base=router_base()>
            <Shell>
                <Routes fallback=NotFound>
                    <Route path=path!("/") view=Home />
                    <Route path=path!("/beginner") view=|| view! { <TrackPage track=Track::Beginner /> } />
                    <Route path=path!("/beginner/:lesson") view=|| view! { <LessonPage track=Track::Beginner /> } />
                    <Route path=path!("/advanced") view=|| view! { <TrackPage track=Track::Advanced /> } />
                    <Route path=path!("/advanced/:lesson") view=|| view! { <LessonPage track=Track::Advanced /> } />
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
