// The activations by code (the linear layers' `activation` parameter, the backward's derivative
// kernel): 0 none, 1 GELU (erf), 2 GELU (tanh), 3 ReLU, 4 SiLU, 5 tanh.

// Abramowitz & Stegun 7.1.26: |error| < 1.5e-7, far inside the 1e-3 parity budget.
fn erf(x: f32) -> f32 {
    let t = 1.0 / (1.0 + 0.3275911 * abs(x));
    let poly = ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t;
    return sign(x) * (1.0 - poly * exp(-x * x));
}

// Some tanh implementations return NaN for large |x| (inf / inf): clamp where tanh is already ±1.
fn safe_tanh(x: f32) -> f32 {
    return tanh(clamp(x, -15.0, 15.0));
}

fn activate(code: u32, x: f32) -> f32 {
    switch code {
        case 1u: { return 0.5 * x * (1.0 + erf(x * 0.70710678118654752)); }
        case 2u: { return 0.5 * x * (1.0 + safe_tanh(0.79788456080286536 * (x + 0.044715 * x * x * x))); }
        case 3u: { return max(x, 0.0); }
        case 4u: { return x / (1.0 + exp(-x)); }
        case 5u: { return safe_tanh(x); }
        default: { return x; }
    }
}

