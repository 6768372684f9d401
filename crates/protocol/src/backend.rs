//! Which backend runs the models: the student's choice, what the browser offers, and the last
//! measurement, folded into one [`BackendStatus`] the worker keeps and the status bar shows.
//! Pure data and policy, so it is tested natively; `runtime` owns the live GPU context.

use serde::{Deserialize, Serialize};

/// Where a forward pass runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Backend {
    /// candle in wasm with SIMD128.
    Cpu,
    /// The WGSL kernels of the core's `gpu` module through the browser's WebGPU.
    WebGpu,
}

/// Which build of the CPU kernels the worker runs: the page starts the faster one where the
/// browser can load it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum CpuKernels {
    /// SIMD128, in every browser with WebAssembly SIMD.
    #[default]
    Simd128,
    /// SIMD128 with relaxed SIMD's fused multiply-add in the matrix products.
    Simd128Fma,
}

impl CpuKernels {
    /// The status bar's name for these kernels.
    pub fn describe(self) -> &'static str {
        match self {
            CpuKernels::Simd128 => "CPU (wasm SIMD128)",
            CpuKernels::Simd128Fma => "CPU (wasm SIMD128 with fused multiply-add)",
        }
    }
}

/// What the student picked in the status bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum BackendChoice {
    /// WebGPU on a hardware adapter; the faster of the two once measured.
    #[default]
    Auto,
    WebGpu,
    Cpu,
}

impl BackendChoice {
    pub const ALL: [BackendChoice; 3] = [
        BackendChoice::Auto,
        BackendChoice::WebGpu,
        BackendChoice::Cpu,
    ];

    /// The value stored in localStorage and in `<option value>`.
    pub fn key(self) -> &'static str {
        match self {
            BackendChoice::Auto => "auto",
            BackendChoice::WebGpu => "webgpu",
            BackendChoice::Cpu => "cpu",
        }
    }

    pub fn from_key(key: &str) -> Option<BackendChoice> {
        BackendChoice::ALL.into_iter().find(|c| c.key() == key)
    }

    pub fn label(self) -> &'static str {
        match self {
            BackendChoice::Auto => "Auto",
            BackendChoice::WebGpu => "WebGPU",
            BackendChoice::Cpu => "CPU",
        }
    }
}

/// What the worker found when it asked the browser for a GPU.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum GpuAvailability {
    /// Still asking (the first second after start-up).
    Probing,
    Ready {
        adapter: String,
        /// A software adapter (SwiftShader): correct, but rarely faster than the CPU path.
        software: bool,
    },
    /// No adapter: the browser has no WebGPU, or it is switched off.
    Unavailable(String),
    /// WebGPU worked until a step failed (device lost, out of memory, validation error); the
    /// worker does not use it again in this session.
    Failed(String),
}

/// One micro-benchmark: milliseconds per fill-mask forward of the loaded model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BackendTimings {
    pub model: String,
    pub tokens: usize,
    pub cpu_ms: f64,
    /// `None` when WebGPU was not available to measure.
    pub gpu_ms: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BackendStatus {
    pub choice: BackendChoice,
    pub gpu: GpuAvailability,
    pub timings: Option<BackendTimings>,
    #[serde(default)]
    pub cpu: CpuKernels,
}

impl Default for BackendStatus {
    fn default() -> Self {
        BackendStatus {
            choice: BackendChoice::Auto,
            gpu: GpuAvailability::Probing,
            timings: None,
            cpu: CpuKernels::default(),
        }
    }
}

impl BackendStatus {
    /// The backend the next forward runs on.
    pub fn active(&self) -> Backend {
        let GpuAvailability::Ready { software, .. } = &self.gpu else {
            return Backend::Cpu;
        };
        match self.choice {
            BackendChoice::Cpu => Backend::Cpu,
            BackendChoice::WebGpu => Backend::WebGpu,
            BackendChoice::Auto => match &self.timings {
                Some(BackendTimings {
                    cpu_ms,
                    gpu_ms: Some(gpu_ms),
                    ..
                }) if gpu_ms < cpu_ms => Backend::WebGpu,
                Some(_) => Backend::Cpu,
                None if *software => Backend::Cpu,
                None => Backend::WebGpu,
            },
        }
    }

