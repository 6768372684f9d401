//! A fine-tuned classifier exported by the lab, of single texts or of sentence pairs, a
//! fine-tuned tagger and a span-QA model load in Hugging Face transformers and give the same
//! logits there as here.
//!
//! `tests/fixtures/export/bert-seq_cls/`, `bert-pair_cls/`, `bert-tok_cls/` and `bert-qa/` are
//! exports made by this file (fine-tuning the tiny HF-made `tests/fixtures/parity/bert-mlm` on a
//! toy labelled set of texts, of pairs, of tagged sentences, of questions); `transformers_logits.json`
//! beside each was written by `scripts/parity/check_export.py`, which loads the folder with
//! `AutoModelForSequenceClassification` (or `…ForTokenClassification`, `…ForQuestionAnswering`)
//! and `AutoTokenizer` and runs it (a pair, or a question and its text, as `text` and `text_pair`,
//! so transformers' own tokenizer packs it). This test, for each:
//! 1. rebuilds the export with today's code and checks it is the committed one (same config,
//!    same tensor names and shapes), so the fixture stays what the exporter writes;
//! 2. loads the committed export as `bertlab classify` (or `bertlab tag`) does and matches
//!    transformers' token ids and logits (every token's, for the tagger) within 1e-4.
//!
//! Regenerate after an exporter change: `BERTLAB_WRITE_EXPORT_FIXTURE=1 cargo test --test
//! export_parity`, then `python3 scripts/parity/check_export.py`.

#![cfg(not(target_arch = "wasm32"))]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use bertlab_core::model::{
    Checkpoint, EncoderInput, ForQuestionAnswering, ForSequenceClassification,
    ForTokenClassification, Internals,
};
use bertlab_core::text::tokenizer::{EncodeOptions, Tokenizer};
use bertlab_core::train::export::{export_files, ExportMetrics};
use bertlab_core::train::finetune::{FineTuner, FinetuneConfig, Regime};
use bertlab_core::train::labelled::LabelledSet;
use bertlab_core::train::qa_export::{qa_export_files, QaMetrics};
use bertlab_core::train::qa_tuner::{qa_config, QaTuner};
use bertlab_core::train::span_qa::QaExample;
use bertlab_core::train::tagged::TaggedSet;
use bertlab_core::train::tagger::{TagTuner, TaggerConfig};
use bertlab_core::train::tagger_export::{tagger_export_files, TaggerMetrics};
use candle_core::Device;
use safetensors::SafeTensors;

const TOLERANCE: f32 = 1e-4;

fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

