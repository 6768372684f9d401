//! The parameter store behind every model's `VarBuilder`.
//!
//! Each requested weight becomes a trainable `Var` in one `VarMap`, taken either from checkpoint
//! tensors (checked by name and shape) or from a seeded generator following the `Init` hint (CPU
//! randomness in candle cannot be seeded). Errors are recorded as [`ModelError`]s on the side,
//! because the `SimpleBackend` trait can only return candle errors.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use candle_core::{DType, Device, Shape, Tensor, Var};
use candle_nn::var_builder::SimpleBackend;
use candle_nn::{Init, VarBuilder, VarMap};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::error::ModelError;

/// Where weights come from.
pub(crate) enum Source<'a> {
    /// Float tensors by HF name, plus the names of non-float tensors (buffers) and their dtype.
    Checkpoint {
        tensors: &'a HashMap<String, Tensor>,
        other: &'a HashMap<String, String>,
    },
    /// Seeded random init. A weight that `given` supplies takes that tensor instead, and the
    /// generator skips the draws it would have taken, so every other weight is drawn exactly as
    /// without it (fine-tuning copies the encoder from a checkpoint: drawing it first is wasted).
    Random {
        rng: Mutex<ChaCha8Rng>,
        given: Option<&'a Given<'a>>,
    },
}

/// The tensor to use for a weight of this name and shape instead of drawing it, if any.
pub type Given<'a> = dyn Fn(&str, &Shape) -> Option<Tensor> + Sync + 'a;

pub(crate) struct Shared {
    pub varmap: VarMap,
    failure: Mutex<Option<ModelError>>,
}

impl Shared {
    /// Takes the first recorded failure, if any.
    pub fn take_failure(&self) -> Option<ModelError> {
        lock(&self.failure).take()
    }
}

struct Store<'a> {
    source: Source<'a>,
    shared: Arc<Shared>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A VarBuilder over `source`, and the handle that outlives it (VarMap and failures).
pub(crate) fn var_builder<'a>(
    source: Source<'a>,
    device: &Device,
) -> (VarBuilder<'a>, Arc<Shared>) {
    let shared = Arc::new(Shared {
        varmap: VarMap::new(),
        failure: Mutex::new(None),
    });
    let store = Store {
        source,
        shared: shared.clone(),
    };
    (
        VarBuilder::from_backend(Box::new(store), DType::F32, device.clone()),
        shared,
    )
}

pub(crate) fn random_source<'a>(seed: u64, given: Option<&'a Given<'a>>) -> Source<'a> {
    Source::Random {
        rng: Mutex::new(ChaCha8Rng::seed_from_u64(seed)),
        given,
    }
}

impl Store<'_> {
    fn fail(&self, err: ModelError) -> candle_core::Error {
        let msg = err.to_string();
        let mut slot = lock(&self.shared.failure);
        if slot.is_none() {
            *slot = Some(err);
        }
        candle_core::Error::Msg(msg)
    }

    fn sample(rng: &Mutex<ChaCha8Rng>, shape: &Shape, init: Init) -> candle_core::Result<Vec<f32>> {
        let n = shape.elem_count();
        let mut rng = lock(rng);
        Ok(match init {
            Init::Const(c) => vec![c as f32; n],
            Init::Uniform { lo, up } => (0..n).map(|_| rng.random_range(lo..up) as f32).collect(),
            Init::Randn { mean, stdev } => (0..n)
                .map(|_| {
                    // Box–Muller; 1 - u keeps the log argument in (0, 1].
                    let u1: f64 = 1.0 - rng.random::<f64>();
                    let u2: f64 = rng.random();
                    let z = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
                    (mean + stdev * z) as f32
                })
                .collect(),
            Init::Kaiming { .. } => {
                candle_core::bail!("Kaiming init is not used by BERT Lab models")
            }
        })
    }
}

impl Store<'_> {
    /// Moves the generator past the draws `sample` would make. A normal sample takes two `f64`
    /// draws (Box–Muller), four 32-bit words of the ChaCha stream; uniform ones may reject, so
    /// they are drawn and dropped.
    fn skip(rng: &Mutex<ChaCha8Rng>, shape: &Shape, init: Init) -> candle_core::Result<()> {
        match init {
            Init::Const(_) => {}
            Init::Randn { .. } => {
                let mut rng = lock(rng);
                let at = rng.get_word_pos();
                rng.set_word_pos(at + 4 * shape.elem_count() as u128);
            }
            Init::Uniform { .. } | Init::Kaiming { .. } => {
                Self::sample(rng, shape, init)?;
            }
        }
        Ok(())
    }
}

