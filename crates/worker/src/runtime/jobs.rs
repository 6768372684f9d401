//! Job control: a running job's channel back to the page (progress, training points) and the page's
//! orders (cancel, pause, resume, stop early), which a job sees whenever it yields.

use std::cell::RefCell;
use std::collections::HashSet;

use bertlab_protocol::messages::{FromWorker, JobId, Progress, Reply, Steer, TrainingPoint};

use super::port::{self, post};

thread_local! {
    /// Jobs the page asked to stop; a job sees this at its next [`JobContext::yield_or_stop`].
    static CANCELLED: RefCell<HashSet<JobId>> = RefCell::new(HashSet::new());
    /// Training jobs told to hold, and those told to finish early ([`JobContext::between_updates`]).
    static PAUSED: RefCell<HashSet<JobId>> = RefCell::new(HashSet::new());
    static STOPPING: RefCell<HashSet<JobId>> = RefCell::new(HashSet::new());
}

/// The page asked `job` to stop at its next yield.
pub(crate) fn cancel(job: JobId) {
    CANCELLED.with(|c| c.borrow_mut().insert(job));
}

/// The page paused, resumed or ended a training job.
pub(crate) fn steer(job: JobId, action: Steer) {
    match action {
        Steer::Pause => PAUSED.with(|p| p.borrow_mut().insert(job)),
        Steer::Resume => PAUSED.with(|p| p.borrow_mut().remove(&job)),
        Steer::Stop => STOPPING.with(|s| s.borrow_mut().insert(job)),
    };
}

/// `job` has answered: its orders no longer apply.
pub(crate) fn forget(job: JobId) {
    for set in [&CANCELLED, &PAUSED, &STOPPING] {
        set.with(|s| s.borrow_mut().remove(&job));
    }
}

/// Why a job stopped early.
pub(crate) enum Stop {
    Cancelled,
    Failed(String),
}

impl From<String> for Stop {
    fn from(message: String) -> Self {
        Stop::Failed(message)
    }
}

/// A running job's channel back to the page.
pub(crate) struct JobContext {
    pub(crate) job: JobId,
}

impl JobContext {
    pub(crate) fn progress(&self, done: u64, total: u64, message: impl Into<String>) {
        let message = message.into();
        post(&FromWorker::Job {
            job: self.job,
            reply: Reply::Progress(Progress {
                done,
                total,
                message,
            }),
        });
    }

    /// Yield to the worker's event loop so queued messages (a `Cancel`, another job) are handled,
    /// then report whether this job should stop. Long jobs call this between steps.
    pub(crate) async fn yield_or_stop(&self) -> Result<(), Stop> {
        port::yield_to_event_loop().await;
        if CANCELLED.with(|c| c.borrow_mut().remove(&self.job)) {
            Err(Stop::Cancelled)
        } else {
            Ok(())
        }
    }
}

impl JobContext {
    pub(crate) fn point(&self, point: TrainingPoint) {
        post(&FromWorker::Job {
            job: self.job,
            reply: Reply::Point(point),
        });
    }

    /// Between two updates of a training run: let messages in, hold while paused (saying so
    /// once), and report whether the user asked to end training now.
    pub(crate) async fn between_updates(&self, last: &TrainingPoint) -> Result<bool, Stop> {
        self.yield_or_stop().await?;
        let paused = || PAUSED.with(|p| p.borrow().contains(&self.job));
        let stopping = || STOPPING.with(|s| s.borrow().contains(&self.job));
        if paused() && !stopping() {
            self.point(TrainingPoint {
                paused: true,
                ..last.clone()
            });
            while paused() && !stopping() {
                gloo::timers::future::TimeoutFuture::new(100).await;
                self.yield_or_stop().await?;
            }
        }
        Ok(stopping())
    }
}
