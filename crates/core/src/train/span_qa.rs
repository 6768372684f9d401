//! Extractive questions over the support messages, built from their entity spans: "Which order is
//! this about?" is answered by the message's first order number, and so on for each entity type;
//! a message without one makes the question unanswerable. Answers are scored as SQuAD 2.0 scores
//! them: exact match and word-overlap F1 after normalising case, punctuation, articles and spaces,
//! an unanswerable question right only when the answer is empty.

use std::collections::{HashMap, HashSet};

use super::entities::{in_training_order, word_spans, EntityMessage, ENTITY_LABELS};

pub use bertlab_protocol::span_qa::QUESTIONS;

/// One question over one message; `answer` is a character span of `context`, `None` when the
/// message does not say.
#[derive(Debug, Clone, PartialEq)]
pub struct QaExample {
    pub question: String,
    pub context: String,
    pub answer: Option<(usize, usize)>,
}

impl QaExample {
    /// The answer's text ("" when unanswerable).
    pub fn answer_text(&self) -> String {
        self.answer.map_or(String::new(), |(s, e)| {
            self.context.chars().skip(s).take(e - s).collect()
        })
    }
}

/// Every answerable question of each message, and one in four of the unanswerable ones (which
/// one rotates with the message's place in the file). Training messages first, in
/// [`in_training_order`], then test ones.
pub fn qa_sets(messages: &[EntityMessage]) -> (Vec<QaExample>, Vec<QaExample>) {
    let (mut train, mut test) = (Vec::new(), Vec::new());
    for m in in_training_order(messages) {
        let message = &messages[m];
        for (q, label) in ENTITY_LABELS.iter().enumerate() {
            let answer = message
                .entities
                .iter()
                .find(|e| e.label == *label)
                .map(|e| (e.start, e.end));
            if answer.is_none() && (m + q) % 4 != 0 {
                continue;
            }
            let example = QaExample {
                question: QUESTIONS[q].to_string(),
                context: message.text.clone(),
                answer,
            };
            if message.split == "test" {
                test.push(example);
            } else {
                train.push(example);
            }
        }
    }
    (train, test)
}

/// Lower case, punctuation and the articles a/an/the removed, words split on spaces (SQuAD's
/// `normalize_answer`).
pub fn normalized_words(answer: &str) -> Vec<String> {
    let cleaned: String = answer
        .to_lowercase()
        .chars()
        .filter(|c| !c.is_ascii_punctuation())
        .collect();
    cleaned
        .split_whitespace()
        .filter(|w| !matches!(*w, "a" | "an" | "the"))
        .map(String::from)
        .collect()
}

/// 1 when the normalised answers are the same (two empty answers included), else 0.
pub fn exact_match(predicted: &str, gold: &str) -> f32 {
    f32::from(u8::from(
        normalized_words(predicted) == normalized_words(gold),
    ))
}

/// Word-overlap F1 of the normalised answers; an empty answer scores 1 against an empty one, 0
/// against anything else.
pub fn overlap_f1(predicted: &str, gold: &str) -> f32 {
    let (p, g) = (normalized_words(predicted), normalized_words(gold));
    if p.is_empty() || g.is_empty() {
        return f32::from(u8::from(p.is_empty() && g.is_empty()));
    }
    let mut left: HashMap<&str, usize> = HashMap::new();
    for w in &g {
        *left.entry(w).or_default() += 1;
    }
    let mut common = 0usize;
    for w in &p {
        if let Some(n) = left.get_mut(w.as_str()).filter(|n| **n > 0) {
            *n -= 1;
            common += 1;
        }
    }
    if common == 0 {
        return 0.0;
    }
    let (precision, recall) = (
        common as f32 / p.len() as f32,
        common as f32 / g.len() as f32,
    );
    2.0 * precision * recall / (precision + recall)
}

/// Mean exact match and F1 of `predicted` answers against `examples`' answers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QaScores {
    pub exact_match: f32,
    pub f1: f32,
}

pub fn qa_scores(examples: &[QaExample], predicted: &[String]) -> QaScores {
    let n = examples.len().max(1) as f32;
    let (mut em, mut f1) = (0.0, 0.0);
    for (example, answer) in examples.iter().zip(predicted) {
        let gold = example.answer_text();
        em += exact_match(answer, &gold);
        f1 += overlap_f1(answer, &gold);
    }
    QaScores {
        exact_match: em / n,
        f1: f1 / n,
    }
}

/// The baseline that reads no encoder: for each question, the words that were inside its answer
/// more often than not in training; it answers with the longest run of such words in the message,
/// or with no answer when there is none.
#[derive(Debug, Clone)]
pub struct WordLookupQa {
    answer_words: HashMap<String, HashSet<String>>,
}

impl WordLookupQa {
    pub fn fit(train: &[QaExample]) -> WordLookupQa {
        let mut counts: HashMap<(String, String), (usize, usize)> = HashMap::new();
        for example in train {
            let chars: Vec<char> = example.context.chars().collect();
            for (s, e) in word_spans(&example.context) {
                let inside = example.answer.is_some_and(|(a, b)| a <= s && e <= b);
                let word: String = chars[s..e].iter().collect::<String>().to_lowercase();
                let count = counts.entry((example.question.clone(), word)).or_default();
                count.0 += usize::from(inside);
                count.1 += 1;
            }
        }
        let mut answer_words: HashMap<String, HashSet<String>> = HashMap::new();
        for ((question, word), (inside, seen)) in counts {
            if 2 * inside > seen {
                answer_words.entry(question).or_default().insert(word);
            }
        }
        WordLookupQa { answer_words }
    }

