//! A fine-tuned tagger as a Hugging Face model folder: the files every task model has (see
//! [`super::export::model_files`]: `*ForTokenClassification`, `id2label` = the tags), its
//! `metrics.json` and a README with the commands that use it.

use bertlab_protocol::tagging::EntityF1;
use serde::{Deserialize, Serialize};

use super::export::{model_files, with_notes};
use super::tagger::{TagTuner, TaggerConfig};
use super::TrainError;

/// What `metrics.json` records about a tagging run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaggerMetrics {
    /// The model fine-tuning started from (a folder name or path).
    pub base_model: String,
    pub dataset: String,
    pub train_sentences: usize,
    pub test_words: usize,
    pub trainable_parameters: usize,
    pub steps: usize,
    pub wall_seconds: f64,
    pub config: TaggerConfig,
    /// Held-out word accuracy.
    pub accuracy: f32,
    /// Each word's commonest training tag, on the same words.
    pub lookup_baseline: f32,
    /// Entity tags: held-out exact-span entity F1, and the lookup table's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entity_f1: Option<EntityF1>,
}

pub fn tagger_export_files(
    tuner: &TagTuner,
    tokenizer_json: &[u8],
    metrics: &TaggerMetrics,
) -> Result<Vec<(String, Vec<u8>)>, TrainError> {
    let config = tuner.model().encoder.config();
    let files = model_files(tuner.varmap(), config, tuner.tokenizer(), tokenizer_json)?;
    let class = config
        .architectures
        .first()
        .map_or("AutoModelForTokenClassification", String::as_str);
    let entities = metrics.entity_f1.map_or(String::new(), |f1| {
        format!(
            "- Held-out entities ({}): exact-span F1 {:.1}% (lookup table: {:.1}%)\n",
            f1.entities,
            f1.tagger * 100.0,
            f1.lookup * 100.0
        )
    });
    let readme = format!(
        "# Token tagger fine-tuned in BERT Lab\n\n\
         - Architecture: `{class}`, tags: {tags}\n\
         - Started from `{base}`, fine-tuned on {dataset} ({train} sentences, {steps} updates, regime \
         `{regime:?}`, tags on {pieces})\n\
         - Held-out words ({test}): accuracy {acc:.1}% (each word's commonest training tag: {lookup:.1}%)\n\
         {entities}\
         - A word is tagged at its first word piece.\n\n\
         ## Use it\n\n\
         With the lab's CLI, from this folder's parent:\n\n\
         ```sh\nbertlab tag --model THIS_FOLDER \"The old man the boats .\"\n```\n\n\
         With Hugging Face transformers:\n\n\
         ```python\n\
         from transformers import AutoModelForTokenClassification, AutoTokenizer, pipeline\n\
         model = AutoModelForTokenClassification.from_pretrained(\"THIS_FOLDER\")\n\
         tokenizer = AutoTokenizer.from_pretrained(\"THIS_FOLDER\")\n\
         tag = pipeline(\"token-classification\", model=model, tokenizer=tokenizer, aggregation_strategy=\"first\")\n\
         print(tag(\"The old man the boats.\"))\n\
         ```\n",
        tags = config.labels.join(", "),
        base = metrics.base_model,
        dataset = metrics.dataset,
        train = metrics.train_sentences,
        steps = metrics.steps,
        regime = metrics.config.run.regime,
        pieces = metrics.config.piece_labels.describe(),
        test = metrics.test_words,
        acc = metrics.accuracy * 100.0,
        lookup = metrics.lookup_baseline * 100.0,
    );
    with_notes(files, metrics, readme)
}
