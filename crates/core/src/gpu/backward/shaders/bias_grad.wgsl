// db[c] (+)= sum_r dy[r, c]: a linear layer's bias gradient (columns.wgsl comes first).

struct Params {
    rows: u32,
    cols: u32,
    dy_offset: u32,
    db_offset: u32,
    accumulate: u32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read_write> db: array<f32>;

@compute @workgroup_size(64, 4)
fn main(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_id) local: vec3<u32>) {
    let col = group.x * COLUMNS + local.x;
    var sum = 0.0;
    if (col < p.cols) {
        for (var r = local.y; r < p.rows; r += ROW_LANES) {
            sum += dy[p.dy_offset + r * p.cols + col];
        }
    }
    var total = column_total(sum, local.x, local.y);
    if (local.y == 0u && col < p.cols) {
        if (p.accumulate != 0u) {
            total += db[p.db_offset + col];
        }
        db[p.db_offset + col] = total;
    }
}
