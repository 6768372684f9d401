//! The fine-tune lab's jobs: one line of the experiment sheet (train, then test on the held-out
//! split), and the download of the model it trained.

use std::cell::RefCell;

use bertlab_core::analysis::features::{sentence_features, LAB_MAX_LEN};
use bertlab_core::analysis::pca::pca_2d;
use bertlab_core::model::Checkpoint;
use bertlab_core::text::tokenizer::Tokenizer;
use bertlab_core::train::baseline::{BagOfWords, BaselineConfig};
use bertlab_core::train::export::{export_files, ExportMetrics};
use bertlab_core::train::finetune::{
    Approach, FineTuner, FinetuneConfig, Regime, Scored, SheetRow,
};
use bertlab_core::train::labelled::{parse_csv, LabelledSet, MISCLASSIFIED_KEPT};
use bertlab_core::train::zip::stored_zip;
use bertlab_protocol::features::{FeatureCloud, Pooling};
use bertlab_protocol::messages::{
    FinetuneRequest, JobId, Outcome, SavedRequest, TrainingLab, TrainingPoint,
};

use crate::runtime::assets::{fetch_bytes, ModelIndex};
use crate::runtime::helpers::{encode_rows, provide_frozen_states, warm_up};
use crate::runtime::jobs::{JobContext, Stop};
use crate::runtime::port::transfer_bytes;
use crate::runtime::saved_run::{self, Resume, Saver};

use super::training_device::TrainingDevice;

thread_local! {
    /// The latest fine-tuned encoder, by the job that trained it, until it is exported or replaced
    /// (one at a time: a MiniLM-sized model and its optimizer state take a few hundred MB).
    static TUNED: RefCell<Option<Tuned>> = const { RefCell::new(None) };
}

/// A fine-tuned model kept for export.
struct Tuned {
    job: JobId,
    tuner: FineTuner,
    tokenizer_json: Vec<u8>,
    metrics: ExportMetrics,
}

/// A training error as the job's failure, in the words the student reads.
fn failed(e: bertlab_core::train::TrainError) -> Stop {
    Stop::Failed(e.to_string())
}

/// One line of the experiment sheet (see [`train_and_test`]). However a run that trains an
/// encoder ends, short of the worker dying, its saved state goes: only a run cut off by a crash or
/// a reload resumes. The baseline leaves a saved run alone.
pub(super) async fn finetune(
    ctx: &JobContext,
    request: FinetuneRequest,
    resume: Option<Resume>,
) -> Result<SheetRow, Stop> {
    let saves = request.approach.regime().is_some();
    let row = train_and_test(ctx, request, resume).await;
    if saves {
        saved_run::discard(TrainingLab::FineTune, 0).await;
    }
    row
}

/// Train `request.approach` on the training split (or a balanced part of it), streaming the curve
/// and saving the run as it goes (see [`Saver`]), then test on the held-out split.
async fn train_and_test(
    ctx: &JobContext,
    request: FinetuneRequest,
    resume: Option<Resume>,
) -> Result<SheetRow, Stop> {
    let saved_request = request.clone();
    let dataset = match request.csv {
        Some(_) => "your CSV".to_string(),
        None => request.dataset.slug().to_string(),
    };
    let csv = match request.csv {
        Some(text) => text.into_bytes(),
        None => fetch_bytes(request.dataset.path()).await?,
    };
    let split = parse_csv(&csv, 0.2, request.seed).map_err(failed)?;
    let train = split
        .train
        .balanced_subset(request.train_examples.unwrap_or(usize::MAX), request.seed);
    let started = js_sys::Date::now();
    let seconds = || (js_sys::Date::now() - started) / 1000.0;
    let Some(regime) = request.approach.regime() else {
        let mut row = bag_of_words(ctx, &train, &split.test).await?;
        row.approach = request.approach;
        row.dataset = dataset;
        row.wall_seconds = seconds();
        return Ok(row);
    };
    let name = match request.model {
        Some(name) => name,
        None => ModelIndex::get().await?.default.clone(),
    };
    if regime == Regime::Frozen {
        warm_up(&name);
    }
    let (checkpoint, tokenizer, tokenizer_json) = load_base_model(ctx, &name).await?;
    // The previous model gives its memory back before this one is built.
    TUNED.with(|t| t.borrow_mut().take());
    ctx.progress(0, 0, format!("preparing {} training texts", train.len()));
    ctx.yield_or_stop().await?;
    let config = FinetuneConfig {
        epochs: request.epochs.max(1),
        seed: request.seed,
        segments: request.segments,
        ..FinetuneConfig::for_regime(regime).for_data(&train)
    };
    let mut tuner = FineTuner::new(&checkpoint, tokenizer, &train, config).map_err(failed)?;
    drop(checkpoint);
    let resumed = match resume {
        Some(resume) => {
            tuner.restore_snapshot(&resume.state).map_err(failed)?;
            ctx.progress(
                0,
                0,
                format!(
                    "resuming at update {} of {}",
                    tuner.step(),
                    tuner.total_steps()
                ),
            );
            Some((tuner.step(), resume.points))
        }
        None => None,
    };
    // A frozen encoder is the shipped model unchanged: helper workers may compute its states.
    let what = "encoding the training texts";
    provide_frozen_states(ctx, &name, tuner.frozen_rows(), what).await?;
    let shipped = (regime == Regime::Frozen).then_some(name.as_str());
    let mut saving = Saver::start(SavedRequest::Finetune(saved_request), resumed).await;
    // A pair model reads two texts; the feature space shows single texts.
    let watched = (request.watch_features && !split.test.is_pairs()).then_some(&split.test);
    let device = TrainingDevice::choose(ctx, &mut tuner).await;
    let (stopped_early, note, trained_on) =
        train_to_the_end(ctx, &mut tuner, device, &mut saving, watched).await?;
    ctx.progress(
        0,
        0,
        format!("testing on {} held-out texts", split.test.len()),
    );
    ctx.yield_or_stop().await?;
    let rows = tuner.rows(&split.test).map_err(failed)?;
    let what = "testing on held-out texts";
    let refs: Vec<_> = rows.iter().collect();
    let states = encode_rows(ctx, shipped, &tuner.model().encoder, &refs, what).await?;
    let probabilities = tuner.predict_from_states(&states).map_err(failed)?;
    let Scored {
        metrics: test,
        predicted,
    } = tuner
        .score_predicted(&split.test, probabilities)
        .map_err(failed)?;
    let row = SheetRow {
        approach: request.approach,
        model: name.clone(),
        dataset: dataset.clone(),
        segments: tuner.config().segments,
        train_examples: train.len(),
        accuracy: test.accuracy,
        macro_f1: test.macro_f1,
        trainable_parameters: tuner.trainable_parameters(),
        wall_seconds: seconds(),
        updates: tuner.step(),
        stopped_early,
        note,
        errors: split.test.misclassified(&predicted, MISCLASSIFIED_KEPT),
        trained_on,
    };
    let metrics = ExportMetrics {
        base_model: name,
        dataset,
        train_examples: train.len(),
        test_examples: split.test.len(),
        trainable_parameters: row.trainable_parameters,
        steps: row.updates,
        wall_seconds: row.wall_seconds,
        config: tuner.config().clone(),
        test,
    };
    TUNED.with(|t| {
        *t.borrow_mut() = Some(Tuned {
            job: ctx.job,
            tuner,
            tokenizer_json,
            metrics,
        })
    });
    Ok(row)
}

