//! AdamW with parameter groups, gradient-norm clipping and a state that can be saved and restored.
//!
//! The update is candle-nn's `AdamW` (decoupled weight decay, bias-corrected moments), written out
//! here because candle's keeps its moments private (a run could not be resumed) and has one learning
//! rate and one weight decay for all weights, while continued pretraining wants a larger rate for
//! a fresh head than for the encoder and, as BERT, no decay on biases and LayerNorm weights.

use std::collections::HashMap;

use candle_core::{Tensor, Var};
use candle_nn::VarMap;
use serde::{Deserialize, Serialize};

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
    m: Tensor,
    v: Tensor,
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
fn decays(name: &str) -> bool {
    !(name.ends_with(".bias") || name.contains("LayerNorm") || name.contains("layer_norm"))
}

impl AdamW {
    /// `vars` by HF name, each with its group; moments start at zero.
    pub fn new(vars: Vec<(String, Var, Group)>, hp: AdamWParams) -> Result<AdamW, TrainError> {
        let params = vars
            .into_iter()
            .map(|(name, var, group)| {
                let m = var.as_tensor().zeros_like()?;
                let v = m.clone();
                Ok(Param {
                    decay: decays(&name),
                    name,
                    var,
                    group,
                    m,
                    v,
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

    /// One update with the given gradients (by var name; weights without one are left alone).
    pub fn step(
        &mut self,
        grads: &HashMap<String, Tensor>,
        lr: impl Fn(Group) -> f64,
    ) -> Result<(), TrainError> {
        self.step_t += 1;
        let AdamWParams {
            beta1,
            beta2,
            eps,
            weight_decay,
        } = self.hp;
        let scale_m = 1.0 / (1.0 - beta1.powi(self.step_t as i32));
        let scale_v = 1.0 / (1.0 - beta2.powi(self.step_t as i32));
        for p in &mut self.params {
            let Some(g) = grads.get(&p.name) else {
                continue;
            };
            let lr = lr(p.group);
            let m = ((&p.m * beta1)? + (g * (1.0 - beta1))?)?;
            let v = ((&p.v * beta2)? + (g.sqr()? * (1.0 - beta2))?)?;
            let update = ((&m * scale_m)? / ((&v * scale_v)?.sqrt()? + eps)?)?;
            let decay = if p.decay { lr * weight_decay } else { 0.0 };
            let theta = ((p.var.as_tensor() * (1.0 - decay))? - (update * lr)?)?;
            p.var.set(&theta)?;
            p.m = m;
            p.v = v;
        }
        Ok(())
    }

    /// Clips `grads` to the global norm `max_norm` (0 = no clipping), then makes one update with
    /// the encoder's and the heads' rates. A non-finite norm returns [`TrainError::NonFinite`] for
    /// update number `step` and leaves every weight as it was. Returns the norm before clipping.
    pub fn clipped_step(
        &mut self,
        grads: &mut HashMap<String, Tensor>,
        max_norm: f64,
        (lr_encoder, lr_head): (f64, f64),
        step: usize,
    ) -> Result<f64, TrainError> {
        let grad_norm = clip_grad_norm(grads, max_norm)?;
        TrainError::ensure_finite("gradient norm", grad_norm, step)?;
        self.step(grads, |g| match g {
            Group::Encoder => lr_encoder,
            Group::Head => lr_head,
        })?;
        Ok(grad_norm)
    }

    /// The moments as named tensors (`m.NAME`, `v.NAME`) for a resume file, and the update count.
    pub fn state(&self) -> (Vec<(String, Tensor)>, usize) {
        let mut out = Vec::with_capacity(self.params.len() * 2);
        for p in &self.params {
            out.push((format!("m.{}", p.name), p.m.clone()));
            out.push((format!("v.{}", p.name), p.v.clone()));
        }
        (out, self.step_t)
    }

    /// Restores what [`AdamW::state`] produced; every moment must be present with its shape.
    pub fn restore(
        &mut self,
        tensors: &HashMap<String, Tensor>,
        steps_taken: usize,
    ) -> Result<(), TrainError> {
        for p in &mut self.params {
            for (kind, slot) in [("m", &mut p.m), ("v", &mut p.v)] {
                let key = format!("{kind}.{}", p.name);
                let t = tensors
                    .get(&key)
                    .ok_or_else(|| TrainError::Resume(format!("optimizer state lacks {key}")))?;
                if t.dims() != slot.dims() {
                    return Err(TrainError::Resume(format!(
                        "optimizer state {key} has shape {:?}, the model needs {:?}",
                        t.dims(),
                        slot.dims()
                    )));
                }
                *slot = t.to_dtype(slot.dtype())?;
            }
        }
        self.step_t = steps_taken;
        Ok(())
    }
}

/// The global L2 norm of the gradients; when above `max_norm` (> 0) they are scaled down to it.
/// Returns the norm before clipping.
pub fn clip_grad_norm(
    grads: &mut HashMap<String, Tensor>,
    max_norm: f64,
) -> Result<f64, TrainError> {
    let mut sum = 0f64;
    for g in grads.values() {
        sum += g.sqr()?.sum_all()?.to_scalar::<f32>()? as f64;
    }
    let norm = sum.sqrt();
    if max_norm > 0.0 && norm.is_finite() && norm > max_norm {
        let scale = max_norm / (norm + 1e-6);
        for g in grads.values_mut() {
            *g = (&*g * scale)?;
        }
    }
    Ok(norm)
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
            let ours_g = (ours_var.as_tensor() * 2.0).unwrap();
            assert!(
                (ours_g - &g)
                    .unwrap()
                    .abs()
                    .unwrap()
                    .sum_all()
                    .unwrap()
                    .to_scalar::<f32>()
                    .unwrap()
                    < 1e-6
            );
            let map = HashMap::from([("w".to_string(), (ours_var.as_tensor() * 2.0).unwrap())]);
            ours.step(&map, |_| 0.01).unwrap();
        }
        let diff = (ours_var.as_tensor() - theirs_var.as_tensor())
            .unwrap()
            .abs()
            .unwrap()
            .max_all()
            .unwrap()
            .to_scalar::<f32>()
            .unwrap();
        assert!(diff < 1e-6, "{diff}");
    }

    #[test]
    fn clipping_scales_to_max_norm() {
        let dev = Device::Cpu;
        let mut grads = HashMap::from([
            ("a".to_string(), Tensor::new(&[3f32], &dev).unwrap()),
            ("b".to_string(), Tensor::new(&[4f32], &dev).unwrap()),
        ]);
        let norm = clip_grad_norm(&mut grads, 1.0).unwrap();
        assert!((norm - 5.0).abs() < 1e-6);
        let a = grads["a"].to_vec1::<f32>().unwrap()[0];
        assert!((a - 0.6).abs() < 1e-5, "{a}");
        assert!(!decays("bert.encoder.layer.0.output.LayerNorm.weight"));
        assert!(!decays("cls.predictions.bias"));
        assert!(decays("bert.encoder.layer.0.output.dense.weight"));
    }
}
