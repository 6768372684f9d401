//! A fine-tuned span head as a Hugging Face model folder: the files every task model has (see
//! [`super::export::model_files`]: `*ForQuestionAnswering`), its `metrics.json` and a README with
//! the commands that use it.

use serde::{Deserialize, Serialize};

use super::export::{model_files, with_notes};
use super::finetune::FinetuneConfig;
use super::qa_tuner::QaTuner;
use super::TrainError;

/// What `metrics.json` records about a span-QA run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QaMetrics {
    /// The model fine-tuning started from (a folder name or path).
    pub base_model: String,
    pub dataset: String,
    pub train_questions: usize,
    pub test_questions: usize,
    pub trainable_parameters: usize,
    pub steps: usize,
    pub wall_seconds: f64,
    pub config: FinetuneConfig,
    /// Held-out exact match and F1 (SQuAD 2.0 style), and the word-lookup baseline's.
    pub exact_match: f32,
    pub f1: f32,
    pub baseline_exact_match: f32,
    pub baseline_f1: f32,
}

pub fn qa_export_files(
    tuner: &QaTuner,
    tokenizer_json: &[u8],
    metrics: &QaMetrics,
) -> Result<Vec<(String, Vec<u8>)>, TrainError> {
    let config = tuner.model().encoder.config();
    let files = model_files(tuner.varmap(), config, tuner.tokenizer(), tokenizer_json)?;
    let class = config
        .architectures
        .first()
        .map_or("AutoModelForQuestionAnswering", String::as_str);
    let readme = format!(
        "# Extractive question answering fine-tuned in BERT Lab\n\n\
         - Architecture: `{class}`: a start and an end logit per token; `[CLS]` for no answer\n\
         - Started from `{base}`, fine-tuned on {dataset} ({train} questions, {steps} updates, regime \
         `{regime:?}`)\n\
         - Held-out questions ({test}): exact match {em:.1}%, F1 {f1:.1}% (word-lookup baseline: \
         {bem:.1}% and {bf1:.1}%)\n\n\
         ## Use it\n\n\
         With the lab's CLI:\n\n\
         ```sh\nbertlab answer --model THIS_FOLDER --question \"Which order is this about?\" \"Order #5521 never came.\"\n```\n\n\
         With Hugging Face transformers:\n\n\
         ```python\n\
         from transformers import pipeline\n\
         qa = pipeline(\"question-answering\", model=\"THIS_FOLDER\")\n\
         print(qa(question=\"Which order is this about?\", context=\"Order #5521 never came.\", handle_impossible_answer=True))\n\
         ```\n",
        base = metrics.base_model,
        dataset = metrics.dataset,
        train = metrics.train_questions,
        steps = metrics.steps,
        regime = metrics.config.regime,
        test = metrics.test_questions,
        em = metrics.exact_match * 100.0,
        f1 = metrics.f1 * 100.0,
        bem = metrics.baseline_exact_match * 100.0,
        bf1 = metrics.baseline_f1 * 100.0,
    );
    with_notes(files, metrics, readme)
}
