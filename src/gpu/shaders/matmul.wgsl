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
    var acc: array<f32, 16>;
    for (var i = 0u; i < 16u; i++) {
        acc[i] = 0.0;
    }
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
            for (var i = 0u; i < 4u; i++) {
                for (var j = 0u; j < 4u; j++) {
                    acc[i * 4u + j] = fma(a4[i], w4[j], acc[i * 4u + j]);
                }
            }
        }
        workgroupBarrier();
    }
    for (var i = 0u; i < 4u; i++) {
        let r = row0 + local.y * 4u + i;
        for (var j = 0u; j < 4u; j++) {
            let c = col0 + local.x * 4u + j;
            if (r < p.m && c < p.n) {
                out[p.out_offset + r * p.n + c] = activate(acc[i * 4u + j] + bias[c]);
            }
        }
    }
}
