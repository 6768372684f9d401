// The attention softmax's backward, in place, one workgroup per (query, head, sequence) row
// (reduce.wgsl comes first): with P the row's probabilities and dP their gradient,
// dS = scale * P ⊙ (dP - Σ_j dP_j P_j), the gradient of the unscaled scores Q·Kᵀ. Padded keys
// (additive mask not 0) get exactly zero, as their probability is.

struct Params {
    seq: u32,
    heads: u32,
    probs_offset: u32,
    grad_offset: u32,
    scale: f32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> probs: array<f32>;
// 0 for a token, the lowest f32 for padding, per token (the forward's mask)
@group(0) @binding(2) var<storage, read> mask: array<f32>;
// dP in, dS out; [sequences, heads, seq, seq] as the probabilities
@group(0) @binding(3) var<storage, read_write> grad: array<f32>;

const THREADS: u32 = 64u;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_index) lane: u32) {
    let s = p.seq;
    let b = group.z;
    let row = ((b * p.heads + group.y) * s + group.x) * s;
    var dot = 0.0;
    for (var j = lane; j < s; j += THREADS) {
        dot += grad[p.grad_offset + row + j] * probs[p.probs_offset + row + j];
    }
    let total = reduce_sum(dot, lane);
    for (var j = lane; j < s; j += THREADS) {
        let at = p.grad_offset + row + j;
        let prob = probs[p.probs_offset + row + j];
        grad[at] = select(p.scale * prob * (grad[at] - total), 0.0, mask[b * s + j] != 0.0);
    }
}
