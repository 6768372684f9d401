//! Hugging Face checkpoints: `config.json` + `model.safetensors` (F32, F16, BF16 or F64, converted
//! to F32), from a directory or from bytes (the browser has no filesystem).
//!
//! Task checkpoints (`*ForMaskedLM`, `*ForPreTraining`, ...) keep the encoder under the family's
//! `base_model_prefix` (`bert.`, `roberta.`, `albert.`, `distilbert.`); base models keep it at the
//! root. Loading compares the checkpoint's keys with those the model consumed:
//! - a key the model needs but the file lacks is [`ModelError::MissingTensor`];
//! - a key of a known head or pooler the chosen architecture does not use is skipped and listed in
//!   [`Loaded::unused`] (a `*ForPreTraining` file serves fill-mask, as in transformers);
//! - HF buffers (`embeddings.position_ids`, `embeddings.token_type_ids`) and the tied copies of the
//!   MLM decoder weight and bias are ignored;
//! - anything else is [`ModelError::UnexpectedTensor`].

use std::collections::{BTreeSet, HashMap};

use candle_core::{DType, Device, Tensor};
use candle_nn::{VarBuilder, VarMap};
use safetensors::{Dtype, SafeTensors};

use super::config::{EncoderConfig, Family};
use super::dropout::DropoutRng;
use super::encoder::Encoder;
use super::error::{ModelError, Result};
use super::heads::MlmNames;
use super::params::{random_source, var_builder, Source};

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
        config.validate()?;
        let base = if M::task_model() {
            config.family.base_prefix().to_string()
        } else {
            String::new()
        };
        build::<M>(random_source(seed), config, base, true, seed, device).map(|(model, varmap)| {
            Loaded {
                model,
                varmap,
                unused: Vec::new(),
            }
        })
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

