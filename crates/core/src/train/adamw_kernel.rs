//! The fused AdamW update: one pass over each weight, its gradient and its two moments, writing the
//! weight in place.
//!
//! Written with tensor ops, an update takes about 16 passes over every parameter, each allocating a
//! fresh tensor of the parameter's size (the word embeddings alone are 47 MB), and clipping scales
//! every gradient once more before that. Here the moments are plain buffers owned by the optimizer
//! and the clipping factor is applied as the gradient is read: about 40 ms per update of the default
//! model's 22.7M parameters on one core. (Splitting it over threads spawned per weight cost more in
//! thread stacks and TLB shootdowns than it saved.)

use std::cell::RefCell;

use candle_core::{bail, CpuStorage, InplaceOp2, Layout, Result, Storage, Tensor};

/// Adam's first and second moments of one weight, in the weight's element order.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Moments {
    pub m: Vec<f32>,
    pub v: Vec<f32>,
}

impl Moments {
    pub fn zeros(len: usize) -> Moments {
        Moments {
            m: vec![0.0; len],
            v: vec![0.0; len],
        }
    }
}

/// The scalars of one update of one weight.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Coefficients {
    pub lr: f32,
    /// `lr × weight decay`, or 0 for weights that are not decayed.
    pub decay: f32,
    pub beta1: f32,
    pub beta2: f32,
    /// `1 − β1` and `1 − β2`, rounded from f64 as candle's and PyTorch's are.
    pub one_minus_beta1: f32,
    pub one_minus_beta2: f32,
    pub eps: f32,
    /// Bias corrections `1 / (1 − β^t)`.
    pub scale_m: f32,
    pub scale_v: f32,
    /// Multiplies every gradient element as it is read (gradient clipping).
    pub grad_scale: f32,
}

/// The in-place op: `weight.inplace_op2(grad, &FusedUpdate { .. })`.
pub(super) struct FusedUpdate<'a> {
    pub moments: RefCell<&'a mut Moments>,
    pub k: Coefficients,
}

impl InplaceOp2 for FusedUpdate<'_> {
    fn name(&self) -> &'static str {
        "adamw-fused-update"
    }

    fn cpu_fwd(
        &self,
        s1: &mut CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<()> {
        let (CpuStorage::F32(weight), CpuStorage::F32(grad)) = (s1, s2) else {
            bail!("the fused AdamW update takes f32 weights and gradients")
        };
        let (Some((w0, w1)), Some((g0, g1))) = (l1.contiguous_offsets(), l2.contiguous_offsets())
        else {
            bail!("the fused AdamW update needs contiguous weights and gradients")
        };
        let mut moments = self.moments.borrow_mut();
        let Moments { m, v } = &mut **moments;
        let (weight, grad) = (&mut weight[w0..w1], &grad[g0..g1]);
        if weight.len() != grad.len() || weight.len() != m.len() || m.len() != v.len() {
            bail!(
                "AdamW: weight of {} elements, gradient of {}, moments of {}",
                weight.len(),
                grad.len(),
                m.len()
            )
        }
        update(weight, grad, m, v, &self.k);
        Ok(())
    }
}

/// Elements per piece when a large weight is updated on several cores.
#[cfg(not(target_arch = "wasm32"))]
const PIECE: usize = 1 << 16;

/// [`update_piece`] over the whole weight: in pieces on all cores natively (rayon's persistent pool;
/// threads spawned per weight cost more than they saved), in one go in wasm.
fn update(weight: &mut [f32], grad: &[f32], m: &mut [f32], v: &mut [f32], k: &Coefficients) {
    #[cfg(not(target_arch = "wasm32"))]
    if weight.len() > PIECE {
        use rayon::prelude::*;
        weight
            .par_chunks_mut(PIECE)
            .zip(grad.par_chunks(PIECE))
            .zip(m.par_chunks_mut(PIECE))
            .zip(v.par_chunks_mut(PIECE))
            .for_each(|(((w, g), m), v)| update_piece(w, g, m, v, k));
        return;
    }
    update_piece(weight, grad, m, v, k)
}

/// AdamW with decoupled weight decay (as candle-nn's and PyTorch's), element by element.
fn update_piece(weight: &mut [f32], grad: &[f32], m: &mut [f32], v: &mut [f32], k: &Coefficients) {
    let keep = 1.0 - k.decay;
    let (one_minus_b1, one_minus_b2) = (k.one_minus_beta1, k.one_minus_beta2);
    for (((w, &g), m), v) in weight.iter_mut().zip(grad).zip(m).zip(v) {
        let g = g * k.grad_scale;
        *m = k.beta1 * *m + one_minus_b1 * g;
        *v = k.beta2 * *v + one_minus_b2 * g * g;
        let step = (*m * k.scale_m) / ((*v * k.scale_v).sqrt() + k.eps);
        *w = *w * keep - k.lr * step;
    }
}

/// The sum of squares of a gradient's elements, in f64, read in place when it is a contiguous f32
/// tensor on the CPU (the usual case), with tensor ops otherwise.
pub(super) fn sum_of_squares(grad: &Tensor) -> Result<f64> {
    let (storage, layout) = grad.storage_and_layout();
    if let (Storage::Cpu(CpuStorage::F32(data)), Some((a, b))) =
        (&*storage, layout.contiguous_offsets())
    {
        // f32 sums of 4,096 squares (in lanes, so they vectorise), added up in f64
        return Ok(data[a..b]
            .chunks(4096)
            .map(|c| crate::model::fused::math::sum_by(c, |x| x * x) as f64)
            .sum());
    }
    drop(storage);
    Ok(grad
        .sqr()?
        .sum_all()?
        .to_dtype(candle_core::DType::F64)?
        .to_scalar::<f64>()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn coefficients(grad_scale: f32) -> Coefficients {
        Coefficients {
            lr: 0.01,
            decay: 0.01 * 0.01,
            beta1: 0.9,
            beta2: 0.999,
            one_minus_beta1: 0.1,
            one_minus_beta2: 0.001,
            eps: 1e-6,
            scale_m: 1.0 / (1.0 - 0.9),
            scale_v: 1.0 / (1.0 - 0.999),
            grad_scale,
        }
    }

    /// Clipping through `grad_scale` is the same update as on gradients scaled beforehand.
    #[test]
    fn grad_scale_equals_prescaled_gradients() {
        let grad = [0.3f32, -2.0, 5.0, 1e-4];
        let half: Vec<f32> = grad.iter().map(|g| g * 0.5).collect();
        let (mut w1, mut m1, mut v1) = ([1f32, -1., 0.5, 2.], [0.1f32; 4], [0.2f32; 4]);
        let (mut w2, mut m2, mut v2) = (w1, m1, v1);
        update(&mut w1, &grad, &mut m1, &mut v1, &coefficients(0.5));
        update(&mut w2, &half, &mut m2, &mut v2, &coefficients(1.0));
        assert_eq!((w1, m1, v1), (w2, m2, v2));
    }

    #[test]
    fn sum_of_squares_reads_strided_gradients_too() {
        let dev = candle_core::Device::Cpu;
        let g = Tensor::new(&[[1f32, 2.], [3., 4.]], &dev).unwrap();
        assert_eq!(sum_of_squares(&g).unwrap(), 30.0);
        assert_eq!(sum_of_squares(&g.t().unwrap()).unwrap(), 30.0);
    }
}
