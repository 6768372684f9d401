//! The root component: router, shared state, and the mount entry point.

use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;

use super::catalog::Track;
use super::pages::{Home, LabPage, LabsMenu, LessonPage, NotFound, SystemPage, TrackPage};
use super::shell::Shell;
use crate::worker::client::{self, WorkerStatus};

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
    view! {
        <Router>
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
                </Routes>
            </Shell>
        </Router>
    }
}
