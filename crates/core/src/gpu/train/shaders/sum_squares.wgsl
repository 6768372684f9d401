// Σ x² over `len` floats from `offset`, in a fixed order (reduce.wgsl comes first): workgroup g
// sums a grid-stride share and writes partials[slot + g]; sum_total.wgsl adds the partials of all
// gradients. Clipping's global norm without float atomics.

const THREADS: u32 = 256u;

struct Params {
    len: u32,
    offset: u32,
    slot: u32,
    _pad: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> partials: array<f32>;

@compute @workgroup_size(256)
fn main(
    @builtin(workgroup_id) group: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
    @builtin(local_invocation_index) lane: u32,
) {
    var s = 0.0;
    for (var i = group.x * THREADS + lane; i < p.len; i += groups.x * THREADS) {
        let v = x[p.offset + i];
        s += v * v;
    }
    let total = reduce_sum(s, lane);
    if (lane == 0u) {
        partials[p.slot + group.x] = total;
    }
}
