// dgamma[c] (+)= sum_r dy[r, c] * x̂[r, c] and dbeta[c] (+)= sum_r dy[r, c], x̂ from the statistics
// layer_norm_backward.wgsl left (columns.wgsl and layer_norm_input.wgsl come first).

@group(0) @binding(4) var<storage, read> stats: array<f32>;
@group(0) @binding(5) var<storage, read_write> dgamma: array<f32>;
@group(0) @binding(6) var<storage, read_write> dbeta: array<f32>;

@compute @workgroup_size(64, 4)
fn main(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_id) local: vec3<u32>) {
    let col = group.x * COLUMNS + local.x;
    var scaled = 0.0;
    var plain = 0.0;
    if (col < p.dim) {
        for (var r = local.y; r < p.rows; r += ROW_LANES) {
            let d = dy[p.dy_offset + r * p.dim + col];
            scaled += d * (value(r, col) - stats[2u * r]) * stats[2u * r + 1u];
            plain += d;
        }
    }
    var gamma_grad = column_total(scaled, local.x, local.y);
    var beta_grad = column_total(plain, local.x, local.y);
    if (local.y == 0u && col < p.dim) {
        let g = p.out_offset + col;
        let b = p.beta_offset + col;
        if (p.accumulate != 0u) {
            gamma_grad += dgamma[g];
            beta_grad += dbeta[b];
        }
        dgamma[g] = gamma_grad;
        dbeta[b] = beta_grad;
    }
}
