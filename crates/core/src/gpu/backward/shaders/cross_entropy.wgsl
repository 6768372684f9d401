// What the two cross-entropy kernels share (after reduce.wgsl): the parameters, the labels (one per
// row; negative, HF's -100, for rows without one) and the per-row losses, and the count of labelled
// rows, which each workgroup takes on the GPU so a recorded launch serves any labels.

struct Params {
    rows: u32,
    classes: u32,
    logits_offset: u32,
    grad_offset: u32,
    loss_offset: u32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> labels: array<i32>;
@group(0) @binding(2) var<storage, read_write> row_loss: array<f32>;

const THREADS: u32 = 256u;

fn labelled_rows(lane: u32) -> f32 {
    var count = 0.0;
    for (var r = lane; r < p.rows; r += THREADS) {
        count += select(0.0, 1.0, labels[r] >= 0);
    }
    return reduce_sum(count, lane);
}
