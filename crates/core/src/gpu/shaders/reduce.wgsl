// Workgroup-wide reductions, prepended to the kernels that use them; each defines THREADS, its
// workgroup size, and every invocation must call these in uniform control flow.

var<workgroup> partial: array<f32, THREADS>;

fn reduce_sum(v: f32, lane: u32) -> f32 {
    partial[lane] = v;
    workgroupBarrier();
    for (var stride = THREADS / 2u; stride > 0u; stride /= 2u) {
        if (lane < stride) {
            partial[lane] += partial[lane + stride];
        }
        workgroupBarrier();
    }
    let total = partial[0];
    workgroupBarrier();
    return total;
}

fn reduce_max(v: f32, lane: u32) -> f32 {
    partial[lane] = v;
    workgroupBarrier();
    for (var stride = THREADS / 2u; stride > 0u; stride /= 2u) {
        if (lane < stride) {
            partial[lane] = max(partial[lane], partial[lane + stride]);
        }
        workgroupBarrier();
    }
    let top = partial[0];
    workgroupBarrier();
    return top;
}
