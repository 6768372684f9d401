// out[row] = LayerNorm(x[row] (+ residual[row])) * gamma + beta, one workgroup per row (reduce.wgsl
// comes first). Mean and variance are two passes over the row (not E[x²] - mean²), which keeps
// cancellation out.

struct Params {
    rows: u32,
    dim: u32,
    x_offset: u32,
    residual_offset: u32,
    out_offset: u32,
    has_residual: u32,
    eps: f32,
    _pad: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> residual: array<f32>;
@group(0) @binding(3) var<storage, read> gamma: array<f32>;
@group(0) @binding(4) var<storage, read> beta: array<f32>;
@group(0) @binding(5) var<storage, read_write> out: array<f32>;

const THREADS: u32 = 256u;
fn value(row: u32, c: u32) -> f32 {
    var v = x[p.x_offset + row * p.dim + c];
    if (p.has_residual != 0u) {
        v += residual[p.residual_offset + row * p.dim + c];
    }
    return v;
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_index) lane: u32) {
    let row = group.x;
    var sum = 0.0;
    for (var c = lane; c < p.dim; c += THREADS) {
        sum += value(row, c);
    }
    let mean = reduce_sum(sum, lane) / f32(p.dim);
    var squares = 0.0;
    for (var c = lane; c < p.dim; c += THREADS) {
        let d = value(row, c) - mean;
        squares += d * d;
    }
    let variance = reduce_sum(squares, lane) / f32(p.dim);
    let scale = 1.0 / sqrt(variance + p.eps);
    for (var c = lane; c < p.dim; c += THREADS) {
        out[p.out_offset + row * p.dim + c] = (value(row, c) - mean) * scale * gamma[c] + beta[c];
    }
}
