//! The training runs in progress, saved in the browser every so often so that a reload, a closed
//! tab or a crashed worker costs at most the updates since the last save. Cache Storage holds
//! them, as it holds the student's models: the same origin storage and quota as IndexedDB, and one
//! API for the lab's large binary files. Each run (a lab's lane) has two entries: its state
//! (weights, optimizer moments, update count: the trainers' `snapshot`) and a record (its request
//! and curve).

use bertlab_protocol::messages::{
    decode, encode, InterruptedRun, SavedRequest, TrainingLab, TrainingPoint,
};

use super::jobs::{JobContext, Stop};
use super::model_cache::ModelCache;
use super::port::now_ms;

const CACHE: &str = "bertlab-checkpoints";

/// How often a run is saved (ms of training between the end of one save and the next).
const SAVE_EVERY_MS: f64 = 15_000.0;

fn key(lab: TrainingLab, lane: usize, file: &str) -> String {
    format!("{}/{lane}/{file}", lab.slug())
}

/// Saves a run: its state first, then the record that makes it visible, so a save cut off
/// halfway leaves no record pointing at a half-written state.
async fn save(record: &InterruptedRun, state: &[u8]) -> Result<(), String> {
    let (lab, lane) = record.request.slot();
    let cache = ModelCache::open(CACHE)
        .await
        .ok_or("this browser offers no storage for a run's checkpoint")?;
    cache.delete(&key(lab, lane, "run.json")).await;
    cache
        .put(&key(lab, lane, "state.safetensors"), state)
        .await?;
    cache
        .put(&key(lab, lane, "run.json"), encode(record)?.as_bytes())
        .await
}

async fn record(cache: &ModelCache, lab: TrainingLab, lane: usize) -> Option<InterruptedRun> {
    let bytes = cache.get(&key(lab, lane, "run.json")).await?;
    decode(std::str::from_utf8(&bytes).ok()?).ok()
}

/// The runs of `lab` saved but never finished, by lane.
pub(crate) async fn records(lab: TrainingLab) -> Vec<InterruptedRun> {
    let Some(cache) = ModelCache::open(CACHE).await else {
        return Vec::new();
    };
    let mut found = Vec::new();
    for lane in 0..lab.lanes() {
        found.extend(record(&cache, lab, lane).await);
    }
    found
}

pub(crate) async fn discard(lab: TrainingLab, lane: usize) {
    if let Some(cache) = ModelCache::open(CACHE).await {
        cache.delete(&key(lab, lane, "run.json")).await;
        cache.delete(&key(lab, lane, "state.safetensors")).await;
    }
}

/// A run resumed from its save: the state to restore and the curve so far.
pub(crate) struct Resume {
    pub(crate) state: Vec<u8>,
    pub(crate) points: Vec<TrainingPoint>,
}

/// A saved run's request, state and curve, ready to continue.
pub(crate) async fn resume(lab: TrainingLab, lane: usize) -> Result<(SavedRequest, Resume), Stop> {
    let gone = || Stop::Failed("that run is no longer saved in this browser".to_string());
    let cache = ModelCache::open(CACHE).await.ok_or_else(gone)?;
    let record = record(&cache, lab, lane).await.ok_or_else(gone)?;
    let state = cache
        .get(&key(lab, lane, "state.safetensors"))
        .await
        .ok_or_else(gone)?;
    let points = record.points;
    Ok((record.request, Resume { state, points }))
}

/// A run saving itself as it trains.
pub(crate) struct Saver {
    request: SavedRequest,
    /// The curve so far, saved with the run so a resumed run redraws it.
    points: Vec<TrainingPoint>,
    last_save: f64,
    /// The update saved last.
    saved: Option<usize>,
}

impl Saver {
    /// A new run replaces its lane's saved one; a resumed run carries on its curve.
    pub(crate) async fn start(
        request: SavedRequest,
        resumed: Option<(usize, Vec<TrainingPoint>)>,
    ) -> Saver {
        let (saved, points) = match resumed {
            Some((step, mut points)) => {
                points.retain(|p| p.step <= step);
                (Some(step), points)
            }
            None => {
                let (lab, lane) = request.slot();
                discard(lab, lane).await;
                (None, Vec::new())
            }
        };
        Saver {
            request,
            points,
            last_save: now_ms(),
            saved,
        }
    }

    /// The curve up to the saved update, sent again so the page redraws a resumed run.
    pub(crate) fn replay(&self, ctx: &JobContext) {
        for point in &self.points {
            ctx.point(point.clone());
        }
    }

    /// The update saved last, for the curve's points.
    pub(crate) fn saved(&self) -> Option<usize> {
        self.saved
    }

    /// A redone update (after a GPU failure, the CPU repeats the updates since the last sync)
    /// replaces the curve from there.
    pub(crate) fn push(&mut self, point: TrainingPoint) {
        self.points.retain(|p| p.step < point.step);
        self.points.push(point);
    }

    /// Whether [`Saver::when_due`] would save at update `step` of `total` now (a run on the GPU
    /// brings its CPU copy up to date first).
    pub(crate) fn due(&self, (step, total): (usize, usize)) -> bool {
        now_ms() - self.last_save >= SAVE_EVERY_MS && step < total
    }

    /// Saves the run (at update `step` of `total`) when it is due; `state` is only taken then. A
    /// failed save (storage full, none offered) is said in the progress line and training goes
    /// on: the run itself is not at risk.
    pub(crate) async fn when_due(
        &mut self,
        ctx: &JobContext,
        (step, total): (usize, usize),
        state: impl FnOnce() -> Result<Vec<u8>, String>,
    ) {
        if !self.due((step, total)) {
            return;
        }
        let record = InterruptedRun {
            request: self.request.clone(),
            step,
            total_steps: total,
            points: self.points.clone(),
            saved_at_ms: js_sys::Date::now(),
        };
        let saved = match state() {
            Ok(state) => save(&record, &state).await,
            Err(e) => Err(e),
        };
        match saved {
            Ok(()) => self.saved = Some(step),
            Err(e) => ctx.progress(0, 0, format!("could not save the run for resuming: {e}")),
        }
        self.last_save = now_ms();
    }
}
