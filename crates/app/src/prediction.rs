//! Predict, then reveal: a lesson step may ask the student to commit to a guess before its widget
//! shows anything, and then scores the guess against what the widget really computed (the model's
//! ranked words, the attention of a head, a count the lab measured). Plain data and scoring, tested
//! natively; the page wires widgets to it through `labs::Observed`.

use crate::lab_registry::LabId;
use bertlab_protocol::training::PairTask;

/// The kind of guess a lab's widget can score, if any (see the widgets' `Observed` publishing).
pub fn scored_by(lab: LabId) -> Option<Guess> {
    match lab {
        LabId::FillMask | LabId::Attention | LabId::LogitLens | LabId::Pretrain => {
            Some(Guess::Word)
        }
        LabId::Tokenizer
        | LabId::Masking
        | LabId::FineTune
        | LabId::Probes
        | LabId::Tagging
        | LabId::SpanQa => Some(Guess::Number),
        LabId::Embeddings | LabId::Surprise | LabId::FeatureSpace => None,
    }
}

/// Labs that answer only when the student starts a run (a training run, the probes): a guess is
/// scored on the run the step's task starts.
pub fn answers_after_a_run(lab: LabId) -> bool {
    matches!(
        lab,
        LabId::FineTune | LabId::Pretrain | LabId::Probes | LabId::Tagging | LabId::SpanQa
    )
}

/// The kind of answer a step asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Guess {
    /// A word, scored by its rank among the words the widget ranks (fill-mask, attention, the
    /// pretraining race's two recipes).
    Word,
    /// A whole number, scored against a count the widget measures (tokenizer, masking) or the
    /// accuracy in percent of the run the student starts (fine-tune).
    Number,
}

/// A step's "your guess first" question.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Predict {
    pub question: &'static str,
    pub guess: Guess,
    /// For the attention widget: the word whose attention is ranked (the first piece equal to it).
    pub about: &'static str,
}

/// What a widget computed, in the form a guess is scored against.
#[derive(Debug, Clone, PartialEq)]
pub enum Observation {
    /// Words ranked best first, with a share each (a probability, an attention weight).
    Ranked {
        words: Vec<(String, f32)>,
        /// What the share is, for the sentence that reports it: "probability".
        share: &'static str,
    },
    /// The attention of the enlarged head: its pieces and their row-major n × n weights.
    Attention {
        pieces: Vec<String>,
        weights: Vec<f32>,
    },
    /// A count the widget shows, and what it counts ("positions", "tokens ever a target").
    Count { value: u64, what: &'static str },
}

impl Observation {
    /// Which kind of guess this observation can score.
    pub fn scores(&self) -> Guess {
        match self {
            Observation::Ranked { .. } | Observation::Attention { .. } => Guess::Word,
            Observation::Count { .. } => Guess::Number,
        }
    }
}

/// The sentence that scores `guess` against `observed`, or why the guess cannot be scored.
pub fn verdict(guess: &str, observed: &Observation, about: &str) -> Result<String, String> {
    match observed {
        Observation::Ranked { words, share } => Ok(rank_verdict(guess, words, share)),
        Observation::Attention { pieces, weights } => {
            let words = attention_ranking(pieces, weights, about)?;
            Ok(rank_verdict(guess, &words, "attention weight"))
        }
        Observation::Count { value, what } => {
            let guessed: u64 = guess.trim().parse().map_err(|_| {
                format!(
                    "'{}' is not a whole number: type one, such as 7.",
                    guess.trim()
                )
            })?;
            let off = guessed.abs_diff(*value);
            Ok(match off {
                0 => {
                    format!("You guessed {guessed}: exactly right, the lab counts {value} {what}.")
                }
                _ => {
                    format!("You guessed {guessed}; the lab counts {value} {what} (off by {off}).")
                }
            })
        }
    }
}

/// Where `guess` stands among `words` (best first); case and WordPiece's `##` are ignored.
fn rank_verdict(guess: &str, words: &[(String, f32)], share: &str) -> String {
    let norm = |w: &str| w.trim().trim_start_matches("##").to_lowercase();
    let guess = norm(guess);
    let Some((top, _)) = words.first() else {
        return "The widget ranked no words.".into();
    };
    match words.iter().position(|(w, _)| norm(w) == guess) {
        Some(0) => format!(
            "Your guess '{guess}' is the first choice ({share} {:.0}%).",
            words[0].1 * 100.0
        ),
        Some(i) => format!(
            "Your guess '{guess}' comes number {} of {} ({share} {:.0}%); the first choice is '{top}'.",
            i + 1,
            words.len(),
            words[i].1 * 100.0
        ),
        None => format!(
            "'{guess}' is not among the {} ranked here; the first choice is '{top}'.",
            words.len()
        ),
    }
}

/// One finished recipe of the pretraining lab's race, with its last measurements.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RaceResult {
    pub dynamic: bool,
    pub objective: PairTask,
    /// MLM accuracy on the training text under masks the run was never shown.
    pub new_masks: f64,
    /// MLM accuracy on held-out text.
    pub held_out: f64,
    /// Held-out accuracy of the sentence objective, if it has one.
    pub held_out_pair: Option<f64>,
}

