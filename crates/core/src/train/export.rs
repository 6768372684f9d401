//! A fine-tuned classifier as a Hugging Face model folder: `model.safetensors` (transformers'
//! names), `config.json` (`*ForSequenceClassification`, `id2label`), `tokenizer.json` with a
//! `tokenizer_config.json` that makes transformers use it as it is, `metrics.json` and a README
//! with the commands that use it. The browser zips the same files
//! for download; the CLI writes them to a folder.

use serde::{Deserialize, Serialize};

use crate::model::{varmap_safetensors, EncoderConfig, VarMap};
use crate::text::tokenizer::{EncodeOptions, Tokenizer};

use super::finetune::{ClassMetrics, FineTuner, FinetuneConfig, SegmentIds};
use super::TrainError;

/// What `metrics.json` records about the run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExportMetrics {
    /// The model fine-tuning started from (a folder name or path).
    pub base_model: String,
    pub dataset: String,
    pub train_examples: usize,
    pub test_examples: usize,
    pub trainable_parameters: usize,
    pub steps: usize,
    pub wall_seconds: f64,
    pub config: FinetuneConfig,
    pub test: ClassMetrics,
}

/// The files of the export, in the order they are written.
pub fn export_files(
    tuner: &FineTuner,
    tokenizer_json: &[u8],
    metrics: &ExportMetrics,
) -> Result<Vec<(String, Vec<u8>)>, TrainError> {
    let config = tuner.model().encoder.config();
    let files = model_files(tuner.varmap(), config, tuner.tokenizer(), tokenizer_json)?;
    with_notes(files, metrics, readme(config, metrics))
}

/// `files` and the run's `metrics.json` and `README.md`.
pub(crate) fn with_notes(
    mut files: Vec<(String, Vec<u8>)>,
    metrics: &impl Serialize,
    readme: String,
) -> Result<Vec<(String, Vec<u8>)>, TrainError> {
    let metrics_json =
        serde_json::to_value(metrics).map_err(|e| TrainError::Config(e.to_string()))?;
    files.push(("metrics.json".into(), pretty(&metrics_json)?));
    files.push(("README.md".into(), readme.into_bytes()));
    Ok(files)
}

/// The files any exported task model needs: `config.json` (with `config`'s architecture and
/// labels), `model.safetensors` (float16), `tokenizer.json` and `tokenizer_config.json`.
pub fn model_files(
    varmap: &VarMap,
    config: &EncoderConfig,
    tokenizer: &Tokenizer,
    tokenizer_json: &[u8],
) -> Result<Vec<(String, Vec<u8>)>, TrainError> {
    let weights = varmap_safetensors(varmap, candle_core::DType::F16)?;
    let mut hf_config = config.to_hf_json();
    // Weights are stored as float16 to halve the download; transformers would otherwise compute
    // in the stored dtype (v5's default `dtype="auto"`). `dtype` is v5's key, `torch_dtype` v4's.
    hf_config["dtype"] = "float32".into();
    hf_config["torch_dtype"] = "float32".into();
    Ok(vec![
        ("config.json".into(), pretty(&hf_config)?),
        ("model.safetensors".into(), weights),
        ("tokenizer.json".into(), tokenizer_json.to_vec()),
        (
            "tokenizer_config.json".into(),
            pretty(&tokenizer_config(tokenizer, config))?,
        ),
    ])
}

fn pretty(v: &serde_json::Value) -> Result<Vec<u8>, TrainError> {
    serde_json::to_vec_pretty(v).map_err(|e| TrainError::Config(e.to_string()))
}

