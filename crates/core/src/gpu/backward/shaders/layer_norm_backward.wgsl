// dx for y = LayerNorm(x) * gamma + beta, one workgroup per row (reduce.wgsl and
// layer_norm_input.wgsl come first): with g = dy * gamma and x̂ the normalised row,
// dx = (g - mean(g) - x̂ * mean(g * x̂)) / sqrt(var + eps). Mean and variance are recomputed in two
// passes as the forward does, and kept per row (mean, 1 / sqrt(var + eps)) for the column kernel.

@group(0) @binding(4) var<storage, read> gamma: array<f32>;
@group(0) @binding(5) var<storage, read_write> dx: array<f32>;
@group(0) @binding(6) var<storage, read_write> stats: array<f32>;

const THREADS: u32 = 256u;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_index) lane: u32) {
    let row = group.x;
    let n = f32(p.dim);
    var sum = 0.0;
    for (var c = lane; c < p.dim; c += THREADS) {
        sum += value(row, c);
    }
    let mean = reduce_sum(sum, lane) / n;
    var squares = 0.0;
    for (var c = lane; c < p.dim; c += THREADS) {
        let d = value(row, c) - mean;
        squares += d * d;
    }
    let rstd = 1.0 / sqrt(reduce_sum(squares, lane) / n + p.eps);
    var g_sum = 0.0;
    var gx_sum = 0.0;
    for (var c = lane; c < p.dim; c += THREADS) {
        let g = dy[p.dy_offset + row * p.dim + c] * gamma[c];
        g_sum += g;
        gx_sum += g * (value(row, c) - mean) * rstd;
    }
    let g_mean = reduce_sum(g_sum, lane) / n;
    let gx_mean = reduce_sum(gx_sum, lane) / n;
    for (var c = lane; c < p.dim; c += THREADS) {
        let g = dy[p.dy_offset + row * p.dim + c] * gamma[c];
        let xhat = (value(row, c) - mean) * rstd;
        let at = p.out_offset + row * p.dim + c;
        var v = (g - g_mean - xhat * gx_mean) * rstd;
        if (p.accumulate != 0u) {
            v += dx[at];
        }
        dx[at] = v;
    }
    if (lane == 0u) {
        stats[2u * row] = mean;
        stats[2u * row + 1u] = rstd;
    }
}