/// The race's two recipes ranked by what their difference is about, each named by the word that
/// tells it apart: masking ("static", "dynamic") by accuracy on new masks of the training text;
/// two sentence objectives ("nsp", "sop") by their held-out accuracy; a sentence objective against
/// none by held-out MLM accuracy. `None` when both run the same recipe.
pub fn race_ranking(results: &[RaceResult; 2]) -> Option<Observation> {
    let objective = |r: &RaceResult| match r.objective {
        PairTask::None => "none",
        PairTask::Nsp => "nsp",
        PairTask::Sop => "sop",
    };
    let [a, b] = results;
    let (name, measure, share): (fn(&RaceResult) -> &'static str, fn(&RaceResult) -> f64, _) =
        if a.dynamic != b.dynamic {
            (
                |r| if r.dynamic { "dynamic" } else { "static" },
                |r| r.new_masks,
                "accuracy on new masks of the training text",
            )
        } else if a.objective == b.objective {
            return None;
        } else if a.held_out_pair.is_some() && b.held_out_pair.is_some() {
            (
                objective,
                |r| r.held_out_pair.unwrap_or(0.0),
                "held-out sentence-task accuracy",
            )
        } else {
            (objective, |r| r.held_out, "held-out MLM accuracy")
        };
    let mut words: Vec<(String, f32)> = results
        .iter()
        .map(|r| (name(r).to_string(), measure(r) as f32))
        .collect();
    words.sort_by(|x, y| y.1.total_cmp(&x.1));
    Some(Observation::Ranked { words, share })
}

/// The other pieces ranked by the attention the first piece equal to `about` gives them, markers
/// ([CLS], [SEP]) left out.
fn attention_ranking(
    pieces: &[String],
    weights: &[f32],
    about: &str,
) -> Result<Vec<(String, f32)>, String> {
    let n = pieces.len();
    if weights.len() != n * n {
        return Err("the attention weights do not match the pieces".into());
    }
    let from = pieces
        .iter()
        .position(|p| p.eq_ignore_ascii_case(about))
        .ok_or_else(|| format!("the sentence has no piece '{about}' to follow"))?;
    let mut ranked: Vec<(String, f32)> = (0..n)
        .filter(|&j| j != from && !is_marker(&pieces[j]))
        .map(|j| (pieces[j].clone(), weights[from * n + j]))
        .collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
    Ok(ranked)
}

/// A fraction as the whole percent a student reads off a table that shows one decimal: 0.93496 is
/// shown as "93.5%" and counts as 94, so a verdict never names 93 beside it.
pub fn shown_percent(fraction: f64) -> u64 {
    format!("{:.1}", fraction * 100.0)
        .parse::<f64>()
        .map_or(0, |shown| shown.round() as u64)
}

fn is_marker(piece: &str) -> bool {
    piece.starts_with('[') && piece.ends_with(']')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shown_percent_rounds_what_the_table_shows() {
        assert_eq!(shown_percent(0.93496), 94);
        assert_eq!(shown_percent(0.9344), 93);
        assert_eq!(shown_percent(0.0), 0);
        assert_eq!(shown_percent(1.0), 100);
    }

    fn result(dynamic: bool, objective: PairTask, new_masks: f64, pair: Option<f64>) -> RaceResult {
        RaceResult {
            dynamic,
            objective,
            new_masks,
            held_out: 1.0 - new_masks,
            held_out_pair: pair,
        }
    }

    fn race_words(results: [RaceResult; 2]) -> Option<(Vec<String>, &'static str)> {
        match race_ranking(&results)? {
            Observation::Ranked { words, share } => {
                Some((words.into_iter().map(|(w, _)| w).collect(), share))
            }
            other => panic!("not a ranking: {other:?}"),
        }
    }

    #[test]
    fn a_race_is_ranked_by_the_measure_its_recipes_differ_in() {
        // Masking differs: new masks decide, whatever the objectives.
        let (words, share) = race_words([
            result(false, PairTask::Nsp, 0.2, Some(0.9)),
            result(true, PairTask::None, 0.3, None),
        ])
        .unwrap();
        assert_eq!(words, ["dynamic", "static"]);
        assert!(share.contains("new masks"));
        // Two sentence objectives: their own held-out accuracy decides.
        let (words, share) = race_words([
            result(true, PairTask::Sop, 0.9, Some(0.55)),
            result(true, PairTask::Nsp, 0.1, Some(0.8)),
        ])
        .unwrap();
        assert_eq!(words, ["nsp", "sop"]);
        assert!(share.contains("sentence-task"));
        // An objective against none: held-out MLM accuracy decides.
        let (words, _) = race_words([
            result(true, PairTask::None, 0.4, None),
            result(true, PairTask::Nsp, 0.3, Some(0.8)),
        ])
        .unwrap();
        assert_eq!(words, ["nsp", "none"]);
        assert_eq!(
            race_ranking(&[result(true, PairTask::Sop, 0.2, Some(0.5)); 2]),
            None
        );
    }

    fn ranked() -> Observation {
        Observation::Ranked {
            words: vec![
                ("milk".into(), 0.4),
                ("##juice".into(), 0.2),
                ("food".into(), 0.1),
            ],
            share: "probability",
        }
    }

    #[test]
    fn a_word_is_scored_by_its_rank_ignoring_case_and_hashes() {
        let first = verdict(" Milk ", &ranked(), "").unwrap();
        assert!(first.contains("first choice (probability 40%)"), "{first}");
        let second = verdict("juice", &ranked(), "").unwrap();
        assert!(
            second.contains("number 2 of 3") && second.contains("'milk'"),
            "{second}"
        );
        let missing = verdict("butter", &ranked(), "").unwrap();
        assert!(
            missing.contains("not among the 3") && missing.contains("'milk'"),
            "{missing}"
        );
    }

    #[test]
    fn attention_ranks_the_other_words_of_the_followed_piece_without_markers() {
        let pieces: Vec<String> = ["[CLS]", "the", "dog", "it", "[SEP]"]
            .map(String::from)
            .into();
        let n = pieces.len();
        let mut weights = vec![0.0; n * n];
        // 'it' (row 3) looks mostly at [SEP], then 'dog', then 'the', then itself
        for (j, w) in [0.05, 0.1, 0.3, 0.15, 0.4].into_iter().enumerate() {
            weights[3 * n + j] = w;
        }
        let obs = Observation::Attention { pieces, weights };
        let v = verdict("dog", &obs, "it").unwrap();
        assert!(v.contains("first choice (attention weight 30%)"), "{v}");
        let v = verdict("the", &obs, "it").unwrap();
        assert!(v.contains("number 2 of 2"), "{v}");
        assert!(verdict("dog", &obs, "cat").is_err());
    }

    #[test]
    fn a_number_is_scored_by_its_distance_and_a_non_number_is_refused() {
        let obs = Observation::Count {
            value: 12,
            what: "positions",
        };
        assert!(verdict("12", &obs, "").unwrap().contains("exactly right"));
        assert!(verdict(" 9", &obs, "").unwrap().contains("off by 3"));
        let err = verdict("twelve", &obs, "").unwrap_err();
        assert!(err.contains("not a whole number"), "{err}");
        assert_eq!(obs.scores(), Guess::Number);
        assert_eq!(ranked().scores(), Guess::Word);
    }
}
