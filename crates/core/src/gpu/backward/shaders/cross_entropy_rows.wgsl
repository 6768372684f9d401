// Per row of logits (cross_entropy.wgsl comes first), one workgroup each: the row's loss
// logsumexp - logit[label], and dLogits = (softmax - onehot) / count, zero on unlabelled rows, so
// the gradient is that of the mean loss over labelled rows.

@group(0) @binding(3) var<storage, read> logits: array<f32>;
@group(0) @binding(4) var<storage, read_write> grad: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_index) lane: u32) {
    let r = group.x;
    let count = labelled_rows(lane);
    let label = labels[r];
    let base = p.logits_offset + r * p.classes;
    var best = -3.4e38;
    for (var c = lane; c < p.classes; c += THREADS) {
        best = max(best, logits[base + c]);
    }
    let top = reduce_max(best, lane);
    var sum = 0.0;
    for (var c = lane; c < p.classes; c += THREADS) {
        sum += exp(logits[base + c] - top);
    }
    let lse = top + log(reduce_sum(sum, lane));
    // 0 for an unlabelled row; count >= 1 wherever it is read.
    let weight = select(0.0, 1.0 / max(count, 1.0), label >= 0);
    for (var c = lane; c < p.classes; c += THREADS) {
        let onehot = select(0.0, 1.0, i32(c) == label);
        grad[p.grad_offset + r * p.classes + c] = (exp(logits[base + c] - lse) - onehot) * weight;
    }
    if (lane == 0u) {
        row_loss[r] = select(0.0, lse - logits[base + u32(max(label, 0))], label >= 0);
    }
}
