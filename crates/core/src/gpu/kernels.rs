//! The compiled WGSL kernels and a recorded dispatch (pipeline, bindings, grid).

use wgpu::util::DeviceExt;

use crate::model::config::Activation;

/// Which kernel a dispatch runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kernel {
    Matmul,
    Matvec,
    LayerNorm,
    Embed,
    Attention,
    Gather,
}

/// The largest sequence `attention.wgsl` holds in workgroup memory.
pub(crate) const MAX_SEQ: usize = 512;
/// Output tile of `matmul.wgsl` (rows and columns per workgroup).
const MATMUL_TILE: usize = 64;
/// Most rows `matvec.wgsl` takes, and its columns per workgroup.
pub(crate) const MATVEC_ROWS: usize = 8;
const MATVEC_COLUMNS: usize = 256;

/// WGSL shared by prefix with the backward kernels (`super::backward`): the activations by code, and
/// the workgroup reductions.
pub(crate) const ACTIVATION_WGSL: &str = include_str!("shaders/activation.wgsl");
pub(crate) const REDUCE_WGSL: &str = include_str!("shaders/reduce.wgsl");

/// Where a kernel reads or writes: a buffer and an offset in floats.
#[derive(Clone, Copy)]
pub struct At<'a>(pub &'a wgpu::Buffer, pub usize);

pub(crate) struct Kernels {
    matmul: wgpu::ComputePipeline,
    matvec: wgpu::ComputePipeline,
    layer_norm: wgpu::ComputePipeline,
    embed: wgpu::ComputePipeline,
    attention: wgpu::ComputePipeline,
    gather: wgpu::ComputePipeline,
}

impl Kernels {
    pub fn new(device: &wgpu::Device) -> Kernels {
        let compile = |label: &str, source: &str| compile(device, label, source);
        // WGSL has no includes: kernels share code by prefix (the linear layers their bindings and
        // activation, the normalising kernels their workgroup reductions).
        let linear = |body: &str| {
            let (activation, linear) = (ACTIVATION_WGSL, include_str!("shaders/linear.wgsl"));
            format!("{activation}{linear}{body}")
        };
        let reducing = |body: &str| format!("{REDUCE_WGSL}{body}");
        Kernels {
            matmul: compile("matmul", &linear(include_str!("shaders/matmul.wgsl"))),
            matvec: compile("matvec", &linear(include_str!("shaders/matvec.wgsl"))),
            layer_norm: compile(
                "layer_norm",
                &reducing(include_str!("shaders/layer_norm.wgsl")),
            ),
            embed: compile("embed", include_str!("shaders/embed.wgsl")),
            attention: compile(
                "attention",
                &reducing(include_str!("shaders/attention.wgsl")),
            ),
            gather: compile("gather", include_str!("shaders/gather.wgsl")),
        }
    }

    fn pipeline(&self, kernel: Kernel) -> &wgpu::ComputePipeline {
        match kernel {
            Kernel::Matmul => &self.matmul,
            Kernel::Matvec => &self.matvec,
            Kernel::LayerNorm => &self.layer_norm,
            Kernel::Embed => &self.embed,
            Kernel::Attention => &self.attention,
            Kernel::Gather => &self.gather,
        }
    }
}

/// One kernel launch, recorded once per input shape and replayed by every forward of that shape.
pub(crate) struct Dispatch {
    kernel: Kernel,
    bindings: wgpu::BindGroup,
    groups: [u32; 3],
}

impl Dispatch {
    /// `params` and `buffers` as [`bind_group`] binds them.
    pub fn new(
        device: &wgpu::Device,
        kernels: &Kernels,
        kernel: Kernel,
        params: [u32; 8],
        buffers: &[&wgpu::Buffer],
        groups: [u32; 3],
    ) -> Dispatch {
        // The WGSL params structs are 16 or 32 bytes: bind only what the kernel declares.
        let words = match kernel {
            Kernel::Embed | Kernel::Gather => 4,
            _ => 8,
        };
        let pipeline = kernels.pipeline(kernel);
        let bindings = bind_group(device, pipeline, &params[..words], buffers);
        Dispatch {
            kernel,
            bindings,
            groups,
        }
    }

    pub fn record(&self, kernels: &Kernels, pass: &mut wgpu::ComputePass<'_>) {
        pass.set_pipeline(kernels.pipeline(self.kernel));
        pass.set_bind_group(0, &self.bindings, &[]);
        let [x, y, z] = self.groups;
        pass.dispatch_workgroups(x, y, z);
    }
}

/// Compiles one WGSL kernel (entry point `main`, bind group layout from the shader).
pub(crate) fn compile(device: &wgpu::Device, label: &str, source: &str) -> wgpu::ComputePipeline {
    let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
        label: Some(label),
        source: wgpu::ShaderSource::Wgsl(source.into()),
    });
    device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
        label: Some(label),
        layout: None,
        module: &module,
        entry_point: Some("main"),
        compilation_options: Default::default(),
        cache: None,
    })
}

/// A bind group for `pipeline`: `params` as a uniform block at binding 0 (u32 words; floats as their
/// bits), `buffers` at bindings 1, 2, ... in the kernel's order.
pub(crate) fn bind_group(
    device: &wgpu::Device,
    pipeline: &wgpu::ComputePipeline,
    params: &[u32],
    buffers: &[&wgpu::Buffer],
) -> wgpu::BindGroup {
    let bytes: Vec<u8> = params.iter().flat_map(|w| w.to_le_bytes()).collect();
    let uniform = device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
        label: Some("params"),
        contents: &bytes,
        usage: wgpu::BufferUsages::UNIFORM,
    });
    let mut entries = vec![wgpu::BindGroupEntry {
        binding: 0,
        resource: uniform.as_entire_binding(),
    }];
    entries.extend(
        buffers
            .iter()
            .enumerate()
            .map(|(i, buffer)| wgpu::BindGroupEntry {
                binding: i as u32 + 1,
                resource: buffer.as_entire_binding(),
            }),
    );
    device.create_bind_group(&wgpu::BindGroupDescriptor {
        label: None,
        layout: &pipeline.get_bind_group_layout(0),
        entries: &entries,
    })
}

/// The `activation` code of the linear kernels (`shaders/activation.wgsl`).
pub(crate) fn activation_code(activation: Option<Activation>) -> u32 {
    match activation {
        None => 0,
        Some(Activation::Gelu) => 1,
        Some(Activation::GeluNew) => 2,
        Some(Activation::Relu) => 3,
        Some(Activation::Silu) => 4,
        Some(Activation::Tanh) => 5,
    }
}

/// The kernel and workgroups for an `m × n` linear-layer output: few rows go to `matvec.wgsl`.
pub(crate) fn linear_kernel(m: usize, n: usize) -> (Kernel, [u32; 3]) {
    if m <= MATVEC_ROWS {
        (Kernel::Matvec, [n.div_ceil(MATVEC_COLUMNS) as u32, 1, 1])
    } else {
        (
            Kernel::Matmul,
            [
                n.div_ceil(MATMUL_TILE) as u32,
                m.div_ceil(MATMUL_TILE) as u32,
                1,
            ],
        )
    }
}
