//! The compiled WGSL kernels and a recorded dispatch (pipeline, bindings, grid).

use wgpu::util::DeviceExt;

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
        let compile = |label: &str, source: &str| {
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
        };
        // WGSL has no includes: kernels share code by prefix (the linear layers their bindings and
        // activation, the normalising kernels their workgroup reductions).
        let linear = |body: &str| format!("{}{body}", include_str!("shaders/linear.wgsl"));
        let reducing = |body: &str| format!("{}{body}", include_str!("shaders/reduce.wgsl"));
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
    /// `params` go to binding 0 (a uniform block of u32 words; floats as their bits), `buffers`
    /// to bindings 1, 2, ... in the kernel's order.
    pub fn new(
        device: &wgpu::Device,
        kernels: &Kernels,
        kernel: Kernel,
        params: [u32; 8],
        buffers: &[&wgpu::Buffer],
        groups: [u32; 3],
    ) -> Dispatch {
        let bytes: Vec<u8> = params.iter().flat_map(|w| w.to_le_bytes()).collect();
        let uniform = device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some("params"),
            contents: &bytes,
            usage: wgpu::BufferUsages::UNIFORM,
        });
        // The WGSL params structs are 16 or 32 bytes: bind only what the kernel declares.
        let size = match kernel {
            Kernel::Embed | Kernel::Gather => 16,
            _ => 32,
        };
        let mut entries = vec![wgpu::BindGroupEntry {
            binding: 0,
            resource: wgpu::BindingResource::Buffer(wgpu::BufferBinding {
                buffer: &uniform,
                offset: 0,
                size: wgpu::BufferSize::new(size),
            }),
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
        let bindings = device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: None,
            layout: &kernels.pipeline(kernel).get_bind_group_layout(0),
            entries: &entries,
        });
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
