//! The technical note: the experiment sheet written up as Markdown (setup, data, baseline, results,
//! what the best run gets wrong) for the student to download and finish. Every figure comes from
//! the sheet's rows; the note only leaves the conclusion to the student.

use bertlab_protocol::training::{Approach, SheetRow};

/// The note for `rows` (in the order they were run); `date` is printed as given.
pub fn technical_note(rows: &[SheetRow], date: &str) -> String {
    let mut out = String::new();
    let mut line = |s: String| {
        out.push_str(&s);
        out.push('\n');
    };
    let datasets = unique(
        rows.iter()
            .map(|r| r.dataset.as_str())
            .filter(|d| !d.is_empty()),
    );
    let models = unique(
        rows.iter()
            .map(|r| r.model.as_str())
            .filter(|m| !m.is_empty()),
    );
    line(format!(
        "# Technical note: sentence classification on {}",
        or_none(&datasets)
    ));
    line(String::new());
    line(format!("Written from BERT Lab's experiment sheet on {date}: {} runs. Every number below is measured; the conclusion is yours to write.", rows.len()));
    line(String::new());
    line("## Setup".into());
    line(String::new());
    line(format!("- Pretrained encoders: {}.", or_none(&models)));
    line("- Approaches: a bag-of-words logistic regression (no encoder), a frozen encoder with a new linear head, full fine-tuning, and the same architecture from random weights.".into());
    line("- Every run is tested on the same held-out 20% of the data, which no run trains on; accuracy and macro-F1 (the mean of each label's F1, so rare labels count as much as common ones) are measured there.".into());
    line(String::new());
    line("## Data".into());
    line(String::new());
    line(format!("- Labelled set: {}.", or_none(&datasets)));
    let sizes = unique_numbers(rows.iter().map(|r| r.train_examples));
    line(format!(
        "- Training examples per run: {} (a class-balanced part of the training split).",
        sizes
    ));
    line(String::new());
    line("## Baseline".into());
    line(String::new());
    let baseline = best(rows.iter().filter(|r| r.approach == Approach::BagOfWords));
    let encoder = best(rows.iter().filter(|r| r.approach != Approach::BagOfWords));
    match baseline {
        Some(b) => line(format!(
            "The best bag-of-words run reaches {} accuracy and {} macro-F1 on {} training examples.",
            percent(b.accuracy),
            percent(b.macro_f1),
            b.train_examples
        )),
        None => line("No baseline in the sheet yet: run the bag of words first. Without one, nothing below shows what pretraining adds.".into()),
    }
    line(String::new());
    line("## Results".into());
    line(String::new());
    line("| approach | model | examples | accuracy | macro-F1 | trainable parameters | seconds | updates |".into());
    line("|---|---|---:|---:|---:|---:|---:|---:|".into());
    for r in rows {
        let mut approach = r.describe_approach();
        if r.stopped_early {
            approach.push_str(" (stopped early)");
        }
        if !r.note.is_empty() {
            approach.push_str(&format!(" ({})", r.note));
        }
        line(format!(
            "| {} | {} | {} | {} | {} | {} | {:.1} | {} |",
            cell(&approach),
            cell(if r.model.is_empty() { "—" } else { &r.model }),
            r.train_examples,
            percent(r.accuracy),
            percent(r.macro_f1),
            r.trainable_parameters,
            r.wall_seconds,
            r.updates
        ));
    }
    if let (Some(b), Some(e)) = (baseline, encoder) {
        let gap = (e.accuracy - b.accuracy) * 100.0;
        line(String::new());
        line(format!(
            "The best encoder run ({}, {} examples) is {:.1} points of accuracy {} the best baseline.",
            e.approach.describe(),
            e.train_examples,
            gap.abs(),
            if gap >= 0.0 { "above" } else { "below" }
        ));
    }
    line(String::new());
    line("## What the best run gets wrong".into());
    line(String::new());
    match encoder.or(baseline) {
        Some(r) if !r.errors.is_empty() => {
            line(format!(
                "Held-out messages the best run ({}, {} examples) labels wrongly:",
                r.approach.describe(),
                r.train_examples
            ));
            line(String::new());
            for e in &r.errors {
                line(format!(
                    "- \"{}\": labelled {}, should be {}",
                    cell(&e.text),
                    cell(&e.predicted),
                    cell(&e.label)
                ));
            }
        }
        Some(_) => line(
            "The best run labels every held-out message it kept for this note correctly.".into(),
        ),
        None => line("No runs yet.".into()),
    }
    line(String::new());
    line("## Conclusion".into());
    line(String::new());
    line("_Your words: which approach would you ship for this task, at what labelling budget, and why? What would you try next?_".into());
    out
}

