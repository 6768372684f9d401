// c[z] = alpha * op(a[z]) * op(b[z]) (+ c[z] when accumulating), for every matrix z of a batch of
// `outer` x `heads` (sequences x attention heads; 1 x 1 for a linear layer's gradients). Each
// operand is addressed by offset, row stride and the two batch strides, so the per-head slices of
// the fused query/key/value buffer are read where they lie; op() transposes on request
// (dX = dY·W, dW = dYᵀ·X, the scores Q·Kᵀ, dV = Pᵀ·dC). Tiles as matmul.wgsl: 64x64 outputs per
// workgroup, 4x4 per invocation, k in steps of 16 through workgroup memory (8 KiB).

struct Operand {
    offset: u32,
    // floats between consecutive rows as stored
    ld: u32,
    // floats between consecutive matrices: sequences (outer), heads (inner)
    outer: u32,
    inner: u32,
}

struct Params {
    a: Operand,
    b: Operand,
    c: Operand,
    m: u32,
    n: u32,
    k: u32,
    heads: u32,
    trans_a: u32,
    trans_b: u32,
    accumulate: u32,
    alpha: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> c: array<f32>;

const TILE: u32 = 64u;
const TILE_K: u32 = 16u;

// [k][m] and [k][n], so the inner loop reads 4 neighbours of one k row.
var<workgroup> tile_a: array<f32, 1024>;
var<workgroup> tile_b: array<f32, 1024>;

fn start(o: Operand, z: u32) -> u32 {
    return o.offset + (z / p.heads) * o.outer + (z % p.heads) * o.inner;
}

// op(a)[i, kk] and op(b)[kk, j] of one matrix, zero past the edges.
fn a_at(base: u32, i: u32, kk: u32) -> f32 {
    if (i >= p.m || kk >= p.k) {
        return 0.0;
    }
    if (p.trans_a != 0u) {
        return a[base + kk * p.a.ld + i];
    }
    return a[base + i * p.a.ld + kk];
}

fn b_at(base: u32, kk: u32, j: u32) -> f32 {
    if (j >= p.n || kk >= p.k) {
        return 0.0;
    }
    if (p.trans_b != 0u) {
        return b[base + j * p.b.ld + kk];
    }
    return b[base + kk * p.b.ld + j];
}

@compute @workgroup_size(16, 16)
fn main(
    @builtin(workgroup_id) group: vec3<u32>,
    @builtin(local_invocation_id) local: vec3<u32>,
    @builtin(local_invocation_index) index: u32,
) {
    let row0 = group.y * TILE;
    let col0 = group.x * TILE;
    let z = group.z;
    let a0 = start(p.a, z);
    let b0 = start(p.b, z);
    var acc0 = vec4<f32>(0.0);
    var acc1 = vec4<f32>(0.0);
    var acc2 = vec4<f32>(0.0);
    var acc3 = vec4<f32>(0.0);
    for (var k0 = 0u; k0 < p.k; k0 += TILE_K) {
        // 64x16 values of each operand, 4 per invocation.
        for (var i = 0u; i < 4u; i++) {
            let e = index + i * 256u;
            let r = e / TILE_K;
            let kk = e % TILE_K;
            tile_a[kk * TILE + r] = a_at(a0, row0 + r, k0 + kk);
            tile_b[kk * TILE + r] = b_at(b0, k0 + kk, col0 + r);
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
            let b4 = vec4<f32>(
                tile_b[base + local.x * 4u],
                tile_b[base + local.x * 4u + 1u],
                tile_b[base + local.x * 4u + 2u],
                tile_b[base + local.x * 4u + 3u],
            );
            acc0 = fma(vec4<f32>(a4.x), b4, acc0);
            acc1 = fma(vec4<f32>(a4.y), b4, acc1);
            acc2 = fma(vec4<f32>(a4.z), b4, acc2);
            acc3 = fma(vec4<f32>(a4.w), b4, acc3);
        }
        workgroupBarrier();
    }
    let c0 = start(p.c, z);
    let r = row0 + local.y * 4u;
    let col = col0 + local.x * 4u;
    store(c0, r, col, acc0);
    store(c0, r + 1u, col, acc1);
    store(c0, r + 2u, col, acc2);
    store(c0, r + 3u, col, acc3);
}

fn store(base: u32, r: u32, col: u32, v: vec4<f32>) {
    if (r >= p.m) {
        return;
    }
    for (var j = 0u; j < 4u; j++) {
        if (col + j < p.n) {
            let at = base + r * p.c.ld + col + j;
            var value = p.alpha * v[j];
            if (p.accumulate != 0u) {
                value += c[at];
            }
            c[at] = value;
        }
    }
}
