//! The project's cloze benchmark (`tests/data/cloze.tsv`): parsing and top-1 / top-5 scoring.
//!
//! Pure: the caller runs the model and hands over each item's ranked predictions, so the same scorer
//! serves `bertlab eval-cloze`, the training loop's periodic evaluation and the in-browser lab.

use std::collections::{BTreeMap, HashSet};
use std::fmt;

use serde::{Deserialize, Serialize};

/// The placeholder every benchmark sentence carries exactly once.
pub const MASK: &str = "[MASK]";

/// The header line the TSV must start with.
const HEADER: [&str; 4] = ["id", "category", "sentence", "answers"];

/// What kind of knowledge an item probes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ClozeCategory {
    /// Capitals, days, months, colours, simple arithmetic.
    Knowledge,
    /// Fixed everyday phrases and idioms.
    Collocation,
    /// Function words, agreement, tense, prepositions, pronouns.
    Grammar,
    /// Only the words after the mask decide the answer.
    RightContext,
}

impl ClozeCategory {
    /// The name used in the TSV's `category` column.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Knowledge => "knowledge",
            Self::Collocation => "collocation",
            Self::Grammar => "grammar",
            Self::RightContext => "right-context",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        [
            Self::Knowledge,
            Self::Collocation,
            Self::Grammar,
            Self::RightContext,
        ]
        .into_iter()
        .find(|c| c.as_str() == s)
    }
}

impl fmt::Display for ClozeCategory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One benchmark sentence with its acceptable answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClozeItem {
    pub id: String,
    pub category: ClozeCategory,
    /// Contains [`MASK`] exactly once.
    pub sentence: String,
    /// Lowercase single words, each acceptable; never empty.
    pub answers: Vec<String>,
}

impl ClozeItem {
    /// The sentence with `[MASK]` replaced by a model's own mask token (e.g. RoBERTa's `<mask>`).
    pub fn masked_for(&self, mask_token: &str) -> String {
        self.sentence.replacen(MASK, mask_token, 1)
    }

    /// Whether `prediction` (a decoded token, any case, surrounding spaces ignored) is acceptable.
    pub fn accepts(&self, prediction: &str) -> bool {
        let p = prediction.trim().to_lowercase();
        self.answers.iter().any(|a| *a == p)
    }
}

/// A malformed benchmark file, located by line (1-based).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ClozeError {
    #[error(
        "cloze file is empty: expected the header line `id<TAB>category<TAB>sentence<TAB>answers`"
    )]
    Empty,
    #[error("cloze file line 1: expected the header `id<TAB>category<TAB>sentence<TAB>answers`, found `{0}`")]
    BadHeader(String),
    #[error("cloze file line {line}: expected 4 tab-separated columns, found {found}")]
    Columns { line: usize, found: usize },
    #[error("cloze file line {line}: empty id")]
    EmptyId { line: usize },
    #[error("cloze file line {line}: id `{id}` already used on line {first}")]
    DuplicateId {
        line: usize,
        id: String,
        first: usize,
    },
    #[error("cloze file line {line}: unknown category `{category}` (expected knowledge, collocation, grammar or right-context)")]
    Category { line: usize, category: String },
    #[error(
        "cloze file line {line}: the sentence must contain [MASK] exactly once, found {found}"
    )]
    MaskCount { line: usize, found: usize },
    #[error("cloze file line {line}: answer `{answer}` must be one non-empty lowercase word")]
    BadAnswer { line: usize, answer: String },
    #[error("cloze scoring: {items} items but {predictions} prediction lists")]
    PredictionCount { items: usize, predictions: usize },
}

