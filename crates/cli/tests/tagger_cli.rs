//! `bertlab finetune-tagger` and `bertlab tag` end to end: a tagger trained on tagged sentences is
//! written as a token-classification folder with its metrics, tags every word of a new text, and
//! a sentence classifier or a bad file is refused with a message.

mod cli;

use cli::{assert_fails_with, bertlab, path, temp_dir, text};

/// A tiny exported encoder (its tokenizer knows the words below).
const BASE: &str = "tests/fixtures/export/bert-seq_cls";

/// 230 sentences over the tiny vocabulary; the last 200 are the test split.
fn tagged_file(dir: &std::path::Path) -> std::path::PathBuf {
    let patterns = [
        ("the cat sat on the mat", "DET NOUN VERB ADP DET NOUN"),
        ("a cat played .", "DET NOUN VERB ."),
        ("the café played on a mat", "DET NOUN VERB ADP DET NOUN"),
        ("a mat sat .", "DET NOUN VERB ."),
    ];
    let lines: Vec<String> = (0..230)
        .map(|i| {
            let (words, tags) = patterns[i % patterns.len()];
            format!("{words}\t{tags}")
        })
        .collect();
    let file = dir.join("tags.tsv");
    std::fs::write(&file, lines.join("\n")).unwrap();
    file
}

#[test]
fn a_trained_tagger_is_exported_and_tags_new_text() {
    let dir = temp_dir("tagger");
    let data = tagged_file(&dir);
    let out = dir.join("tagger");
    let run = bertlab(&[
        "finetune-tagger",
        "--model",
        BASE,
        "--data",
        path(&data),
        "--approach",
        "full",
        "--pieces",
        "every",
        "--epochs",
        "60",
        "--lr-encoder",
        "3e-3",
        "--lr-head",
        "3e-2",
        "--out",
        path(&out),
    ]);
    assert!(run.status.success(), "{}", text(&run.stderr));
    let printed = text(&run.stdout);
    assert!(
        printed.contains("held-out words right") && printed.contains("commonest training tag"),
        "{printed}"
    );
    let config: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("config.json")).unwrap()).unwrap();
    assert_eq!(config["architectures"][0], "BertForTokenClassification");
    assert_eq!(config["id2label"].as_object().unwrap().len(), 5);
    let metrics: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("metrics.json")).unwrap()).unwrap();
    assert_eq!(metrics["train_sentences"], 30);
    assert_eq!(metrics["config"]["piece_labels"], "every");
    // Four fixed patterns repeated: the tiny encoder (at a tiny model's learning rates) learns them.
    assert!(metrics["accuracy"].as_f64().unwrap() >= 0.9, "{metrics}");
    let readme = std::fs::read_to_string(out.join("README.md")).unwrap();
    assert!(readme.contains("bertlab tag") && readme.contains("AutoModelForTokenClassification"));

    let tagged = bertlab(&[
        "tag",
        "--model",
        path(&out),
        "the cat sat on a mat.",
        "a café played",
    ]);
    assert!(tagged.status.success(), "{}", text(&tagged.stderr));
    let lines: Vec<String> = text(&tagged.stdout).lines().map(String::from).collect();
    assert_eq!(lines.len(), 2);
    // Every word (the full stop split off) gets one of the tags.
    let words: Vec<&str> = lines[0].split(' ').collect();
    assert_eq!(words.len(), 7, "{lines:?}");
    let tags = ["DET", "NOUN", "VERB", "ADP", "."];
    for word in words
        .iter()
        .chain(lines[1].split(' ').collect::<Vec<_>>().iter())
    {
        let (_, tag) = word.rsplit_once('/').unwrap();
        assert!(tags.contains(&tag), "{word}");
    }
    assert!(lines[0].starts_with("the/DET cat/NOUN"), "{lines:?}");
}

#[test]
fn bad_models_and_files_are_refused_with_a_message() {
    assert_fails_with(
        &bertlab(&["tag", "--model", BASE, "the cat"]),
        "is not a *ForTokenClassification model",
    );
    let dir = temp_dir("tagger-bad");
    let short = dir.join("short.tsv");
    std::fs::write(&short, "the cat\tDET NOUN\n").unwrap();
    assert_fails_with(
        &bertlab(&["finetune-tagger", "--model", BASE, "--data", path(&short)]),
        "its last 200 are the test split",
    );
    assert_fails_with(
        &bertlab(&[
            "finetune-tagger",
            "--model",
            BASE,
            "--approach",
            "bag-of-words",
        ]),
        "one of frozen, full, scratch",
    );
}