/// The row with the best accuracy (the later one on a tie).
fn best<'a>(rows: impl Iterator<Item = &'a SheetRow>) -> Option<&'a SheetRow> {
    rows.fold(None, |best: Option<&SheetRow>, r| match best {
        Some(b) if b.accuracy > r.accuracy => Some(b),
        _ => Some(r),
    })
}

fn percent(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

/// Text that stays inside one Markdown table cell or list item.
fn cell(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace('|', "\\|")
}

fn unique<'a>(items: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut seen = Vec::new();
    for item in items {
        if !seen.contains(&item) {
            seen.push(item);
        }
    }
    seen
}

fn unique_numbers(items: impl Iterator<Item = usize>) -> String {
    let mut seen: Vec<usize> = items.collect();
    seen.sort_unstable();
    seen.dedup();
    let seen: Vec<String> = seen.iter().map(usize::to_string).collect();
    if seen.is_empty() {
        "none yet".into()
    } else {
        seen.join(", ")
    }
}

fn or_none(items: &[&str]) -> String {
    if items.is_empty() {
        "none yet".into()
    } else {
        items.iter().map(|i| cell(i)).collect::<Vec<_>>().join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bertlab_protocol::training::Misclassified;

    fn row(approach: Approach, examples: usize, accuracy: f64) -> SheetRow {
        SheetRow {
            approach,
            model: if approach == Approach::BagOfWords {
                String::new()
            } else {
                "bertlab-minilm-mlm".into()
            },
            dataset: "support-intents".into(),
            segments: Default::default(),
            train_examples: examples,
            accuracy,
            macro_f1: accuracy - 0.02,
            trainable_parameters: 1000,
            wall_seconds: 1.5,
            updates: 40,
            stopped_early: false,
            note: String::new(),
            errors: vec![Misclassified {
                text: "where | is\nmy parcel".into(),
                label: "shipping".into(),
                predicted: "refund".into(),
            }],
            trained_on: String::new(),
        }
    }

    #[test]
    fn the_note_reports_every_row_the_baseline_gap_and_the_best_runs_errors() {
        let rows = [
            row(Approach::BagOfWords, 600, 0.85),
            row(Approach::Frozen, 64, 0.40),
            row(Approach::Full, 64, 0.90),
        ];
        let note = technical_note(&rows, "2026-12-05");
        for heading in [
            "## Setup",
            "## Data",
            "## Baseline",
            "## Results",
            "## What the best run gets wrong",
            "## Conclusion",
        ] {
            assert!(note.contains(heading), "missing {heading}");
        }
        assert_eq!(note.matches("| bertlab-minilm-mlm |").count(), 2);
        assert!(note.contains("| bag of words + logistic regression | — | 600 | 85.0% | 83.0% |"));
        assert!(note.contains("The best bag-of-words run reaches 85.0% accuracy"));
        assert!(note.contains(
            "(full fine-tuning, 64 examples) is 5.0 points of accuracy above the best baseline"
        ));
        // a message's own '|' and line break cannot break the list item
        assert!(note.contains("- \"where \\| is my parcel\": labelled refund, should be shipping"));
        assert!(note.contains("Training examples per run: 64, 600"));
    }

    #[test]
    fn without_a_baseline_the_note_says_so() {
        let note = technical_note(&[row(Approach::Full, 16, 0.5)], "today");
        assert!(note.contains("No baseline in the sheet yet"));
        assert!(!note.contains("points of accuracy"));
        let empty = technical_note(&[], "today");
        assert!(empty.contains("No runs yet."));
    }
}