/// Parses the benchmark TSV: a header line, then `id<TAB>category<TAB>sentence<TAB>answers` rows with
/// `|`-separated answers. Blank lines are skipped; everything else malformed is an error.
pub fn parse_cloze_tsv(text: &str) -> Result<Vec<ClozeItem>, ClozeError> {
    let mut lines = text.lines().enumerate();
    let header = lines
        .by_ref()
        .find(|(_, l)| !l.trim().is_empty())
        .ok_or(ClozeError::Empty)?;
    let cols: Vec<&str> = header.1.trim_end_matches('\r').split('\t').collect();
    if cols != HEADER {
        return Err(ClozeError::BadHeader(header.1.to_string()));
    }

    let mut items = Vec::new();
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for (idx, raw) in lines {
        let line = idx + 1;
        let raw = raw.trim_end_matches('\r');
        if raw.trim().is_empty() {
            continue;
        }
        let cols: Vec<&str> = raw.split('\t').collect();
        let [id, category, sentence, answers] = cols[..] else {
            return Err(ClozeError::Columns {
                line,
                found: cols.len(),
            });
        };
        let id = id.trim();
        if id.is_empty() {
            return Err(ClozeError::EmptyId { line });
        }
        if let Some(&first) = seen.get(id) {
            return Err(ClozeError::DuplicateId {
                line,
                id: id.to_string(),
                first,
            });
        }
        seen.insert(id.to_string(), line);
        let category =
            ClozeCategory::parse(category.trim()).ok_or_else(|| ClozeError::Category {
                line,
                category: category.to_string(),
            })?;
        let found = sentence.matches(MASK).count();
        if found != 1 {
            return Err(ClozeError::MaskCount { line, found });
        }
        let answers = answers
            .split('|')
            .map(|a| {
                // Lowercase as `accepts` lowercases a prediction: a titlecase letter (`ǅ`) is not
                // uppercase, yet no prediction could ever match it.
                let ok =
                    !a.is_empty() && a.chars().all(char::is_alphabetic) && a.to_lowercase() == a;
                if ok {
                    Ok(a.to_string())
                } else {
                    Err(ClozeError::BadAnswer {
                        line,
                        answer: a.to_string(),
                    })
                }
            })
            .collect::<Result<Vec<_>, _>>()?;
        items.push(ClozeItem {
            id: id.to_string(),
            category,
            sentence: sentence.trim().to_string(),
            answers,
        });
    }
    Ok(items)
}

/// Hits out of a count, for one category or all items.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClozeTally {
    pub items: usize,
    pub top1: usize,
    pub top5: usize,
}

impl ClozeTally {
    /// Top-1 accuracy in [0, 1]; 0 for no items.
    pub fn top1_rate(&self) -> f64 {
        rate(self.top1, self.items)
    }

    /// Top-5 accuracy in [0, 1]; 0 for no items.
    pub fn top5_rate(&self) -> f64 {
        rate(self.top5, self.items)
    }
}

fn rate(hits: usize, n: usize) -> f64 {
    if n == 0 {
        0.0
    } else {
        hits as f64 / n as f64
    }
}

/// The benchmark result: overall and per category.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ClozeScore {
    pub overall: ClozeTally,
    pub by_category: BTreeMap<ClozeCategory, ClozeTally>,
}

impl ClozeScore {
    /// Overall top-1 accuracy in [0, 1].
    pub fn top1(&self) -> f64 {
        self.overall.top1_rate()
    }

    /// Overall top-5 accuracy in [0, 1].
    pub fn top5(&self) -> f64 {
        self.overall.top5_rate()
    }
}

/// Scores ranked predictions (best first, decoded tokens) against the items, position by position.
/// A prediction list shorter than 5 simply has fewer chances; WordPiece continuation pieces (`##s`)
/// never match because answers are whole words.
pub fn score(items: &[ClozeItem], predictions: &[Vec<String>]) -> Result<ClozeScore, ClozeError> {
    if items.len() != predictions.len() {
        return Err(ClozeError::PredictionCount {
            items: items.len(),
            predictions: predictions.len(),
        });
    }
    let mut out = ClozeScore::default();
    for (item, preds) in items.iter().zip(predictions) {
        let top1 = preds.first().is_some_and(|p| item.accepts(p));
        let top5 = preds.iter().take(5).any(|p| item.accepts(p));
        for tally in [
            &mut out.overall,
            out.by_category.entry(item.category).or_default(),
        ] {
            tally.items += 1;
            tally.top1 += usize::from(top1);
            tally.top5 += usize::from(top5);
        }
    }
    Ok(out)
}

