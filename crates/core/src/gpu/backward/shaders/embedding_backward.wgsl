// dTable[row] += Σ dx[t] over the tokens t whose id is `row`, without float atomics: one invocation
// per (touched row, column) sums its row's tokens in token order, so the result is deterministic.
// The host builds the index (ids are known there): [touched, rows[touched], starts[touched + 1],
// tokens], tokens grouped by row. The grid covers the most rows a batch can touch (one per token);
// workgroups past `touched` do nothing, so a recorded launch serves every batch of the shape.

struct Params {
    dim: u32,
    dx_offset: u32,
    table_offset: u32,
    _pad: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> index: array<u32>;
@group(0) @binding(2) var<storage, read> dx: array<f32>;
@group(0) @binding(3) var<storage, read_write> table: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_index) lane: u32) {
    let touched = index[0];
    let u = group.y;
    let c = group.x * 64u + lane;
    if (u >= touched || c >= p.dim) {
        return;
    }
    let row = index[1u + u];
    let starts = 1u + touched;
    let tokens = starts + touched + 1u;
    let at = p.table_offset + row * p.dim + c;
    var acc = table[at];
    for (var k = index[starts + u]; k < index[starts + u + 1u]; k++) {
        acc += dx[p.dx_offset + index[tokens + k] * p.dim + c];
    }
    table[at] = acc;
}
