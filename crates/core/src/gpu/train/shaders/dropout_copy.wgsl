// dst = src · mask (dropout.wgsl comes first): where the undropped values are still needed (the
// attention probabilities for the softmax backward, a residual's gradient).

@group(0) @binding(2) var<storage, read> src: array<f32>;
@group(0) @binding(3) var<storage, read_write> dst: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    for (var i = id.x; i < p.len; i += groups.x * 256u) {
        dst[p.dst_offset + i] = src[p.src_offset + i] * factor(i);
    }
}
