//! `bertlab plot` and `bertlab card` on a short tiny pretraining run (with a resume): the model
//! folder holds the checkpoint's files unchanged, a PNG curve of the requested size, and a card
//! whose numbers match the run's files and `bertlab eval-cloze`, and whose commands are the ones
//! that were run.

use std::path::Path;
use std::process::Output;

mod cli;
use cli::{assert_fails_with, bertlab, path, temp_dir, text};

fn ok(out: Output) -> String {
    assert!(
        out.status.success(),
        "failed: {}\n{}",
        text(&out.stderr),
        text(&out.stdout)
    );
    text(&out.stdout)
}

fn json(p: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
}

fn png_size(p: &Path) -> (u32, u32) {
    let reader = png::Decoder::new(std::io::Cursor::new(std::fs::read(p).unwrap()))
        .read_info()
        .unwrap();
    (reader.info().width, reader.info().height)
}

/// `pretrain` arguments of a tiny from-scratch run on the committed corpus sample.
fn pretrain_args<'a>(out: &'a str, steps: &'a str, seed: &'a str) -> Vec<&'a str> {
    vec![
        "pretrain",
        "--scratch",
        "--config",
        "tiny",
        "--tokenizer",
        "models/all-minilm-l6-v2/tokenizer.json",
        "--train",
        "assets/corpus/train.txt",
        "--valid",
        "assets/corpus/valid.txt",
        "--steps",
        steps,
        "--batch-size",
        "8",
        "--seq-len",
        "32",
        "--eval-every",
        "10",
        "--eval-batches",
        "2",
        "--threads",
        "1",
        "--seed",
        seed,
        "--out",
        out,
    ]
}

#[test]
fn card_states_the_runs_recorded_facts_and_commands() {
    let dir = temp_dir("run");
    let run = dir.join("run");
    let first = pretrain_args(path(&run), "20", "3");
    ok(bertlab(&first));
    let resume = [
        "pretrain",
        "--resume",
        path(&run),
        "--steps",
        "30",
        "--threads",
        "1",
    ];
    ok(bertlab(&resume));

    // run.json holds both sessions' exact arguments and where each started and ended.
    let info = json(&run.join("run.json"));
    let sessions = info["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 2);
    assert_eq!(sessions[0]["args"], serde_json::json!(first));
    assert_eq!(sessions[1]["args"], serde_json::json!(resume));
    assert_eq!(
        (&sessions[0]["start_step"], &sessions[0]["end_step"]),
        (&0.into(), &20.into())
    );
    assert_eq!(sessions[1]["end_step"], 30);

    let model = dir.join("model");
    let card_args = [
        "card",
        "--run",
        path(&run),
        "--out",
        path(&model),
        "--name",
        "tiny-test",
    ];
    let stdout = ok(bertlab(&card_args));
    for file in ["config.json", "model.safetensors", "tokenizer.json"] {
        assert_eq!(
            std::fs::read(run.join(file)).unwrap(),
            std::fs::read(model.join(file)).unwrap(),
            "{file} differs from the run's"
        );
    }
    assert_eq!(png_size(&model.join("curve.png")), (900, 540));
    let card = std::fs::read_to_string(model.join("card.md")).unwrap();

    // Numbers come from the run's files.
    let state = json(&run.join("trainer_state.json"));
    assert_eq!(state["step"], 30);
    assert!(card.contains("| updates | 30 |"), "{card}");
    let tokens = state["tokens_seen"].as_u64().unwrap();
    let with_commas = |n: u64| {
        let s = n.to_string();
        let mut out = String::new();
        for (i, c) in s.chars().enumerate() {
            if i > 0 && (s.len() - i).is_multiple_of(3) {
                out.push(',');
            }
            out.push(c);
        }
        out
    };
    assert!(
        card.contains(&format!("| tokens seen | {} ", with_commas(tokens))),
        "{card}"
    );
    let metrics = json(&run.join("metrics.json"));
    let rows = metrics["rows"].as_array().unwrap();
    let last_valid = rows.iter().rev().find(|r| !r["valid"].is_null()).unwrap();
    let loss = last_valid["valid"]["loss"].as_f64().unwrap();
    assert!(card.contains(&format!("MLM loss **{loss:.4}**")), "{card}");
    assert!(
        card.contains(&format!("perplexity **{:.2}**", loss.exp())),
        "{card}"
    );

    // The cloze score is the copied folder's, as eval-cloze computes it.
    let score: serde_json::Value = serde_json::from_str(&ok(bertlab(&[
        "eval-cloze",
        "--model",
        path(&model),
        "--json",
    ])))
    .unwrap();
    let overall = &score["overall"];
    let items = overall["items"].as_u64().unwrap();
    let rate = |k: &str| 100.0 * overall[k].as_u64().unwrap() as f64 / items as f64;
    let cloze = format!(
        "{items} sentences, scored on this folder's weights): top-1 **{:.1} %**, top-5 **{:.1} %**",
        rate("top1"),
        rate("top5")
    );
    assert!(card.contains(&cloze), "{card}");
    assert!(stdout.contains("cloze top-1"), "{stdout}");

    // The exact commands, in order: both sessions, then the card's own.
    let quoted = |args: &[&str]| format!("bertlab {}", args.join(" "));
    let (a, b, c) = (
        card.find(&quoted(&first)).expect("first session's command"),
        card.find(&quoted(&resume)).expect("resume command"),
        card.find(&quoted(&card_args)).expect("card command"),
    );
    assert!(a < b && b < c, "{card}");
    // The committed sample has no manifest: the card says where its sources are recorded.
    assert!(card.contains("no corpus manifest.json"), "{card}");
    assert!(
        card.contains("from random initialisation (`--config tiny`)"),
        "{card}"
    );

    // Comparison on one chart: plot takes several runs; labels must match them.
    let other = dir.join("other");
    ok(bertlab(&pretrain_args(path(&other), "10", "4")));
    let chart = dir.join("both.png");
    ok(bertlab(&[
        "plot",
        "--run",
        path(&run),
        "--run",
        path(&other),
        "--label",
        "a",
        "--label",
        "b",
        "--out",
        path(&chart),
        "--width",
        "640",
        "--height",
        "400",
    ]));
    assert_eq!(png_size(&chart), (640, 400));
    assert_fails_with(
        &bertlab(&[
            "plot",
            "--run",
            path(&run),
            "--run",
            path(&other),
            "--label",
            "a",
            "--out",
            path(&chart),
        ]),
        "1 --label for 2 --run",
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn card_and_plot_refuse_what_is_not_a_run() {
    let dir = temp_dir("bad");
    assert_fails_with(
        &bertlab(&["card", "--run", path(&dir), "--out", path(&dir.join("m"))]),
        "is not a `bertlab pretrain` run directory",
    );
    assert_fails_with(
        &bertlab(&[
            "plot",
            "--run",
            path(&dir),
            "--out",
            path(&dir.join("c.png")),
        ]),
        "metrics.json",
    );
    std::fs::write(dir.join("metrics.json"), "{\"rows\": 3}").unwrap();
    assert_fails_with(
        &bertlab(&[
            "plot",
            "--run",
            path(&dir),
            "--out",
            path(&dir.join("c.png")),
        ]),
        "is not a metrics log",
    );
    let _ = std::fs::remove_dir_all(&dir);
}