/// The committed export of `set`.
fn fixture(set: &LabelledSet) -> PathBuf {
    let name = if set.is_pairs() {
        "bert-pair_cls"
    } else {
        "bert-seq_cls"
    };
    root().join("tests/fixtures/export").join(name)
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Three classes the 17-word test vocabulary can tell apart.
fn toy_set() -> LabelledSet {
    let rows = [
        ("the cat sat", "cat"),
        ("a cat played", "cat"),
        ("the cat sat on the mat", "cat"),
        ("the mat", "mat"),
        ("a mat on the mat", "mat"),
        ("the mat sat", "mat"),
        ("a café", "café"),
        ("the café played on", "café"),
        ("café .", "café"),
    ];
    let labels: Vec<String> = ["café", "cat", "mat"].map(String::from).to_vec();
    LabelledSet {
        texts: rows.iter().map(|r| r.0.to_string()).collect(),
        text_pairs: None,
        label_ids: rows
            .iter()
            .map(|r| labels.iter().position(|l| l == r.1).expect("label"))
            .collect(),
        labels,
    }
}

/// Which of the two texts mentions the cat (only the pair's packing tells), over the same words.
fn toy_pairs() -> LabelledSet {
    let (cats, others) = (
        ["the cat sat", "a cat played", "café cat"],
        ["the mat", "a café", "on the mat"],
    );
    let mut set = LabelledSet::single(
        Vec::new(),
        Vec::new(),
        vec!["first".into(), "second".into()],
    );
    let mut pairs = Vec::new();
    for i in 0..9 {
        let (cat, other) = (cats[i % 3].to_string(), others[i / 3].to_string());
        let (a, b) = if i % 2 == 0 {
            (cat, other)
        } else {
            (other, cat)
        };
        set.texts.push(a);
        pairs.push(b);
        set.label_ids.push(i % 2);
    }
    set.text_pairs = Some(pairs);
    set
}

/// The tiny HF-made base model and the test tokenizer (its JSON too, for the export).
fn base_and_tokenizer() -> (Checkpoint, Tokenizer, Vec<u8>) {
    let parity = root().join("tests/fixtures/parity/bert-mlm");
    let base = Checkpoint::from_bytes(
        &read(&parity.join("config.json")),
        &read(&parity.join("model.safetensors")),
    )
    .expect("base checkpoint");
    let tokenizer_json = read(&root().join("tests/model_data/wordpiece-tokenizer.json"));
    let tokenizer = Tokenizer::from_bytes(&tokenizer_json).expect("tokenizer");
    (base, tokenizer, tokenizer_json)
}

/// The export of a model fine-tuned on `train` as the lab makes it today.
fn build_export(train: &LabelledSet) -> Vec<(String, Vec<u8>)> {
    let (base, tokenizer, tokenizer_json) = base_and_tokenizer();
    let config = FinetuneConfig {
        regime: Regime::Full,
        min_updates: 20,
        batch_size: 4,
        lr_encoder: 1e-3,
        lr_head: 1e-2,
        seed: 7,
        ..FinetuneConfig::default()
    };
    let mut tuner = FineTuner::new(&base, tokenizer, train, config).expect("tuner");
    while !tuner.is_done() {
        tuner.train_step().expect("step");
    }
    let metrics = ExportMetrics {
        base_model: "tests/fixtures/parity/bert-mlm".into(),
        dataset: format!("a toy set of {} examples", train.len()),
        train_examples: train.len(),
        test_examples: train.len(),
        trainable_parameters: tuner.trainable_parameters(),
        steps: tuner.step(),
        wall_seconds: 0.0,
        config: tuner.config().clone(),
        test: tuner.evaluate(train).expect("evaluate"),
    };
    export_files(&tuner, &tokenizer_json, &metrics).expect("export")
}

/// The export of a tagger fine-tuned on toy tagged sentences over the test vocabulary.
fn build_tagger_export() -> Vec<(String, Vec<u8>)> {
    let (base, tokenizer, tokenizer_json) = base_and_tokenizer();
    let train = TaggedSet::parse(
        "the cat sat on the mat\tDET NOUN VERB ADP DET NOUN\n\
         a cat played .\tDET NOUN VERB .\n\
         the café played on a mat\tDET NOUN VERB ADP DET NOUN\n\
         a mat sat .\tDET NOUN VERB .\n",
    )
    .expect("tagged set");
    let config = TaggerConfig {
        run: FinetuneConfig {
            min_updates: 20,
            batch_size: 2,
            lr_encoder: 1e-3,
            lr_head: 1e-2,
            seed: 7,
            ..TaggerConfig::default().run
        },
        ..TaggerConfig::default()
    };
    let mut tuner = TagTuner::new(&base, tokenizer, &train, config).expect("tagger");
    while !tuner.is_done() {
        tuner.train_step().expect("step");
    }
    let metrics = TaggerMetrics {
        base_model: "tests/fixtures/parity/bert-mlm".into(),
        dataset: "4 toy tagged sentences".into(),
        train_sentences: train.len(),
        test_words: train.word_count(),
        trainable_parameters: tuner.trainable_parameters(),
        steps: tuner.step(),
        wall_seconds: 0.0,
        config: tuner.config().clone(),
        accuracy: tuner.accuracy(&train).expect("accuracy"),
        lookup_baseline: train.lookup_tagger().accuracy(&train),
        entity_f1: None,
    };
    tagger_export_files(&tuner, &tokenizer_json, &metrics).expect("export")
}

/// The export of a span head fine-tuned on toy questions over the test vocabulary.
fn build_qa_export() -> Vec<(String, Vec<u8>)> {
    let (base, tokenizer, tokenizer_json) = base_and_tokenizer();
    let example = |question: &str, context: &str, answer: Option<(usize, usize)>| QaExample {
        question: question.into(),
        context: context.into(),
        answer,
    };
    let train = [
        example("which cat ?", "the café cat sat on a mat", Some((4, 12))),
        example("which cat ?", "a cat played on the mat", Some((0, 5))),
        example("which mat ?", "the cat sat on a mat", Some((15, 20))),
        example("which mat ?", "the cat played", None),
    ];
    let config = FinetuneConfig {
        min_updates: 20,
        batch_size: 2,
        lr_encoder: 1e-3,
        lr_head: 1e-2,
        seed: 7,
        ..qa_config(Regime::Full)
    };
    let mut tuner = QaTuner::new(&base, tokenizer, &train, config).expect("QA tuner");
    while !tuner.is_done() {
        tuner.train_step().expect("step");
    }
    let metrics = QaMetrics {
        base_model: "tests/fixtures/parity/bert-mlm".into(),
        dataset: "4 toy questions".into(),
        train_questions: train.len(),
        test_questions: 0,
        trainable_parameters: tuner.trainable_parameters(),
        steps: tuner.step(),
        wall_seconds: 0.0,
        config: tuner.config().clone(),
        exact_match: 0.0,
        f1: 0.0,
        baseline_exact_match: 0.0,
        baseline_f1: 0.0,
    };
    qa_export_files(&tuner, &tokenizer_json, &metrics).expect("export")
}

fn shapes(safetensors: &[u8]) -> BTreeMap<String, Vec<usize>> {
    SafeTensors::deserialize(safetensors)
        .expect("safetensors")
        .tensors()
        .into_iter()
        .map(|(name, view)| (name, view.shape().to_vec()))
        .collect()
}

#[derive(serde::Deserialize)]
struct Reference {
    transformers: String,
    cases: Vec<Case>,
}

#[derive(serde::Deserialize)]
struct Case {
    text: String,
    #[serde(default)]
    text_pair: Option<String>,
    input_ids: Vec<u32>,
    token_type_ids: Vec<u32>,
    /// One row of logits (a sentence), or one per token (a tagger).
    logits: serde_json::Value,
}

/// Every number of a (nested) JSON array, in order.
fn flat(value: &serde_json::Value) -> Vec<f32> {
    match value {
        serde_json::Value::Array(items) => items.iter().flat_map(flat).collect(),
        v => vec![v.as_f64().expect("a number") as f32],
    }
}

#[test]
fn transformers_loads_the_sentence_classifier_and_agrees_on_the_logits() {
    check_export(&toy_set());
}

#[test]
fn transformers_loads_the_pair_classifier_and_agrees_on_the_logits() {
    check_export(&toy_pairs());
}

#[test]
fn transformers_loads_the_tagger_and_agrees_on_every_tokens_logits() {
    let fixture = root().join("tests/fixtures/export/bert-tok_cls");
    if !matches_committed(&build_tagger_export(), &fixture) {
        return;
    }
    let model = Checkpoint::from_dir(&fixture)
        .expect("the committed export loads")
        .load::<ForTokenClassification>(&Device::Cpu)
        .expect("as a token classifier")
        .model;
    compare_with_transformers(&fixture, false, |input| {
        let logits = model
            .forward(input, &Internals::none())
            .expect("forward")
            .logits;
        logits
            .flatten_all()
            .and_then(|l| l.to_vec1::<f32>())
            .expect("logits")
    });
}

#[test]
fn transformers_loads_the_span_head_and_agrees_on_the_start_and_end_logits() {
    let fixture = root().join("tests/fixtures/export/bert-qa");
    if !matches_committed(&build_qa_export(), &fixture) {
        return;
    }
    let model = Checkpoint::from_dir(&fixture)
        .expect("the committed export loads")
        .load::<ForQuestionAnswering>(&Device::Cpu)
        .expect("as a span-QA model")
        .model;
    // transformers' cases hold [start logits, end logits].
    compare_with_transformers(&fixture, true, |input| {
        let out = model.forward(input, &Internals::none()).expect("forward");
        [out.start_logits, out.end_logits]
            .iter()
            .flat_map(|l| {
                l.flatten_all()
                    .and_then(|l| l.to_vec1::<f32>())
                    .expect("logits")
            })
            .collect()
    });
}

/// Writes the fixture when asked to (and says so, returning false); otherwise checks that the
/// export made today is the committed one.
fn matches_committed(files: &[(String, Vec<u8>)], fixture: &Path) -> bool {
    if std::env::var_os("BERTLAB_WRITE_EXPORT_FIXTURE").is_some() {
        std::fs::create_dir_all(fixture).expect("fixture folder");
        for (name, bytes) in files {
            std::fs::write(fixture.join(name), bytes).expect("write fixture");
        }
        eprintln!(
            "wrote {}: now run scripts/parity/check_export.py",
            fixture.display()
        );
        return false;
    }
    let file = |name: &str| &files.iter().find(|(n, _)| n == name).expect(name).1;
    let committed = |name: &str| read(&fixture.join(name));
    assert_eq!(
        file("config.json"),
        &committed("config.json"),
        "config.json differs from the committed export: regenerate the fixture (see the top of this file)"
    );
    assert_eq!(
        shapes(file("model.safetensors")),
        shapes(&committed("model.safetensors")),
        "the exported tensors differ from the committed export's"
    );
    true
}

/// Runs the committed export on each of transformers' cases through `logits` and compares token
/// ids, segment ids and every logit.
fn compare_with_transformers(
    fixture: &Path,
    pairs: bool,
    logits: impl Fn(&EncoderInput) -> Vec<f32>,
) {
    let config = Checkpoint::from_dir(fixture).expect("export").config;
    let tokenizer = Tokenizer::from_file(fixture.join("tokenizer.json")).expect("tokenizer");
    let reference: Reference =
        serde_json::from_slice(&read(&fixture.join("transformers_logits.json")))
            .expect("reference json");
    assert!(reference.cases.len() >= 3);
    let options = EncodeOptions {
        add_special_tokens: true,
        max_len: Some(config.max_input_len()),
        position_offset: 0,
    };
    let mut worst = 0f32;
    for case in &reference.cases {
        assert_eq!(case.text_pair.is_some(), pairs, "{:?}", case.text);
        let enc = tokenizer
            .encode(&case.text, case.text_pair.as_deref(), &options)
            .expect("encode");
        assert_eq!(enc.ids, case.input_ids, "{:?}: token ids", case.text);
        assert_eq!(enc.type_ids, case.token_type_ids, "{:?}", case.text);
        let input = EncoderInput::from_rows(&[enc.ids], Some(&[enc.type_ids]), 0, &Device::Cpu)
            .expect("input");
        let ours = logits(&input);
        let theirs = flat(&case.logits);
        assert_eq!(ours.len(), theirs.len());
        for (a, b) in ours.iter().zip(&theirs) {
            worst = worst.max((a - b).abs());
        }
    }
    eprintln!(
        "{}: export vs transformers {}: max |diff| {worst:.2e} over {} examples",
        fixture.display(),
        reference.transformers,
        reference.cases.len()
    );
    assert!(worst <= TOLERANCE, "max |diff| {worst} > {TOLERANCE}");
}

fn check_export(train: &LabelledSet) {
    let files = build_export(train);
    let fixture = fixture(train);
    if !matches_committed(&files, &fixture) {
        return;
    }
    let checkpoint = Checkpoint::from_dir(&fixture).expect("the committed export loads");
    assert_eq!(checkpoint.config.text_pairs.is_some(), train.is_pairs());
    let model = checkpoint
        .load::<ForSequenceClassification>(&Device::Cpu)
        .expect("as a sequence classifier")
        .model;
    compare_with_transformers(&fixture, train.is_pairs(), |input| {
        let logits = model
            .forward(input, &Internals::none())
            .expect("forward")
            .logits;
        logits
            .flatten_all()
            .and_then(|l| l.to_vec1::<f32>())
            .expect("logits")
    });
}
