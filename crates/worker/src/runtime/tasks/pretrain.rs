//! The pretrain lab's job: a tiny encoder pretrained from scratch in the tab with one recipe
//! (static or dynamic masking, with NSP, SOP or no sentence task), streaming its curve and the
//! guesses of a probe sentence.

use bertlab_core::text::tokenizer::Tokenizer;
use bertlab_core::train::pair_rule::OverlapRule;
use bertlab_core::train::pretrain::race::{race_sequences, race_trainer};
use bertlab_core::train::Trainer;
use bertlab_protocol::messages::{
    Outcome, PretrainRequest, SavedRequest, TrainingLab, TrainingPoint,
};
use bertlab_protocol::training::RACE_BATCH;
use bertlab_protocol::views::ContextSide;

use crate::runtime::assets::{fetch_bytes, ModelIndex};
use crate::runtime::jobs::{JobContext, Stop};
use crate::runtime::saved_run::{self, Resume, Saver};
use crate::views::fill_mask::fill_mask_view;

use super::training_device::TrainingDevice;

/// The corpus sample the pretraining lab trains on (public domain; see `assets/corpus/SOURCES.md`).
const CORPUS_SAMPLE: &str = "assets/corpus/train.txt";
const CORPUS_HELD_OUT: &str = "assets/corpus/valid.txt";

fn failed(e: bertlab_core::train::TrainError) -> Stop {
    Stop::Failed(e.to_string())
}

/// A tiny encoder pretrained from scratch in the tab with one recipe, for the side-by-side lab,
/// saved as it trains (see [`saved_run`]) or continued from its save. However it ends, short of
/// the worker dying, its save goes.
pub(super) async fn pretrain(
    ctx: &JobContext,
    request: PretrainRequest,
    resume: Option<Resume>,
) -> Result<Outcome, Stop> {
    let lane = request.lane;
    let outcome = train_and_test(ctx, request, resume).await;
    saved_run::discard(TrainingLab::Pretrain, lane).await;
    outcome
}

async fn train_and_test(
    ctx: &JobContext,
    request: PretrainRequest,
    resume: Option<Resume>,
) -> Result<Outcome, Stop> {
    check_shape(&request)?;
    let (tokenizer, train_text, valid_text) = lab_text(ctx).await?;
    ctx.progress(0, 0, "cutting the sample into sequences of 64 tokens");
    let (examples, valid) =
        race_sequences(&request, &tokenizer, (&train_text, &valid_text)).map_err(failed)?;
    // What a rule that only compares the words of A and B scores on the same pairs.
    let pair_rule = OverlapRule::fit(&examples).map(|rule| rule.accuracy(&valid));
    let (mut trainer, parameters) =
        race_trainer(&request, &tokenizer, examples, valid).map_err(failed)?;
    let resumed = match resume {
        Some(resume) => {
            trainer.restore_snapshot(&resume.state).map_err(failed)?;
            Some((trainer.step(), resume.points))
        }
        None => None,
    };
    let probe = request.probe.clone();
    let mut saving = Saver::start(SavedRequest::Pretrain(request), resumed).await;
    let trained_on = train(
        ctx,
        &mut trainer,
        &tokenizer,
        &probe,
        pair_rule,
        &mut saving,
    )
    .await?;
    ctx.progress(0, 0, "testing on the held-out sample");
    ctx.yield_or_stop().await?;
    let held_out = trainer
        .validate()
        .map_err(failed)?
        .ok_or_else(|| Stop::Failed("the held-out sample gave no sequences".into()))?;
    Ok(Outcome::Pretrained {
        steps: trainer.step(),
        tokens_seen: trainer.tokens_seen(),
        held_out_accuracy: held_out.accuracy,
        held_out_perplexity: held_out.perplexity,
        parameters,
        trained_on,
    })
}

