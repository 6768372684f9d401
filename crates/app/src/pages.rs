//! Top-level pages: home, track pages, the glossary, the labs menu and lab pages, and the system check.

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

use super::catalog::{Availability, Track};
use super::glossary::{anchor, Term, GLOSSARY};
use super::lab_registry::LabId;
use super::labs::{GpuLossDrill, LabWidget, StateSource};
use super::progress::Progress;
use super::shell::PageMeta;
use super::url_state::{app_path, EmbedCode};
use super::worker_query::start_job;
use crate::client;
use bertlab_protocol::messages::{Outcome, Request};

#[component]
pub fn Home() -> impl IntoView {
    view! {
        <PageMeta title="See what encoder pretraining does"
            description="Learn how BERT-style pretraining works by running a real transformer encoder in your browser: WordPiece, masked language modelling, attention, and training small models in the tab." />
        <section class="hero">
            <h1>"See what encoder pretraining does"</h1>
            <p class="lede">
                "BERT Lab runs a real transformer encoder inside this page. Type text, hide words, watch "
                "the model guess them back, and train small models yourself, all without leaving the tab."
            </p>
        </section>
        <section aria-labelledby="tracks-heading">
            <h2 id="tracks-heading">"Tracks"</h2>
            <div class="cards">
                {Track::ALL
                    .into_iter()
                    .map(|t| {
                        view! {
                            <article class="card">
                                <h3><A href=app_path(format!("/{}", t.slug()))>{t.title()}</A></h3>
                                <p>{t.summary()}</p>
                                <p class="meta">{format!("{} lessons", t.lessons().len())}</p>
                            </article>
                        }
                    })
                    .collect_view()}
            </div>
        </section>
        <section aria-labelledby="labs-heading">
            <h2 id="labs-heading">"Labs"</h2>
            <LabCards />
        </section>
    }
}

#[component]
fn LabCards() -> impl IntoView {
    view! {
        <ul class="cards lab-cards">
            {LabId::ALL
                .iter()
                .map(|lab| {
                    view! {
                        <li class="card">
                            <h3><A href=app_path(format!("/labs/{}", lab.slug()))>{lab.title()}</A></h3>
                            <p>{lab.summary()}</p>
                        </li>
                    }
                })
                .collect_view()}
        </ul>
    }
}

/// A short "coming" notice for what has not landed yet; nothing when it is ready.
#[component]
pub fn AvailabilityNote(availability: Availability) -> impl IntoView {
    match availability {
        Availability::Ready => None,
        Availability::Coming { issue } => Some(
            view! { <p class="coming">{format!("Coming soon (issue {issue}): not built yet.")}</p> },
        ),
    }
}

/// A track's lesson list.
#[component]
pub fn TrackPage(
    /// Which track to list.
    track: Track,
) -> impl IntoView {
    let progress = expect_context::<RwSignal<Progress>>();
    let summary = move || {
        let (done, total) = progress.with(|p| p.finished_in(track));
        format!("{done} of {total} lessons finished")
    };
    view! {
        <PageMeta title=track.title() description=track.summary() />
        <h1>{track.title()}</h1>
        <p class="lede">{track.summary()}</p>
        <div class="track-progress">
            <p id="track-progress" aria-live="polite">{summary}</p>
            <button class="secondary" on:click=move |_| progress.update(|p| p.reset(track))>"Reset progress"</button>
        </div>
        <ol class="lesson-list">
            {track
                .lessons()
                .iter()
                .map(|lesson| {
                    let state = move || {
                        let seen = progress.with(|p| p.lesson(track, lesson.slug));
                        let steps = if seen.finished {
                            "Finished ✓".to_string()
                        } else if seen.furthest > 0 {
                            format!("In progress: step {}", seen.furthest + 1)
                        } else {
                            String::new()
                        };
                        match seen.quiz {
                            Some(q) if steps.is_empty() => format!("Quiz: {} of {}", q.correct, q.total),
                            Some(q) => format!("{steps} · quiz: {} of {}", q.correct, q.total),
                            None => steps,
                        }
                    };
                    view! {
                        <li>
                            <A href=app_path(format!("/{}/{}", track.slug(), lesson.slug))>{lesson.title}</A>
                            <span class="lesson-state">{state}</span>
                            <p>{lesson.takeaway}</p>
                            <AvailabilityNote availability=lesson.availability />
                        </li>
                    }
                })
                .collect_view()}
        </ol>
    }
}

