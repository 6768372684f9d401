//! Sentence pairs on the command line: the shipped pair set is what `bertlab datasets-support-pairs`
//! writes from the support messages, a pair classifier trains, exports and labels pairs through
//! `classify --pair` and `explain --pair`, and a pair model given one text says what is missing.

mod cli;
use cli::{accuracy, assert_fails_with, bertlab, path, temp_dir, text};

const ASSETS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../assets/datasets");

/// The smallest shipped encoder (4 layers × 128), so a fine-tuning run takes seconds.
const SMALL_MODEL: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../models/recipe-bert");

fn rows(file: &str) -> Vec<csv::StringRecord> {
    csv::Reader::from_path(format!("{ASSETS}/{file}"))
        .unwrap()
        .records()
        .map(|r| r.unwrap())
        .collect()
}

#[test]
fn the_shipped_pair_set_is_what_the_generator_writes_from_the_support_messages() {
    let out = temp_dir("support-pairs");
    let written = out.join("pairs.csv");
    let run = bertlab(&["datasets-support-pairs", "--out", path(&written)]);
    assert!(run.status.success(), "{}", text(&run.stderr));
    let shipped = std::fs::read(format!("{ASSETS}/support-pairs.csv")).unwrap();
    assert!(
        std::fs::read(&written).unwrap() == shipped,
        "assets/datasets/support-pairs.csv differs from what the generator writes: rerun it"
    );
    // (text) → (intent, split) of the messages the pairs come from.
    let messages: std::collections::HashMap<String, (String, String)> = rows("support-intents.csv")
        .into_iter()
        .map(|r| (r[0].to_string(), (r[1].to_string(), r[2].to_string())))
        .collect();
    let pairs = rows("support-pairs.csv");
    assert_eq!(pairs.len(), messages.len(), "one pair per message");
    for r in &pairs {
        let (a, b) = (&messages[&r[0]], &messages[&r[1]]);
        assert_ne!(&r[0], &r[1]);
        assert_eq!(a.1, r[3], "the pair keeps its first message's split");
        assert_eq!(b.1, r[3], "no pair crosses the train/test split");
        let same = if a.0 == b.0 { "same" } else { "different" };
        assert_eq!(&r[2], same, "{} / {}", &r[0], &r[1]);
    }
    let _ = std::fs::remove_dir_all(out);
}

#[test]
fn a_pair_classifier_trains_exports_and_labels_pairs() {
    let data = format!("{ASSETS}/support-pairs.csv");
    let baseline = bertlab(&["finetune", "--data", &data, "--regime", "bag-of-words"]);
    assert!(baseline.status.success(), "{}", text(&baseline.stderr));
    let row = text(&baseline.stdout);
    assert!(accuracy(&row) > 60.0, "word overlap alone: {row}");

    let out = temp_dir("pairs-export");
    let export = out.join("pairs");
    let run = bertlab(&[
        "finetune",
        "--model",
        SMALL_MODEL,
        "--data",
        &data,
        "--regime",
        "full",
        "--train-examples",
        "64",
        "--epochs",
        "1",
        "--lr-encoder",
        "1e-3",
        "--segments",
        "one",
        "--out",
        path(&export),
    ]);
    assert!(run.status.success(), "{}", text(&run.stderr));
    assert!(text(&run.stdout).contains("full fine-tuning, one segment"));
    let config: serde_json::Value =
        serde_json::from_slice(&std::fs::read(export.join("config.json")).unwrap()).unwrap();
    assert_eq!(config["bertlab_text_pairs"], "one");
    let readme = std::fs::read_to_string(export.join("README.md")).unwrap();
    assert!(
        readme.contains("--pair") && readme.contains("text_pair"),
        "{readme}"
    );

    let (a, b) = ("where is my parcel", "my order still has not arrived");
    let classified = bertlab(&[
        "classify",
        "--model",
        path(&export),
        "--all",
        "--pair",
        b,
        a,
    ]);
    assert!(classified.status.success(), "{}", text(&classified.stderr));
    let line = text(&classified.stdout);
    assert!(line.trim_end().ends_with(&format!("{a}\t{b}")), "{line}");
    assert!(
        line.contains("same") && line.contains("different"),
        "{line}"
    );
    let chosen = line.split(' ').next().unwrap_or_default();

    let explained = bertlab(&[
        "explain",
        "--model",
        path(&export),
        "--steps",
        "32",
        "--pair",
        b,
        a,
    ]);
    assert!(explained.status.success(), "{}", text(&explained.stderr));
    let report = text(&explained.stdout);
    assert!(report.starts_with(&format!("label {chosen}:")), "{report}");
    assert!(
        report.contains("parcel") && report.contains("arrived"),
        "both texts: {report}"
    );

    let one_text = bertlab(&["classify", "--model", path(&export), a]);
    assert_fails_with(&one_text, "give it a second text");
    let uneven = bertlab(&[
        "classify",
        "--model",
        path(&export),
        "--pair",
        b,
        a,
        "hello",
    ]);
    assert_fails_with(&uneven, "one --pair per text");
    let bad = bertlab(&["finetune", "--data", &data, "--segments", "two"]);
    assert_fails_with(&bad, "per-text");
    let _ = std::fs::remove_dir_all(out);
}