/// Names `PreTrainedTokenizerFast`, which runs `tokenizer.json` exactly (normaliser included),
/// where the family's own class (e.g. `BertTokenizerFast`) would substitute its default
/// normaliser settings; the special tokens its pipelines need; and the inputs the model takes
/// (segment ids only where the family has a segment table).
fn tokenizer_config(tokenizer: &Tokenizer, model: &EncoderConfig) -> serde_json::Value {
    let inputs: &[&str] = if model.type_vocab_size > 0 {
        &["input_ids", "token_type_ids", "attention_mask"]
    } else {
        &["input_ids", "attention_mask"]
    };
    let mut config = serde_json::json!({
        "tokenizer_class": "PreTrainedTokenizerFast",
        "model_max_length": model.max_input_len(),
        "model_input_names": inputs,
    });
    // [CLS]/<s> and [SEP]/</s> are whatever the template puts around a sentence.
    let framed = tokenizer
        .encode("a", None, &EncodeOptions::default())
        .ok()
        .filter(|e| e.len() >= 3);
    let roles = [
        (
            "cls_token",
            framed.as_ref().and_then(|e| e.pieces.first().cloned()),
        ),
        (
            "sep_token",
            framed.as_ref().and_then(|e| e.pieces.last().cloned()),
        ),
        (
            "pad_token",
            tokenizer.special_token_like("pad").map(|t| t.0),
        ),
        (
            "unk_token",
            tokenizer.special_token_like("unk").map(|t| t.0),
        ),
        (
            "mask_token",
            tokenizer.special_token_like("mask").map(|t| t.0),
        ),
    ];
    for (role, token) in roles {
        if let Some(token) = token {
            config[role] = token.into();
        }
    }
    config
}

