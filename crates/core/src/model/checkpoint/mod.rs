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

mod loaded;
mod names;

use std::collections::{BTreeSet, HashMap};

use candle_core::{DType, Device, Tensor};
use safetensors::{Dtype, SafeTensors};

use super::config::EncoderConfig;
use super::error::{ModelError, Result};
use super::heads::MlmNames;
use super::params::Source;
use loaded::build;
use names::head_prefixes;

pub use loaded::{tensors_to_safetensors, varmap_safetensors, Architecture, BuildContext, Loaded};
pub use names::component_of;

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Encoder, Family, ForPreTraining, MaskedLm};

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
}