/// Feature clouds a watched run draws: after its first update, then at each quarter of the run.
const CLOUDS: usize = 4;

/// Trains until the planned updates are done, the student stops the run, or the loss stops being
/// a number; says whether it stopped early and why, if not by the student, and where it trained.
/// With `watched` texts, the encoder's view of them is projected now and then (see [`CLOUDS`]).
async fn train_to_the_end(
    ctx: &JobContext,
    tuner: &mut FineTuner,
    mut device: TrainingDevice,
    saving: &mut Saver,
    watched: Option<&LabelledSet>,
) -> Result<(bool, String, String), Stop> {
    saving.replay(ctx);
    let mut stopped_early = false;
    let mut note = String::new();
    while !tuner.is_done() {
        let step = match device.step(ctx, tuner).await {
            Ok(step) => step,
            // The update was not applied: test what the last good weights learned.
            Err(e @ bertlab_core::train::TrainError::NonFinite { .. }) => {
                note = e.to_string();
                break;
            }
            Err(e) => return Err(failed(e)),
        };
        let point = TrainingPoint {
            step: step.step,
            total_steps: step.total_steps,
            loss: step.loss,
            accuracy: step.accuracy,
            paused: false,
            held_out_accuracy: None,
            new_mask_accuracy: None,
            held_out_pair_accuracy: None,
            pair_rule_accuracy: None,
            probe: Vec::new(),
            resumable_from: saving.saved(),
            feature_cloud: match watched {
                Some(texts) if cloud_due(step.step, step.total_steps) => {
                    device.sync(ctx, tuner).await.map_err(failed)?;
                    Some(training_cloud(tuner, texts, step.step).map_err(Stop::Failed)?)
                }
                _ => None,
            },
        };
        ctx.point(point.clone());
        saving.push(point.clone());
        if ctx.between_updates(&point).await? {
            stopped_early = !tuner.is_done();
            break;
        }
        let plan = (tuner.step(), tuner.total_steps());
        if saving.due(plan) {
            device.sync(ctx, tuner).await.map_err(failed)?;
        }
        saving
            .when_due(ctx, plan, || tuner.snapshot().map_err(|e| e.to_string()))
            .await;
    }
    let trained_on = device.finish(ctx, tuner).await.map_err(failed)?;
    Ok((stopped_early, note, trained_on))
}

fn cloud_due(step: usize, total: usize) -> bool {
    step == 1 || step * CLOUDS / total.max(1) != (step - 1) * CLOUDS / total.max(1)
}