    /// One line for the status bar: what runs, and why not the other.
    pub fn describe(&self) -> String {
        let running = match (self.active(), &self.gpu) {
            (Backend::WebGpu, GpuAvailability::Ready { adapter, .. }) => {
                format!("WebGPU ({adapter})")
            }
            _ => self.cpu.describe().to_string(),
        };
        let why = match (&self.gpu, self.choice, self.active()) {
            (GpuAvailability::Probing, ..) => Some("looking for a WebGPU adapter".to_string()),
            (GpuAvailability::Unavailable(reason), ..) => {
                Some(format!("WebGPU unavailable: {reason}"))
            }
            (GpuAvailability::Failed(reason), ..) => {
                Some(format!("WebGPU failed, switched to CPU: {reason}"))
            }
            (_, BackendChoice::Cpu, _) => Some("CPU chosen".to_string()),
            (GpuAvailability::Ready { adapter, .. }, BackendChoice::Auto, Backend::Cpu) => {
                Some(match &self.timings {
                    Some(_) => "measured faster than WebGPU here".to_string(),
                    None => format!("WebGPU adapter {adapter} is a software fallback"),
                })
            }
            _ => None,
        };
        match why {
            Some(why) => format!("{running} · {why}"),
            None => running,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ready(software: bool) -> GpuAvailability {
        GpuAvailability::Ready {
            adapter: "test".into(),
            software,
        }
    }

    fn status(choice: BackendChoice, gpu: GpuAvailability) -> BackendStatus {
        BackendStatus {
            choice,
            gpu,
            ..BackendStatus::default()
        }
    }

    #[test]
    fn without_a_working_adapter_everything_runs_on_the_cpu() {
        for choice in BackendChoice::ALL {
            for gpu in [
                GpuAvailability::Probing,
                GpuAvailability::Unavailable("no adapter".into()),
                GpuAvailability::Failed("device lost".into()),
            ] {
                let s = status(choice, gpu);
                assert_eq!(s.active(), Backend::Cpu, "{s:?}");
                assert!(s.describe().starts_with("CPU"), "{}", s.describe());
            }
        }
        let failed = status(
            BackendChoice::WebGpu,
            GpuAvailability::Failed("device lost".into()),
        );
        assert!(failed.describe().contains("switched to CPU: device lost"));
    }

    #[test]
    fn auto_prefers_hardware_webgpu_until_a_measurement_says_otherwise() {
        let mut s = status(BackendChoice::Auto, ready(false));
        assert_eq!(s.active(), Backend::WebGpu);
        assert_eq!(
            status(BackendChoice::Auto, ready(true)).active(),
            Backend::Cpu
        );
        let timings = |cpu_ms, gpu_ms| BackendTimings {
            model: "m".into(),
            tokens: 16,
            cpu_ms,
            gpu_ms: Some(gpu_ms),
        };
        s.timings = Some(timings(10.0, 30.0));
        assert_eq!(s.active(), Backend::Cpu);
        assert!(s.describe().contains("measured faster"), "{}", s.describe());
        s.timings = Some(timings(30.0, 10.0));
        assert_eq!(s.active(), Backend::WebGpu);
        s.gpu = ready(true);
        assert_eq!(
            s.active(),
            Backend::WebGpu,
            "a measured software adapter may still win"
        );
    }

    #[test]
    fn an_explicit_choice_wins_over_auto() {
        assert_eq!(
            status(BackendChoice::WebGpu, ready(true)).active(),
            Backend::WebGpu
        );
        assert_eq!(
            status(BackendChoice::Cpu, ready(false)).active(),
            Backend::Cpu
        );
        for choice in BackendChoice::ALL {
            assert_eq!(BackendChoice::from_key(choice.key()), Some(choice));
        }
        assert_eq!(BackendChoice::from_key("tpu"), None);
    }
}
