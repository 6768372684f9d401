//! Building a model from HF-named weights — a checkpoint's or seeded random ones — and writing
//! its weights back as safetensors.

use candle_core::{DType, Device, Tensor};
use candle_nn::{VarBuilder, VarMap};

use crate::model::config::EncoderConfig;
use crate::model::dropout::DropoutRng;
use crate::model::encoder::Encoder;
use crate::model::error::{ModelError, Result};
use crate::model::params::{random_source, var_builder, Given, Source};

/// What a model builder is given besides its `VarBuilder` (which sits at the checkpoint root).
pub struct BuildContext<'a> {
    pub config: &'a EncoderConfig,
    /// Where the encoder's tensors live: `""` (base model) or the family prefix, e.g. `"bert"`.
    pub base: String,
    /// True for random init: optional parts (a base model's pooler) are then created.
    pub random: bool,
    /// Shared by every dropout of the model.
    pub rng: DropoutRng,
}

impl BuildContext<'_> {
    /// The builder positioned at the encoder root.
    pub fn encoder_vb<'v>(&self, vb: &VarBuilder<'v>) -> VarBuilder<'v> {
        if self.base.is_empty() {
            vb.clone()
        } else {
            vb.pp(&self.base)
        }
    }
}

/// A model that can be built from HF-named weights: the base [`Encoder`] and the task models.
pub trait Architecture: Sized {
    fn build(vb: &VarBuilder, ctx: &BuildContext) -> Result<Self>;

    /// Task models keep the encoder under the family prefix; base models at the root. Used to
    /// name the weights of a randomly initialised model as transformers would save them.
    fn task_model() -> bool {
        true
    }

    fn encoder(&self) -> &Encoder;
}

/// A built model with its weights.
pub struct Loaded<M> {
    pub model: M,
    /// Every weight as a trainable `Var`, keyed by its HF name (optimizers take `all_vars()`).
    pub varmap: VarMap,
    /// Checkpoint tensors of heads or a pooler this architecture does not use.
    pub unused: Vec<String>,
}

impl<M: Architecture> Loaded<M> {
    /// A fresh model with transformers' init (normal(0, initializer_range) weights, zero biases,
    /// unit LayerNorms), reproducible from `seed` (which also seeds dropout).
    pub fn random(config: &EncoderConfig, seed: u64, device: &Device) -> Result<Loaded<M>> {
        Self::random_except(config, seed, device, None)
    }

    /// As [`Loaded::random`], except the weights `given` supplies a tensor for (by HF name and
    /// shape): they take it, and every other weight gets exactly the values `random` draws.
    pub fn random_except(
        config: &EncoderConfig,
        seed: u64,
        device: &Device,
        given: Option<&Given<'_>>,
    ) -> Result<Loaded<M>> {
        config.validate()?;
        let base = if M::task_model() {
            config.family.base_prefix().to_string()
        } else {
            String::new()
        };
        build::<M>(random_source(seed, given), config, base, true, seed, device).map(
            |(model, varmap)| Loaded {
                model,
                varmap,
                unused: Vec::new(),
            },
        )
    }

    /// Total number of parameters (tied weights counted once).
    pub fn parameter_count(&self) -> usize {
        self.varmap.all_vars().iter().map(|v| v.elem_count()).sum()
    }

    /// The weights as an F32 `model.safetensors` with HF names (tied weights stored once, as
    /// transformers saves them); with `config.to_hf_json()` it is a loadable checkpoint.
    pub fn to_safetensors(&self) -> Result<Vec<u8>> {
        varmap_safetensors(&self.varmap, DType::F32)
    }
}

/// Every weight of `varmap` as `model.safetensors` bytes in `dtype`, under its HF name.
pub fn varmap_safetensors(varmap: &VarMap, dtype: DType) -> Result<Vec<u8>> {
    let data = varmap
        .data()
        .lock()
        .map_err(|_| ModelError::Input("weight store poisoned".into()))?;
    let tensors = data
        .iter()
        .map(|(name, var)| Ok((name.clone(), var.as_tensor().to_dtype(dtype)?)))
        .collect::<Result<Vec<_>>>()?;
    tensors_to_safetensors(tensors)
}

/// Named tensors as safetensors bytes, sorted by name so equal weights give equal files.
pub fn tensors_to_safetensors(mut tensors: Vec<(String, Tensor)>) -> Result<Vec<u8>> {
    tensors.sort_by(|a, b| a.0.cmp(&b.0));
    safetensors::serialize(tensors.iter().map(|(n, t)| (n.as_str(), t)), None)
        .map_err(|e| ModelError::Input(format!("cannot serialise tensors: {e}")))
}

pub(super) fn build<M: Architecture>(
    source: Source,
    config: &EncoderConfig,
    base: String,
    random: bool,
    seed: u64,
    device: &Device,
) -> Result<(M, VarMap)> {
    let (vb, shared) = var_builder(source, device);
    let ctx = BuildContext {
        config,
        base,
        random,
        rng: DropoutRng::new(seed),
    };
    match M::build(&vb, &ctx) {
        Ok(model) => Ok((model, shared.varmap.clone())),
        // The store records the precise error; candle only carries its text.
        Err(err) => Err(shared.take_failure().unwrap_or(err)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Family, ForSequenceClassification};

    /// Supplying the encoder must not move any other weight's draw: the head of a fine-tuning
    /// run is initialised as it was when the whole model was drawn first.
    #[test]
    fn weights_given_are_taken_and_every_other_weight_is_drawn_as_before() {
        let mut cfg = EncoderConfig::tiny(Family::Bert);
        cfg.labels = vec!["a".into(), "b".into()];
        let dev = Device::Cpu;
        let drawn = Loaded::<ForSequenceClassification>::random(&cfg, 7, &dev).unwrap();
        let given = |name: &str, shape: &candle_core::Shape| {
            name.starts_with("bert.encoder")
                .then(|| Tensor::ones(shape, DType::F32, &Device::Cpu).unwrap())
        };
        let except =
            Loaded::<ForSequenceClassification>::random_except(&cfg, 7, &dev, Some(&given))
                .unwrap();
        let values = |var: &candle_core::Var| var.flatten_all().unwrap().to_vec1::<f32>().unwrap();
        let (drawn, except) = (
            drawn.varmap.data().lock().unwrap(),
            except.varmap.data().lock().unwrap(),
        );
        let names: Vec<&String> = drawn.keys().collect();
        let (mut given_count, mut drawn_after) = (0, 0);
        for (name, var) in drawn.iter() {
            let (a, b) = (values(var), values(&except[name]));
            if name.starts_with("bert.encoder") {
                assert!(b.iter().all(|&v| v == 1.0), "{name} was not taken");
                given_count += 1;
            } else {
                assert_eq!(a, b, "{name} was drawn differently");
                drawn_after += usize::from(name.starts_with("classifier"));
            }
        }
        assert!(given_count > 0 && drawn_after > 0, "{names:?}");
    }
}
