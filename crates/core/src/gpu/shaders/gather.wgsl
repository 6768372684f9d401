// dst[r] = src[index[r]]: picks rows (the [MASK] positions for the MLM head, the first token of
// each sequence for the pooler) so the costly vocabulary projection runs only where it is read.

struct Params {
    rows: u32,
    dim: u32,
    src_offset: u32,
    _pad: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> index: array<u32>;
@group(0) @binding(2) var<storage, read> src: array<f32>;
@group(0) @binding(3) var<storage, read_write> dst: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_index) lane: u32) {
    let r = group.x;
    for (var c = lane; c < p.dim; c += 64u) {
        dst[r * p.dim + c] = src[p.src_offset + index[r] * p.dim + c];
    }
}