fn build<M: Architecture>(
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

pub struct Checkpoint {
    pub config: EncoderConfig,
    /// Float tensors as F32 on the CPU, by HF name.
    tensors: HashMap<String, Tensor>,
    /// Non-float tensors (HF index buffers) by name, with their dtype.
    other: HashMap<String, String>,
    /// Float dtypes found in the file, e.g. {"BF16"}.
    source_dtypes: BTreeSet<String>,
    /// `""` or the family prefix the encoder's keys start with.
    base: String,
}

impl Checkpoint {
    pub fn from_bytes(config_json: &[u8], safetensors: &[u8]) -> Result<Checkpoint> {
        let config = EncoderConfig::from_hf_json(config_json)?;
        let st = SafeTensors::deserialize(safetensors)
            .map_err(|e| ModelError::CorruptSafetensors(e.to_string()))?;
        let mut tensors = HashMap::new();
        let mut other = HashMap::new();
        let mut source_dtypes = BTreeSet::new();
        for (name, view) in st.iter() {
            let dtype = match view.dtype() {
                Dtype::F32 => DType::F32,
                Dtype::F16 => DType::F16,
                Dtype::BF16 => DType::BF16,
                Dtype::F64 => DType::F64,
                d => {
                    other.insert(name.to_string(), format!("{d:?}"));
                    continue;
                }
            };
            source_dtypes.insert(format!("{:?}", view.dtype()));
            let t = Tensor::from_raw_buffer(view.data(), dtype, view.shape(), &Device::Cpu)?
                .to_dtype(DType::F32)?;
            tensors.insert(name.to_string(), t);
        }
        let prefix = format!("{}.", config.family.base_prefix());
        let base = if tensors
            .keys()
            .chain(other.keys())
            .any(|k| k.starts_with(&prefix))
        {
            config.family.base_prefix().to_string()
        } else {
            String::new()
        };
        Ok(Checkpoint {
            config,
            tensors,
            other,
            source_dtypes,
            base,
        })
    }

    /// Reads `config.json` and `model.safetensors` from `dir`.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn from_dir(dir: impl AsRef<std::path::Path>) -> Result<Checkpoint> {
        let dir = dir.as_ref();
        let read = |name: &str| {
            let path = dir.join(name);
            std::fs::read(&path).map_err(|e| ModelError::Io {
                path: path.display().to_string(),
                message: e.to_string(),
            })
        };
        let config = read("config.json")?;
        // Report a bad config before a missing weights file.
        EncoderConfig::from_hf_json(&config)?;
        if !dir.join("model.safetensors").exists() {
            if dir.join("pytorch_model.bin").exists() {
                return Err(ModelError::BinOnlyCheckpoint {
                    dir: dir.display().to_string(),
                });
            }
            if dir.join("model.safetensors.index.json").exists() {
                return Err(ModelError::UnsupportedConfig(format!(
                    "{} holds a sharded checkpoint; save it as one model.safetensors",
                    dir.display()
                )));
            }
        }
        Checkpoint::from_bytes(&config, &read("model.safetensors")?)
    }

    /// Builds `M` from these weights.
    pub fn load<M: Architecture>(&self, device: &Device) -> Result<Loaded<M>> {
        let source = Source::Checkpoint {
            tensors: &self.tensors,
            other: &self.other,
        };
        let (model, varmap) =
            build::<M>(source, &self.config, self.base.clone(), false, 0, device)?;
        let consumed: BTreeSet<String> = varmap
            .data()
            .lock()
            .map_err(|_| ModelError::Input("weight store poisoned".into()))?
            .keys()
            .cloned()
            .collect();
        let mut unused = Vec::new();
        for name in self.tensor_names() {
            if consumed.contains(&name) {
                continue;
            }
            match self.classify(&name, &consumed) {
                Leftover::Ignored => {}
                Leftover::Unused => unused.push(name),
                Leftover::Unexpected => {
                    return Err(ModelError::UnexpectedTensor {
                        name,
                        family: self.config.family.to_string(),
                    })
                }
            }
        }
        Ok(Loaded {
            model,
            varmap,
            unused,
        })
    }

    /// All tensor names in the file, sorted.
    pub fn tensor_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .tensors
            .keys()
            .chain(self.other.keys())
            .cloned()
            .collect();
        names.sort();
        names
    }

    /// A float tensor (as F32) by HF name.
    pub fn tensor(&self, name: &str) -> Option<&Tensor> {
        self.tensors.get(name)
    }

    /// Float dtypes the weights were stored in, e.g. `["F16"]`.
    pub fn source_dtypes(&self) -> Vec<String> {
        self.source_dtypes.iter().cloned().collect()
    }

    /// `""` for a base-model checkpoint, else the family prefix (`"bert"`, ...).
    pub fn base_prefix(&self) -> &str {
        &self.base
    }

    /// True for HF buffers and tied copies, which are never weights of their own.
    pub fn is_alias(&self, name: &str) -> bool {
        let rel = self.relative(name);
        if rel.ends_with("embeddings.position_ids") || rel.ends_with("embeddings.token_type_ids") {
            return true;
        }
        let mlm = MlmNames::of(self.config.family);
        (self.config.tie_word_embeddings && name == mlm.key(&format!("{}.weight", mlm.decoder)))
            || mlm.bias_alias.is_some_and(|alias| {
                name == mlm.key(alias) && self.tensors.contains_key(&mlm.key(mlm.bias))
            })
    }

    fn relative<'n>(&self, name: &'n str) -> &'n str {
        if self.base.is_empty() {
            name
        } else {
            name.strip_prefix(&self.base)
                .and_then(|r| r.strip_prefix('.'))
                .unwrap_or(name)
        }
    }

    fn classify(&self, name: &str, consumed: &BTreeSet<String>) -> Leftover {
        let rel = self.relative(name);
        if rel.ends_with("embeddings.position_ids") || rel.ends_with("embeddings.token_type_ids") {
            return Leftover::Ignored;
        }
        let mlm = MlmNames::of(self.config.family);
        let mlm_built = consumed.contains(&format!("{}.weight", mlm.key(mlm.dense)));
        if mlm_built && self.is_alias(name) {
            return Leftover::Ignored;
        }
        let in_encoder = self.base.is_empty() || rel.len() != name.len();
        if in_encoder && (rel.starts_with("pooler.") || rel.starts_with("pooler_")) {
            return Leftover::Unused;
        }
        if head_prefixes(self.config.family)
            .iter()
            .any(|p| name.starts_with(p))
        {
            return Leftover::Unused;
        }
        Leftover::Unexpected
    }
}

