// What the two LayerNorm backward kernels share (after their own prefix): the parameters, the
// normalised value's input (x, plus the residual when the forward added one), and the per-row
// statistics the row kernel leaves for the column kernel.

struct Params {
    rows: u32,
    dim: u32,
    x_offset: u32,
    residual_offset: u32,
    dy_offset: u32,
    // dx in the row kernel, dgamma in the column kernel
    out_offset: u32,
    has_residual: u32,
    accumulate: u32,
    eps: f32,
    beta_offset: u32,
    _pad1: u32,
    _pad2: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> residual: array<f32>;
@group(0) @binding(3) var<storage, read> dy: array<f32>;

fn value(row: u32, c: u32) -> f32 {
    var v = x[p.x_offset + row * p.dim + c];
    if (p.has_residual != 0u) {
        v += residual[p.residual_offset + row * p.dim + c];
    }
    return v;
}
