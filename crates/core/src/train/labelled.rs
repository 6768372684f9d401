//! Labelled text for sentence classification: the lab's shipped sets and the user's own CSV
//! (`text,label`, optionally `split`), with errors that say what to fix, a fixed train/test split,
//! and class-balanced subsets for the label-efficiency experiment.

use std::collections::{BTreeMap, BTreeSet};

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::TrainError;
use bertlab_protocol::training::Misclassified;

/// A CSV with more rows is refused: the lab trains in a browser tab.
pub const MAX_ROWS: usize = 50_000;

/// Texts with class ids `0..labels.len()`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LabelledSet {
    pub texts: Vec<String>,
    /// Each text's second text, for a sentence-pair task (packed `[CLS] A [SEP] B [SEP]`);
    /// `None` for single texts.
    #[serde(default)]
    pub text_pairs: Option<Vec<String>>,
    pub label_ids: Vec<usize>,
    /// Class names, in id order.
    pub labels: Vec<String>,
}

/// Wrongly labelled held-out messages a line of the experiment sheet keeps (for the technical
/// note), in the lab and on the command line alike.
pub const MISCLASSIFIED_KEPT: usize = 5;

impl LabelledSet {
    /// Single texts with no pairs.
    pub fn single(texts: Vec<String>, label_ids: Vec<usize>, labels: Vec<String>) -> LabelledSet {
        LabelledSet {
            texts,
            text_pairs: None,
            label_ids,
            labels,
        }
    }

    /// Example `i`'s text and, in a pair set, its second text.
    pub fn example(&self, i: usize) -> (&str, Option<&str>) {
        let pair = self.text_pairs.as_ref().map(|p| p[i].as_str());
        (&self.texts[i], pair)
    }

    /// This set's examples followed by `other`'s (same labels); pairs stay pairs only if both are.
    pub fn followed_by(mut self, other: LabelledSet) -> LabelledSet {
        self.text_pairs = match (self.text_pairs, other.text_pairs) {
            (Some(mut a), Some(b)) => {
                a.extend(b);
                Some(a)
            }
            _ => None,
        };
        self.texts.extend(other.texts);
        self.label_ids.extend(other.label_ids);
        self
    }

    /// Whether the examples are sentence pairs.
    pub fn is_pairs(&self) -> bool {
        self.text_pairs.is_some()
    }

    /// The first `limit` examples whose `predicted` class id (one per example, in order) is wrong;
    /// a pair is shown as `A [SEP] B`.
    pub fn misclassified(&self, predicted: &[usize], limit: usize) -> Vec<Misclassified> {
        let name = |id: usize| self.labels.get(id).cloned().unwrap_or_default();
        (0..self.len())
            .zip(predicted)
            .filter(|(i, &guess)| self.label_ids[*i] != guess)
            .take(limit)
            .map(|(i, &guess)| Misclassified {
                text: match self.example(i) {
                    (a, Some(b)) => format!("{a} [SEP] {b}"),
                    (a, None) => a.to_string(),
                },
                label: name(self.label_ids[i]),
                predicted: name(guess),
            })
            .collect()
    }

    pub fn len(&self) -> usize {
        self.texts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.texts.is_empty()
    }

    /// Examples per class, in id order.
    pub fn class_counts(&self) -> Vec<usize> {
        let mut counts = vec![0; self.labels.len()];
        for &l in &self.label_ids {
            counts[l] += 1;
        }
        counts
    }

    fn select(&self, indices: &[usize]) -> LabelledSet {
        LabelledSet {
            texts: indices.iter().map(|&i| self.texts[i].clone()).collect(),
            text_pairs: self
                .text_pairs
                .as_ref()
                .map(|p| indices.iter().map(|&i| p[i].clone()).collect()),
            label_ids: indices.iter().map(|&i| self.label_ids[i]).collect(),
            labels: self.labels.clone(),
        }
    }

    /// `n` examples drawn class by class in proportion (every class keeps at least one while `n`
    /// allows), seeded; the whole set when `n >= len`. Smaller subsets of one seed are nested in
    /// larger ones, so a label-efficiency curve adds examples rather than swapping them.
    pub fn balanced_subset(&self, n: usize, seed: u64) -> LabelledSet {
        if n >= self.len() {
            return self.clone();
        }
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut by_class: Vec<Vec<usize>> = vec![Vec::new(); self.labels.len()];
        for (i, &l) in self.label_ids.iter().enumerate() {
            by_class[l].push(i);
        }
        for members in &mut by_class {
            members.shuffle(&mut rng);
        }
        // Round-robin over the classes, each in its shuffled order: a prefix of this sequence is a
        // balanced subset of any size.
        let mut order = Vec::with_capacity(self.len());
        let longest = by_class.iter().map(Vec::len).max().unwrap_or(0);
        for round in 0..longest {
            for members in &by_class {
                if let Some(&i) = members.get(round) {
                    order.push(i);
                }
            }
        }
        let mut picked = order[..n].to_vec();
        picked.sort_unstable();
        self.select(&picked)
    }
}

