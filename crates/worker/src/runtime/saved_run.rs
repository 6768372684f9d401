//! The fine-tuning run in progress, saved in the browser every so often so that a reload, a closed
//! tab or a crashed worker costs at most the updates since the last save. Cache Storage holds it,
//! as it holds the student's models: the same origin storage and quota as IndexedDB, and one API
//! for the lab's large binary files. Two entries: the run's state (weights, optimizer moments,
//! update count: [`FineTuner::snapshot`]) and a record of the run (its request and curve).
//!
//! [`FineTuner::snapshot`]: bertlab_core::train::finetune::FineTuner::snapshot

use bertlab_protocol::messages::{decode, encode, InterruptedRun};

use super::jobs::Stop;
use super::model_cache::ModelCache;

const CACHE: &str = "bertlab-checkpoints";
const STATE: &str = "finetune/state.safetensors";
const RECORD: &str = "finetune/run.json";

/// How often a run is saved (ms of training between the end of one save and the next).
pub(crate) const SAVE_EVERY_MS: f64 = 15_000.0;

/// Saves the run: its state first, then the record that makes it visible, so a save cut off
/// halfway leaves the previous record pointing at a complete state or at none.
pub(crate) async fn save(record: &InterruptedRun, state: &[u8]) -> Result<(), String> {
    let cache = ModelCache::open(CACHE)
        .await
        .ok_or("this browser offers no storage for a run's checkpoint")?;
    cache.delete(RECORD).await;
    cache.put(STATE, state).await?;
    cache.put(RECORD, encode(record)?.as_bytes()).await
}

/// The saved run that never finished, if any.
pub(crate) async fn record() -> Option<InterruptedRun> {
    let bytes = ModelCache::open(CACHE).await?.get(RECORD).await?;
    decode(std::str::from_utf8(&bytes).ok()?).ok()
}

/// The saved run's record and state, for resuming it.
pub(crate) async fn load() -> Result<(InterruptedRun, Vec<u8>), Stop> {
    let gone = || Stop::Failed("no interrupted run is saved in this browser any more".to_string());
    let record = record().await.ok_or_else(gone)?;
    let state = ModelCache::open(CACHE)
        .await
        .ok_or_else(gone)?
        .get(STATE)
        .await
        .ok_or_else(gone)?;
    Ok((record, state))
}

pub(crate) async fn discard() {
    if let Some(cache) = ModelCache::open(CACHE).await {
        cache.delete(RECORD).await;
        cache.delete(STATE).await;
    }
}
