//! A lesson: its steps one at a time, each with its widget in the state the step needs, then its
//! quiz. The step number lives in the URL (`?step=3`; `?quiz=true` is the quiz alone, for an
//! instructor's link) and progress in localStorage. A glossary term is marked at its first use in the
//! lesson.

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;
use serde::{Deserialize, Serialize};

use super::catalog::{self, Availability, Lesson, Track};
use super::explainers::{RecipeTable, Transfer, Workflow};
use super::glossary::{anchor, mark_first_uses, Segment};
use super::labs::{LabWidget, StateSource};
use super::lessons::{quiz, steps, Step, Widget};
use super::pages::{AvailabilityNote, NotFound};
use super::predict_box::PredictThenReveal;
use super::progress::Progress;
use super::quiz::Quiz;
use super::shell::PageMeta;
use super::url_state::{app_path, use_url_state};

/// The lesson's URL state.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
struct LessonUrl {
    /// 1-based; 0 (absent) means the first step.
    step: usize,
    /// Show the lesson's quiz instead of a step.
    quiz: bool,
}

/// One lesson, addressed by `/:track/:lesson`.
#[component]
pub fn LessonPage(
    /// The track the URL names.
    track: Track,
) -> impl IntoView {
    let params = use_params_map();
    move || {
        let slug = params.read().get("lesson").unwrap_or_default();
        match catalog::lesson(track, &slug) {
            Some(lesson) => view! { <LessonView track=track lesson=lesson /> }.into_any(),
            None => view! { <NotFound /> }.into_any(),
        }
    }
}

#[component]
fn LessonView(
    /// The lesson's track.
    track: Track,
    /// The lesson.
    lesson: &'static Lesson,
) -> impl IntoView {
    let all = steps(lesson.slug);
    let header = view! {
        <PageMeta title=lesson.title description=lesson.takeaway />
        <nav class="breadcrumbs" aria-label="Breadcrumbs">
            <A href=app_path(format!("/{}", track.slug()))>{track.title()}</A>
        </nav>
        <h1>{lesson.title}</h1>
        <p class="lede">{lesson.takeaway}</p>
    };
    if all.is_empty() {
        return view! { {header} <AvailabilityNote availability=lesson.availability /> }.into_any();
    }
    let url = use_url_state::<LessonUrl>();
    let questions = quiz(lesson.slug);
    let in_quiz = Memo::new(move |_| url.with(|u| u.quiz) && !questions.is_empty());
    let index = Memo::new(move |_| url.with(|u| u.step.clamp(1, all.len()) - 1));
    let progress = expect_context::<RwSignal<Progress>>();
    Effect::new(move |_| {
        if !in_quiz.get() {
            let i = index.get();
            progress.update(|p| p.visit(track, lesson.slug, i));
        }
    });
    let go = move |i: usize| {
        url.update(|u| {
            u.step = i + 1;
            u.quiz = false;
        });
        scroll_to_top();
    };
    let open_quiz = move || {
        url.update(|u| u.quiz = true);
        scroll_to_top();
    };
    let finished = move || progress.with(|p| p.lesson(track, lesson.slug).finished);
    let next_lesson = next_lesson(track, lesson);

    view! {
        {header}
        <nav class="step-nav" aria-label="Steps of this lesson">
            <ol>
                {all.iter().enumerate().map(|(i, s)| view! {
                    <li>
                        <button class="step-link" class:current=move || !in_quiz.get() && index.get() == i
                            aria-current=move || (!in_quiz.get() && index.get() == i).then_some("step")
                            on:click=move |_| go(i)>
                            <span class="step-number">{i + 1}</span>" "{s.title}
                        </button>
                    </li>
                }).collect_view()}
                {(!questions.is_empty()).then(|| view! {
                    <li>
                        <button id="quiz-link" class="step-link" class:current=move || in_quiz.get()
                            aria-current=move || in_quiz.get().then_some("step")
                            on:click=move |_| open_quiz()>
                            <span class="step-number">"?"</span>" Quiz"
                        </button>
                    </li>
                })}
            </ol>
        </nav>
        {move || if in_quiz.get() {
            view! { <Quiz track=track lesson=lesson questions=questions /> }.into_any()
        } else {
            let i = index.get();
            view! { <StepView step=all[i] number=i + 1 of=all.len() earlier=&all[..i] /> }.into_any()
        }}
        <div class="step-buttons">
            {move || if in_quiz.get() {
                view! {
                    <button id="step-prev" class="secondary" on:click=move |_| go(all.len() - 1)>"Back to the last step"</button>
                }.into_any()
            } else {
                view! {
                    <button id="step-prev" class="secondary" disabled=move || index.get() == 0
                        on:click=move |_| go(index.get_untracked().saturating_sub(1))>"Previous step"</button>
                }.into_any()
            }}
            {move || if !in_quiz.get() && index.get() + 1 < all.len() {
                view! { <button id="step-next" on:click=move |_| go(index.get_untracked() + 1)>"Next step"</button> }.into_any()
            } else if !in_quiz.get() && !questions.is_empty() {
                view! { <button id="quiz-start" on:click=move |_| open_quiz()>"Take the quiz"</button> }.into_any()
            } else {
                view! {
                    <button id="lesson-finish" disabled=finished
                        on:click=move |_| progress.update(|p| p.finish(track, lesson.slug))>
                        {move || if finished() { "Lesson finished ✓" } else { "Finish lesson" }}
                    </button>
                }.into_any()
            }}
            {next_lesson.map(|next| view! {
                <A href=app_path(format!("/{}/{}", track.slug(), next.slug)) attr:class="next-lesson">{format!("Next lesson: {}", next.title)}</A>
            })}
        </div>
    }
    .into_any()
}

