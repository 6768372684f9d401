//! A recorded kernel launch, the checks every launch makes, and one submission of many.

use super::super::context::{GpuContext, GpuError};
use super::super::kernels::{bind_group, At};

/// WebGPU's default `maxComputeWorkgroupsPerDimension`.
const MAX_GROUPS: usize = 65_535;

/// One kernel launch: recorded once per shape, replayed by every step of that shape.
pub struct Launch {
    pipeline: wgpu::ComputePipeline,
    bindings: wgpu::BindGroup,
    groups: [u32; 3],
}

impl Launch {
    /// `params` as the uniform block at binding 0 (u32 words; floats as their bits), `buffers` at
    /// bindings 1, 2, ...; fails when the grid exceeds the WebGPU default.
    pub(crate) fn new(
        ctx: &GpuContext,
        pipeline: &wgpu::ComputePipeline,
        params: &[u32],
        buffers: &[&wgpu::Buffer],
        groups: [usize; 3],
    ) -> Result<Launch, GpuError> {
        if let Some(&big) = groups.iter().find(|&&g| g > MAX_GROUPS) {
            return Err(GpuError::Unsupported(format!(
                "{big} workgroups in one dimension; WebGPU allows {MAX_GROUPS}"
            )));
        }
        Ok(Launch {
            pipeline: pipeline.clone(),
            bindings: bind_group(&ctx.device, pipeline, params, buffers),
            groups: groups.map(|g| g as u32),
        })
    }

    pub fn record(&self, pass: &mut wgpu::ComputePass<'_>) {
        pass.set_pipeline(&self.pipeline);
        pass.set_bind_group(0, &self.bindings, &[]);
        let [x, y, z] = self.groups;
        pass.dispatch_workgroups(x, y, z);
    }
}

/// Records `launches` in order into one compute pass and submits it, inside the error scopes (a
/// validation error comes back here, not as a lost context). Later launches see earlier writes.
pub async fn submit(ctx: &GpuContext, launches: &[&Launch]) -> Result<(), GpuError> {
    ctx.checked(|| {
        let mut commands = ctx.device.create_command_encoder(&Default::default());
        {
            let mut pass = commands.begin_compute_pass(&Default::default());
            for launch in launches {
                launch.record(&mut pass);
            }
        }
        ctx.queue.submit([commands.finish()]);
    })
    .await
}

/// Fails unless `floats` floats from `at` lie inside its buffer: WGSL clamps out-of-bounds
/// accesses instead of failing, which would turn a wrong shape into silently wrong gradients.
pub(crate) fn check(what: &str, at: At, floats: usize) -> Result<(), GpuError> {
    let size = at.0.size() as usize / 4;
    match at.1.checked_add(floats) {
        Some(end) if end <= size => Ok(()),
        _ => Err(GpuError::Unsupported(format!(
            "{what}: {floats} floats from offset {} overrun a buffer of {size}",
            at.1
        ))),
    }
}

/// An offset or size as the kernels' u32 word, or an error past 2³².
pub(crate) fn word(what: &str, value: usize) -> Result<u32, GpuError> {
    u32::try_from(value)
        .map_err(|_| GpuError::Unsupported(format!("{what} {value} does not fit the kernels' u32")))
}

/// Workgroups for an elementwise kernel of 256 invocations with a grid-stride loop.
pub(crate) fn stride_groups(len: usize) -> [usize; 3] {
    [len.div_ceil(256).clamp(1, MAX_GROUPS), 1, 1]
}
