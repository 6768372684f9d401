// x *= mask in place (dropout.wgsl comes first).

@group(0) @binding(2) var<storage, read_write> x: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    for (var i = id.x; i < p.len; i += groups.x * 256u) {
        x[p.dst_offset + i] *= factor(i);
    }
}
