//! The lessons' steps and quizzes: text in the project's own words, each step paired with a widget in
//! the state it needs. The text lives in `content/lessons/` (TOML, see `content/README.md`); build.rs
//! compiles it into the statics here, and the tests hold it to the course outline.

mod outline;
mod step;

pub use outline::OUTLINE_POINTS;
pub use step::{Action, Question, Step, Widget};

use crate::lab_registry::LabId;
use crate::prediction::{Guess, Predict};

// `steps(slug)` and `quiz(slug)`, compiled by build.rs from content/lessons/<track>/<n>-<slug>.toml.
include!(concat!(env!("OUT_DIR"), "/lessons.rs"));

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{Availability, Track};
    use crate::url_state::query_pairs;
    use std::collections::HashSet;

    /// Longest paragraph that stays readable beside a widget.
    const MAX_PARAGRAPH_CHARS: usize = 600;
    /// A run of this many words shared with the outline counts as copied wording.
    const COPIED_WORDS: usize = 8;

    fn written_lessons() -> impl Iterator<Item = (&'static str, &'static [Step])> {
        Track::ALL
            .into_iter()
            .flat_map(|t| t.lessons())
            .map(|l| (l.slug, steps(l.slug)))
            .filter(|(_, s)| !s.is_empty())
    }

    fn all_steps() -> impl Iterator<Item = (&'static str, &'static Step)> {
        written_lessons().flat_map(|(slug, s)| s.iter().map(move |step| (slug, step)))
    }

    fn is_outline_key(key: &str) -> bool {
        OUTLINE_POINTS.iter().any(|(k, _)| *k == key)
    }

    #[test]
    fn outline_keys_are_unique_and_described() {
        let mut seen = HashSet::new();
        for (key, what) in OUTLINE_POINTS {
            assert!(seen.insert(key), "duplicate outline key {key}");
            assert!(
                !what.trim().is_empty(),
                "outline key {key} has no description"
            );
        }
    }

    #[test]
    fn every_outline_point_is_taught_and_every_cover_exists() {
        let covered: HashSet<&str> = all_steps()
            .flat_map(|(_, s)| s.covers.iter().copied())
            .collect();
        for key in &covered {
            assert!(is_outline_key(key), "a step covers unknown key {key}");
        }
        let missing: Vec<&str> = OUTLINE_POINTS
            .iter()
            .map(|(k, _)| *k)
            .filter(|k| !covered.contains(k))
            .collect();
        assert!(
            missing.is_empty(),
            "outline points no step teaches: {missing:?}"
        );
    }

    #[test]
    fn ready_lessons_are_exactly_the_written_ones() {
        for track in Track::ALL {
            for lesson in track.lessons() {
                let n = steps(lesson.slug).len();
                match lesson.availability {
                    Availability::Ready => assert!(
                        (3..=7).contains(&n),
                        "ready lesson {} has {n} steps, wants 3 to 7",
                        lesson.slug
                    ),
                    Availability::Coming { issue } => assert_eq!(
                        n, 0,
                        "lesson {} has steps but is marked coming (issue {issue})",
                        lesson.slug
                    ),
                }
            }
        }
        assert!(steps("no-such-lesson").is_empty());
    }

    #[test]
    fn lab_widgets_open_existing_labs_with_allowed_fields() {
        for (lesson, step) in all_steps() {
            let Some(Widget::Lab { lab, query, hide }) = step.widget else {
                continue;
            };
            let at = format!("{lesson} / '{}'", step.title);
            let pairs = query_pairs(query);
            let mut keys = HashSet::new();
            for (key, _) in &pairs {
                assert!(keys.insert(key.as_str()), "{at}: '{key}' set twice");
            }
            if let Err(e) = lab.check_preset(&pairs) {
                panic!("{at}: {e}");
            }
            let controls = lab.controls();
            for control in hide.iter() {
                assert!(
                    controls.iter().any(|c| c == control),
                    "{at}: '{lab:?}' has no control '{control}' to hide"
                );
            }
        }
    }

    #[test]
    fn step_text_is_present_and_readable() {
        for (lesson, step) in all_steps() {
            let at = format!("{lesson} / '{}'", step.title);
            assert!(!step.title.trim().is_empty(), "{lesson}: untitled step");
            assert!(!step.text.is_empty(), "{at}: no text");
            for paragraph in step.text.iter().chain([&step.task]) {
                assert!(
                    !paragraph.contains("  "),
                    "{at}: doubled space in {paragraph:?}"
                );
                assert!(
                    paragraph.chars().count() <= MAX_PARAGRAPH_CHARS,
                    "{at}: paragraph over {MAX_PARAGRAPH_CHARS} characters"
                );
            }
            for paragraph in step.text {
                assert!(!paragraph.trim().is_empty(), "{at}: empty paragraph");
            }
        }
    }

    #[test]
    fn every_task_on_a_widget_says_how_a_student_does_it() {
        for (lesson, step) in all_steps() {
            let at = format!("{lesson}: {}", step.title);
            let on_widget = step.widget.is_some() && !step.task.is_empty();
            assert_eq!(
                on_widget,
                !step.actions.is_empty(),
                "{at}: a step with a task on its widget lists the task's actions in [[step.do]] \
                 (and only such a step does)"
            );
            // Only a lab has controls; the explainers are read.
            if !matches!(step.widget, Some(Widget::Lab { .. })) {
                assert!(
                    step.actions.iter().all(|a| matches!(a, Action::See(_))),
                    "{at}: the explainers have nothing to set, press or click"
                );
            }
        }
    }

    #[test]
    fn lessons_ask_for_a_guess_their_widget_can_score() {
        for (lesson, steps) in written_lessons() {
            let mut asks = 0;
            for step in steps {
                let Some(predict) = step.predict else {
                    continue;
                };
                asks += 1;
                let at = format!("{lesson} / '{}'", step.title);
                let Some(Widget::Lab { lab, query, .. }) = step.widget else {
                    panic!("{at}: a guess needs a lab to reveal the answer");
                };
                assert_eq!(
                    crate::prediction::scored_by(lab),
                    Some(predict.guess),
                    "{at}: the {} lab cannot score this kind of guess",
                    lab.slug()
                );
                assert!(!predict.question.is_empty(), "{at}: no question");
                if lab == LabId::Attention {
                    let words: Vec<String> = query_pairs(query)
                        .iter()
                        .filter(|(k, _)| k == "text" || k == "pair")
                        .flat_map(|(_, v)| words(v))
                        .collect();
                    assert!(
                        words.iter().any(|w| w == predict.about),
                        "{at}: the text has no '{}' to follow",
                        predict.about
                    );
                }
            }
            assert!(
                asks >= 1,
                "{lesson}: no step asks for a guess before revealing"
            );
        }
    }

    #[test]
    fn every_ready_lesson_ends_with_a_quiz_of_three_to_five_questions() {
        for track in Track::ALL {
            for lesson in track.lessons() {
                let questions = quiz(lesson.slug);
                if steps(lesson.slug).is_empty() {
                    assert!(
                        questions.is_empty(),
                        "{}: a quiz without steps",
                        lesson.slug
                    );
                    continue;
                }
                assert!(
                    (3..=5).contains(&questions.len()),
                    "{}: {} questions, wants 3 to 5",
                    lesson.slug,
                    questions.len()
                );
                for q in questions {
                    let at = format!("{} / '{}'", lesson.slug, q.question);
                    let distinct: HashSet<&str> = q.choices.iter().copied().collect();
                    assert_eq!(
                        distinct.len(),
                        q.choices.len(),
                        "{at}: a choice is repeated"
                    );
                    assert!(q.answer < q.choices.len(), "{at}: no such answer");
                    assert!(!q.explanation.is_empty(), "{at}: no explanation");
                    for text in q.choices.iter().chain([&q.question, &q.explanation]) {
                        assert!(
                            text.chars().count() <= MAX_PARAGRAPH_CHARS,
                            "{at}: too long"
                        );
                    }
                }
            }
        }
    }

    /// Lowercase words, punctuation and markers dropped: "[MASK]." → "mask".
    fn words(text: &str) -> Vec<String> {
        text.split(|c: char| !c.is_alphanumeric() && c != '\'')
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .collect()
    }

    /// The outline's sentences: each line, split after '.', '?' or '!' followed by a space.
    fn sentences(outline: &str) -> Vec<String> {
        outline
            .lines()
            .flat_map(|line| line.split_inclusive(['.', '?', '!']))
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect()
    }

    #[test]
    fn no_step_copies_outline_wording() {
        let outline = include_str!("../../content/course-outline.txt");
        // Every run of COPIED_WORDS words inside an outline sentence; a sentence of at least that
        // length copied whole contains one of them.
        let runs: HashSet<String> = sentences(outline)
            .iter()
            .map(|s| words(s))
            .filter(|w| w.len() >= COPIED_WORDS)
            .flat_map(|w| {
                w.windows(COPIED_WORDS)
                    .map(|run| run.join(" "))
                    .collect::<Vec<_>>()
            })
            .collect();
        assert!(!runs.is_empty(), "no sentences read from the outline");
        let step_text = all_steps().flat_map(|(lesson, step)| {
            step.text
                .iter()
                .chain([&step.task, &step.title])
                .map(move |p| (lesson, *p))
        });
        let quiz_text = written_lessons().flat_map(|(lesson, _)| {
            quiz(lesson).iter().flat_map(move |q| {
                q.choices
                    .iter()
                    .chain([&q.question, &q.explanation])
                    .map(move |p| (lesson, *p))
            })
        });
        for (lesson, paragraph) in step_text.chain(quiz_text) {
            let w = words(paragraph);
            for run in w.windows(COPIED_WORDS) {
                let run = run.join(" ");
                assert!(
                    !runs.contains(&run),
                    "{lesson}: '{paragraph}' copies the outline: '{run}'"
                );
            }
        }
    }
}