/// The [CLS] vectors that the classifier's head reads (the last layer's first token) of `texts`,
/// projected onto their two principal axes, as the encoder stands after update `step`.
fn training_cloud(
    tuner: &FineTuner,
    texts: &LabelledSet,
    step: usize,
) -> Result<FeatureCloud, String> {
    let layers = sentence_features(
        &tuner.model().encoder,
        tuner.tokenizer(),
        &texts.texts,
        Pooling::Cls,
        LAB_MAX_LEN,
    )?;
    let last = layers.len() - 1;
    let projection = pca_2d(&layers[last])?;
    Ok(FeatureCloud {
        encoder: format!("after update {step}"),
        layer: last,
        layers: last,
        pooling: Pooling::Cls,
        points: projection.points,
        label_ids: texts.label_ids.clone(),
        labels: texts.labels.clone(),
        explained: projection.explained,
    })
}

/// The baseline's line of the sheet: a bag of words fitted on `train`, tested on `test`.
async fn bag_of_words(
    ctx: &JobContext,
    train: &LabelledSet,
    test: &LabelledSet,
) -> Result<SheetRow, Stop> {
    ctx.progress(
        0,
        0,
        format!("fitting the bag of words on {} texts", train.len()),
    );
    ctx.yield_or_stop().await?;
    let config = BaselineConfig::default();
    let model = BagOfWords::train(train, &config).map_err(|e| Stop::Failed(e.to_string()))?;
    let Scored {
        metrics: scores,
        predicted,
    } = model.score(test);
    Ok(SheetRow {
        errors: test.misclassified(&predicted, MISCLASSIFIED_KEPT),
        trained_on: String::new(),
        approach: Approach::BagOfWords,
        model: String::new(),
        dataset: String::new(),
        segments: Default::default(),
        train_examples: train.len(),
        accuracy: scores.accuracy,
        macro_f1: scores.macro_f1,
        trainable_parameters: model.trainable_parameters(),
        wall_seconds: 0.0,
        updates: config.epochs,
        stopped_early: false,
        note: String::new(),
    })
}

/// The base model's checkpoint, its tokenizer, and the tokenizer's file (kept for the export).
pub(super) async fn load_base_model(
    ctx: &JobContext,
    name: &str,
) -> Result<(Checkpoint, Tokenizer, Vec<u8>), Stop> {
    let mut files = Vec::new();
    for file in ["config.json", "model.safetensors", "tokenizer.json"] {
        ctx.progress(0, 0, format!("loading {name}/{file}"));
        files.push(fetch_bytes(&format!("models/{name}/{file}")).await?);
        ctx.yield_or_stop().await?;
    }
    let checkpoint = Checkpoint::from_bytes(&files[0], &files[1])
        .map_err(|e| Stop::Failed(format!("{name}: {e}")))?;
    let tokenizer =
        Tokenizer::from_bytes(&files[2]).map_err(|e| Stop::Failed(format!("{name}: {e}")))?;
    let tokenizer_json = files.swap_remove(2);
    Ok((checkpoint, tokenizer, tokenizer_json))
}

/// Runs `use_it` on the encoder the `Finetune` job `run` trained, while it is the one kept.
pub(super) fn with_tuned<T>(run: JobId, use_it: impl FnOnce(&FineTuner) -> T) -> Option<T> {
    TUNED.with(|t| {
        t.borrow()
            .as_ref()
            .filter(|t| t.job == run)
            .map(|t| use_it(&t.tuner))
    })
}

/// The model `run` trained, zipped, posted as bytes; `None` when it is no longer kept.
pub(super) fn export_model(job: JobId, run: JobId) -> Result<Outcome, Stop> {
    let zipped = TUNED.with(|t| {
        let kept = t.borrow();
        let tuned = kept.as_ref().filter(|t| t.job == run)?;
        Some(
            export_files(&tuned.tuner, &tuned.tokenizer_json, &tuned.metrics)
                .map_err(|e| Stop::Failed(e.to_string()))
                .and_then(|files| {
                    let folder = folder_name(&tuned.metrics.base_model, &tuned.metrics, run);
                    let files: Vec<(String, Vec<u8>)> = files
                        .into_iter()
                        .map(|(name, bytes)| (format!("{folder}/{name}"), bytes))
                        .collect();
                    stored_zip(&files)
                        .map(|zip| (format!("{folder}.zip"), zip))
                        .map_err(Stop::Failed)
                }),
        )
    });
    let (file_name, zip) = zipped.ok_or_else(|| {
        Stop::Failed(
            "that model is no longer in memory (the lab keeps the latest run): train it again to download it"
                .to_string(),
        )
    })??;
    let bytes = zip.len();
    transfer_bytes(job, &zip).map_err(Stop::Failed)?;
    Ok(Outcome::Exported { file_name, bytes })
}

/// The exported folder's name: the base model's last name part (a URL's or a stored folder's),
/// its regime and the run, in characters every file system and unzip tool accepts.
fn folder_name(base_model: &str, metrics: &ExportMetrics, run: JobId) -> String {
    let base = base_model
        .trim_end_matches('/')
        .rsplit(['/', ':'])
        .next()
        .unwrap_or(base_model);
    format!("{base}-{:?}-{run}", metrics.config.regime)
        .to_lowercase()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' {
                c
            } else {
                '-'
            }
        })
        .collect()
}
