// out[offset] = Σ partials[0..count], one workgroup (reduce.wgsl comes first).

const THREADS: u32 = 256u;

struct Params {
    count: u32,
    offset: u32,
    _a: u32,
    _b: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> partials: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(local_invocation_index) lane: u32) {
    var s = 0.0;
    for (var i = lane; i < p.count; i += THREADS) {
        s += partials[i];
    }
    let total = reduce_sum(s, lane);
    if (lane == 0u) {
        out[p.offset] = total;
    }
}
