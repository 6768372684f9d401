// out[offset] = the labelled rows of logits [rows, classes] whose argmax is their label, the
// argmax taken as the CPU takes it (the first index of the largest), one workgroup (reduce.wgsl
// comes first). A row is a hit when no class before its label scores as high and none after it
// scores higher; unlabelled rows (label < 0) never are.

const THREADS: u32 = 256u;

struct Params {
    rows: u32,
    classes: u32,
    logits_offset: u32,
    out_offset: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read> labels: array<i32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(local_invocation_index) lane: u32) {
    var hits = 0.0;
    for (var r = 0u; r < p.rows; r++) {
        let label = labels[r];
        let l = u32(max(label, 0));
        let base = p.logits_offset + r * p.classes;
        let mine = logits[base + l];
        var beaten = 0.0;
        for (var c = lane; c < p.classes; c += THREADS) {
            let x = logits[base + c];
            if ((c < l && x >= mine) || (c > l && x > mine)) {
                beaten = 1.0;
            }
        }
        let any = reduce_max(beaten, lane);
        if (label >= 0 && any == 0.0) {
            hits += 1.0;
        }
    }
    if (lane == 0u) {
        out[p.out_offset] = hits;
    }
}