enum Leftover {
    Ignored,
    Unused,
    Unexpected,
}

/// Top-level key prefixes of the heads transformers defines for a family.
fn head_prefixes(family: Family) -> &'static [&'static str] {
    match family {
        Family::Bert => &["cls.", "classifier.", "qa_outputs."],
        Family::Roberta => &["lm_head.", "classifier.", "qa_outputs."],
        Family::Albert => &[
            "predictions.",
            "sop_classifier.",
            "classifier.",
            "qa_outputs.",
        ],
        Family::DistilBert => &[
            "vocab_transform.",
            "vocab_layer_norm.",
            "vocab_projector.",
            "pre_classifier.",
            "classifier.",
            "qa_outputs.",
        ],
    }
}

/// The component a tensor belongs to, for parameter counts: "embeddings", "layer 3",
/// "shared layer group 0", "embedding projection", "pooler", "MLM head", "NSP head", "SOP head",
/// "classifier head", "QA head", or "other".
pub fn component_of(family: Family, name: &str) -> String {
    let rel = name
        .strip_prefix(family.base_prefix())
        .and_then(|r| r.strip_prefix('.'))
        .unwrap_or(name);
    let index_after = |prefix: &str| -> Option<String> {
        rel.strip_prefix(prefix)
            .and_then(|r| r.split('.').next())
            .map(str::to_string)
    };
    if rel.starts_with("embeddings.") {
        return "embeddings".into();
    }
    if let Some(i) = index_after("encoder.layer.").or_else(|| index_after("transformer.layer.")) {
        return format!("layer {i}");
    }
    if let Some(g) = index_after("encoder.albert_layer_groups.") {
        return format!("shared layer group {g}");
    }
    if rel.starts_with("encoder.embedding_hidden_mapping_in.") {
        return "embedding projection".into();
    }
    if rel.starts_with("pooler") {
        return "pooler".into();
    }
    let mlm = MlmNames::of(family);
    let is_mlm = match family {
        Family::DistilBert => ["vocab_transform.", "vocab_layer_norm.", "vocab_projector."]
            .iter()
            .any(|p| name.starts_with(p)),
        _ => name.starts_with(&format!("{}.", mlm.root)),
    };
    if is_mlm {
        return "MLM head".into();
    }
    let head = if name.starts_with("cls.seq_relationship.") {
        "NSP head"
    } else if name.starts_with("sop_classifier.") {
        "SOP head"
    } else if name.starts_with("classifier.") || name.starts_with("pre_classifier.") {
        "classifier head"
    } else if name.starts_with("qa_outputs.") {
        "QA head"
    } else {
        "other"
    };
    head.into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Encoder, ForPreTraining, MaskedLm};

    /// Serialises `(name, shape, values)` as safetensors in `dtype`.
    fn safetensors_bytes(tensors: &[(String, Vec<usize>, Vec<f32>)], dtype: DType) -> Vec<u8> {
        let converted: Vec<(String, Tensor)> = tensors
            .iter()
            .map(|(n, s, v)| {
                let t = Tensor::from_vec(v.clone(), s.as_slice(), &Device::Cpu).unwrap();
                (n.clone(), t.to_dtype(dtype).unwrap())
            })
            .collect();
        safetensors::serialize(converted.iter().map(|(n, t)| (n.clone(), t)), None).unwrap()
    }

    /// The weights of a random `M`, as name → (shape, values).
    fn weights_of<M: Architecture>(cfg: &EncoderConfig) -> Vec<(String, Vec<usize>, Vec<f32>)> {
        let loaded = Loaded::<M>::random(cfg, 5, &Device::Cpu).unwrap();
        let data = loaded.varmap.data().lock().unwrap();
        let mut out: Vec<_> = data
            .iter()
            .map(|(n, v)| {
                (
                    n.clone(),
                    v.dims().to_vec(),
                    v.flatten_all().unwrap().to_vec1::<f32>().unwrap(),
                )
            })
            .collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }

    fn config_json(cfg: &EncoderConfig) -> Vec<u8> {
        serde_json::to_vec(&cfg.to_hf_json()).unwrap()
    }

    fn load_err<M: Architecture>(
        cfg: &EncoderConfig,
        w: &[(String, Vec<usize>, Vec<f32>)],
    ) -> String {
        let ckpt =
            Checkpoint::from_bytes(&config_json(cfg), &safetensors_bytes(w, DType::F32)).unwrap();
        match ckpt.load::<M>(&Device::Cpu) {
            Ok(_) => panic!("load should fail"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn round_trip_every_family_and_dtype() {
        for family in Family::ALL {
            let cfg = EncoderConfig::tiny(family);
            let w = weights_of::<MaskedLm>(&cfg);
            for dtype in [DType::F32, DType::F16, DType::BF16] {
                let ckpt =
                    Checkpoint::from_bytes(&config_json(&cfg), &safetensors_bytes(&w, dtype))
                        .unwrap();
                assert_eq!(ckpt.base_prefix(), family.base_prefix());
                let loaded = ckpt.load::<MaskedLm>(&Device::Cpu).unwrap();
                assert!(loaded.unused.is_empty(), "{:?}", loaded.unused);
                let data = loaded.varmap.data().lock().unwrap();
                let tol = if dtype == DType::F32 { 0.0 } else { 1e-2 };
                for (name, _, values) in &w {
                    let got = data[name].flatten_all().unwrap().to_vec1::<f32>().unwrap();
                    let diff = got
                        .iter()
                        .zip(values)
                        .map(|(a, b)| (a - b).abs())
                        .fold(0f32, f32::max);
                    assert!(
                        diff <= tol * values.iter().fold(1f32, |m, v| m.max(v.abs())),
                        "{name} {dtype:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn pretraining_file_serves_masked_lm_and_base_encoder() {
        let cfg = EncoderConfig::tiny(Family::Bert);
        let w = weights_of::<ForPreTraining>(&cfg);
        let ckpt =
            Checkpoint::from_bytes(&config_json(&cfg), &safetensors_bytes(&w, DType::F32)).unwrap();
        let mlm = ckpt.load::<MaskedLm>(&Device::Cpu).unwrap();
        assert!(mlm
            .unused
            .iter()
            .any(|n| n.starts_with("cls.seq_relationship")));
        assert!(mlm.model.encoder.has_pooler(), "pooler loaded when present");
        let enc = ckpt.load::<Encoder>(&Device::Cpu).unwrap();
        assert!(enc.unused.iter().any(|n| n.starts_with("cls.predictions")));
    }

    #[test]
    fn tied_and_buffer_keys_are_accepted() {
        let cfg = EncoderConfig::tiny(Family::Bert);
        let mut w = weights_of::<MaskedLm>(&cfg);
        let emb = w
            .iter()
            .find(|t| t.0 == "bert.embeddings.word_embeddings.weight")
            .unwrap()
            .clone();
        w.push(("cls.predictions.decoder.weight".into(), emb.1, emb.2));
        let bias = w
            .iter()
            .find(|t| t.0 == "cls.predictions.bias")
            .unwrap()
            .clone();
        w.push(("cls.predictions.decoder.bias".into(), bias.1, bias.2));
        let ckpt =
            Checkpoint::from_bytes(&config_json(&cfg), &safetensors_bytes(&w, DType::F32)).unwrap();
        assert!(ckpt.load::<MaskedLm>(&Device::Cpu).is_ok());
        // Only the alias of the bias: it is used as the bias.
        w.retain(|t| t.0 != "cls.predictions.bias");
        let ckpt =
            Checkpoint::from_bytes(&config_json(&cfg), &safetensors_bytes(&w, DType::F32)).unwrap();
        let loaded = ckpt.load::<MaskedLm>(&Device::Cpu).unwrap();
        assert!(loaded
            .varmap
            .data()
            .lock()
            .unwrap()
            .contains_key("cls.predictions.decoder.bias"));
    }

    #[test]
    fn missing_unexpected_and_mismatched_tensors_are_named() {
        let cfg = EncoderConfig::tiny(Family::Roberta);
        let w = weights_of::<MaskedLm>(&cfg);
        let mut missing = w.clone();
        missing.retain(|t| t.0 != "roberta.encoder.layer.1.output.dense.weight");
        let err = load_err::<MaskedLm>(&cfg, &missing);
        assert!(
            err.contains("missing tensor \"roberta.encoder.layer.1.output.dense.weight\""),
            "{err}"
        );

        let mut extra = w.clone();
        extra.push((
            "roberta.encoder.layer.7.output.dense.weight".into(),
            vec![2],
            vec![0.0, 1.0],
        ));
        let err = load_err::<MaskedLm>(&cfg, &extra);
        assert!(
            err.contains("unexpected tensor \"roberta.encoder.layer.7.output.dense.weight\""),
            "{err}"
        );

        let mut wrong = w.clone();
        let t = wrong
            .iter_mut()
            .find(|t| t.0 == "lm_head.dense.weight")
            .unwrap();
        t.1 = vec![16, 64];
        let err = load_err::<MaskedLm>(&cfg, &wrong);
        assert!(
            err.contains("\"lm_head.dense.weight\"")
                && err.contains("[16, 64]")
                && err.contains("[32, 32]"),
            "{err}"
        );

        // A base checkpoint has no MLM head.
        let base = weights_of::<Encoder>(&cfg);
        let err = load_err::<MaskedLm>(&cfg, &base);
        assert!(err.contains("missing tensor \"lm_head."), "{err}");
    }

    #[test]
    fn corrupt_files_and_bad_configs_are_reported() {
        let cfg = EncoderConfig::tiny(Family::Bert);
        let bytes = safetensors_bytes(&weights_of::<Encoder>(&cfg), DType::F32);
        let json = config_json(&cfg);
        for broken in [
            &bytes[..bytes.len() / 2],
            &bytes[..4],
            &b""[..],
            &b"garbage garbage garbage"[..],
        ] {
            let err = Checkpoint::from_bytes(&json, broken)
                .err()
                .unwrap()
                .to_string();
            assert!(
                err.starts_with("model.safetensors is truncated or corrupt"),
                "{err}"
            );
        }
        let err = Checkpoint::from_bytes(br#"{"model_type":"t5"}"#, &bytes)
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("unsupported model_type \"t5\""), "{err}");
    }

    #[test]
    fn directory_errors() {
        let dir = std::env::temp_dir().join(format!("bertlab-ckpt-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let cfg = EncoderConfig::tiny(Family::Bert);
        std::fs::write(dir.join("config.json"), config_json(&cfg)).unwrap();
        std::fs::write(dir.join("pytorch_model.bin"), b"not really").unwrap();
        let err = Checkpoint::from_dir(&dir).err().unwrap();
        assert!(matches!(err, ModelError::BinOnlyCheckpoint { .. }), "{err}");
        assert!(err.to_string().contains("pytorch_model.bin"));
        std::fs::remove_file(dir.join("pytorch_model.bin")).unwrap();
        let err = Checkpoint::from_dir(&dir).err().unwrap().to_string();
        assert!(err.contains("model.safetensors"), "{err}");
        std::fs::write(
            dir.join("model.safetensors"),
            safetensors_bytes(&weights_of::<Encoder>(&cfg), DType::F32),
        )
        .unwrap();
        assert!(Checkpoint::from_dir(&dir)
            .unwrap()
            .load::<Encoder>(&Device::Cpu)
            .is_ok());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn components() {
        assert_eq!(
            component_of(Family::Bert, "bert.encoder.layer.11.output.dense.weight"),
            "layer 11"
        );
        assert_eq!(
            component_of(Family::Bert, "embeddings.LayerNorm.weight"),
            "embeddings"
        );
        assert_eq!(
            component_of(Family::Bert, "cls.predictions.bias"),
            "MLM head"
        );
        assert_eq!(
            component_of(Family::Bert, "cls.seq_relationship.weight"),
            "NSP head"
        );
        assert_eq!(
            component_of(
                Family::Albert,
                "albert.encoder.albert_layer_groups.0.albert_layers.0.ffn.weight"
            ),
            "shared layer group 0"
        );
        assert_eq!(
            component_of(Family::Albert, "albert.pooler.weight"),
            "pooler"
        );
        assert_eq!(
            component_of(Family::DistilBert, "vocab_projector.bias"),
            "MLM head"
        );
        assert_eq!(
            component_of(
                Family::DistilBert,
                "distilbert.transformer.layer.2.ffn.lin1.bias"
            ),
            "layer 2"
        );
    }
}
