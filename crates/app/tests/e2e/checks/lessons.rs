//! Lessons end to end: walk every step of every lesson (locking in a guess where a step asks for
//! one), answer every quiz through its controls,
//! open a quiz alone from its link, and read glossary definitions in a lesson and on the glossary
//! page.

use bertlab_app::catalog::{Availability, Track};
use bertlab_app::glossary::GLOSSARY;
use bertlab_app::lab_registry::LabId;
use bertlab_app::lessons::{quiz, steps, Question, Widget};
use bertlab_app::prediction::{answers_after_a_run, Guess, Predict};
use serde_json::Value;

use super::tasks::do_task;
use super::widgets::{ready_marker, texts, type_into, wait_widget};
use super::{click, Ctx, Outcome};
use std::time::Duration;

/// Every step of every lesson: its title, its widget answering without error, the next button;
/// then the quiz, answered through its controls; finishing the lesson shows on the track page with
/// the quiz score (localStorage).
pub async fn walk_lessons(ctx: &Ctx<'_>) -> Outcome {
    ctx.open("/").await?;
    ctx.js("localStorage.removeItem('bertlab.progress')")
        .await?;
    for track in Track::ALL {
        let ready: Vec<_> = track
            .lessons()
            .iter()
            .filter(|l| l.availability == Availability::Ready)
            .collect();
        for lesson in &ready {
            let at = format!("/{}/{}", track.slug(), lesson.slug);
            ctx.open(&at).await?;
            let all = steps(lesson.slug);
            for (i, step) in all.iter().enumerate() {
                ctx.wait_text("#step-title", |t| t == step.title)
                    .await
                    .map_err(|e| format!("{at} step {}: {e}", i + 1))?;
                let failed = |what: &str, e: String| format!("{at} step {} ({what}): {e}", i + 1);
                if let Some(Widget::Lab { lab, .. }) = step.widget {
                    if let Some(predict) = step.predict {
                        lock_in_a_guess(ctx, lab, predict.guess)
                            .await
                            .map_err(|e| failed("guess", e))?;
                    }
                    wait_widget(ctx, ready_marker(lab))
                        .await
                        .map_err(|e| failed(lab.slug(), e))?;
                }
                // A guess is scored on the widget's first answer: the sentence it opens with, or
                // the run that the task of a training lab starts.
                let guessed = match (step.widget, step.predict) {
                    (Some(Widget::Lab { lab, .. }), Some(predict)) => Some((lab, predict)),
                    _ => None,
                };
                if let Some((lab, predict)) = guessed.filter(|(lab, _)| !answers_after_a_run(*lab))
                {
                    check_the_verdict(ctx, lab, predict)
                        .await
                        .map_err(|e| failed("verdict", e))?;
                }
                do_task(ctx, step).await.map_err(|e| failed("task", e))?;
                if let Some((lab, predict)) = guessed.filter(|(lab, _)| answers_after_a_run(*lab)) {
                    check_the_verdict(ctx, lab, predict)
                        .await
                        .map_err(|e| failed("verdict", e))?;
                }
                ctx.screenshot(&format!(
                    "lesson_{}_{}_step{}",
                    track.slug(),
                    lesson.slug,
                    i + 1
                ))
                .await?;
                if i + 1 < all.len() {
                    click(ctx, "#step-next").await?;
                }
            }
            let url = ctx.client.current_url().await.map_err(|e| e.to_string())?;
            if !url.as_str().contains(&format!("step={}", all.len())) {
                return Err(format!("{at}: the URL does not name the last step: {url}"));
            }
            click(ctx, "#quiz-start").await?;
            answer_quiz(ctx, quiz(lesson.slug))
                .await
                .map_err(|e| format!("{at} quiz: {e}"))?;
            ctx.screenshot(&format!("lesson_{}_{}_quiz", track.slug(), lesson.slug))
                .await?;
            click(ctx, "#lesson-finish").await?;
            ctx.wait_text("#lesson-finish", |t| t.contains("finished"))
                .await?;
        }
        ctx.open(&format!("/{}", track.slug())).await?;
        let expected = format!("{0} of {0} lessons finished", ready.len());
        ctx.wait_text("#track-progress", |t| t == expected).await?;
        // Each quiz was answered with its first question wrong and the rest right.
        let states = texts(ctx, ".lesson-state").await?;
        for (lesson, state) in ready.iter().zip(&states) {
            let n = quiz(lesson.slug).len();
            let want = format!("quiz: {} of {n}", n - 1);
            if !state.contains(&want) {
                return Err(format!(
                    "{}: the track page says {state:?}, not {want:?}",
                    lesson.slug
                ));
            }
        }
        ctx.screenshot(&format!("track_{}_finished", track.slug()))
            .await?;
    }
    // A step link opens that step directly.
    ctx.open("/advanced/static-vs-dynamic-masking?step=2")
        .await?;
    let second = steps("static-vs-dynamic-masking")[1].title;
    ctx.wait_text("#step-title", |t| t == second).await?;
    Ok(())
}

