//! AdamW with parameter groups, gradient-norm clipping and a state that can be saved and restored.
//!
//! The update is candle-nn's `AdamW` (decoupled weight decay, bias-corrected moments), written out
//! here because candle's keeps its moments private (a run could not be resumed) and has one learning
//! rate and one weight decay for all weights, while continued pretraining wants a larger rate for
//! a fresh head than for the encoder and, as BERT, no decay on biases and LayerNorm weights. Each
//! weight is updated in one fused pass (see [`super::adamw_kernel`]).

use std::cell::RefCell;
use std::collections::HashMap;

use candle_core::{Tensor, Var};
use candle_nn::VarMap;
use serde::{Deserialize, Serialize};

use super::adamw_kernel::{sum_of_squares, Coefficients, FusedUpdate, Moments};
use super::TrainError;

/// Adam hyper-parameters shared by every group. Defaults: betas (0.9, 0.999), eps 1e-6 (BERT),
/// weight decay 0.01.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AdamWParams {
    pub beta1: f64,
    pub beta2: f64,
    pub eps: f64,
    pub weight_decay: f64,
}

impl Default for AdamWParams {
    fn default() -> Self {
        AdamWParams {
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-6,
            weight_decay: 0.01,
        }
    }
}

impl AdamWParams {
    /// The scalars of update number `t` (from 1) of a weight at rate `lr`, decayed or not (BERT's
    /// rule, [`decays`]), with gradients scaled by `grad_scale`. The GPU update
    /// (`crate::gpu::backward::adamw`) takes the same ones, so both round alike.
    pub(crate) fn coefficients(
        &self,
        t: usize,
        lr: f64,
        decay: bool,
        grad_scale: f64,
    ) -> Coefficients {
        let AdamWParams {
            beta1,
            beta2,
            eps,
            weight_decay,
        } = *self;
        Coefficients {
            lr: lr as f32,
            decay: if decay {
                (lr * weight_decay) as f32
            } else {
                0.0
            },
            beta1: beta1 as f32,
            beta2: beta2 as f32,
            one_minus_beta1: (1.0 - beta1) as f32,
            one_minus_beta2: (1.0 - beta2) as f32,
            eps: eps as f32,
            scale_m: (1.0 / (1.0 - beta1.powi(t as i32))) as f32,
            scale_v: (1.0 / (1.0 - beta2.powi(t as i32))) as f32,
            grad_scale: grad_scale as f32,
        }
    }
}

/// Which learning rate a weight follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Group {
    Encoder,
    Head,
}

struct Param {
    name: String,
    var: Var,
    group: Group,
    decay: bool,
    moments: Moments,
}

/// One weight of an [`AdamW`], as [`AdamW::entries`] lists them.
pub(crate) struct OptimizerEntry<'a> {
    pub name: &'a str,
    pub var: &'a Var,
    pub group: Group,
    pub decay: bool,
    pub m: &'a [f32],
    pub v: &'a [f32],
}

pub struct AdamW {
    params: Vec<Param>,
    hp: AdamWParams,
    /// Updates made so far (bias correction).
    step_t: usize,
}

/// Every weight of `varmap` by HF name, sorted, so the optimizer's order (and with it every run)
/// is reproducible.
pub(super) fn named_vars(varmap: &VarMap) -> Result<Vec<(String, Var)>, TrainError> {
    let mut vars: Vec<(String, Var)> = varmap
        .data()
        .lock()
        .map_err(|_| TrainError::Config("weight store poisoned".into()))?
        .iter()
        .map(|(n, v)| (n.clone(), v.clone()))
        .collect();
    vars.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(vars)
}

/// BERT's rule: biases and LayerNorm weights are not decayed.
pub fn decays(name: &str) -> bool {
    !(name.ends_with(".bias") || name.contains("LayerNorm") || name.contains("layer_norm"))
}

impl AdamW {
    /// `vars` by HF name, each with its group; moments start at zero.
    pub fn new(vars: Vec<(String, Var, Group)>, hp: AdamWParams) -> Result<AdamW, TrainError> {
        let params = vars
            .into_iter()
            .map(|(name, var, group)| {
                let moments = Moments::zeros(var.elem_count());
                Ok(Param {
                    decay: decays(&name),
                    name,
                    var,
                    group,
                    moments,
                })
            })
            .collect::<Result<Vec<_>, TrainError>>()?;
        Ok(AdamW {
            params,
            hp,
            step_t: 0,
        })
    }

