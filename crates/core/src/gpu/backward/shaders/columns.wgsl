// Column sums over rows without float atomics (WGSL has none), in a fixed order: a workgroup takes
// 64 columns, each of its 4 rows of invocations sums every 4th row, and the 4 partial sums are
// added in order. Prepended to the kernels that sum gradients over tokens.

const COLUMNS: u32 = 64u;
const ROW_LANES: u32 = 4u;

var<workgroup> column_partial: array<f32, 256>;

// The sum of `v` over the row lanes of column lane `x`; call in uniform control flow.
fn column_total(v: f32, x: u32, y: u32) -> f32 {
    column_partial[y * COLUMNS + x] = v;
    workgroupBarrier();
    var total = 0.0;
    for (var r = 0u; r < ROW_LANES; r++) {
        total += column_partial[r * COLUMNS + x];
    }
    workgroupBarrier();
    return total;
}
