//! Where a fine-tuning run's updates happen: on the GPU when WebGPU is the active backend (the
//! status bar's choice, as for inference), on the CPU otherwise, and on the CPU from the last sync
//! when a GPU step fails. The CPU copy is brought up to date whenever the run is saved, so a failure
//! costs at most the updates since the last save, which the CPU redoes on the same batches.

use std::rc::Rc;

use bertlab_core::gpu::{GpuContext, GpuError};
use bertlab_core::train::finetune::{FineTuner, FinetuneStep};
use bertlab_core::train::TrainError;
use bertlab_protocol::backend::Backend;

use crate::runtime::accelerator;
use crate::runtime::jobs::JobContext;

pub(super) struct TrainingDevice {
    gpu: Option<Rc<GpuContext>>,
    /// What the sheet's line says about where the run trained.
    trained_on: String,
}

impl TrainingDevice {
    /// Attaches `tuner` to the GPU when WebGPU is the active backend; the CPU otherwise, or when
    /// the upload fails (the worker then stops using the GPU, as after a failed forward).
    pub(super) async fn choose(job: &JobContext, tuner: &mut FineTuner) -> TrainingDevice {
        if accelerator::status().active() == Backend::WebGpu {
            if let Some(gpu) = accelerator::context().await {
                match tuner.attach_gpu(&gpu).await {
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
    pub(super) async fn step(
        &mut self,
        job: &JobContext,
        tuner: &mut FineTuner,
    ) -> Result<FinetuneStep, TrainError> {
        if let Some(gpu) = self.gpu.clone() {
            match tuner.train_step_gpu(&gpu).await {
                Err(TrainError::Gpu(e)) => self.fall_back(job, tuner, e),
                done => return done,
            }
        }
        tuner.train_step()
    }

    /// Brings the CPU copy up to date (before a save, a feature cloud or the test). A GPU failure
    /// here moves the run to the CPU from the previous sync instead.
    pub(super) async fn sync(
        &mut self,
        job: &JobContext,
        tuner: &mut FineTuner,
    ) -> Result<(), TrainError> {
        let Some(gpu) = self.gpu.clone() else {
            return Ok(());
        };
        match tuner.sync_from_gpu(&gpu).await {
            Err(TrainError::Gpu(e)) => {
                self.fall_back(job, tuner, e);
                Ok(())
            }
            synced => synced,
        }
    }

    /// Ends training: the CPU copy holds the final weights, for the test and the export.
    pub(super) async fn finish(
        mut self,
        job: &JobContext,
        tuner: &mut FineTuner,
    ) -> Result<String, TrainError> {
        self.sync(job, tuner).await?;
        tuner.detach_gpu();
        Ok(self.trained_on)
    }

    fn fall_back(&mut self, job: &JobContext, tuner: &mut FineTuner, error: GpuError) {
        let failed_at = tuner.step() + 1;
        let from = tuner.detach_gpu().unwrap_or_default();
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
