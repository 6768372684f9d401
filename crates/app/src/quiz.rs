//! The questions that end a lesson: the student commits to an answer, then sees whether it was
//! right and why. A complete attempt's score goes into the track progress (localStorage).

use leptos::prelude::*;

use super::catalog::{Lesson, Track};
use super::lessons::Question;
use super::progress::{Progress, QuizScore};

/// A lesson's quiz.
#[component]
pub fn Quiz(
    /// The lesson's track (progress is kept per track).
    track: Track,
    /// The lesson whose questions these are.
    lesson: &'static Lesson,
    /// Its questions.
    questions: &'static [Question],
) -> impl IntoView {
    let progress = expect_context::<RwSignal<Progress>>();
    // Per question: the choice the student checked, once checked.
    let checked: Vec<RwSignal<Option<usize>>> =
        questions.iter().map(|_| RwSignal::new(None)).collect();
    let all = checked.clone();
    let score = Memo::new(move |_| {
        let answers: Vec<Option<usize>> = all.iter().map(|c| c.get()).collect();
        answers.iter().all(Option::is_some).then(|| QuizScore {
            correct: answers
                .iter()
                .zip(questions)
                .filter(|(a, q)| **a == Some(q.answer))
                .count(),
            total: questions.len(),
        })
    });
    Effect::new(move |_| {
        if let Some(s) = score.get() {
            progress.update(|p| p.score_quiz(track, lesson.slug, s));
        }
    });
    let previous = progress.with_untracked(|p| p.lesson(track, lesson.slug).quiz);
    let reset = checked.clone();
    view! {
        <section class="quiz" aria-labelledby="quiz-title">
            <h2 id="quiz-title">"Check your understanding"</h2>
            <p class="meta">
                {format!("{} questions. Pick an answer, then check it.", questions.len())}
                {previous.map(|p| format!(" Last time: {} of {} right.", p.correct, p.total))}
            </p>
            {questions.iter().zip(checked).enumerate().map(|(i, (q, checked))| view! {
                <QuizQuestion number=i + 1 question=*q checked=checked />
            }).collect_view()}
            {move || score.get().map(|s| view! {
                <div class="quiz-score" role="status">
                    <p><strong>{format!("You got {} of {} right.", s.correct, s.total)}</strong>" "
                        {if s.correct == s.total { "Every answer right." } else { "Read the explanations of the ones you missed, then try again." }}
                    </p>
                    <button class="secondary" id="quiz-retry" on:click={
                        let reset = reset.clone();
                        move |_| reset.iter().for_each(|c| c.set(None))
                    }>"Try again"</button>
                </div>
            })}
        </section>
    }
}

#[component]
fn QuizQuestion(
    /// 1-based.
    number: usize,
    question: Question,
    /// The choice the student checked, once checked.
    checked: RwSignal<Option<usize>>,
) -> impl IntoView {
    let picked = RwSignal::new(None::<usize>);
    // "Try again" clears the check; the radio buttons follow.
    Effect::new(move |_| {
        if checked.get().is_none() {
            picked.set(None);
        }
    });
    let name = format!("quiz-q{number}");
    view! {
        <fieldset class="quiz-question">
            <legend>{format!("{number}. {}", question.question)}</legend>
            {question.choices.iter().enumerate().map(|(i, choice)| {
                let name = name.clone();
                view! {
                    <label class="quiz-choice"
                        class:right=move || checked.get().is_some() && i == question.answer
                        class:wrong=move || checked.get() == Some(i) && i != question.answer>
                        <input type="radio" name=name value=i.to_string()
                            prop:checked=move || picked.get() == Some(i)
                            disabled=move || checked.get().is_some()
                            on:change=move |_| picked.set(Some(i)) />
                        " "{*choice}
                    </label>
                }
            }).collect_view()}
            {move || match checked.get() {
                None => view! {
                    <button class="quiz-check" disabled=move || picked.get().is_none()
                        on:click=move |_| checked.set(picked.get_untracked())>"Check"</button>
                }.into_any(),
                Some(choice) => {
                    let right = choice == question.answer;
                    view! {
                        <p class="quiz-feedback" class:right=right class:wrong=!right role="status">
                            <strong>{if right { "Right. " } else { "Not quite. " }}</strong>
                            {(!right).then(|| format!("The answer is: {}. ", question.choices[question.answer]))}
                            {question.explanation}
                        </p>
                    }.into_any()
                }
            }}
        </fieldset>
    }
}