/// All distinct answers across the items, for checking them against a model's vocabulary.
pub fn answer_words(items: &[ClozeItem]) -> HashSet<&str> {
    items
        .iter()
        .flat_map(|i| i.answers.iter().map(String::as_str))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const BENCHMARK: &str = include_str!("../../../../tests/data/cloze.tsv");

    fn small() -> Vec<ClozeItem> {
        let tsv = "id\tcategory\tsentence\tanswers\n\
                   a1\tknowledge\tThe capital of France is [MASK].\tparis\n\
                   \n\
                   a2\tright-context\t[MASK] you for the present.\tthank\n\
                   a3\tgrammar\tShe [MASK] a teacher.\tis|was\n";
        parse_cloze_tsv(tsv).expect("well-formed")
    }

    #[test]
    fn parses_rows_and_splits_answers() {
        let items = small();
        assert_eq!(items.len(), 3);
        assert_eq!(items[2].answers, vec!["is", "was"]);
        assert_eq!(items[1].category, ClozeCategory::RightContext);
        assert_eq!(
            items[0].masked_for("<mask>"),
            "The capital of France is <mask>."
        );
    }

    #[test]
    fn scores_top1_and_top5_per_category() {
        let items = small();
        let preds = vec![
            vec!["Paris".to_string()], // top-1 hit, case-insensitive
            ["please", "thanks", "and", "so", "thank"]
                .map(String::from)
                .to_vec(), // top-5 hit only
            ["are", "be", "a", "the", "very", "was"]
                .map(String::from)
                .to_vec(), // 6th: a miss
        ];
        let s = score(&items, &preds).expect("same length");
        assert_eq!(
            s.overall,
            ClozeTally {
                items: 3,
                top1: 1,
                top5: 2
            }
        );
        assert_eq!(
            s.by_category[&ClozeCategory::RightContext],
            ClozeTally {
                items: 1,
                top1: 0,
                top5: 1
            }
        );
        assert!((s.top5() - 2.0 / 3.0).abs() < 1e-12);
        assert_eq!(
            score(&items, &preds[..2]),
            Err(ClozeError::PredictionCount {
                items: 3,
                predictions: 2
            })
        );
    }

    #[test]
    fn rejects_malformed_rows_with_their_line() {
        let h = "id\tcategory\tsentence\tanswers\n";
        let cases = [
            (
                format!("{h}x\tgrammar\tNo mask here.\tis\n"),
                ClozeError::MaskCount { line: 2, found: 0 },
            ),
            (
                format!("{h}x\tgrammar\t[MASK] and [MASK].\tis\n"),
                ClozeError::MaskCount { line: 2, found: 2 },
            ),
            (
                format!("{h}x\tgrammar\t[MASK].\t\n"),
                ClozeError::BadAnswer {
                    line: 2,
                    answer: String::new(),
                },
            ),
            (
                format!("{h}x\tgrammar\t[MASK].\tIs\n"),
                ClozeError::BadAnswer {
                    line: 2,
                    answer: "Is".into(),
                },
            ),
            (
                format!("{h}x\tgrammar\t[MASK].\tis|\n"),
                ClozeError::BadAnswer {
                    line: 2,
                    answer: String::new(),
                },
            ),
            (
                format!("{h}x\tslang\t[MASK].\tis\n"),
                ClozeError::Category {
                    line: 2,
                    category: "slang".into(),
                },
            ),
            (
                format!("{h}x\tgrammar\t[MASK].\n"),
                ClozeError::Columns { line: 2, found: 3 },
            ),
            (
                format!("{h}x\tgrammar\t[MASK].\tis\nx\tgrammar\tA [MASK].\tis\n"),
                ClozeError::DuplicateId {
                    line: 3,
                    id: "x".into(),
                    first: 2,
                },
            ),
            (
                "id,category\n".to_string(),
                ClozeError::BadHeader("id,category".into()),
            ),
            (String::new(), ClozeError::Empty),
        ];
        for (text, want) in cases {
            assert_eq!(parse_cloze_tsv(&text), Err(want), "input: {text:?}");
        }
    }

    /// The committed benchmark itself: well-formed (the parser enforces one [MASK], non-empty
    /// lowercase answers, unique ids), large enough, and covering every category.
    #[test]
    fn committed_benchmark_is_well_formed() {
        let items = parse_cloze_tsv(BENCHMARK).expect("tests/data/cloze.tsv parses");
        assert!(items.len() >= 200, "only {} items", items.len());
        let score = score(&items, &vec![Vec::new(); items.len()]).expect("same length");
        for cat in [
            ClozeCategory::Knowledge,
            ClozeCategory::Collocation,
            ClozeCategory::Grammar,
            ClozeCategory::RightContext,
        ] {
            let n = score.by_category.get(&cat).map_or(0, |t| t.items);
            assert!(n >= 40, "category {cat} has only {n} items");
        }
        let sentences: HashSet<&str> = items.iter().map(|i| i.sentence.as_str()).collect();
        assert_eq!(sentences.len(), items.len(), "a sentence appears twice");
        for item in &items {
            let prefix = item.category.as_str().chars().next().unwrap_or('?');
            assert!(
                item.id.starts_with(prefix),
                "id {} does not start with {prefix}",
                item.id
            );
            let distinct: HashSet<&String> = item.answers.iter().collect();
            assert_eq!(
                distinct.len(),
                item.answers.len(),
                "item {} repeats an answer",
                item.id
            );
        }
        assert!(answer_words(&items).len() > 200);
    }
}
