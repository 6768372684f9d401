//! The worker's live WebGPU state: the context found at start-up, the models uploaded to it, and
//! the [`BackendStatus`] every forward consults. A failed GPU step switches the worker to the CPU
//! for the rest of the session and tells the page why.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use super::port::post;
use crate::lab_model::{LabModel, Weights};
use bertlab_core::gpu::{GpuContext, GpuEncoder, GpuError, GpuMaskedLm};
use bertlab_protocol::backend::{
    Backend, BackendChoice, BackendStatus, BackendTimings, GpuAvailability,
};
use bertlab_protocol::messages::FromWorker;

/// A model's weights on the GPU, as `Weights` holds them on the CPU.
pub enum GpuWeights {
    MaskedLm(GpuMaskedLm),
    EncoderOnly(GpuEncoder),
}

impl GpuWeights {
    pub fn encoder(&self) -> &GpuEncoder {
        match self {
            GpuWeights::MaskedLm(m) => &m.encoder,
            GpuWeights::EncoderOnly(e) => e,
        }
    }
}

/// What a forward on the GPU needs.
pub struct OnGpu {
    pub ctx: Rc<GpuContext>,
    pub weights: Rc<GpuWeights>,
}

thread_local! {
    static STATUS: RefCell<BackendStatus> = RefCell::new(BackendStatus {
        cpu: bertlab_core::model::fused::CPU_KERNELS,
        ..BackendStatus::default()
    });
    static CONTEXT: RefCell<Option<Rc<GpuContext>>> = const { RefCell::new(None) };
    /// Uploaded models by name; dropped with the context when it fails.
    static MODELS: RefCell<HashMap<String, Rc<GpuWeights>>> = RefCell::new(HashMap::new());
}

pub fn status() -> BackendStatus {
    STATUS.with(|s| s.borrow().clone())
}

/// Changes the status and tells the page.
fn update(change: impl FnOnce(&mut BackendStatus)) {
    let status = STATUS.with(|s| {
        let mut s = s.borrow_mut();
        change(&mut s);
        s.clone()
    });
    post(&FromWorker::Backend(status));
}

/// Settles the status of a worker that asks for no GPU (the job runner): anything that waits
/// for the probe goes on at once, on the CPU.
pub fn without_gpu(reason: &str) {
    STATUS.with(|s| s.borrow_mut().gpu = GpuAvailability::Unavailable(reason.to_string()));
}

/// Asks the browser for a WebGPU adapter and device (at start-up).
pub async fn probe() {
    match GpuContext::new().await {
        Ok(ctx) => {
            let gpu = GpuAvailability::Ready {
                adapter: ctx.adapter_name(),
                software: ctx.is_software(),
            };
            CONTEXT.with(|c| *c.borrow_mut() = Some(Rc::new(ctx)));
            update(|s| s.gpu = gpu);
        }
        Err(e) => {
            let reason = match e {
                GpuError::NoAdapter(_) => "the browser offers no WebGPU adapter".to_string(),
                other => other.to_string(),
            };
            update(|s| s.gpu = GpuAvailability::Unavailable(reason));
        }
    }
}

pub fn choose(choice: BackendChoice) {
    update(|s| s.choice = choice);
}

pub fn record_timings(timings: BackendTimings) {
    update(|s| s.timings = Some(timings));
}

/// A GPU step failed: stop using the GPU and say why.
pub fn failed(error: GpuError) {
    CONTEXT.with(|c| *c.borrow_mut() = None);
    MODELS.with(|m| m.borrow_mut().clear());
    update(|s| s.gpu = GpuAvailability::Failed(error.to_string()));
}

/// Drops a model's GPU copy (the student deleted the model).
pub fn forget(name: &str) {
    MODELS.with(|m| m.borrow_mut().remove(name));
}

/// The working context, whichever backend is chosen (the benchmarks time both), once the probe at
/// start-up has finished.
pub async fn context() -> Option<Rc<GpuContext>> {
    while status().gpu == GpuAvailability::Probing {
        gloo::timers::future::TimeoutFuture::new(50).await;
    }
    CONTEXT.with(|c| c.borrow().clone())
}

/// `model` on the GPU when WebGPU is the active backend; `None` means run on the CPU.
pub async fn for_model(model: &LabModel) -> Option<OnGpu> {
    if status().active() != Backend::WebGpu {
        return None;
    }
    upload(model).await
}

/// `model` on the GPU whichever backend is active, uploaded on first use; a failed upload switches
/// the worker to the CPU.
pub async fn upload(model: &LabModel) -> Option<OnGpu> {
    let ctx = context().await?;
    if let Some(weights) = MODELS.with(|m| m.borrow().get(&model.name).cloned()) {
        return Some(OnGpu { ctx, weights });
    }
    let uploaded = match &model.weights {
        Weights::MaskedLm(m) => GpuMaskedLm::upload(&ctx, m).await.map(GpuWeights::MaskedLm),
        Weights::EncoderOnly(e) => GpuEncoder::upload(&ctx, e)
            .await
            .map(GpuWeights::EncoderOnly),
    };
    match uploaded {
        Ok(weights) => {
            let weights = Rc::new(weights);
            MODELS.with(|m| m.borrow_mut().insert(model.name.clone(), weights.clone()));
            Some(OnGpu { ctx, weights })
        }
        Err(e) => {
            failed(e);
            None
        }
    }
}
