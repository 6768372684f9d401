// grad[i] *= act'(x[i]) in place, x the activation's input (activation.wgsl comes first, with the
// codes). Derivatives of the same formulas the forward evaluates, erf and tanh GELU alike.

struct Params {
    len: u32,
    x_offset: u32,
    grad_offset: u32,
    code: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> grad: array<f32>;

fn derivative(code: u32, v: f32) -> f32 {
    switch code {
        // Φ(v) + v φ(v)
        case 1u: { return 0.5 * (1.0 + erf(v * 0.70710678118654752)) + v * 0.39894228040143268 * exp(-0.5 * v * v); }
        case 2u: {
            let c = 0.79788456080286536;
            let t = safe_tanh(c * (v + 0.044715 * v * v * v));
            return 0.5 * (1.0 + t) + 0.5 * v * (1.0 - t * t) * c * (1.0 + 3.0 * 0.044715 * v * v);
        }
        case 3u: { return select(0.0, 1.0, v > 0.0); }
        case 4u: {
            let s = 1.0 / (1.0 + exp(-v));
            return s * (1.0 + v * (1.0 - s));
        }
        case 5u: {
            let t = safe_tanh(v);
            return 1.0 - t * t;
        }
        default: { return 1.0; }
    }
}

// A grid-stride loop: the element count may exceed 65,535 workgroups of 256.
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    for (var i = id.x; i < p.len; i += groups.x * 256u) {
        grad[p.grad_offset + i] *= derivative(p.code, x[p.x_offset + i]);
    }
}
