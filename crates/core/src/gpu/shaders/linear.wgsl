// What the two linear-layer kernels share, prepended to matvec.wgsl and matmul.wgsl (after
// activation.wgsl): their bindings.
// out[m, n] = act(sum_k a[m, k] * w[n, k] + bias[n]), the weight in the checkpoint's [out, in] layout.

struct Params {
    m: u32,
    n: u32,
    k: u32,
    // 0 none, 1 GELU (erf), 2 GELU (tanh), 3 ReLU, 4 SiLU, 5 tanh
    activation: u32,
    a_offset: u32,
    out_offset: u32,
    _pad0: u32,
    _pad1: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;
