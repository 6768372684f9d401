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

    #[test]
    fn base_model_sizes_match_the_published_checkpoints() {
        // bert-base-uncased, roberta-base, albert-base-v2 and distilbert-base-uncased as the bare
        // models in transformers count them, exact; the lessons' recipe table shows these numbers
        // (crates/app/src/recipes.rs), so a change of formula must keep them.
        let base = |family| EncoderConfig::sized(family, 12, 768, 12, 3072);
        let published = [
            (
                EncoderConfig {
                    type_vocab_size: 2,
                    ..base(Family::Bert)
                },
                109_482_240,
                23_837_184,
            ),
            (
                EncoderConfig {
                    vocab_size: 50265,
                    max_position_embeddings: 514,
                    type_vocab_size: 1,
                    ..base(Family::Roberta)
                },
                124_645_632,
                39_000_576,
            ),
            (
                EncoderConfig {
                    vocab_size: 30000,
                    embedding_size: 128,
                    type_vocab_size: 2,
                    ..base(Family::Albert)
                },
                11_683_584,
                4_005_120,
            ),
            (
                EncoderConfig {
                    num_hidden_layers: 6,
                    type_vocab_size: 0,
                    ..base(Family::DistilBert)
                },
                66_362_880,
                23_835_648,
            ),
        ];
        for (config, total, embeddings) in published {
            assert!(config.validate().is_ok(), "{:?}", config.family);
            let count = config.parameter_count();
            assert_eq!(count.total(), total, "{:?}", config.family);
            assert_eq!(count.embeddings, embeddings, "{:?}", config.family);
        }
    }
}
