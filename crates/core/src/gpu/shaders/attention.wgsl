// Self-attention for one query row of one head (reduce.wgsl comes first): scores against every key,
// the additive padding mask, softmax (kept: the lessons draw it), then the probability-weighted sum
// of the values. One workgroup per (query, head, sequence); the row's scores stay in workgroup
// memory. `qkv` is the fused projection [tokens, 3 * hidden]: queries, then keys, then values.

struct Params {
    seq: u32,
    heads: u32,
    head_dim: u32,
    hidden: u32,
    probs_offset: u32,
    scale: f32,
    _pad0: u32,
    _pad1: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> qkv: array<f32>;
// 0 for a token, the lowest f32 for padding, per token
@group(0) @binding(2) var<storage, read> mask: array<f32>;
@group(0) @binding(3) var<storage, read_write> probs: array<f32>;
@group(0) @binding(4) var<storage, read_write> context: array<f32>;

const THREADS: u32 = 64u;
// The longest sequence the kernel takes (BERT's position table); the host checks it.
const MAX_SEQ: u32 = 512u;

var<workgroup> row: array<f32, 512>;
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_index) lane: u32) {
    let i = group.x;
    let h = group.y;
    let b = group.z;
    let s = p.seq;
    let d = p.head_dim;
    let stride = 3u * p.hidden;
    let query = (b * s + i) * stride + h * d;
    var best = -3.4e38;
    for (var j = lane; j < s; j += THREADS) {
        let key = (b * s + j) * stride + p.hidden + h * d;
        var dot = 0.0;
        for (var c = 0u; c < d; c++) {
            dot = fma(qkv[query + c], qkv[key + c], dot);
        }
        let score = dot * p.scale + mask[b * s + j];
        row[j] = score;
        best = max(best, score);
    }
    let top = reduce_max(best, lane);
    var sum = 0.0;
    for (var j = lane; j < s; j += THREADS) {
        let e = exp(row[j] - top);
        row[j] = e;
        sum += e;
    }
    let total = reduce_sum(sum, lane);
    let out = p.probs_offset + ((b * p.heads + h) * s + i) * s;
    for (var j = lane; j < s; j += THREADS) {
        let prob = row[j] / total;
        row[j] = prob;
        probs[out + j] = prob;
    }
    workgroupBarrier();
    for (var c = lane; c < d; c += THREADS) {
        var acc = 0.0;
        for (var j = 0u; j < s; j++) {
            acc = fma(row[j], qkv[(b * s + j) * stride + 2u * p.hidden + h * d + c], acc);
        }
        context[(b * s + i) * p.hidden + h * d + c] = acc;
    }
}