/// The word or number every guess of the walk locks in: one no widget ranks, and a count no widget
/// shows.
fn wrong_guess(guess: Guess) -> &'static str {
    match guess {
        Guess::Word => "zzzzqx",
        Guess::Number => "0",
    }
}

/// A step that asks for a guess shows no widget until one is locked in.
async fn lock_in_a_guess(ctx: &Ctx<'_>, lab: LabId, guess: Guess) -> Outcome {
    ctx.wait_text("#predict-title", |t| t == "Your guess first")
        .await?;
    if ctx.has(ready_marker(lab)).await {
        return Err("the widget shows its answer before the guess".into());
    }
    type_into(ctx, "#predict-guess", wrong_guess(guess)).await?;
    click(ctx, "#predict-commit").await
}

/// Once the step's task is done (a training lab answers with the run the task starts), the verdict
/// names what the widget shows: a word it does not rank gets its first choice, 0 gets the count it
/// displays.
async fn check_the_verdict(ctx: &Ctx<'_>, lab: LabId, predict: Predict) -> Outcome {
    let verdict = ctx
        .wait_text_for("#predict-result", Duration::from_secs(300), |t| {
            t.contains("first choice is") || t.contains("the lab counts")
        })
        .await?;
    let shown = match lab {
        LabId::FillMask => texts(ctx, "table.guesses th").await?.into_iter().next(),
        LabId::Tokenizer => Some(texts(ctx, "#tok-tokens > li").await?.len().to_string()),
        LabId::Masking => texts(ctx, "#mask-counts")
            .await?
            .first()
            .and_then(|t| t.split_whitespace().next().map(str::to_string)),
        // The run the guess is scored on is one of the sheet's rows (the step's task may add more).
        LabId::FineTune => {
            let accuracies: Vec<String> = texts(ctx, "table.sheet tbody tr > :nth-child(5)")
                .await?
                .iter()
                .filter_map(|t| t.trim_end_matches('%').parse::<f64>().ok())
                .map(|accuracy| format!("{}", accuracy.round() as u64))
                .collect();
            accuracies
                .iter()
                .find(|a| verdict.contains(&format!("counts {a} ")))
                .or(accuracies.first())
                .cloned()
        }
        LabId::Tagging => first_percent(ctx, "table.tagger-runs tbody tr > :nth-child(6)").await?,
        LabId::SpanQa => first_percent(ctx, "table.qa-runs tbody tr > :nth-child(5)").await?,
        // The head's ranking is not printed as text, and the probes step's second run replaces
        // the first's summary: the verdict's form is checked above.
        _ => None,
    };
    match shown {
        Some(value)
            if predict.guess == Guess::Word
                && !verdict.contains(&format!("first choice is '{value}'")) =>
        {
            Err(format!(
                "the verdict {verdict:?} does not name the widget's first guess {value:?}"
            ))
        }
        Some(value)
            if predict.guess == Guess::Number && !verdict.contains(&format!("counts {value} ")) =>
        {
            Err(format!(
                "the verdict {verdict:?} does not give the widget's count {value}"
            ))
        }
        _ => Ok(()),
    }
}

