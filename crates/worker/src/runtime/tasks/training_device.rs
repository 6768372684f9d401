//! Where a training run's updates happen (the fine-tune lab's and the pretraining lab's): on the
//! GPU when WebGPU is the active backend (the status bar's choice, as for inference), on the CPU
//! otherwise, and on the CPU from the last sync when a GPU step fails. The CPU copy is brought up
//! to date whenever the run is saved, evaluated or probed, so a failure costs at most the updates
//! since then, which the CPU redoes on the same batches.

use std::rc::Rc;

use bertlab_core::gpu::{GpuContext, GpuError};
use bertlab_core::train::finetune::{FineTuner, FinetuneStep};
use bertlab_core::train::pretrain::StepMetrics;
use bertlab_core::train::{TrainError, Trainer};
use bertlab_protocol::backend::Backend;

use crate::runtime::accelerator;
use crate::runtime::jobs::JobContext;

/// A run that can move its updates to the GPU and back: the fine-tuner and the pretrainer.
pub(super) trait Trainable {
    type Step;
    /// Updates done so far.
    fn updates(&self) -> usize;
    fn cpu_step(&mut self) -> Result<Self::Step, TrainError>;
    async fn attach(&mut self, gpu: &GpuContext) -> Result<(), TrainError>;
    async fn gpu_step(&mut self, gpu: &GpuContext) -> Result<Self::Step, TrainError>;
    async fn sync(&mut self, gpu: &GpuContext) -> Result<(), TrainError>;
    /// Drops the GPU copy; the updates done at the last sync.
    fn detach(&mut self) -> Option<usize>;
}

impl Trainable for FineTuner {
    type Step = FinetuneStep;
    fn updates(&self) -> usize {
        self.step()
    }
    fn cpu_step(&mut self) -> Result<FinetuneStep, TrainError> {
        self.train_step()
    }
    async fn attach(&mut self, gpu: &GpuContext) -> Result<(), TrainError> {
        self.attach_gpu(gpu).await
    }
    async fn gpu_step(&mut self, gpu: &GpuContext) -> Result<FinetuneStep, TrainError> {
        self.train_step_gpu(gpu).await
    }
    async fn sync(&mut self, gpu: &GpuContext) -> Result<(), TrainError> {
        self.sync_from_gpu(gpu).await
    }
    fn detach(&mut self) -> Option<usize> {
        self.detach_gpu()
    }
}

impl Trainable for Trainer {
    type Step = StepMetrics;
    fn updates(&self) -> usize {
        self.step()
    }
    fn cpu_step(&mut self) -> Result<StepMetrics, TrainError> {
        self.train_step()
    }
    async fn attach(&mut self, gpu: &GpuContext) -> Result<(), TrainError> {
        self.attach_gpu(gpu).await
    }
    async fn gpu_step(&mut self, gpu: &GpuContext) -> Result<StepMetrics, TrainError> {
        self.train_step_gpu(gpu).await
    }
    async fn sync(&mut self, gpu: &GpuContext) -> Result<(), TrainError> {
        self.sync_from_gpu(gpu).await
    }
    fn detach(&mut self) -> Option<usize> {
        self.detach_gpu()
    }
}

pub(super) struct TrainingDevice {
    gpu: Option<Rc<GpuContext>>,
    /// What the sheet's line says about where the run trained.
    trained_on: String,
}

impl TrainingDevice {
    /// Attaches `run` to the GPU when WebGPU is the active backend; the CPU otherwise, or when
    /// the upload fails (the worker then stops using the GPU, as after a failed forward).
    pub(super) async fn choose(job: &JobContext, run: &mut impl Trainable) -> TrainingDevice {
        // The start-up probe may still be looking for an adapter (a run started as the page
        // opens): wait for its answer before choosing.
        let context = accelerator::context().await;
        if accelerator::status().active() == Backend::WebGpu {
            if let Some(gpu) = context {
                match run.attach(&gpu).await {
                    Ok(()) => {
                        let trained_on = accelerator::status().describe();
                        job.progress(0, 0, format!("training on {trained_on}"));
                        return TrainingDevice {
                            gpu: Some(gpu),
                            trained_on,
                        };
                    }
                    Err(TrainError::Gpu(e)) => accelerator::failed(e),
                    Err(e) => job.progress(0, 0, format!("training on the CPU: {e}")),
                }
            }
        }
        TrainingDevice {
            gpu: None,
            trained_on: accelerator::status().describe(),
        }
    }

    /// One update where the run trains; a GPU failure moves the run to the CPU first.
    pub(super) async fn step<T: Trainable>(
        &mut self,
        job: &JobContext,
        run: &mut T,
    ) -> Result<T::Step, TrainError> {
        if let Some(gpu) = self.gpu.clone() {
            match run.gpu_step(&gpu).await {
                Err(TrainError::Gpu(e)) => self.fall_back(job, run, e),
                done => return done,
            }
        }
        run.cpu_step()
    }

    /// Brings the CPU copy up to date (before a save, a feature cloud or the test). A GPU failure
    /// here moves the run to the CPU from the previous sync instead.
    pub(super) async fn sync(
        &mut self,
        job: &JobContext,
        run: &mut impl Trainable,
    ) -> Result<(), TrainError> {
        let Some(gpu) = self.gpu.clone() else {
            return Ok(());
        };
        match run.sync(&gpu).await {
            Err(TrainError::Gpu(e)) => {
                self.fall_back(job, run, e);
                Ok(())
            }
            synced => synced,
        }
    }

    /// Ends training: the CPU copy holds the final weights, for the test and the export.
    pub(super) async fn finish(
        mut self,
        job: &JobContext,
        run: &mut impl Trainable,
    ) -> Result<String, TrainError> {
        self.sync(job, run).await?;
        run.detach();
        Ok(self.trained_on)
    }

    fn fall_back(&mut self, job: &JobContext, run: &mut impl Trainable, error: GpuError) {
        let failed_at = run.updates() + 1;
        let from = run.detach().unwrap_or_default();
        let cpu = accelerator::status().cpu.describe();
        job.progress(
            0,
            0,
            format!(
                "WebGPU failed at update {failed_at} ({error}): the run continues on the CPU \
                 from update {from}"
            ),
        );
        self.trained_on = format!("WebGPU to update {from}, then {cpu} ({error})");
        accelerator::failed(error);
        self.gpu = None;
    }
}
