//! Building blocks with HF initialisation and a differentiable/fast switch.
//!
//! candle-nn's fused LayerNorm kernel has no backward pass: gradients silently stop at it. [`Mode`]
//! therefore picks it only when no gradient is wanted, and the project's own kernel with a backward
//! ([`super::fused`]) otherwise. (Attention's softmax is always the project's: see `attention.rs`.)

use candle_core::{Module, Result, Tensor};
use candle_nn::{Init, VarBuilder};

use super::config::Activation;
use super::fused;

/// How a forward pass runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// Inference: dropout off, candle's fused LayerNorm (no gradients through it).
    #[default]
    Eval,
    /// Training: dropout on, every op differentiable (the project's fused kernels with a backward).
    Train,
    /// Dropout off but every op differentiable (gradient saliency, deterministic fine-tuning checks).
    Grad,
}

impl Mode {
    pub fn dropout(self) -> bool {
        self == Mode::Train
    }

    pub fn differentiable(self) -> bool {
        self != Mode::Eval
    }
}

/// `nn.Linear`: `x · Wᵀ + b`, one kernel forward and back ([`fused::linear`]).
#[derive(Debug, Clone)]
pub struct Linear {
    weight: Tensor,
    bias: Option<Tensor>,
}

impl Linear {
    pub fn new(weight: Tensor, bias: Option<Tensor>) -> Linear {
        Linear { weight, bias }
    }

    /// `[out, in]`
    pub fn weight(&self) -> &Tensor {
        &self.weight
    }

    pub fn bias(&self) -> Option<&Tensor> {
        self.bias.as_ref()
    }
}

impl Module for Linear {
    fn forward(&self, xs: &Tensor) -> Result<Tensor> {
        match &self.bias {
            Some(b) => fused::linear(xs, &self.weight, b),
            None => xs.broadcast_matmul(&self.weight.t()?),
        }
    }
}

/// `nn.Linear` with HF init: weight ~ N(0, std), bias 0.
pub fn linear(in_dim: usize, out_dim: usize, std: f64, vb: VarBuilder) -> Result<Linear> {
    let weight = vb.get_with_hints(
        (out_dim, in_dim),
        "weight",
        Init::Randn {
            mean: 0.,
            stdev: std,
        },
    )?;
    let bias = vb.get_with_hints(out_dim, "bias", Init::Const(0.))?;
    Ok(Linear::new(weight, Some(bias)))
}

/// `nn.Embedding` with HF init: N(0, std).
pub fn embedding(
    count: usize,
    dim: usize,
    std: f64,
    vb: VarBuilder,
) -> Result<candle_nn::Embedding> {
    let table = vb.get_with_hints(
        (count, dim),
        "weight",
        Init::Randn {
            mean: 0.,
            stdev: std,
        },
    )?;
    Ok(candle_nn::Embedding::new(table, dim))
}

/// `nn.LayerNorm` (weight 1, bias 0).
#[derive(Debug, Clone)]
pub struct LayerNorm {
    weight: Tensor,
    bias: Tensor,
    eps: f64,
}

impl LayerNorm {
    pub fn load(dim: usize, eps: f64, vb: VarBuilder) -> Result<LayerNorm> {
        Ok(LayerNorm {
            weight: vb.get_with_hints(dim, "weight", Init::Const(1.))?,
            bias: vb.get_with_hints(dim, "bias", Init::Const(0.))?,
            eps,
        })
    }

    /// (weight, bias, eps), for backends that run the norm with their own kernels.
    pub(crate) fn parts(&self) -> (&Tensor, &Tensor, f64) {
        (&self.weight, &self.bias, self.eps)
    }

    pub fn forward(&self, xs: &Tensor, mode: Mode) -> Result<Tensor> {
        if mode.differentiable() {
            fused::layer_norm(xs, &self.weight, &self.bias, self.eps)
        } else {
            candle_nn::ops::layer_norm(&xs.contiguous()?, &self.weight, &self.bias, self.eps as f32)
        }
    }
}

impl Activation {
    pub fn forward(self, xs: &Tensor) -> Result<Tensor> {
        match self {
            Activation::Gelu => fused::gelu_erf(xs),
            Activation::GeluNew => xs.gelu(),
            Activation::Relu => xs.relu(),
            Activation::Silu => xs.silu(),
            Activation::Tanh => xs.tanh(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{Device, Var};

    #[test]
    fn layer_norm_paths_agree_and_slow_path_has_gradients() {
        let dev = Device::Cpu;
        let xs = Tensor::new(&[[1f32, 2., 4., -3.], [0.5, 0.25, -1., 8.]], &dev).unwrap();
        let w = Var::new(&[1f32, 2., 0.5, 1.], &dev).unwrap();
        let ln = LayerNorm {
            weight: w.as_tensor().clone(),
            bias: Tensor::new(&[0f32, 1., 0., -1.], &dev).unwrap(),
            eps: 1e-12,
        };
        let fast = ln.forward(&xs, Mode::Eval).unwrap();
        let slow = ln.forward(&xs, Mode::Train).unwrap();
        let diff = (fast - &slow).unwrap().abs().unwrap().max_all().unwrap();
        assert!(diff.to_scalar::<f32>().unwrap() < 1e-5);
        let grads = slow.sum_all().unwrap().backward().unwrap();
        assert!(grads.get(w.as_tensor()).is_some());
    }

    #[test]
    fn gelu_variants_match_their_formulas() {
        let dev = Device::Cpu;
        let x = 0.7f64;
        let t = Tensor::new(&[x as f32], &dev).unwrap();
        let erf = Activation::Gelu
            .forward(&t)
            .unwrap()
            .to_vec1::<f32>()
            .unwrap()[0] as f64;
        // Φ(0.7) = 0.758036...
        assert!((erf - x * 0.758_036_347_776_926_9).abs() < 1e-6);
        let tanh = Activation::GeluNew
            .forward(&t)
            .unwrap()
            .to_vec1::<f32>()
            .unwrap()[0] as f64;
        let want = 0.5
            * x
            * (1. + ((2. / std::f64::consts::PI).sqrt() * (x + 0.044715 * x.powi(3))).tanh());
        assert!((tanh - want).abs() < 1e-6);
    }
}