/// Every term the lessons define, in alphabetical order, each with an anchor a lesson links to.
#[component]
pub fn GlossaryPage() -> impl IntoView {
    let mut terms: Vec<&'static Term> = GLOSSARY.iter().collect();
    terms.sort_by_key(|t| t.term.trim_start_matches('[').to_lowercase());
    view! {
        <PageMeta title="Glossary" description="Short definitions of the terms the BERT Lab lessons use: tokens, embeddings, attention, masking, pretraining and fine-tuning." />
        <h1>"Glossary"</h1>
        <p class="lede">"The words the lessons use, each in a sentence or two. In a lesson, a term is underlined at its first use: hover or tap it for its definition."</p>
        <dl class="glossary">
            {terms.into_iter().map(|t| view! {
                <div id=anchor(t) class="glossary-entry">
                    <dt>{t.term}{(!t.also.is_empty()).then(|| view! { <span class="also">{format!(" (also: {})", t.also.join(", "))}</span> })}</dt>
                    <dd>{t.definition}</dd>
                </div>
            }).collect_view()}
        </dl>
    }
}

#[component]
pub fn LabsMenu() -> impl IntoView {
    view! {
        <PageMeta title="Labs" description="Interactive labs on BERT pretraining: tokenizer, embeddings, masking, fill-mask, attention, pretraining and fine-tuning, each linkable and embeddable." />
        <h1>"Labs"</h1>
        <p class="lede">"Each lab is one idea you can poke at. Every lab has its own link and can be embedded."</p>
        <LabCards />
    }
}

/// One lab, addressed by `/labs/:lab`.
#[component]
pub fn LabPage() -> impl IntoView {
    let params = use_params_map();
    move || {
        let slug = params.read().get("lab").unwrap_or_default();
        match LabId::from_slug(&slug) {
            Some(lab) => view! {
                <PageMeta title=format!("{} lab", lab.title()) description=lab.summary() />
                <h1>{format!("{} lab", lab.title())}</h1>
                <p class="lede">{lab.summary()}</p>
                <LabWidget lab=lab source=StateSource::Url />
                <EmbedCode />
            }
            .into_any(),
            None => view! { <NotFound /> }.into_any(),
        }
    }
}

/// The compute worker's health: what it runs on, and a round trip with progress and cancellation.
#[component]
pub fn SystemPage() -> impl IntoView {
    let progress = RwSignal::new(0.0f64);
    let message = RwSignal::new(String::from("Not run yet."));
    let job = RwSignal::new(None::<u32>);
    let start = move |_| {
        progress.set(0.0);
        start_job(
            Request::SelfCheck {
                steps: 30,
                step_ms: 100,
            },
            job,
            message,
            move |p| {
                progress.set(p.fraction());
                message.set(p.message);
            },
            |outcome| {
                match outcome {
                Outcome::SelfCheck {
                    steps,
                    operations_per_second,
                } => Some(format!(
                    "Done: {steps} steps in the worker at {:.0} million simple operations per second.",
                    operations_per_second / 1e6
                )),
                _ => None,
            }
            },
        );
    };
    let cancel = move |_| {
        if let Some(id) = job.get_untracked() {
            client::cancel(id);
        }
    };
    view! {
        <PageMeta title="System check" description="What BERT Lab's compute worker runs on in this browser, and a test round trip with progress and cancellation." />
        <h1>"System check"</h1>
        <p class="lede">
            "All model work runs in a background worker so the page stays responsive. This check sends "
            "the worker a job, follows its progress, and lets you cancel it."
        </p>
        <div class="row">
            <button id="worker-check" on:click=start disabled=move || job.get().is_some()>"Run worker check"</button>
            <button id="worker-cancel" on:click=cancel disabled=move || job.get().is_none()>"Cancel"</button>
        </div>
        <progress max="1" prop:value=move || progress.get() aria-label="Worker check progress"></progress>
        <p id="worker-check-result" aria-live="polite">{move || message.get()}</p>
        <h2>"Compute backends"</h2>
        <p>
            "The worker runs models on WebGPU when the browser offers a GPU, and on the CPU otherwise; "
            "the status bar below says which, and lets you switch. "
            <A href=app_path("/benchmark")>"Compare the two backends on this device"</A> "."
        </p>
        <GpuLossDrill />
    }
}

#[component]
pub fn NotFound() -> impl IntoView {
    view! {
        <PageMeta title="Page not found" description="This address does not match a lesson or lab of BERT Lab." />
        <h1>"Page not found"</h1>
        <p>"This address does not match a lesson or lab. " <A href=app_path("/")>"Go to the start page"</A> "."</p>
    }
}
