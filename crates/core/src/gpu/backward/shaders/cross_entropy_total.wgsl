// The mean loss over labelled rows, in one workgroup (cross_entropy.wgsl comes first): the row
// losses summed in a fixed order, 0 when no row has a label (where PyTorch would return NaN).

@group(0) @binding(3) var<storage, read_write> loss: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(local_invocation_index) lane: u32) {
    let count = labelled_rows(lane);
    var sum = 0.0;
    for (var r = lane; r < p.rows; r += THREADS) {
        sum += row_loss[r];
    }
    let total = reduce_sum(sum, lane);
    if (lane == 0u) {
        loss[p.loss_offset] = total / max(count, 1.0);
    }
}
