//! `bertlab finetune`, `bertlab classify` and `bertlab explain` on the shipped support-intents set:
//! the export is a classifier folder whose predictions reproduce its own metrics and whose choices
//! `explain` attributes to tokens, the bag-of-words baseline is far
//! above chance, and bad CSV files get a message instead of a panic.

use std::path::Path;

mod cli;
use cli::{accuracy, assert_fails_with, bertlab, path, temp_dir, text};

const DATA: &str = concat!(
    concat!(env!("CARGO_MANIFEST_DIR"), "/../.."),
    "/assets/datasets/support-intents.csv"
);

/// The smallest shipped encoder (4 layers × 128), so a fine-tuning run takes seconds.
const SMALL_MODEL: &str = concat!(
    concat!(env!("CARGO_MANIFEST_DIR"), "/../.."),
    "/models/recipe-bert"
);

/// The test split of the shipped set: (text, label).
fn test_split() -> Vec<(String, String)> {
    let mut reader = csv::Reader::from_path(DATA).unwrap();
    reader
        .records()
        .map(|r| r.unwrap())
        .filter(|r| &r[2] == "test")
        .map(|r| (r[0].to_string(), r[1].to_string()))
        .collect()
}

#[test]
fn an_exported_classifier_reproduces_its_metrics_through_classify() {
    let out = temp_dir("finetune-export");
    let export = out.join("support-classifier");
    let run = bertlab(&[
        "finetune",
        "--model",
        SMALL_MODEL,
        "--regime",
        "full",
        "--train-examples",
        "64",
        "--epochs",
        "1",
        "--lr-encoder",
        "1e-3",
        "--out",
        path(&export),
    ]);
    assert!(run.status.success(), "{}", text(&run.stderr));
    for file in [
        "config.json",
        "model.safetensors",
        "tokenizer.json",
        "tokenizer_config.json",
        "metrics.json",
        "README.md",
    ] {
        assert!(export.join(file).exists(), "{file} missing");
    }
    let metrics: serde_json::Value =
        serde_json::from_slice(&std::fs::read(export.join("metrics.json")).unwrap()).unwrap();
    assert_eq!(metrics["train_examples"], 64);

    // Label the whole test split with the exported folder, as a user would.
    let split = test_split();
    let mut args = vec!["classify", "--model", path(&export)];
    args.extend(split.iter().map(|(t, _)| t.as_str()));
    let classified = bertlab(&args);
    assert!(classified.status.success(), "{}", text(&classified.stderr));
    let stdout = text(&classified.stdout);
    let predicted: Vec<&str> = stdout
        .lines()
        .map(|l| l.split(' ').next().unwrap_or(""))
        .collect();
    assert_eq!(predicted.len(), split.len());
    let correct = predicted
        .iter()
        .zip(&split)
        .filter(|(p, (_, label))| *p == label)
        .count();
    let recorded = metrics["test"]["accuracy"].as_f64().unwrap() * split.len() as f64;
    // The export stores float16 weights: a near-tie may flip, nothing more.
    assert!(
        (correct as f64 - recorded).abs() <= 2.0,
        "classify got {correct} right, metrics.json says {recorded}"
    );

    let all = bertlab(&[
        "classify",
        "--model",
        path(&export),
        "--all",
        "where is my parcel",
    ]);
    let line = text(&all.stdout);
    let labels = line.split('\t').next().unwrap_or("");
    let total: f64 = labels
        .split(", ")
        .filter_map(|part| part.split_whitespace().last())
        .filter_map(|p| p.trim_end_matches('%').parse::<f64>().ok())
        .sum();
    assert_eq!(labels.split(", ").count(), 8, "{line}");
    assert!((total - 100.0).abs() < 0.5, "{line}");

    // `explain` names the label classify chose and passes the completeness check.
    let message = "where is my parcel";
    let explained = bertlab(&[
        "explain",
        "--model",
        path(&export),
        "--steps",
        "32",
        message,
    ]);
    assert!(explained.status.success(), "{}", text(&explained.stderr));
    let report = text(&explained.stdout);
    let chosen = line.split(' ').next().unwrap_or_default();
    assert!(report.starts_with(&format!("label {chosen}:")), "{report}");
    assert!(report.contains("parcel"), "{report}");
    let gap: f64 = report
        .rsplit_once('(')
        .and_then(|(_, tail)| tail.split('%').next())
        .and_then(|g| g.parse().ok())
        .unwrap_or(f64::NAN);
    assert!(gap < 5.0, "{report}");
    let few = bertlab(&["explain", "--model", path(&export), "--steps", "5", message]);
    assert_fails_with(&few, "at least 20");
    let empty = bertlab(&["explain", "--model", path(&export), " "]);
    assert_fails_with(&empty, "no word");
    let _ = std::fs::remove_dir_all(out);
}

#[test]
fn the_bag_of_words_baseline_is_far_above_chance() {
    let run = bertlab(&["finetune", "--regime", "bag-of-words"]);
    assert!(run.status.success(), "{}", text(&run.stderr));
    // Eight intents: chance is 12.5%.
    let acc = accuracy(&text(&run.stdout));
    assert!(acc > 60.0, "{acc}");
}

#[test]
fn the_spam_assassin_set_is_balanced_split_and_learnable() {
    let data = concat!(
        concat!(env!("CARGO_MANIFEST_DIR"), "/../.."),
        "/assets/datasets/spam-assassin.csv"
    );
    let rows: Vec<csv::StringRecord> = csv::Reader::from_path(data)
        .unwrap()
        .records()
        .map(|r| r.unwrap())
        .collect();
    for label in ["spam", "ham"] {
        let of = |split: &str| {
            rows.iter()
                .filter(|r| &r[1] == label && &r[2] == split)
                .count()
        };
        assert_eq!((of("train"), of("test")), (450, 150), "{label}");
    }
    // Headers and markup are gone (a bounce may quote a header in its body: allow a stray one).
    let with = |needle: &str| rows.iter().filter(|r| r[0].contains(needle)).count();
    assert!(with("Received:") <= 2 && with("Return-Path:") <= 2 && with("<body") == 0);
    let run = bertlab(&["finetune", "--regime", "bag-of-words", "--data", data]);
    assert!(run.status.success(), "{}", text(&run.stderr));
    let acc = accuracy(&text(&run.stdout));
    assert!(acc > 80.0, "{acc}");
}

#[test]
fn bad_csv_files_get_a_clear_error() {
    let dir = temp_dir("finetune-bad-csv");
    let write = |name: &str, bytes: &[u8]| {
        let p = dir.join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    };
    let cases: [(&Path, &str); 3] = [
        (
            &write("no-label.csv", b"text,intent\nhello,a\n"),
            "no `label` column",
        ),
        (&write("empty.csv", b""), "empty"),
        (
            &write("latin1.csv", b"text,label\ncaf\xe9,a\nhi,b\n"),
            "not UTF-8",
        ),
    ];
    for (file, needle) in cases {
        let out = bertlab(&["finetune", "--regime", "bag-of-words", "--data", path(file)]);
        assert_fails_with(&out, needle);
    }
    let out = bertlab(&["classify", "--model", path(&dir), "hello"]);
    assert_fails_with(&out, "config.json");
    let _ = std::fs::remove_dir_all(dir);
}
