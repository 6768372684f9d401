//! Buffers for the training kernels: uploads, zeros and readback. Every one can be bound as
//! storage, copied from and written by the queue (inputs change every step).

use wgpu::util::DeviceExt;

use super::super::context::{read_back, GpuContext, GpuError};
use super::super::kernels::At;
use super::launch::check;

const USAGE: wgpu::BufferUsages = wgpu::BufferUsages::STORAGE
    .union(wgpu::BufferUsages::COPY_SRC)
    .union(wgpu::BufferUsages::COPY_DST);

fn from_bytes(ctx: &GpuContext, label: &str, bytes: &[u8]) -> wgpu::Buffer {
    ctx.device
        .create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some(label),
            contents: bytes,
            usage: USAGE,
        })
}

pub fn upload(ctx: &GpuContext, label: &str, data: &[f32]) -> wgpu::Buffer {
    let bytes: Vec<u8> = data.iter().flat_map(|v| v.to_le_bytes()).collect();
    from_bytes(ctx, label, &bytes)
}

pub fn upload_u32(ctx: &GpuContext, label: &str, data: &[u32]) -> wgpu::Buffer {
    let bytes: Vec<u8> = data.iter().flat_map(|v| v.to_le_bytes()).collect();
    from_bytes(ctx, label, &bytes)
}

/// Writes `data` at `at`, before the next submission's work (a step's new inputs).
pub fn write(ctx: &GpuContext, at: At, data: &[f32]) -> Result<(), GpuError> {
    check("write", at, data.len())?;
    let bytes: Vec<u8> = data.iter().flat_map(|v| v.to_le_bytes()).collect();
    ctx.queue.write_buffer(at.0, (at.1 * 4) as u64, &bytes);
    Ok(())
}

/// Writes u32 words from the start of `buffer` (an embedding index, labels).
pub fn write_u32(ctx: &GpuContext, buffer: &wgpu::Buffer, data: &[u32]) -> Result<(), GpuError> {
    check("write", At(buffer, 0), data.len())?;
    let bytes: Vec<u8> = data.iter().flat_map(|v| v.to_le_bytes()).collect();
    ctx.queue.write_buffer(buffer, 0, &bytes);
    Ok(())
}

/// `floats` zeros (wgpu zero-initialises new buffers).
pub fn zeros(ctx: &GpuContext, label: &str, floats: usize) -> wgpu::Buffer {
    ctx.device.create_buffer(&wgpu::BufferDescriptor {
        label: Some(label),
        size: (floats.max(1) * 4) as u64,
        usage: USAGE,
        mapped_at_creation: false,
    })
}

/// `floats` floats from `at`, after the work submitted so far.
pub async fn read(ctx: &GpuContext, at: At<'_>, floats: usize) -> Result<Vec<f32>, GpuError> {
    check("readback", at, floats)?;
    let staging = ctx.device.create_buffer(&wgpu::BufferDescriptor {
        label: Some("readback"),
        size: (floats.max(1) * 4) as u64,
        usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
        mapped_at_creation: false,
    });
    ctx.checked(|| {
        let mut commands = ctx.device.create_command_encoder(&Default::default());
        commands.copy_buffer_to_buffer(at.0, (at.1 * 4) as u64, &staging, 0, (floats * 4) as u64);
        ctx.queue.submit([commands.finish()]);
    })
    .await?;
    read_back(ctx, &staging, floats)
        .await
        .map_err(|e| ctx.failure().unwrap_or(e))
}
