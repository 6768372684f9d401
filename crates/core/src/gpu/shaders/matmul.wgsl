// out[m, n] = act(sum_k a[m, k] * w[n, k] + bias[n]) for many rows (linear.wgsl comes first).
// Each workgroup computes a 64x64 tile of the output; each of its 256 invocations a 4x4 block,
// stepping through k in tiles of 16 held in workgroup memory (8 KiB).

const TILE: u32 = 64u;
const TILE_K: u32 = 16u;

// [k][m] and [k][n], so the inner loop reads 4 neighbours of one k row.
var<workgroup> tile_a: array<f32, 1024>;
var<workgroup> tile_w: array<f32, 1024>;

@compute @workgroup_size(16, 16)
fn main(
    @builtin(workgroup_id) group: vec3<u32>,
    @builtin(local_invocation_id) local: vec3<u32>,
    @builtin(local_invocation_index) index: u32,
) {
    let row0 = group.y * TILE;
    let col0 = group.x * TILE;
    // The 4 rows of this invocation's 4x4 block as vectors, not an indexed local array (some shader
    // compilers keep those in memory).
    var acc0 = vec4<f32>(0.0);
    var acc1 = vec4<f32>(0.0);
    var acc2 = vec4<f32>(0.0);
    var acc3 = vec4<f32>(0.0);
    for (var k0 = 0u; k0 < p.k; k0 += TILE_K) {
        // 64x16 values of each operand, 4 per invocation; zeros past the edges.
        for (var i = 0u; i < 4u; i++) {
            let e = index + i * 256u;
            let r = e / TILE_K;
            let kk = e % TILE_K;
            let gk = k0 + kk;
            var av = 0.0;
            if (row0 + r < p.m && gk < p.k) {
                av = a[p.a_offset + (row0 + r) * p.k + gk];
            }
            tile_a[kk * TILE + r] = av;
            var wv = 0.0;
            if (col0 + r < p.n && gk < p.k) {
                wv = w[(col0 + r) * p.k + gk];
            }
            tile_w[kk * TILE + r] = wv;
        }
        workgroupBarrier();
        for (var kk = 0u; kk < TILE_K; kk++) {
            let base = kk * TILE;
            let a4 = vec4<f32>(
                tile_a[base + local.y * 4u],
                tile_a[base + local.y * 4u + 1u],
                tile_a[base + local.y * 4u + 2u],
                tile_a[base + local.y * 4u + 3u],
            );
            let w4 = vec4<f32>(
                tile_w[base + local.x * 4u],
                tile_w[base + local.x * 4u + 1u],
                tile_w[base + local.x * 4u + 2u],
                tile_w[base + local.x * 4u + 3u],
            );
            acc0 = fma(vec4<f32>(a4.x), w4, acc0);
            acc1 = fma(vec4<f32>(a4.y), w4, acc1);
            acc2 = fma(vec4<f32>(a4.z), w4, acc2);
            acc3 = fma(vec4<f32>(a4.w), w4, acc3);
        }
        workgroupBarrier();
    }
    let r = row0 + local.y * 4u;
    let c = col0 + local.x * 4u;
    store(r, c, acc0);
    store(r + 1u, c, acc1);
    store(r + 2u, c, acc2);
    store(r + 3u, c, acc3);
}

// Writes act(v + bias) to row r, columns c..c+4, inside the output's bounds.
fn store(r: u32, c: u32, v: vec4<f32>) {
    if (r >= p.m) {
        return;
    }
    for (var j = 0u; j < 4u; j++) {
        if (c + j < p.n) {
            out[p.out_offset + r * p.n + c + j] = activate(p.activation, v[j] + bias[c + j]);
        }
    }
}
