// y = act(x) elementwise (activation.wgsl comes first, with the codes): the training forward keeps
// the pre-activation x for the backward, where inference fuses the activation into the matmul.
// The same `activate` as the fused kernels, so both give the same values.

struct Params {
    len: u32,
    x_offset: u32,
    y_offset: u32,
    code: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    for (var i = id.x; i < p.len; i += groups.x * 256u) {
        y[p.y_offset + i] = activate(p.code, x[p.x_offset + i]);
    }
}
