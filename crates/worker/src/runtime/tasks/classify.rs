//! "Classify my message" and "Why this label?": the latest fine-tuning run's encoder, or a model
//! saved in the browser, on a text the student typed.

use std::cell::RefCell;

use bertlab_core::model::ForSequenceClassification;
use bertlab_core::text::tokenizer::Tokenizer;
use bertlab_core::train::attribution::{explain_within, COMPLETENESS_TOLERANCE, DEFAULT_STEPS};
use bertlab_core::train::classifier::{classify as label, Classifier};
use bertlab_core::train::TrainError;
use bertlab_protocol::messages::{Outcome, TrainedModel};
use bertlab_protocol::model_key::{TRAINED_MODELS_CACHE, TRAINED_MODELS_PREFIX};

use super::finetune::with_tuned;
use crate::runtime::jobs::Stop;
use crate::runtime::model_cache::ModelCache;
use crate::views::attribution::attribution_view;

thread_local! {
    /// The saved model last asked for, by file name, so each message does not unzip it again.
    static SAVED: RefCell<Option<(String, Classifier)>> = const { RefCell::new(None) };
}

/// The labels `model` gives `text` (and `pair`), most likely first.
pub(super) async fn classify(
    model: TrainedModel,
    text: &str,
    pair: Option<&str>,
) -> Result<Outcome, Stop> {
    typed(text)?;
    let labels = with_classifier(model, |m, t| label(m, t, text, pair)).await?;
    Ok(Outcome::Classified { labels })
}

/// Each token's share of the label `model` gives `text` (and `pair`).
pub(super) async fn explain(
    model: TrainedModel,
    text: &str,
    pair: Option<&str>,
) -> Result<Outcome, Stop> {
    typed(text)?;
    let attribution = with_classifier(model, |m, t| {
        explain_within(m, t, text, pair, DEFAULT_STEPS, COMPLETENESS_TOLERANCE)
    })
    .await?;
    Ok(Outcome::Explained(attribution_view(attribution)))
}

/// Whether `model` compares two texts.
pub(super) async fn describe(model: TrainedModel) -> Result<Outcome, Stop> {
    let text_pairs =
        with_classifier(model, |m, _| Ok(m.encoder.config().text_pairs.is_some())).await?;
    Ok(Outcome::ClassifierReads { text_pairs })
}

/// Refuses an empty message.
fn typed(text: &str) -> Result<(), Stop> {
    if text.trim().is_empty() {
        return Err(Stop::Failed("type a message to classify".to_string()));
    }
    Ok(())
}

/// Runs `use_it` on the classifier `model` names: the latest run's encoder, or a model saved in
/// the browser (read from its ZIP once, then kept until another is asked for).
pub(super) async fn with_classifier<T>(
    model: TrainedModel,
    use_it: impl FnOnce(&ForSequenceClassification, &Tokenizer) -> Result<T, TrainError>,
) -> Result<T, Stop> {
    let failed = |e: TrainError| Stop::Failed(e.to_string());
    match model {
        TrainedModel::Run(run) => with_tuned(run, |tuner| use_it(tuner.model(), tuner.tokenizer()))
            .ok_or_else(|| {
                Stop::Failed(
                    "that model is no longer in memory (the lab keeps the latest run): try its \
                     saved copy, or train it again"
                        .to_string(),
                )
            })?
            .map_err(failed),
        TrainedModel::Saved(file_name) => {
            let kept = SAVED.with(|s| s.borrow().as_ref().is_some_and(|(n, _)| *n == file_name));
            if !kept {
                let zip = ModelCache::open(TRAINED_MODELS_CACHE)
                    .await
                    .ok_or_else(|| Stop::Failed("this browser offers no model storage".into()))?
                    .get(&format!("{TRAINED_MODELS_PREFIX}{file_name}"))
                    .await
                    .ok_or_else(|| {
                        Stop::Failed(format!("{file_name} is no longer saved in this browser"))
                    })?;
                let classifier = Classifier::from_zip(&zip)
                    .map_err(|e| Stop::Failed(format!("{file_name}: {e}")))?;
                SAVED.with(|s| *s.borrow_mut() = Some((file_name, classifier)));
            }
            SAVED.with(|s| match s.borrow().as_ref() {
                Some((_, classifier)) => {
                    use_it(classifier.model(), classifier.tokenizer()).map_err(failed)
                }
                None => Err(Stop::Failed("the saved model was not kept".into())),
            })
        }
    }
}
