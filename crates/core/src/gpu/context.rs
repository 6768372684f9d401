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
    adapter: String,
    software: bool,
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
        let (adapter, software) = describe(&adapter).await;
        Ok(GpuContext {
            device,
            queue,
            kernels,
            adapter,
            software,
            failure,
        })
    }

    /// The adapter, for the status bar and benchmark output, e.g. "llvmpipe (Vulkan, Cpu)" or
    /// "google swiftshader".
    pub fn adapter_name(&self) -> String {
        self.adapter.clone()
    }

    /// Whether the adapter is a software rasteriser (lavapipe, SwiftShader): its timings are not
    /// speed figures.
    pub fn is_software(&self) -> bool {
        self.software
    }

    /// The failure that ended this context, if any.
    pub fn failure(&self) -> Option<GpuError> {
        self.failure.lock().ok().and_then(|f| f.clone())
    }

    /// Destroys the device, as a driver reset would; wgpu then reports it lost, and every later
    /// forward fails with [`GpuError::DeviceLost`]. The fallback tests use it.
    pub fn lose_device(&self) {
        self.device.destroy();
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

#[cfg(not(target_arch = "wasm32"))]
async fn describe(adapter: &wgpu::Adapter) -> (String, bool) {
    let info = adapter.get_info();
    (
        format!("{} ({:?}, {:?})", info.name, info.backend, info.device_type),
        info.device_type == wgpu::DeviceType::Cpu,
    )
}

/// wgpu's WebGPU backend leaves `AdapterInfo` empty, so ask the browser: `GPUAdapter.info` names
/// the vendor and architecture and says whether it is a fallback (software) adapter.
#[cfg(target_arch = "wasm32")]
async fn describe(_: &wgpu::Adapter) -> (String, bool) {
    use wasm_bindgen::JsCast;
    let get = |target: &wasm_bindgen::JsValue, key: &str| {
        js_sys::Reflect::get(target, &key.into()).unwrap_or(wasm_bindgen::JsValue::UNDEFINED)
    };
    let unknown = ("WebGPU adapter".to_string(), false);
    let gpu = get(&get(&js_sys::global(), "navigator"), "gpu");
    let Ok(request) = get(&gpu, "requestAdapter").dyn_into::<js_sys::Function>() else {
        return unknown;
    };
    let Ok(promise) = request.call0(&gpu).map(js_sys::Promise::from) else {
        return unknown;
    };
    let Ok(adapter) = wasm_bindgen_futures::JsFuture::from(promise).await else {
        return unknown;
    };
    if adapter.is_null() || adapter.is_undefined() {
        return unknown;
    }
    let info = get(&adapter, "info");
    let text = |key| get(&info, key).as_string().unwrap_or_default();
    let name = format!("{} {}", text("vendor"), text("architecture"));
    let fallback = get(&info, "isFallbackAdapter")
        .as_bool()
        .or_else(|| get(&adapter, "isFallbackAdapter").as_bool())
        .unwrap_or(false);
    let name = name.trim();
    (
        if name.is_empty() {
            unknown.0
        } else {
            name.to_string()
        },
        fallback || text("architecture") == "swiftshader",
    )
}

/// Maps the first `floats` of `staging` and copies them out.
pub(crate) async fn read_back(
    ctx: &GpuContext,
    staging: &wgpu::Buffer,
    floats: usize,
) -> Result<Vec<f32>, GpuError> {
    let slice = staging.slice(0..(floats * 4) as u64);
    let (done, mapped) = futures_channel::oneshot::channel();
    slice.map_async(wgpu::MapMode::Read, move |result| {
        let _ = done.send(result);
    });
    ctx.wait()?;
    mapped
        .await
        .map_err(|_| GpuError::Readback("the map request was dropped".into()))?
        .map_err(|e| GpuError::Readback(e.to_string()))?;
    let data = {
        let view = slice.get_mapped_range();
        view.chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect()
    };
    staging.unmap();
    Ok(data)
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