/// A train and a test set over the same classes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Split {
    pub train: LabelledSet,
    pub test: LabelledSet,
}

/// Parses a CSV with a header naming a `text` and a `label` column (any order, other columns
/// ignored); a `text_pair` column makes it a sentence-pair set. With a `split` column (`train`/`test`) that split is kept; without one, a seeded
/// `test_fraction` of each class is held out. Labels become ids in sorted order.
pub fn parse_csv(bytes: &[u8], test_fraction: f64, seed: u64) -> Result<Split, TrainError> {
    let text = csv_text(bytes)?;
    let mut reader = csv::ReaderBuilder::new()
        .flexible(false)
        .from_reader(text.as_bytes());
    let header = reader
        .headers()
        .map_err(|e| TrainError::Data(format!("cannot read the header line: {e}")))?;
    let columns = Columns::find(header)?;
    let rows = columns.read_rows(&mut reader)?;
    let all = labelled(&rows)?;
    let test_rows: Vec<bool> = if columns.split.is_some() {
        rows.iter().map(|r| r.test == Some(true)).collect()
    } else {
        held_out(&all, test_fraction, seed)
    };
    let pick =
        |test: bool| -> Vec<usize> { (0..all.len()).filter(|&i| test_rows[i] == test).collect() };
    let split = Split {
        train: all.select(&pick(false)),
        test: all.select(&pick(true)),
    };
    if split.train.is_empty() || split.test.is_empty() {
        return Err(TrainError::Data(
            "both the train and the test part need rows (check the split column or add rows)"
                .into(),
        ));
    }
    Ok(split)
}

/// The file as UTF-8 text without a byte-order mark (spreadsheets write one); empty is refused.
fn csv_text(bytes: &[u8]) -> Result<&str, TrainError> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        TrainError::Data(format!(
            "the file is not UTF-8 text (invalid byte at offset {}): save it as UTF-8 CSV",
            e.valid_up_to()
        ))
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim().is_empty() {
        return Err(TrainError::Data(
            "the file is empty: it needs a header `text,label` and at least one row per class"
                .into(),
        ));
    }
    Ok(text)
}

/// One CSV row, trimmed.
struct Row {
    text: String,
    /// The second text, with a `text_pair` column.
    pair: Option<String>,
    label: String,
    /// The split the row names; `None` without a split column.
    test: Option<bool>,
}

/// Where the header puts the columns the lab reads (names match case-insensitively).
struct Columns {
    text: usize,
    pair: Option<usize>,
    label: usize,
    split: Option<usize>,
}

impl Columns {
    fn find(header: &csv::StringRecord) -> Result<Columns, TrainError> {
        let column = |name: &str| {
            header
                .iter()
                .position(|h| h.trim().eq_ignore_ascii_case(name))
        };
        let missing = |name: &str| {
            let found: Vec<&str> = header.iter().collect();
            TrainError::Data(format!(
                "no `{name}` column: the header must name `text` and `label` (found: {found:?})"
            ))
        };
        Ok(Columns {
            text: column("text").ok_or_else(|| missing("text"))?,
            pair: column("text_pair"),
            label: column("label").ok_or_else(|| missing("label"))?,
            split: column("split"),
        })
    }

    /// Every row after the header, at most [`MAX_ROWS`], and at least one.
    fn read_rows(&self, reader: &mut csv::Reader<&[u8]>) -> Result<Vec<Row>, TrainError> {
        let mut rows = Vec::new();
        for (n, record) in reader.records().enumerate() {
            // Line numbers count from 1 and the header is line 1.
            let line = n + 2;
            let record = record.map_err(|e| TrainError::Data(format!("line {line}: {e}")))?;
            if rows.len() == MAX_ROWS {
                return Err(TrainError::Data(format!(
                    "more than {MAX_ROWS} rows: the lab trains in the browser, so use a sample of your data"
                )));
            }
            rows.push(self.row(&record, line)?);
        }
        if rows.is_empty() {
            return Err(TrainError::Data("the file has a header but no rows".into()));
        }
        Ok(rows)
    }