/// Answers the open quiz through its radio buttons and Check buttons: the first question with a
/// wrong choice, the others right; checks each feedback and the score, then tries again.
async fn answer_quiz(ctx: &Ctx<'_>, questions: &[Question]) -> Outcome {
    if !(3..=5).contains(&questions.len()) {
        return Err(format!("{} questions, wants 3 to 5", questions.len()));
    }
    ctx.wait_text("#quiz-title", |t| t == "Check your understanding")
        .await?;
    for (i, q) in questions.iter().enumerate() {
        let choice = if i == 0 {
            (q.answer + 1) % q.choices.len()
        } else {
            q.answer
        };
        let fieldset = format!(".quiz-question:nth-of-type({})", i + 1);
        let legend = texts(ctx, &format!("{fieldset} legend")).await?;
        if legend.first().map(String::as_str) != Some(&format!("{}. {}", i + 1, q.question)) {
            return Err(format!("question {} reads {legend:?}", i + 1));
        }
        click(
            ctx,
            &format!("{fieldset} label:nth-of-type({}) input", choice + 1),
        )
        .await?;
        click(ctx, &format!("{fieldset} .quiz-check")).await?;
        let feedback = ctx
            .wait_text(&format!("{fieldset} .quiz-feedback"), |t| !t.is_empty())
            .await?;
        let right = choice == q.answer;
        let starts = if right { "Right." } else { "Not quite." };
        if !feedback.starts_with(starts) || !feedback.contains(q.explanation) {
            return Err(format!("question {}: feedback {feedback:?}", i + 1));
        }
    }
    let n = questions.len();
    ctx.wait_text(".quiz-score", |t| {
        t.contains(&format!("You got {} of {n} right.", n - 1))
    })
    .await?;
    let stored = ctx
        .js("return localStorage.getItem('bertlab.progress')")
        .await?;
    let stored = stored.as_str().unwrap_or_default();
    if !stored.contains(&format!("\"quiz\":{{\"correct\":{},\"total\":{n}}}", n - 1)) {
        return Err(format!("the score is not in localStorage: {stored}"));
    }
    // Trying again clears the answers; the stored score stays until a new attempt is complete.
    click(ctx, "#quiz-retry").await?;
    let open = ctx
        .js("return document.querySelectorAll('.quiz-check').length")
        .await?;
    if open != Value::from(n) {
        return Err(format!(
            "after Try again, {open} questions can be checked, not {n}"
        ));
    }
    Ok(())
}

/// An instructor's link to a quiz alone opens it with no step shown; a lesson marks a glossary term
/// at its first use with its definition on focus; the glossary page lists every term.
pub async fn quiz_link_and_glossary(ctx: &Ctx<'_>) -> Outcome {
    let lesson = "masked-language-modelling";
    ctx.open(&format!("/beginner/{lesson}?quiz=true")).await?;
    ctx.wait_text("#quiz-title", |t| t == "Check your understanding")
        .await?;
    if ctx.has("#step-title").await {
        return Err("the quiz link also shows a step".into());
    }
    let legends = texts(ctx, ".quiz-question legend").await?;
    if legends.len() != quiz(lesson).len() {
        return Err(format!(
            "{} questions shown, the lesson has {}",
            legends.len(),
            quiz(lesson).len()
        ));
    }

    ctx.open("/beginner/why-bert-mattered").await?;
    ctx.wait_text("#step-title", |t| !t.is_empty()).await?;
    let marked = texts(ctx, "article.step .term dfn").await?;
    let Some(first) = marked.first() else {
        return Err("the first step marks no glossary term".into());
    };
    let term = GLOSSARY
        .iter()
        .find(|t| {
            std::iter::once(t.term)
                .chain(t.also.iter().copied())
                .any(|f| f.eq_ignore_ascii_case(first))
        })
        .ok_or_else(|| format!("'{first}' is marked but is no glossary term"))?;
    // Hidden until the term has focus (keyboard or tap), then the definition shows.
    let shown =
        "return getComputedStyle(document.querySelector('article.step .term .term-tip')).display";
    if ctx.js(shown).await? != Value::from("none") {
        return Err("a definition shows before its term is focused".into());
    }
    ctx.js("document.querySelector('article.step .term').focus()")
        .await?;
    if ctx.js(shown).await? != Value::from("block") {
        return Err("focusing a term does not show its definition".into());
    }
    let tip = ctx
        .wait_text("article.step .term .term-tip", |t| !t.is_empty())
        .await?;
    if !tip.contains(term.definition) {
        return Err(format!("'{first}' shows {tip:?}, not its definition"));
    }
    ctx.screenshot("lesson_glossary_term").await?;

    ctx.open("/glossary").await?;
    ctx.wait_text("main h1", |t| t == "Glossary").await?;
    let listed = texts(ctx, ".glossary dd").await?;
    for t in GLOSSARY {
        if !listed.iter().any(|d| d == t.definition) {
            return Err(format!("the glossary page lacks '{}'", t.term));
        }
    }
    ctx.screenshot("glossary").await
}

/// The first match's percentage, rounded, as the verdict writes it (the step's first run is the
/// table's first row).
async fn first_percent(ctx: &Ctx<'_>, css: &str) -> Result<Option<String>, String> {
    Ok(texts(ctx, css)
        .await?
        .first()
        .and_then(|t| t.trim_end_matches('%').parse::<f64>().ok())
        .map(|value| format!("{}", value.round() as u64)))
}
