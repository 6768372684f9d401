//! The layer-probe view: a linear probe trained on each layer of the base encoder, of the same
//! architecture with random weights, and of a fine-tuned classifier's encoder, for part of speech
//! (words) or intent (messages), scored on held-out data next to two floors.

use bertlab_core::analysis::layer_probes::ProbeSets;
use bertlab_core::model::{Encoder, Loaded};
use bertlab_core::text::tokenizer::Tokenizer;
use bertlab_core::train::TrainError;
use bertlab_protocol::messages::{Outcome, ProbeRequest};
use candle_core::Device;

use super::classify::with_classifier;
use super::finetune::load_base_model;
use crate::runtime::assets::{fetch_bytes, ModelIndex};
use crate::runtime::jobs::{JobContext, Stop};

/// Seeds the random-init twin, as in the feature-space view.
const RANDOM_SEED: u64 = 0;

pub(super) async fn layer_probes(ctx: &JobContext, request: ProbeRequest) -> Result<Outcome, Stop> {
    let failed = |e: &dyn std::fmt::Display| Stop::Failed(e.to_string());
    let name = match &request.model {
        Some(name) => name.clone(),
        None => ModelIndex::get().await?.default.clone(),
    };
    let task = request.task;
    let bytes = fetch_bytes(task.path()).await?;
    let sets = ProbeSets::load(task, &bytes, task.lab_train_limit()).map_err(|e| failed(&e))?;
    let (checkpoint, tokenizer, _) = load_base_model(ctx, &name).await?;
    let encoders = if request.tuned.is_some() { 3 } else { 2 };
    let mut report = sets.empty_report(task).map_err(Stop::Failed)?;
    // Batches are reported as they finish, so the page's progress bar moves within an encoder.
    let mut probe = |encoder: &Encoder, tokenizer: &Tokenizer, who: &str, nth: usize| {
        sets.add_curve(&mut report, encoder, tokenizer, who, &mut |done, total| {
            let step = (nth * total + done) as u64;
            ctx.progress(
                step,
                (encoders * total) as u64,
                format!("probing {who}: batch {done} of {total}"),
            );
        })
    };
    ctx.yield_or_stop().await?;
    let pretrained = checkpoint
        .load::<Encoder>(&Device::Cpu)
        .map_err(|e| failed(&e))?;
    probe(&pretrained.model, &tokenizer, "pretrained", 0).map_err(Stop::Failed)?;
    drop(pretrained);
    ctx.yield_or_stop().await?;
    let random = Loaded::<Encoder>::random(&checkpoint.config, RANDOM_SEED, &Device::Cpu)
        .map_err(|e| failed(&e))?;
    probe(&random.model, &tokenizer, "random init", 1).map_err(Stop::Failed)?;
    drop(random);
    if let Some(tuned) = request.tuned {
        ctx.yield_or_stop().await?;
        with_classifier(tuned, |model, tokenizer| {
            probe(&model.encoder, tokenizer, "fine-tuned", 2).map_err(TrainError::Data)
        })
        .await?;
    }
    Ok(Outcome::LayerProbes(report))
}
