//! A model as the worker holds it: the tokenizer plus either a masked-LM (fill-mask works) or a bare
//! encoder (internals only), built from the three files of a model folder.

use candle_core::Device;

use super::protocol::ModelSummary;
use crate::model::{Checkpoint, Encoder, EncoderConfig, MaskedLm, ModelError};
use crate::text::tokenizer::Tokenizer;

/// The weights of a loaded model.
pub enum Weights {
    /// An encoder with its masked-LM head.
    MaskedLm(MaskedLm),
    /// An encoder without an MLM head (e.g. a sentence-embedding checkpoint).
    EncoderOnly(Encoder),
}

pub struct LabModel {
    pub name: String,
    pub config: EncoderConfig,
    pub tokenizer: Tokenizer,
    pub weights: Weights,
    parameters: usize,
}

impl LabModel {
    /// Build from the bytes of `config.json`, `model.safetensors` and `tokenizer.json`. Loads the
    /// masked-LM head when the checkpoint has one, the bare encoder otherwise.
    pub fn from_bytes(
        name: &str,
        config: &[u8],
        safetensors: &[u8],
        tokenizer: &[u8],
    ) -> Result<LabModel, String> {
        let checkpoint =
            Checkpoint::from_bytes(config, safetensors).map_err(|e| format!("{name}: {e}"))?;
        let tokenizer = Tokenizer::from_bytes(tokenizer).map_err(|e| format!("{name}: {e}"))?;
        let device = Device::Cpu;
        let (weights, parameters) = match checkpoint.load::<MaskedLm>(&device) {
            Ok(loaded) => {
                let parameters = loaded.parameter_count();
                (Weights::MaskedLm(loaded.model), parameters)
            }
            Err(ModelError::MissingTensor { .. }) => {
                let loaded = checkpoint
                    .load::<Encoder>(&device)
                    .map_err(|e| format!("{name}: {e}"))?;
                let parameters = loaded.parameter_count();
                (Weights::EncoderOnly(loaded.model), parameters)
            }
            Err(e) => return Err(format!("{name}: {e}")),
        };
        Ok(LabModel {
            name: name.to_string(),
            config: checkpoint.config.clone(),
            tokenizer,
            weights,
            parameters,
        })
    }

    pub fn summary(&self) -> ModelSummary {
        ModelSummary {
            name: self.name.clone(),
            family: format!("{:?}", self.config.family),
            layers: self.config.num_hidden_layers,
            hidden_size: self.config.hidden_size,
            heads: self.config.num_attention_heads,
            vocab_size: self.config.vocab_size,
            max_len: self.config.max_input_len(),
            parameters: self.parameters,
            has_mlm_head: matches!(self.weights, Weights::MaskedLm(_)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Family, Loaded};

    fn tokenizer_json() -> Vec<u8> {
        std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/models/all-minilm-l6-v2/tokenizer.json"
        ))
        .expect("the embedded MiniLM tokenizer is committed")
    }

    #[test]
    fn a_masked_lm_checkpoint_loads_with_its_head_and_a_bare_one_without() {
        let config = EncoderConfig::tiny(Family::Bert);
        let config_json = serde_json::to_vec(&config.to_hf_json()).expect("config serializes");
        let mlm = Loaded::<MaskedLm>::random(&config, 1, &Device::Cpu).expect("random model");
        let bare = Loaded::<Encoder>::random(&config, 1, &Device::Cpu).expect("random model");
        let tokenizer = tokenizer_json();

        let with_head = LabModel::from_bytes(
            "mlm",
            &config_json,
            &mlm.to_safetensors().expect("save"),
            &tokenizer,
        )
        .expect("loads");
        assert!(with_head.summary().has_mlm_head);
        assert_eq!(with_head.summary().parameters, mlm.parameter_count());

        let without = LabModel::from_bytes(
            "bare",
            &config_json,
            &bare.to_safetensors().expect("save"),
            &tokenizer,
        )
        .expect("loads");
        assert!(!without.summary().has_mlm_head);
        assert_eq!(without.summary().layers, config.num_hidden_layers);
    }

    #[test]
    fn broken_files_are_reported_with_the_model_name() {
        let err = LabModel::from_bytes("broken", b"{}", b"not safetensors", &tokenizer_json())
            .err()
            .expect("must fail");
        assert!(err.starts_with("broken: "), "{err}");
    }
}