/// Refuses model shapes the lab does not offer (the page limits them too; a hand-edited URL
/// may not).
fn check_shape(request: &PretrainRequest) -> Result<(), Stop> {
    let bad = |m: &str| Err(Stop::Failed(m.to_string()));
    if !(1..=6).contains(&request.layers) || !(1..=8).contains(&request.heads) {
        return bad("choose 1 to 6 layers and 1 to 8 heads");
    }
    if !request.hidden_size.is_multiple_of(request.heads * 2)
        || !(16..=256).contains(&request.hidden_size)
    {
        return bad("the hidden size must be 16 to 256 and split evenly into the heads");
    }
    if request.sequences < RACE_BATCH {
        return bad("the training text needs at least 8 sequences (one batch)");
    }
    if !(1..=40).contains(&request.static_copies) {
        return bad("static masking takes 1 to 40 masked copies");
    }
    Ok(())
}

/// The default model's tokenizer and the corpus sample's training and held-out text.
pub(super) async fn lab_text(ctx: &JobContext) -> Result<(Tokenizer, String, String), Stop> {
    ctx.progress(0, 0, "loading the corpus sample");
    let index = ModelIndex::get().await?;
    let tokenizer_json = fetch_bytes(&format!("models/{}/tokenizer.json", index.default)).await?;
    let tokenizer = Tokenizer::from_bytes(&tokenizer_json)
        .map_err(|e| Stop::Failed(format!("the tokenizer: {e}")))?;
    let text = |bytes: Vec<u8>| String::from_utf8_lossy(&bytes).into_owned();
    let train_text = text(fetch_bytes(CORPUS_SAMPLE).await?);
    let valid_text = text(fetch_bytes(CORPUS_HELD_OUT).await?);
    ctx.yield_or_stop().await?;
    Ok((tokenizer, train_text, valid_text))
}

/// Runs the updates where [`TrainingDevice`] chooses, streaming each one's loss; every tenth (and
/// the last) also reports held-out accuracy, the probe's guesses and the word-overlap rule's score
/// (fixed for the run), on the CPU copy brought up to date. Returns early when the student stops
/// the run; says where the updates ran.
async fn train(
    ctx: &JobContext,
    trainer: &mut Trainer,
    tokenizer: &Tokenizer,
    probe: &str,
    pair_rule: Option<f64>,
    saving: &mut Saver,
) -> Result<String, Stop> {
    saving.replay(ctx);
    let total = trainer.config().steps;
    let mut device = TrainingDevice::choose(ctx, trainer).await;
    while trainer.step() < total {
        let step = device.step(ctx, trainer).await.map_err(failed)?;
        let report = step.step % 10 == 0 || step.step == total;
        let (held_out, new_masks) = if report {
            device.sync(ctx, trainer).await.map_err(failed)?;
            let new_masks = trainer.evaluate_new_masks().map_err(failed)?;
            (
                trainer.validate().map_err(failed)?,
                Some(new_masks.accuracy),
            )
        } else {
            (None, None)
        };
        let point = TrainingPoint {
            step: step.step,
            total_steps: total,
            loss: step.mlm_loss,
            accuracy: step.mlm_accuracy,
            paused: false,
            held_out_accuracy: held_out.as_ref().map(|m| m.accuracy),
            new_mask_accuracy: new_masks,
            held_out_pair_accuracy: held_out.and_then(|m| m.pair_accuracy),
            pair_rule_accuracy: pair_rule.filter(|_| report),
            probe: if report {
                probe_guesses(trainer, tokenizer, probe)
            } else {
                Vec::new()
            },
            resumable_from: saving.saved(),
            feature_cloud: None,
        };
        ctx.point(point.clone());
        saving.push(point.clone());
        if ctx.between_updates(&point).await? {
            break;
        }
        let plan = (trainer.step(), total);
        if saving.due(plan) {
            device.sync(ctx, trainer).await.map_err(failed)?;
        }
        saving
            .when_due(ctx, plan, || trainer.snapshot().map_err(|e| e.to_string()))
            .await;
    }
    device.finish(ctx, trainer).await.map_err(failed)
}

/// The model's three best guesses at the probe sentence's first `[MASK]`; none when it has none.
fn probe_guesses(trainer: &Trainer, tokenizer: &Tokenizer, probe: &str) -> Vec<String> {
    fill_mask_view(
        &trainer.model().masked_lm(),
        tokenizer,
        probe,
        3,
        ContextSide::Both,
    )
    .map(|v| {
        v.masks
            .first()
            .map(|m| m.candidates.iter().map(|c| c.piece.clone()).collect())
            .unwrap_or_default()
    })
    .unwrap_or_default()
}