fn scroll_to_top() {
    if let Some(top) = web_sys::window() {
        top.scroll_to_with_x_and_y(0.0, 0.0);
    }
}

/// The following lesson of the track that can be taken, if any.
fn next_lesson(track: Track, lesson: &Lesson) -> Option<&'static Lesson> {
    track
        .lessons()
        .iter()
        .skip_while(|l| l.slug != lesson.slug)
        .skip(1)
        .find(|l| l.availability == Availability::Ready)
}

/// One step: its text (glossary terms marked at their first use in the lesson), the task, and
/// its widget.
#[component]
fn StepView(
    /// The step.
    step: Step,
    /// 1-based position and the lesson's step count.
    number: usize,
    of: usize,
    /// The lesson's steps before this one (their terms are already marked there).
    earlier: &'static [Step],
) -> impl IntoView {
    let mut seen = Vec::new();
    for p in earlier.iter().flat_map(|s| s.text) {
        mark_first_uses(p, &mut seen);
    }
    let paragraphs: Vec<_> = step
        .text
        .iter()
        .map(|p| {
            let segments = mark_first_uses(p, &mut seen);
            view! { <p>{segments.into_iter().map(segment_view).collect_view()}</p> }
        })
        .collect();
    view! {
        <article class="step" aria-labelledby="step-title">
            <p class="meta">{format!("Step {number} of {of}")}</p>
            <h2 id="step-title">{step.title}</h2>
            {paragraphs}
            {(!step.code.is_empty()).then(|| view! { <pre class="code"><code>{step.code}</code></pre> })}
            {(!step.task.is_empty()).then(|| view! { <p class="task"><strong>"Try it: "</strong>{step.task}</p> })}
            {step.widget.map(|w| match step.predict {
                Some(predict) => view! {
                    <PredictThenReveal predict=predict><StepWidget widget=w /></PredictThenReveal>
                }.into_any(),
                None => view! { <StepWidget widget=w /> }.into_any(),
            })}
        </article>
    }
}

/// Plain text (with `backticked` commands as code), or a term with its definition on hover, focus
/// or tap.
fn segment_view(segment: Segment<'static>) -> AnyView {
    match segment {
        Segment::Text(text) => text
            .split('`')
            .enumerate()
            .map(|(i, part)| {
                if i % 2 == 1 {
                    view! { <code>{part}</code> }.into_any()
                } else {
                    part.into_any()
                }
            })
            .collect_view()
            .into_any(),
        Segment::Term(text, term) => view! {
            <span class="term" tabindex="0">
                <dfn>{text}</dfn>
                <span class="term-tip" role="tooltip">
                    {term.definition}" "
                    <A href=app_path(format!("/glossary#{}", anchor(term)))>"Glossary"</A>
                </span>
            </span>
        }
        .into_any(),
    }
}

#[component]
fn StepWidget(
    /// Which widget, in which state.
    widget: Widget,
) -> impl IntoView {
    // One section around every widget, named for screen readers (the lessons' browser walk does
    // each step's task inside it).
    let (name, content) = match widget {
        Widget::Lab { lab, query, hide } => {
            let title = lab.title();
            let href = if query.is_empty() {
                format!("/labs/{}", lab.slug())
            } else {
                format!("/labs/{}?{query}", lab.slug())
            };
            let content = view! {
                <LabWidget lab=lab source=StateSource::Preset(query) hide=hide />
                <p class="open-lab"><A href=app_path(&href)>{format!("Open this in the {title} lab")}</A></p>
            }
            .into_any();
            (format!("{title} lab"), content)
        }
        Widget::RecipeTable => ("Recipe table".into(), view! { <RecipeTable /> }.into_any()),
        Widget::Workflow => ("Workflow".into(), view! { <Workflow /> }.into_any()),
        Widget::Transfer => (
            "What transfers downstream".into(),
            view! { <Transfer /> }.into_any(),
        ),
    };
    view! { <section class="step-widget" aria-label=name>{content}</section> }
}
