//! `bertlab probe` end to end: every layer of the base model, its random-init twin and a fine-tuned
//! model gets a probe, the report says how many items trained and scored them, and bad input is
//! refused with a message.

mod cli;

use cli::{assert_fails_with, bertlab, path, temp_dir, text};

const TUNED: &str = "tests/fixtures/export/bert-seq_cls";

#[test]
fn probes_every_layer_of_three_encoders_and_writes_the_report() {
    let dir = temp_dir("probe");
    let out = dir.join("probes.json");
    // The exported fixture is a tiny classifier: quick to probe as base and as fine-tuned model.
    let run = bertlab(&[
        "probe",
        "--task",
        "intent",
        "--model",
        TUNED,
        "--tuned",
        TUNED,
        "--out",
        path(&out),
    ]);
    assert!(run.status.success(), "{}", text(&run.stderr));
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(report["task"], "intent");
    let layers = serde_json::from_slice::<serde_json::Value>(
        &std::fs::read(format!(
            "{}/../../{TUNED}/config.json",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap(),
    )
    .unwrap()["num_hidden_layers"]
        .as_u64()
        .unwrap() as usize;
    let curves = report["curves"].as_array().unwrap();
    let names: Vec<&str> = curves
        .iter()
        .map(|c| c["encoder"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["pretrained", "random init", "fine-tuned"]);
    for curve in curves {
        let accuracy = curve["accuracy"].as_array().unwrap();
        assert_eq!(accuracy.len(), layers + 1);
        assert!(accuracy
            .iter()
            .all(|a| (0.0..=1.0).contains(&a.as_f64().unwrap())));
    }
    // The same encoder probed twice gives the same scores: the probes are a closed form.
    assert_eq!(curves[0]["accuracy"], curves[2]["accuracy"]);
    // The support messages' fixed split: 600 to train, 200 to test, 8 intents.
    assert_eq!(
        (
            report["train_items"].as_u64(),
            report["test_items"].as_u64()
        ),
        (Some(600), Some(200))
    );
    assert_eq!(report["classes"].as_array().unwrap().len(), 8);
    let printed = text(&run.stdout);
    assert!(
        printed.contains("bag of words") && printed.contains("fine-tuned"),
        "{printed}"
    );
}

#[test]
fn bad_tasks_and_files_are_refused_with_a_message() {
    assert_fails_with(&bertlab(&["probe", "--task", "syntax"]), "pos or intent");
    let dir = temp_dir("probe-bad");
    let bad = dir.join("tags.tsv");
    std::fs::write(&bad, "the cat\tDET\n").unwrap();
    assert_fails_with(
        &bertlab(&[
            "probe",
            "--task",
            "pos",
            "--model",
            TUNED,
            "--data",
            path(&bad),
        ]),
        "line 1: 2 words but 1 tags",
    );
    assert_fails_with(
        &bertlab(&[
            "probe",
            "--task",
            "pos",
            "--model",
            TUNED,
            "--data",
            path(&dir.join("missing.tsv")),
        ]),
        "reading",
    );
}