    fn row(&self, record: &csv::StringRecord, line: usize) -> Result<Row, TrainError> {
        let field = |c: usize| record.get(c).unwrap_or("").trim().to_string();
        let (text, label) = (field(self.text), field(self.label));
        if text.is_empty() || label.is_empty() {
            return Err(TrainError::Data(format!(
                "line {line}: the text or the label is empty"
            )));
        }
        let pair = self.pair.map(field);
        if pair.as_ref().is_some_and(String::is_empty) {
            return Err(TrainError::Data(format!(
                "line {line}: the text_pair is empty (a pair set needs both texts on every row)"
            )));
        }
        let test = match self.split.map(field) {
            None => None,
            Some(s) if s.eq_ignore_ascii_case("test") => Some(true),
            Some(s) if s.eq_ignore_ascii_case("train") => Some(false),
            Some(s) => {
                return Err(TrainError::Data(format!(
                    "line {line}: split must be `train` or `test`, not {s:?}"
                )))
            }
        };
        Ok(Row {
            text,
            pair,
            label,
            test,
        })
    }
}

/// The rows as one set, with label ids in the labels' sorted order; two labels at least.
fn labelled(rows: &[Row]) -> Result<LabelledSet, TrainError> {
    let labels: Vec<String> = rows
        .iter()
        .map(|r| r.label.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    if let [only] = labels.as_slice() {
        return Err(TrainError::Data(format!(
            "only one label ({only:?}): a classifier needs at least two"
        )));
    }
    let id_of: BTreeMap<&str, usize> = labels
        .iter()
        .enumerate()
        .map(|(i, l)| (l.as_str(), i))
        .collect();
    Ok(LabelledSet {
        texts: rows.iter().map(|r| r.text.clone()).collect(),
        text_pairs: rows.iter().map(|r| r.pair.clone()).collect(),
        label_ids: rows.iter().map(|r| id_of[r.label.as_str()]).collect(),
        labels,
    })
}

/// Which rows a seeded stratified split holds out: `fraction` of each class, at least one row of
/// every class with two or more.
fn held_out(set: &LabelledSet, fraction: f64, seed: u64) -> Vec<bool> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut test = vec![false; set.len()];
    for class in 0..set.labels.len() {
        let mut members: Vec<usize> = (0..set.len())
            .filter(|&i| set.label_ids[i] == class)
            .collect();
        members.shuffle(&mut rng);
        let n = ((members.len() as f64 * fraction).round() as usize)
            .max(usize::from(members.len() >= 2))
            .min(members.len().saturating_sub(1));
        for &i in &members[..n] {
            test[i] = true;
        }
    }
    test
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The page plans a run's updates (and its time) from these counts without reading the files.
    #[test]
    fn shipped_sets_train_on_the_counts_the_page_plans_with() {
        use bertlab_protocol::messages::ShippedSet;
        for set in ShippedSet::ALL {
            let path = format!("{}/../../{}", env!("CARGO_MANIFEST_DIR"), set.path());
            let bytes = std::fs::read(&path).expect("the shipped set");
            let split = parse_csv(&bytes, 0.2, 0).expect("parses");
            assert_eq!(split.train.len(), set.train_examples(), "{}", set.slug());
        }
    }

    fn csv(rows: &[(&str, &str)]) -> String {
        let mut s = String::from("label,text\n");
        for (t, l) in rows {
            s.push_str(&format!("{l},\"{t}\"\n"));
        }
        s
    }

    #[test]
    fn misclassified_lists_the_first_wrong_examples_by_name() {
        let set = LabelledSet {
            texts: ["a", "b", "c", "d"].map(String::from).into(),
            text_pairs: None,
            label_ids: vec![0, 1, 1, 0],
            labels: vec!["no".into(), "yes".into()],
        };
        let wrong = set.misclassified(&[0, 0, 1, 1], 5);
        assert_eq!(wrong.len(), 2);
        assert_eq!(
            (
                wrong[0].text.as_str(),
                wrong[0].label.as_str(),
                wrong[0].predicted.as_str()
            ),
            ("b", "yes", "no")
        );
        assert_eq!(wrong[1].text, "d");
        assert_eq!(set.misclassified(&[0, 0, 1, 1], 1).len(), 1);
    }

    fn message(result: Result<Split, TrainError>) -> String {
        match result {
            Ok(_) => panic!("accepted"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn reads_columns_by_name_and_holds_out_each_class() {
        let rows: Vec<(String, &str)> = (0..40)
            .map(|i| {
                (
                    format!("message, number {i}"),
                    if i % 4 == 0 { "b" } else { "a" },
                )
            })
            .collect();
        let rows: Vec<(&str, &str)> = rows.iter().map(|(t, l)| (t.as_str(), *l)).collect();
        let split = parse_csv(csv(&rows).as_bytes(), 0.25, 1).unwrap();
        assert_eq!(split.train.labels, ["a", "b"]);
        assert_eq!(split.train.len() + split.test.len(), 40);
        // 25% of each class: 30 a → 8 (rounded), 10 b → 3 (rounded)
        assert_eq!(split.test.class_counts(), [8, 3]);
        assert!(split
            .test
            .texts
            .iter()
            .all(|t| t.starts_with("message, number")));
        // Same seed, same split.
        assert_eq!(parse_csv(csv(&rows).as_bytes(), 0.25, 1).unwrap(), split);
    }

    #[test]
    fn keeps_a_given_split_column() {
        let text = "text,label,split\nhello there,greet,train\nbye now,leave,test\nhi,greet,test\nsee you,leave,train\n";
        let split = parse_csv(text.as_bytes(), 0.5, 0).unwrap();
        assert_eq!(split.train.texts, ["hello there", "see you"]);
        assert_eq!(split.test.texts, ["bye now", "hi"]);
        assert_eq!(split.test.label_ids, [1, 0]);
    }

    #[test]
    fn a_text_pair_column_makes_pairs_that_subsets_keep_together() {
        let mut text = String::from("text,text_pair,label,split\n");
        for i in 0..12 {
            let (label, split) = (["same", "different"][i % 2], ["train", "test"][i / 8]);
            text.push_str(&format!("a{i},b{i},{label},{split}\n"));
        }
        let split = parse_csv(text.as_bytes(), 0.2, 0).unwrap();
        assert!(split.train.is_pairs() && split.test.is_pairs());
        assert_eq!(split.train.example(1), ("a1", Some("b1")));
        assert_eq!(split.test.example(0), ("a8", Some("b8")));
        let subset = split.train.balanced_subset(4, 3);
        for i in 0..subset.len() {
            let (a, b) = subset.example(i);
            assert_eq!(b, Some(a.replacen('a', "b", 1).as_str()));
        }
        let all = split.train.clone().followed_by(split.test.clone());
        assert_eq!(all.len(), 12);
        assert_eq!(all.example(8), ("a8", Some("b8")));
        let wrong = split.test.misclassified(&[0, 0, 0, 0], 5);
        assert_eq!(wrong[0].text, "a8 [SEP] b8");
        let one_missing = b"text,text_pair,label\nhi,,a\nho,x,b\n";
        assert!(message(parse_csv(one_missing, 0.2, 0)).contains("text_pair is empty"));
        let plain = parse_csv(b"text,label\nhi,a\nho,b\nhe,a\nha,b\n", 0.5, 0).unwrap();
        assert!(!plain.train.is_pairs());
        assert_eq!(plain.train.example(0).1, None);
    }

    #[test]
    fn bad_files_get_a_message_that_says_what_to_fix() {
        assert!(message(parse_csv(b"", 0.2, 0)).contains("empty"));
        assert!(message(parse_csv(b"text,category\nhi,a\n", 0.2, 0)).contains("no `label` column"));
        assert!(message(parse_csv(b"label\na\n", 0.2, 0)).contains("no `text` column"));
        assert!(message(parse_csv(b"text,label\n", 0.2, 0)).contains("no rows"));
        assert!(message(parse_csv(b"text,label\nhi,a\nho,a\n", 0.2, 0)).contains("only one label"));
        assert!(message(parse_csv(b"text,label\nhi\xff,a\n", 0.2, 0)).contains("not UTF-8"));
        assert!(message(parse_csv(b"text,label\nhi,a,extra\n", 0.2, 0)).contains("line 2"));
        assert!(message(parse_csv(b"text,label\nhi,\n", 0.2, 0)).contains("empty"));
        let mut big = String::from("text,label\n");
        for i in 0..=MAX_ROWS {
            big.push_str(&format!("t{i},{}\n", i % 2));
        }
        assert!(message(parse_csv(big.as_bytes(), 0.2, 0)).contains("more than 50000 rows"));
    }

    #[test]
    fn balanced_subsets_cover_every_class_and_nest() {
        let set = LabelledSet {
            texts: (0..100).map(|i| i.to_string()).collect(),
            text_pairs: None,
            label_ids: (0..100)
                .map(|i| usize::from(i % 10 == 0) + usize::from(i % 3 == 0))
                .collect(),
            labels: vec!["x".into(), "y".into(), "z".into()],
        };
        let small = set.balanced_subset(6, 7);
        assert_eq!(small.len(), 6);
        assert!(
            small.class_counts().iter().all(|&c| c == 2),
            "{:?}",
            small.class_counts()
        );
        let larger = set.balanced_subset(30, 7);
        assert!(small.texts.iter().all(|t| larger.texts.contains(t)));
        assert_eq!(set.balanced_subset(500, 7), set);
    }
}
