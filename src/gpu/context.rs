//! Adapter and device set-up, and turning wgpu's failures into values.

use std::sync::{Arc, Mutex};

use super::kernels::Kernels;
use crate::model::ModelError;

/// Why the GPU path could not run; every variant carries a message a student can read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GpuError {
    #[error("no GPU adapter: {0}")]
    NoAdapter(String),
    #[error("the GPU refused a device: {0}")]
    NoDevice(String),
    #[error("the GPU path does not support this input: {0}")]
    Unsupported(String),
    #[error("GPU validation error: {0}")]
    Validation(String),
    #[error("the GPU ran out of memory: {0}")]
    OutOfMemory(String),
    #[error("the GPU device was lost: {0}")]
    DeviceLost(String),
    #[error("reading results back from the GPU failed: {0}")]
    Readback(String),
    #[error("{0}")]
    Model(String),
}

impl From<ModelError> for GpuError {
    fn from(e: ModelError) -> Self {
        GpuError::Model(e.to_string())
    }
}

impl From<candle_core::Error> for GpuError {
    fn from(e: candle_core::Error) -> Self {
        GpuError::Model(e.to_string())
    }
}

/// A wgpu device with the encoder's kernels compiled.
pub struct GpuContext {
    pub(crate) device: wgpu::Device,
    pub(crate) queue: wgpu::Queue,
    pub(crate) kernels: Kernels,
    adapter: wgpu::AdapterInfo,
    /// Set by wgpu's callbacks when the device is lost or an error escaped every error scope; a
    /// context that failed once is not trusted again.
    failure: Arc<Mutex<Option<GpuError>>>,
}

impl GpuContext {
    /// Asks for an adapter (WebGPU in the browser, Vulkan natively) and a device with the
    /// adapter's own limits (the word-embedding table alone needs tens of MB in one binding).
    pub async fn new() -> Result<GpuContext, GpuError> {
        let instance = wgpu::Instance::new(&wgpu::InstanceDescriptor {
            backends: wgpu::Backends::BROWSER_WEBGPU | wgpu::Backends::VULKAN,
            ..Default::default()
        });
        let adapter = instance
            .request_adapter(&wgpu::RequestAdapterOptions {
                power_preference: wgpu::PowerPreference::HighPerformance,
                force_fallback_adapter: false,
                compatible_surface: None,
            })
            .await
            .map_err(|e| GpuError::NoAdapter(e.to_string()))?;
        let (device, queue) = adapter
            .request_device(&wgpu::DeviceDescriptor {
                label: Some("bertlab"),
                required_features: wgpu::Features::empty(),
                required_limits: adapter.limits(),
                ..Default::default()
            })
            .await
            .map_err(|e| GpuError::NoDevice(e.to_string()))?;
        let failure = Arc::new(Mutex::new(None));
        let lost = failure.clone();
        device.set_device_lost_callback(move |reason, message| {
            record(
                &lost,
                GpuError::DeviceLost(format!("{reason:?}: {message}")),
            );
        });
        let uncaptured = failure.clone();
        device.on_uncaptured_error(Arc::new(move |error| {
            record(&uncaptured, classify(error));
        }));
        let kernels = Kernels::new(&device);
        Ok(GpuContext {
            device,
            queue,
            kernels,
            adapter: adapter.get_info(),
            failure,
        })
    }

    /// "name (backend, device type)", for the status bar and benchmark output.
    pub fn adapter_name(&self) -> String {
        let info = &self.adapter;
        let name = if info.name.is_empty() {
            "unnamed adapter"
        } else {
            &info.name
        };
        format!("{name} ({:?}, {:?})", info.backend, info.device_type)
    }

    /// Whether the adapter is a software rasteriser (lavapipe, SwiftShader): its timings are not
    /// speed figures.
    pub fn is_software(&self) -> bool {
        self.adapter.device_type == wgpu::DeviceType::Cpu
    }

    /// The failure that ended this context, if any.
    pub fn failure(&self) -> Option<GpuError> {
        self.failure.lock().ok().and_then(|f| f.clone())
    }

    /// Destroys the device, as a driver reset would: every later forward fails with
    /// [`GpuError::DeviceLost`]. The worker's fallback test uses it.
    pub fn lose_device(&self) {
        self.device.destroy();
        record(
            &self.failure,
            GpuError::DeviceLost("the device was destroyed".into()),
        );
    }

    /// Runs `f` (which records and submits work) inside validation and out-of-memory error scopes.
    pub(crate) async fn checked<T>(&self, f: impl FnOnce() -> T) -> Result<T, GpuError> {
        if let Some(failure) = self.failure() {
            return Err(failure);
        }
        self.device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
        self.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let value = f();
        let validation = self.device.pop_error_scope().await;
        let memory = self.device.pop_error_scope().await;
        match validation.or(memory) {
            Some(error) => Err(classify(error)),
            None => Ok(value),
        }
    }

    /// Blocks natively until submitted work is done; in the browser the map callback fires from
    /// the event loop instead.
    pub(crate) fn wait(&self) -> Result<(), GpuError> {
        #[cfg(not(target_arch = "wasm32"))]
        self.device
            .poll(wgpu::PollType::Wait {
                submission_index: None,
                timeout: None,
            })
            .map_err(|e| GpuError::Readback(e.to_string()))?;
        Ok(())
    }
}

fn record(slot: &Mutex<Option<GpuError>>, error: GpuError) {
    if let Ok(mut slot) = slot.lock() {
        slot.get_or_insert(error);
    }
}

fn classify(error: wgpu::Error) -> GpuError {
    match error {
        wgpu::Error::OutOfMemory { .. } => GpuError::OutOfMemory(error.to_string()),
        other => GpuError::Validation(other.to_string()),
    }
}
