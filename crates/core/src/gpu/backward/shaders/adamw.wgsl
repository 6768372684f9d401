// One AdamW update of one weight, element by element, in the order and f32 rounding of
// `train::adamw_kernel::update_piece` (decoupled weight decay, bias-corrected moments). The step's
// scalars (binding 1) are shared by every weight and rewritten each update; the per-weight ones
// (binding 0) are recorded once.

struct Params {
    len: u32,
    // 1: decayed (BERT decays neither biases nor LayerNorm weights)
    decays: u32,
    // 0: the encoder's rate, 1: the heads'
    group: u32,
    param_offset: u32,
    grad_offset: u32,
    m_offset: u32,
    v_offset: u32,
    _pad: u32,
}

struct Step {
    // per group
    lr: vec2<f32>,
    // lr × weight decay, per group
    decay: vec2<f32>,
    beta1: f32,
    beta2: f32,
    one_minus_beta1: f32,
    one_minus_beta2: f32,
    eps: f32,
    scale_m: f32,
    scale_v: f32,
    grad_scale: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<uniform> s: Step;
@group(0) @binding(2) var<storage, read_write> param: array<f32>;
@group(0) @binding(3) var<storage, read> grad: array<f32>;
@group(0) @binding(4) var<storage, read_write> m: array<f32>;
@group(0) @binding(5) var<storage, read_write> v: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let lr = s.lr[p.group];
    let keep = 1.0 - select(0.0, s.decay[p.group], p.decays != 0u);
    for (var i = id.x; i < p.len; i += groups.x * 256u) {
        let g = grad[p.grad_offset + i] * s.grad_scale;
        let mi = s.beta1 * m[p.m_offset + i] + s.one_minus_beta1 * g;
        let vi = s.beta2 * v[p.v_offset + i] + s.one_minus_beta2 * g * g;
        m[p.m_offset + i] = mi;
        v[p.v_offset + i] = vi;
        let step = (mi * s.scale_m) / (sqrt(vi * s.scale_v) + s.eps);
        let at = p.param_offset + i;
        param[at] = param[at] * keep - lr * step;
    }
}