    /// Its exact match and F1 on `examples`.
    pub fn scores(&self, examples: &[QaExample]) -> QaScores {
        let answers: Vec<String> = examples
            .iter()
            .map(|e| self.answer(&e.question, &e.context))
            .collect();
        qa_scores(examples, &answers)
    }

    pub fn answer(&self, question: &str, context: &str) -> String {
        let Some(words) = self.answer_words.get(question) else {
            return String::new();
        };
        let chars: Vec<char> = context.chars().collect();
        // Runs of answer words as (first char, end char, words).
        type Run = Option<(usize, usize, usize)>;
        let (mut best, mut run): (Run, Run) = (None, None);
        for (s, e) in word_spans(context) {
            let word: String = chars[s..e].iter().collect::<String>().to_lowercase();
            run = if words.contains(&word) {
                Some(run.map_or((s, e, 1), |(rs, _, n)| (rs, e, n + 1)))
            } else {
                None
            };
            if let Some(r) = run.filter(|r| best.is_none_or(|b| r.2 > b.2)) {
                best = Some(r);
            }
        }
        best.map_or(String::new(), |(s, e, _)| chars[s..e].iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::train::entities::parse_messages;

    #[test]
    fn squad_normalisation_and_scores() {
        assert_eq!(
            normalized_words("The  Lumen, desk-lamp!"),
            ["lumen", "desklamp"]
        );
        assert_eq!(exact_match("the blender", "Blender."), 1.0);
        assert_eq!(exact_match("", ""), 1.0);
        assert_eq!(exact_match("blender", ""), 0.0);
        // Two of three predicted words in a two-word answer: P 2/3, R 1, F1 0.8.
        assert!((overlap_f1("Lumen desk lamp", "desk lamp") - 0.8).abs() < 1e-6);
        assert_eq!(overlap_f1("", "desk lamp"), 0.0);
        assert_eq!(overlap_f1("", ""), 1.0);
        assert_eq!(overlap_f1("kettle", "desk lamp"), 0.0);
        let examples = [
            QaExample {
                question: QUESTIONS[0].into(),
                context: "My desk lamp broke".into(),
                answer: Some((3, 12)),
            },
            QaExample {
                question: QUESTIONS[1].into(),
                context: "My desk lamp broke".into(),
                answer: None,
            },
        ];
        let scores = qa_scores(&examples, &["lamp".into(), "".into()]);
        assert!((scores.exact_match - 0.5).abs() < 1e-6);
        assert!((scores.f1 - (2.0 / 3.0 + 1.0) / 2.0).abs() < 1e-6);
    }

    #[test]
    fn each_entity_type_becomes_a_question_and_missing_ones_are_unanswerable() {
        let line = |text: &str, split: &str, ents: &str| {
            format!(r#"{{"text": "{text}", "split": "{split}", "entities": [{ents}]}}"#)
        };
        let file = [
            line(
                "Order #12 was $5",
                "train",
                r##"{"label": "ORDER", "start": 6, "end": 9, "text": "#12"}, {"label": "AMOUNT", "start": 14, "end": 16, "text": "$5"}"##,
            ),
            line("No details here", "test", ""),
        ]
        .join("\n");
        let (train, test) = qa_sets(&parse_messages(&file).unwrap());
        let answers: Vec<(&str, String)> = train
            .iter()
            .map(|e| (e.question.as_str(), e.answer_text()))
            .collect();
        // Message 0 answers order and amount; of its missing types only product ((0 + 0) % 4 == 0)
        // is asked. Message 1 has none and is asked only about the amount ((1 + 3) % 4 == 0).
        assert_eq!(
            answers,
            [
                (QUESTIONS[0], String::new()),
                (QUESTIONS[1], "#12".to_string()),
                (QUESTIONS[3], "$5".to_string())
            ]
        );
        assert_eq!(test.len(), 1);
        assert_eq!(
            (test[0].question.as_str(), test[0].answer),
            (QUESTIONS[3], None)
        );
    }

    #[test]
    fn the_lookup_baseline_answers_with_words_it_saw_inside_answers() {
        let example = |context: &str, answer: Option<(usize, usize)>| QaExample {
            question: QUESTIONS[0].into(),
            context: context.into(),
            answer,
        };
        let train = [
            example("my desk lamp broke", Some((3, 12))),
            example("the desk lamp is late", Some((4, 13))),
            example("where is my refund", None),
        ];
        let lookup = WordLookupQa::fit(&train);
        assert_eq!(
            lookup.answer(QUESTIONS[0], "is my Desk Lamp here"),
            "Desk Lamp"
        );
        assert_eq!(lookup.answer(QUESTIONS[0], "where is my refund"), "");
        assert_eq!(lookup.answer(QUESTIONS[1], "desk lamp"), "");
    }
}