fn readme(config: &EncoderConfig, m: &ExportMetrics) -> String {
    let class = config
        .architectures
        .first()
        .map_or("AutoModelForSequenceClassification", String::as_str);
    let (what, cli, python) = match config.text_pairs {
        None => (
            "Sentence classifier",
            "bertlab classify --model THIS_FOLDER \"my parcel never arrived\"".to_string(),
            "print(classify(\"my parcel never arrived\"))".to_string(),
        ),
        Some(segments) => (
            "Sentence-pair classifier",
            "bertlab classify --model THIS_FOLDER --pair \"my order has not arrived\" \"where is my parcel\""
                .to_string(),
            format!(
                "print(classify({{\"text\": \"where is my parcel\", \"text_pair\": \"my order has not arrived\"}}))\n{}",
                match segments {
                    SegmentIds::PerText => "",
                    SegmentIds::One => "# Trained with every segment id 0 (the one-segment ablation): call the model\n\
                         # yourself with token_type_ids set to zeros to reproduce the lab's numbers.\n",
                }
            ),
        ),
    };
    format!(
        "# {what} fine-tuned in BERT Lab\n\n\
         - Architecture: `{class}`, labels: {labels}\n\
         - Started from `{base}`, fine-tuned on {dataset} ({train} training examples, {steps} updates, regime `{regime:?}`)\n\
         - Test set ({test} examples): accuracy {acc:.1}%, macro-F1 {f1:.1}%\n\
         - Weights are stored as float16; both loaders below read them into float32.\n\n\
         ## Use it\n\n\
         With the lab's CLI, from this folder's parent:\n\n\
         ```sh\n{cli}\n```\n\n\
         With Hugging Face transformers:\n\n\
         ```python\n\
         from transformers import AutoModelForSequenceClassification, AutoTokenizer, pipeline\n\
         model = AutoModelForSequenceClassification.from_pretrained(\"THIS_FOLDER\")\n\
         tokenizer = AutoTokenizer.from_pretrained(\"THIS_FOLDER\")\n\
         classify = pipeline(\"text-classification\", model=model, tokenizer=tokenizer)\n\
         {python}\n\
         ```\n\n\
         `metrics.json` holds the run's settings and the full test scores (with the confusion matrix).\n",
        labels = config.labels.join(", "),
        base = m.base_model,
        dataset = m.dataset,
        train = m.train_examples,
        steps = m.steps,
        regime = m.config.regime,
        test = m.test_examples,
        acc = m.test.accuracy * 100.0,
        f1 = m.test.macro_f1 * 100.0,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Checkpoint, EncoderInput, ForSequenceClassification, Internals};
    use crate::train::classifier::Classifier;
    use crate::train::finetune::tests::{animals, base, tokenizer};
    use crate::train::finetune::Regime;
    use crate::train::zip::stored_zip;
    use candle_core::Device;

    #[test]
    fn the_export_loads_as_a_classifier_with_the_trained_predictions() {
        let config = FinetuneConfig {
            regime: Regime::Full,
            min_updates: 5,
            ..FinetuneConfig::default()
        };
        let train = animals(16);
        let mut tuner = FineTuner::new(&base(), tokenizer(), &train, config).unwrap();
        while !tuner.is_done() {
            tuner.train_step().unwrap();
        }
        let metrics = ExportMetrics {
            base_model: "tiny".into(),
            dataset: "animals".into(),
            train_examples: 16,
            test_examples: 16,
            trainable_parameters: tuner.trainable_parameters(),
            steps: tuner.step(),
            wall_seconds: 0.0,
            config: tuner.config().clone(),
            test: tuner.evaluate(&train).unwrap(),
        };
        let tokenizer_json =
            include_bytes!("../../../../tests/model_data/wordpiece-tokenizer.json");
        let files = export_files(&tuner, tokenizer_json, &metrics).unwrap();
        let file = |name: &str| &files.iter().find(|(n, _)| n == name).unwrap().1;
        let checkpoint =
            Checkpoint::from_bytes(file("config.json"), file("model.safetensors")).unwrap();
        assert_eq!(checkpoint.config.labels, train.labels);
        assert_eq!(
            checkpoint.config.architectures,
            ["BertForSequenceClassification"]
        );
        let loaded = checkpoint
            .load::<ForSequenceClassification>(&Device::Cpu)
            .unwrap();
        assert!(loaded.unused.is_empty(), "{:?}", loaded.unused);
        let ours = tuner.predict(&train).unwrap();
        let tok = tokenizer();
        for (text, expected) in train.texts.iter().zip(&ours) {
            let enc = tok.encode(text, None, &Default::default()).unwrap();
            let input = EncoderInput::from_rows(&[enc.ids], None, 0, &Device::Cpu).unwrap();
            let logits = loaded
                .model
                .forward(&input, &Internals::none())
                .unwrap()
                .logits;
            let p = candle_nn::ops::softmax_last_dim(&logits)
                .unwrap()
                .squeeze(0)
                .unwrap();
            let p = p.to_vec1::<f32>().unwrap();
            // Float16 storage: probabilities agree to a few thousandths.
            for (a, b) in p.iter().zip(expected) {
                assert!((a - b).abs() < 5e-3, "{text}: {p:?} vs {expected:?}");
            }
        }
        let readme = String::from_utf8(file("README.md").clone()).unwrap();
        assert!(readme.contains("bertlab classify --model"));
        let back: ExportMetrics = serde_json::from_slice(file("metrics.json")).unwrap();
        assert_eq!(back, metrics);

        // Zipped as the browser saves it, the folder classifies the same way.
        let zipped: Vec<(String, Vec<u8>)> = files
            .iter()
            .map(|(name, data)| (format!("tiny-full-1/{name}"), data.clone()))
            .collect();
        let classifier = Classifier::from_zip(&stored_zip(&zipped).unwrap()).unwrap();
        assert_eq!(classifier.labels(), train.labels);
        for (text, expected) in train.texts.iter().zip(&ours) {
            let ranked = classifier.classify(text, None).unwrap();
            assert!(ranked.windows(2).all(|w| w[0].1 >= w[1].1), "{ranked:?}");
            for (label, p) in ranked {
                let i = train.labels.iter().position(|l| *l == label).unwrap();
                assert!(
                    (p - expected[i]).abs() < 5e-3,
                    "{text}: {label} {p} vs {expected:?}"
                );
            }
        }
        let junk = Classifier::from_zip(b"not a zip")
            .err()
            .unwrap()
            .to_string();
        assert!(junk.contains("ZIP"), "{junk}");
    }
}
