//! A student's progress per track, kept in the browser's localStorage: for each lesson, the furthest
//! step reached and whether it was finished. Plain data with JSON round-trips; storage access is the
//! page's business.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::catalog::Track;

/// localStorage key; one JSON object for all tracks.
pub const STORAGE_KEY: &str = "bertlab.progress";

/// How far a student got in one lesson.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LessonProgress {
    /// Furthest step reached, 0-based.
    pub furthest: usize,
    pub finished: bool,
    /// The latest complete attempt at the lesson's quiz (absent in progress stored before quizzes).
    #[serde(default)]
    pub quiz: Option<QuizScore>,
}

/// Right answers out of the quiz's questions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuizScore {
    pub correct: usize,
    pub total: usize,
}

/// Progress in every track, by track slug then lesson slug.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progress {
    tracks: BTreeMap<String, BTreeMap<String, LessonProgress>>,
}

impl Progress {
    /// Read stored progress; anything unreadable (edited by hand, an older format) starts afresh
    /// rather than breaking the page.
    pub fn from_json(text: Option<&str>) -> Progress {
        text.and_then(|t| serde_json::from_str(t).ok())
            .unwrap_or_default()
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    pub fn lesson(&self, track: Track, lesson: &str) -> LessonProgress {
        self.tracks
            .get(track.slug())
            .and_then(|t| t.get(lesson))
            .copied()
            .unwrap_or_default()
    }

    /// Record that the student opened `step`.
    pub fn visit(&mut self, track: Track, lesson: &str, step: usize) {
        let entry = self.entry(track, lesson);
        entry.furthest = entry.furthest.max(step);
    }

    pub fn finish(&mut self, track: Track, lesson: &str) {
        self.entry(track, lesson).finished = true;
    }

    /// Record a complete attempt at the lesson's quiz.
    pub fn score_quiz(&mut self, track: Track, lesson: &str, score: QuizScore) {
        self.entry(track, lesson).quiz = Some(score);
    }

    /// Lessons of `track` finished, out of those that can be taken.
    pub fn finished_in(&self, track: Track) -> (usize, usize) {
        let ready = track
            .lessons()
            .iter()
            .filter(|l| l.availability == super::catalog::Availability::Ready);
        let (mut done, mut total) = (0, 0);
        for lesson in ready {
            total += 1;
            if self.lesson(track, lesson.slug).finished {
                done += 1;
            }
        }
        (done, total)
    }

    pub fn reset(&mut self, track: Track) {
        self.tracks.remove(track.slug());
    }

    fn entry(&mut self, track: Track, lesson: &str) -> &mut LessonProgress {
        self.tracks
            .entry(track.slug().to_string())
            .or_default()
            .entry(lesson.to_string())
            .or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_survives_storage_and_tracks_stay_separate() {
        let mut p = Progress::default();
        p.visit(Track::Beginner, "what-the-model-sees", 2);
        p.visit(Track::Beginner, "what-the-model-sees", 1);
        p.finish(Track::Advanced, "limits");
        let score = QuizScore {
            correct: 3,
            total: 4,
        };
        p.score_quiz(Track::Advanced, "limits", score);
        let back = Progress::from_json(Some(&p.to_json()));
        assert_eq!(back, p);
        let seen = back.lesson(Track::Beginner, "what-the-model-sees");
        assert_eq!((seen.furthest, seen.finished), (2, false));
        assert!(back.lesson(Track::Advanced, "limits").finished);
        assert_eq!(back.lesson(Track::Advanced, "limits").quiz, Some(score));
        assert!(!back.lesson(Track::Beginner, "limits").finished);
        let mut reset = back.clone();
        reset.reset(Track::Advanced);
        assert!(!reset.lesson(Track::Advanced, "limits").finished);
        assert_eq!(
            reset
                .lesson(Track::Beginner, "what-the-model-sees")
                .furthest,
            2
        );
    }

    #[test]
    fn progress_stored_before_quizzes_still_reads() {
        let old = r#"{"tracks":{"beginner":{"limits":{"furthest":2,"finished":true}}}}"#;
        let p = Progress::from_json(Some(old));
        assert_eq!(p.lesson(Track::Beginner, "limits").furthest, 2);
        assert_eq!(p.lesson(Track::Beginner, "limits").quiz, None);
    }

    #[test]
    fn unreadable_storage_starts_afresh() {
        assert_eq!(Progress::from_json(Some("{not json")), Progress::default());
        assert_eq!(Progress::from_json(None), Progress::default());
    }
}
