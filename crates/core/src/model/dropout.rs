//! Dropout that really drops in training, from a seeded generator so runs are reproducible.
//!
//! candle-nn's dropout draws from the device RNG, which cannot be seeded on the CPU; here every
//! dropout of one model shares a ChaCha generator that [`DropoutRng::reseed`] resets.

use std::sync::{Arc, Mutex};

use candle_core::{Result, Tensor};
use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::nn::Mode;

/// A shared, seedable generator; clones share state.
#[derive(Debug, Clone)]
pub struct DropoutRng(Arc<Mutex<ChaCha8Rng>>);

impl DropoutRng {
    pub fn new(seed: u64) -> DropoutRng {
        DropoutRng(Arc::new(Mutex::new(ChaCha8Rng::seed_from_u64(seed))))
    }

    pub fn reseed(&self, seed: u64) {
        *self.lock() = ChaCha8Rng::seed_from_u64(seed);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ChaCha8Rng> {
        // A panic while holding the lock leaves a usable generator; keep going.
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Inverted dropout: zeroes each element with probability `p` and scales the rest by `1/(1-p)`.
#[derive(Debug, Clone)]
pub struct Dropout {
    p: f32,
    rng: DropoutRng,
}

impl Dropout {
    pub fn new(p: f32, rng: &DropoutRng) -> Dropout {
        Dropout {
            p,
            rng: rng.clone(),
        }
    }

    pub fn p(&self) -> f32 {
        self.p
    }

    pub fn forward(&self, xs: &Tensor, mode: Mode) -> Result<Tensor> {
        if !mode.dropout() || self.p <= 0.0 {
            return Ok(xs.clone());
        }
        if self.p >= 1.0 {
            return xs.zeros_like();
        }
        let scale = 1.0 / (1.0 - self.p);
        // an element drops when a uniform 32-bit draw falls below p · 2³²: one integer compare
        // per element instead of a float conversion
        let threshold = (f64::from(self.p) * 4_294_967_296.0) as u32;
        let mask: Vec<f32> = {
            let mut rng = self.rng.lock();
            (0..xs.elem_count())
                .map(|_| {
                    if rng.next_u32() < threshold {
                        0.0
                    } else {
                        scale
                    }
                })
                .collect()
        };
        let mask = Tensor::from_vec(mask, xs.shape(), xs.device())?.to_dtype(xs.dtype())?;
        xs * mask
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    fn ones() -> Tensor {
        Tensor::ones((64, 64), candle_core::DType::F32, &Device::Cpu).unwrap()
    }

    #[test]
    fn off_in_eval_on_in_train() {
        let rng = DropoutRng::new(7);
        let d = Dropout::new(0.25, &rng);
        let eval = d.forward(&ones(), Mode::Eval).unwrap();
        assert_eq!(eval.sum_all().unwrap().to_scalar::<f32>().unwrap(), 4096.0);
        let grad = d.forward(&ones(), Mode::Grad).unwrap();
        assert_eq!(grad.sum_all().unwrap().to_scalar::<f32>().unwrap(), 4096.0);
        let train = d
            .forward(&ones(), Mode::Train)
            .unwrap()
            .flatten_all()
            .unwrap();
        let v = train.to_vec1::<f32>().unwrap();
        let zeros = v.iter().filter(|&&x| x == 0.0).count() as f64 / v.len() as f64;
        assert!((zeros - 0.25).abs() < 0.03, "dropped fraction {zeros}");
        // Survivors are scaled so the expectation is unchanged.
        assert!(v.iter().all(|&x| x == 0.0 || (x - 1.0 / 0.75).abs() < 1e-6));
    }

    #[test]
    fn same_seed_same_mask() {
        let a = Dropout::new(0.5, &DropoutRng::new(3));
        let b = Dropout::new(0.5, &DropoutRng::new(3));
        let ma = a
            .forward(&ones(), Mode::Train)
            .unwrap()
            .flatten_all()
            .unwrap();
        let mb = b
            .forward(&ones(), Mode::Train)
            .unwrap()
            .flatten_all()
            .unwrap();
        assert_eq!(ma.to_vec1::<f32>().unwrap(), mb.to_vec1::<f32>().unwrap());
        let again = a
            .forward(&ones(), Mode::Train)
            .unwrap()
            .flatten_all()
            .unwrap();
        assert_ne!(
            ma.to_vec1::<f32>().unwrap(),
            again.to_vec1::<f32>().unwrap()
        );
    }
}
