//! Parameter counts from a config alone, without building the model: what the recipe table shows
//! for models far too large to load in a browser tab.

use super::config::{EncoderConfig, Family};

/// Parameters of a bare encoder (no task head), by part.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParameterCount {
    /// Token, position and segment tables, their LayerNorm, and ALBERT's projection to hidden size.
    pub embeddings: usize,
    /// The transformer layers that exist as separate weights (ALBERT shares one group across depth).
    pub layers: usize,
    /// tanh(dense([CLS])); DistilBERT has none.
    pub pooler: usize,
}

impl ParameterCount {
    pub fn total(&self) -> usize {
        self.embeddings + self.layers + self.pooler
    }
}

impl EncoderConfig {
    /// Count the parameters the checkpoint of this config holds (base model with pooler).
    pub fn parameter_count(&self) -> ParameterCount {
        let (h, e, i) = (
            self.hidden_size,
            self.embedding_size,
            self.intermediate_size,
        );
        let linear = |inputs: usize, outputs: usize| inputs * outputs + outputs;
        let layer_norm = |width: usize| 2 * width;
        let tables = (self.vocab_size + self.max_position_embeddings + self.type_vocab_size) * e;
        let projection = if self.family == Family::Albert {
            linear(e, h)
        } else {
            0
        };
        let layer = 4 * linear(h, h) + linear(h, i) + linear(i, h) + 2 * layer_norm(h);
        let distinct_layers = if self.family == Family::Albert {
            self.num_hidden_groups * self.inner_group_num
        } else {
            self.num_hidden_layers
        };
        ParameterCount {
            embeddings: tables + layer_norm(e) + projection,
            layers: distinct_layers * layer,
            pooler: if self.family == Family::DistilBert {
                0
            } else {
                linear(h, h)
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use candle_core::Device;

    use super::*;
    use crate::model::{Encoder, Loaded};

    #[test]
    fn counting_from_the_config_matches_the_built_model_for_every_family() {
        for family in [
            Family::Bert,
            Family::Roberta,
            Family::Albert,
            Family::DistilBert,
        ] {
            let config = EncoderConfig::tiny(family);
            let built = Loaded::<Encoder>::random(&config, 7, &Device::Cpu).expect("random model");
            assert_eq!(
                config.parameter_count().total(),
                built.parameter_count(),
                "{family:?}"
            );
        }
    }
}