    pub fn vars(&self) -> impl Iterator<Item = (&str, &Var)> {
        self.params.iter().map(|p| (p.name.as_str(), &p.var))
    }

    pub fn steps_taken(&self) -> usize {
        self.step_t
    }

    /// Each weight with its group, whether it decays, and its moments `(m, v)`: what a GPU copy of
    /// the optimizer (`crate::gpu::train`) uploads.
    pub(crate) fn entries(&self) -> impl Iterator<Item = OptimizerEntry<'_>> {
        self.params.iter().map(|p| OptimizerEntry {
            name: &p.name,
            var: &p.var,
            group: p.group,
            decay: p.decay,
            m: &p.moments.m,
            v: &p.moments.v,
        })
    }

    /// Replaces the moments of weight `name` (from a GPU copy); lengths must match.
    pub(crate) fn set_moments(
        &mut self,
        name: &str,
        m: Vec<f32>,
        v: Vec<f32>,
    ) -> Result<(), TrainError> {
        let p = self
            .params
            .iter_mut()
            .find(|p| p.name == name)
            .ok_or_else(|| TrainError::Config(format!("the optimizer has no weight {name}")))?;
        let len = p.var.elem_count();
        if m.len() != len || v.len() != len {
            return Err(TrainError::Config(format!(
                "moments of {} and {} floats for {name} of {len}",
                m.len(),
                v.len()
            )));
        }
        p.moments.m = m;
        p.moments.v = v;
        Ok(())
    }

    /// Sets the update count (bias correction): a GPU copy made updates this optimizer did not
    /// see, or they are being replayed after a fallback.
    pub(crate) fn set_steps_taken(&mut self, steps: usize) {
        self.step_t = steps;
    }

    /// The hyper-parameters, for an update made elsewhere with the same scalars.
    pub(crate) fn hyper_parameters(&self) -> &AdamWParams {
        &self.hp
    }

    /// One update with the given gradients (by var name; weights without one are left alone).
    pub fn step(
        &mut self,
        grads: &HashMap<String, Tensor>,
        lr: impl Fn(Group) -> f64,
    ) -> Result<(), TrainError> {
        self.scaled_step(grads, 1.0, lr)
    }

    /// [`AdamW::step`] with every gradient multiplied by `grad_scale` as it is read.
    fn scaled_step(
        &mut self,
        grads: &HashMap<String, Tensor>,
        grad_scale: f64,
        lr: impl Fn(Group) -> f64,
    ) -> Result<(), TrainError> {
        self.step_t += 1;
        for p in &mut self.params {
            let Some(g) = grads.get(&p.name) else {
                continue;
            };
            let k = self
                .hp
                .coefficients(self.step_t, lr(p.group), p.decay, grad_scale);
            let update = FusedUpdate {
                moments: RefCell::new(&mut p.moments),
                k,
            };
            // Gradients of transposed weights come back strided; most are contiguous already.
            p.var.as_tensor().inplace_op2(&g.contiguous()?, &update)?;
        }
        Ok(())
    }

    /// Clips `grads` to the global norm `max_norm` (0 = no clipping), then makes one update with
    /// the encoder's and the heads' rates. A non-finite norm returns [`TrainError::NonFinite`] for
    /// update number `step` and leaves every weight as it was. Returns the norm before clipping.
    pub fn clipped_step(
        &mut self,
        grads: &HashMap<String, Tensor>,
        max_norm: f64,
        (lr_encoder, lr_head): (f64, f64),
        step: usize,
    ) -> Result<f64, TrainError> {
        let grad_norm = grad_norm(grads)?;
        TrainError::ensure_finite("gradient norm", grad_norm, step)?;
        self.scaled_step(grads, clip_scale(grad_norm, max_norm), |g| match g {
            Group::Encoder => lr_encoder,
            Group::Head => lr_head,
        })?;
        Ok(grad_norm)
    }

    /// The moments as named tensors (`m.NAME`, `v.NAME`) for a resume file, and the update count.
    pub fn state(&self) -> Result<(Vec<(String, Tensor)>, usize), TrainError> {
        let mut out = Vec::with_capacity(self.params.len() * 2);
        for p in &self.params {
            let (shape, device) = (p.var.shape(), p.var.device());
            for (kind, values) in [("m", &p.moments.m), ("v", &p.moments.v)] {
                out.push((
                    format!("{kind}.{}", p.name),
                    Tensor::from_slice(values, shape, device)?,
                ));
            }
        }
        Ok((out, self.step_t))
    }

    /// Restores what [`AdamW::state`] produced; every moment must be present with its shape.
    pub fn restore(
        &mut self,
        tensors: &HashMap<String, Tensor>,
        steps_taken: usize,
    ) -> Result<(), TrainError> {
        for p in &mut self.params {
            let dims = p.var.dims().to_vec();
            for (kind, slot) in [("m", &mut p.moments.m), ("v", &mut p.moments.v)] {
                let key = format!("{kind}.{}", p.name);
                let t = tensors
                    .get(&key)
                    .ok_or_else(|| TrainError::Resume(format!("optimizer state lacks {key}")))?;
                if t.dims() != dims.as_slice() {
                    return Err(TrainError::Resume(format!(
                        "optimizer state {key} has shape {:?}, the model needs {dims:?}",
                        t.dims(),
                    )));
                }
                *slot = t
                    .to_dtype(candle_core::DType::F32)?
                    .flatten_all()?
                    .to_vec1::<f32>()?;
            }
        }
        self.step_t = steps_taken;
        Ok(())
    }
}