/// Training and test pairs of the two sentence-objective sets (`text`, `text_pair`, `label`, `split`).
fn objective_rows(file: &str) -> Vec<[String; 4]> {
    rows(file)
        .into_iter()
        .map(|r| [0, 1, 2, 3].map(|i| r[i].to_string()))
        .collect()
}

#[test]
fn the_sentence_objective_sets_are_what_the_generator_writes_from_the_corpus_sample() {
    let out = temp_dir("objective-pairs");
    let run = bertlab(&["datasets-sentence-objectives", "--out-dir", path(&out)]);
    assert!(run.status.success(), "{}", text(&run.stderr));
    for file in ["next-sentence.csv", "sentence-order.csv"] {
        assert!(
            std::fs::read(out.join(file)).unwrap()
                == std::fs::read(format!("{ASSETS}/{file}")).unwrap(),
            "assets/datasets/{file} differs from what the generator writes: rerun it"
        );
    }
    // Training pairs come from train.txt and test pairs from valid.txt, never the other way.
    let corpus = |file: &str| -> std::collections::HashSet<String> {
        std::fs::read_to_string(format!("{ASSETS}/../corpus/{file}"))
            .unwrap()
            .lines()
            .map(|l| l.trim().to_string())
            .collect()
    };
    let (train, valid) = (corpus("train.txt"), corpus("valid.txt"));
    let (nsp, sop) = (
        objective_rows("next-sentence.csv"),
        objective_rows("sentence-order.csv"),
    );
    for (rows, labels) in [(&nsp, ["next", "random"]), (&sop, ["in_order", "swapped"])] {
        assert_eq!(rows.len(), 800);
        for couple in rows.chunks(2) {
            let [a, b, label, split] = &couple[0];
            assert_eq!([label.as_str(), couple[1][2].as_str()], labels);
            assert_eq!(split, &couple[1][3], "a couple stays in one split");
            let source = if split == "train" { &train } else { &valid };
            assert!(source.contains(a) && source.contains(b), "{a} / {b}");
        }
    }
    // Both sets share their positives, so they differ only in what a negative is.
    let positives = |rows: &[[String; 4]]| -> Vec<(String, String)> {
        rows.iter()
            .step_by(2)
            .map(|r| (r[0].clone(), r[1].clone()))
            .collect()
    };
    assert_eq!(positives(&nsp), positives(&sop));
    let _ = std::fs::remove_dir_all(out);
}

/// Word overlap does not depend on which text comes first, so on sentence-order couples the bag of
/// words gives both pairs of a couple the same answer: exactly half right. NSP's negatives change
/// topic, which the same overlap notices.
#[test]
fn word_overlap_sees_a_change_of_topic_but_not_a_change_of_order() {
    let baseline = |file: &str| {
        let data = format!("{ASSETS}/{file}");
        let run = bertlab(&["finetune", "--data", &data, "--regime", "bag-of-words"]);
        assert!(run.status.success(), "{}", text(&run.stderr));
        accuracy(&text(&run.stdout))
    };
    assert_eq!(baseline("sentence-order.csv"), 50.0);
    let nsp = baseline("next-sentence.csv");
    assert!(nsp > 55.0, "next-sentence pairs by word overlap: {nsp}%");
}