impl SimpleBackend for Store<'_> {
    fn get(
        &self,
        shape: Shape,
        name: &str,
        init: Init,
        dtype: DType,
        dev: &Device,
    ) -> candle_core::Result<Tensor> {
        let mut vars = lock(self.shared.varmap.data());
        if let Some(var) = vars.get(name) {
            if var.shape() != &shape {
                return Err(self.fail(ModelError::ShapeMismatch {
                    name: name.to_string(),
                    expected: shape.dims().to_vec(),
                    found: var.dims().to_vec(),
                }));
            }
            return Ok(var.as_tensor().clone());
        }
        let tensor = match &self.source {
            Source::Checkpoint { tensors, other } => match tensors.get(name) {
                Some(t) if t.shape() == &shape => t.to_device(dev)?.to_dtype(dtype)?,
                Some(t) => {
                    return Err(self.fail(ModelError::ShapeMismatch {
                        name: name.to_string(),
                        expected: shape.dims().to_vec(),
                        found: t.dims().to_vec(),
                    }))
                }
                None => {
                    return Err(self.fail(match other.get(name) {
                        Some(dtype) => ModelError::UnsupportedDtype {
                            name: name.to_string(),
                            dtype: dtype.clone(),
                        },
                        None => ModelError::MissingTensor {
                            name: name.to_string(),
                        },
                    }))
                }
            },
            Source::Random { rng, given } => match given.and_then(|given| given(name, &shape)) {
                Some(t) => {
                    Self::skip(rng, &shape, init)?;
                    t.to_device(dev)?.to_dtype(dtype)?
                }
                None => Tensor::from_vec(Self::sample(rng, &shape, init)?, shape, dev)?
                    .to_dtype(dtype)?,
            },
        };
        let var = Var::from_tensor(&tensor)?;
        let out = var.as_tensor().clone();
        vars.insert(name.to_string(), var);
        Ok(out)
    }

    fn get_unchecked(
        &self,
        name: &str,
        _dtype: DType,
        _dev: &Device,
    ) -> candle_core::Result<Tensor> {
        candle_core::bail!("weights are always requested with a shape ({name})")
    }

    /// True when the checkpoint holds `name`; random init holds nothing optional.
    fn contains_tensor(&self, name: &str) -> bool {
        match &self.source {
            Source::Checkpoint { tensors, other } => {
                tensors.contains_key(name) || other.contains_key(name)
            }
            Source::Random { .. } => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_init_is_seeded_and_follows_hints() {
        let dev = Device::Cpu;
        let draw = |seed| {
            let (vb, _shared) = var_builder(random_source(seed, None), &dev);
            vb.get_with_hints(
                (100, 100),
                "w",
                Init::Randn {
                    mean: 0.,
                    stdev: 0.02,
                },
            )
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1::<f32>()
            .unwrap()
        };
        let a = draw(1);
        assert_eq!(a, draw(1));
        assert_ne!(a, draw(2));
        let mean = a.iter().sum::<f32>() / a.len() as f32;
        let std = (a.iter().map(|x| (x - mean).powi(2)).sum::<f32>() / a.len() as f32).sqrt();
        assert!(
            mean.abs() < 0.002 && (std - 0.02).abs() < 0.002,
            "{mean} {std}"
        );
    }

    #[test]
    fn checkpoint_errors_are_recorded_by_name() {
        let dev = Device::Cpu;
        let mut tensors = HashMap::new();
        tensors.insert(
            "a".to_string(),
            Tensor::zeros((2, 3), DType::F32, &dev).unwrap(),
        );
        let mut other = HashMap::new();
        other.insert("ids".to_string(), "I64".to_string());
        let (vb, shared) = var_builder(
            Source::Checkpoint {
                tensors: &tensors,
                other: &other,
            },
            &dev,
        );
        assert!(vb.get((2, 3), "a").is_ok());
        assert_eq!(shared.varmap.all_vars().len(), 1);
        assert!(vb.get((3, 2), "b").is_err());
        let err = shared.take_failure().unwrap().to_string();
        assert!(err.contains("missing tensor \"b\""), "{err}");
        assert!(vb.get((3, 2), "a").is_err());
        let err = shared.take_failure().unwrap().to_string();
        assert!(err.contains("[2, 3]") && err.contains("[3, 2]"), "{err}");
        assert!(vb.get(4, "ids").is_err());
        let err = shared.take_failure().unwrap().to_string();
        assert!(err.contains("I64"), "{err}");
    }
}