/// The global L2 norm of the gradients.
fn grad_norm(grads: &HashMap<String, Tensor>) -> Result<f64, TrainError> {
    let mut sum = 0f64;
    for g in grads.values() {
        sum += sum_of_squares(g)?;
    }
    Ok(sum.sqrt())
}

/// What clipping to `max_norm` (0 = none) multiplies gradients of norm `norm` by.
pub(crate) fn clip_scale(norm: f64, max_norm: f64) -> f64 {
    if max_norm > 0.0 && norm.is_finite() && norm > max_norm {
        max_norm / (norm + 1e-6)
    } else {
        1.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    #[test]
    fn matches_candle_adamw_without_decay_exclusions() {
        use candle_nn::Optimizer;
        let dev = Device::Cpu;
        let init = Tensor::new(&[[0.5f32, -1.0], [2.0, 0.1]], &dev).unwrap();
        let ours_var = Var::from_tensor(&init).unwrap();
        let theirs_var = Var::from_tensor(&init).unwrap();
        let hp = AdamWParams::default();
        let mut ours =
            AdamW::new(vec![("w".into(), ours_var.clone(), Group::Encoder)], hp).unwrap();
        let mut theirs = candle_nn::AdamW::new(
            vec![theirs_var.clone()],
            candle_nn::ParamsAdamW {
                lr: 0.01,
                beta1: hp.beta1,
                beta2: hp.beta2,
                eps: hp.eps,
                weight_decay: hp.weight_decay,
            },
        )
        .unwrap();
        for _ in 0..3 {
            let loss = theirs_var.as_tensor().sqr().unwrap().sum_all().unwrap();
            let grads = loss.backward().unwrap();
            let g = grads.get(theirs_var.as_tensor()).unwrap().clone();
            theirs.step(&grads).unwrap();
            // f32 rounding differs in order between the fused pass and candle's tensor ops: the
            // weights agree to 1e-6 per element (a few ulp at these magnitudes) after each update.
            let apart = max_apart(&(ours_var.as_tensor() * 2.0).unwrap(), &g);
            assert!(apart < 2e-6, "gradients {apart} apart");
            let map = HashMap::from([("w".to_string(), (ours_var.as_tensor() * 2.0).unwrap())]);
            ours.step(&map, |_| 0.01).unwrap();
        }
        let diff = max_apart(ours_var.as_tensor(), theirs_var.as_tensor());
        assert!(diff < 1e-6, "{diff}");
    }

    fn max_apart(a: &Tensor, b: &Tensor) -> f32 {
        (a - b)
            .and_then(|d| d.abs()?.max_all()?.to_scalar::<f32>())
            .unwrap()
    }

    #[test]
    fn clipping_scales_to_max_norm() {
        let dev = Device::Cpu;
        let grads = HashMap::from([
            ("a".to_string(), Tensor::new(&[3f32], &dev).unwrap()),
            ("b".to_string(), Tensor::new(&[4f32], &dev).unwrap()),
        ]);
        let norm = grad_norm(&grads).unwrap();
        assert!((norm - 5.0).abs() < 1e-6);
        // what AdamW::clipped_step multiplies each gradient by as it reads it
        let a = 3.0 * clip_scale(norm, 1.0);
        assert!((a - 0.6).abs() < 1e-5, "{a}");
        assert!(!decays("bert.encoder.layer.0.output.LayerNorm.weight"));
        assert!(!decays("cls.predictions.bias"));
        assert!(decays("bert.encoder.layer.0.output.dense.weight"));
    }
}
