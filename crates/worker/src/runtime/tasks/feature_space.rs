//! The feature-space view: a labelled set's sentence features at every layer of the base encoder,
//! of the same architecture with random weights, and of a fine-tuned classifier's encoder, each
//! layer's cloud projected onto its first two principal axes.

use bertlab_core::analysis::features::{sentence_features, LAB_MAX_LEN};
use bertlab_core::analysis::pca::pca_2d;
use bertlab_core::model::{Encoder, Loaded};
use bertlab_core::text::tokenizer::Tokenizer;
use bertlab_core::train::labelled::{parse_csv, LabelledSet};
use bertlab_core::train::TrainError;
use bertlab_protocol::features::FeatureCloud;
use bertlab_protocol::messages::{FeatureSpaceRequest, Outcome};
use candle_core::Device;

use super::classify::with_classifier;
use super::finetune::load_base_model;
use crate::runtime::assets::{fetch_bytes, ModelIndex};
use crate::runtime::jobs::{JobContext, Stop};

/// Seeds the random-init twin, so a student sees the same untrained cloud every time.
const RANDOM_SEED: u64 = 0;

pub(super) async fn feature_space(
    ctx: &JobContext,
    request: FeatureSpaceRequest,
) -> Result<Outcome, Stop> {
    let failed = |e: &dyn std::fmt::Display| Stop::Failed(e.to_string());
    let name = match &request.model {
        Some(name) => name.clone(),
        None => ModelIndex::get().await?.default.clone(),
    };
    let csv = fetch_bytes(request.dataset.path()).await?;
    let split = parse_csv(&csv, 0.2, 0).map_err(|e| failed(&e))?;
    let set = texts_of(split.train, split.test, request.all_texts);
    let (checkpoint, tokenizer, _) = load_base_model(ctx, &name).await?;
    let mut clouds = Vec::new();
    let project = |encoder: &Encoder, tokenizer: &Tokenizer, who: &str| {
        clouds_of(encoder, tokenizer, &set, request.pooling, who)
    };
    let unprojected = |message: String| Stop::Failed(message);
    ctx.progress(1, 3, format!("features of {} texts: pretrained", set.len()));
    ctx.yield_or_stop().await?;
    let pretrained = checkpoint
        .load::<Encoder>(&Device::Cpu)
        .map_err(|e| failed(&e))?;
    clouds.extend(project(&pretrained.model, &tokenizer, "pretrained").map_err(unprojected)?);
    drop(pretrained);
    ctx.progress(2, 3, "features: random init".to_string());
    ctx.yield_or_stop().await?;
    let random = Loaded::<Encoder>::random(&checkpoint.config, RANDOM_SEED, &Device::Cpu)
        .map_err(|e| failed(&e))?;
    clouds.extend(project(&random.model, &tokenizer, "random init").map_err(unprojected)?);
    drop(random);
    if let Some(tuned) = request.tuned {
        ctx.progress(3, 3, "features: fine-tuned".to_string());
        ctx.yield_or_stop().await?;
        let tuned_clouds = with_classifier(tuned, |model, tokenizer| {
            project(&model.encoder, tokenizer, "fine-tuned").map_err(TrainError::Data)
        })
        .await?;
        clouds.extend(tuned_clouds);
    }
    Ok(Outcome::FeatureSpace(clouds))
}

/// The test split's texts, or every text; a pair set's first texts.
fn texts_of(train: LabelledSet, test: LabelledSet, all: bool) -> LabelledSet {
    let mut set = if all { train.followed_by(test) } else { test };
    set.text_pairs = None;
    set
}

/// One projection per layer of `encoder` (0 = the embeddings).
fn clouds_of(
    encoder: &Encoder,
    tokenizer: &Tokenizer,
    set: &LabelledSet,
    pooling: bertlab_protocol::features::Pooling,
    who: &str,
) -> Result<Vec<FeatureCloud>, String> {
    let layers = sentence_features(encoder, tokenizer, &set.texts, pooling, LAB_MAX_LEN)?;
    let last = layers.len() - 1;
    layers
        .iter()
        .enumerate()
        .map(|(layer, rows)| {
            let projection = pca_2d(rows)?;
            Ok(FeatureCloud {
                encoder: who.to_string(),
                layer,
                layers: last,
                pooling,
                points: projection.points,
                label_ids: set.label_ids.clone(),
                labels: set.labels.clone(),
                explained: projection.explained,
            })
        })
        .collect()
}
