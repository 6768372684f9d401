// The same linear layer for at most 8 rows (the MLM head at the [MASK] positions, the pooler): the
// 64-row tiles of matmul.wgsl would compute mostly padding there. One invocation per output column;
// the rows' inputs go through workgroup memory 256 values of k at a time (8 KiB).

const MAX_ROWS: u32 = 8u;
const CHUNK: u32 = 256u;

var<workgroup> rows: array<f32, 2048>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_index) lane: u32) {
    let col = group.x * CHUNK + lane;
    // Rows 0-3 and 4-7 as two vectors.
    var low = vec4<f32>(0.0);
    var high = vec4<f32>(0.0);
    for (var k0 = 0u; k0 < p.k; k0 += CHUNK) {
        for (var r = 0u; r < MAX_ROWS; r++) {
            var v = 0.0;
            if (r < p.m && k0 + lane < p.k) {
                v = a[p.a_offset + r * p.k + k0 + lane];
            }
            rows[r * CHUNK + lane] = v;
        }
        workgroupBarrier();
        if (col < p.n) {
            let steps = min(CHUNK, p.k - k0);
            for (var kk = 0u; kk < steps; kk++) {
                let wv = vec4<f32>(w[col * p.k + k0 + kk]);
                low = fma(
                    vec4<f32>(rows[kk], rows[CHUNK + kk], rows[2u * CHUNK + kk], rows[3u * CHUNK + kk]),
                    wv,
                    low,
                );
                high = fma(
                    vec4<f32>(rows[4u * CHUNK + kk], rows[5u * CHUNK + kk], rows[6u * CHUNK + kk], rows[7u * CHUNK + kk]),
                    wv,
                    high,
                );
            }
        }
        workgroupBarrier();
    }
    if (col < p.n) {
        for (var r = 0u; r < p.m; r++) {
            var v = high[r % 4u];
            if (r < 4u) {
                v = low[r];
            }
            out[p.out_offset + r * p.n + col] = activate(p.activation, v + bias[col]);
        }
    }
}
