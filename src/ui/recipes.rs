//! The recipe table of the advanced track: BERT and three successors, what each changed, and their
//! base-size parameter counts computed from their published configurations.

use crate::model::{EncoderConfig, Family};

/// One row of the table.
pub struct Recipe {
    pub name: &'static str,
    pub objectives: &'static str,
    pub changed: &'static str,
    pub why: &'static str,
    /// The base-size configuration (as in its config.json on the model hub).
    pub config: EncoderConfig,
}

/// BERT-base, RoBERTa-base, ALBERT-base (v2) and DistilBERT-base.
pub fn recipes() -> Vec<Recipe> {
    let base = |family| EncoderConfig::sized(family, 12, 768, 12, 3072);
    vec![
        Recipe {
            name: "BERT",
            objectives: "MLM + next-sentence prediction",
            changed: "Masks fixed when the data is prepared (ten copies, each masked once); 1M steps of 256 sequences.",
            why: "Set the pattern: pretrain one bidirectional encoder, then fine-tune it per task.",
            config: EncoderConfig {
                type_vocab_size: 2,
                ..base(Family::Bert)
            },
        },
        Recipe {
            name: "RoBERTa",
            objectives: "MLM only",
            changed: "No next-sentence task, a fresh mask every time, batches of 8K sequences, ten times the text, longer training, byte-level BPE.",
            why: "The same architecture got clearly better: BERT had been undertrained, and the recipe mattered.",
            config: EncoderConfig {
                vocab_size: 50265,
                max_position_embeddings: 514,
                type_vocab_size: 1,
                ..base(Family::Roberta)
            },
        },
        Recipe {
            name: "ALBERT",
            objectives: "MLM + sentence-order prediction",
            changed: "A small embedding size projected up, one set of layer weights reused at every depth, sentence order instead of next sentence.",
            why: "A fraction of the parameters with transfer close to BERT's; compute per token stays the same.",
            config: EncoderConfig {
                vocab_size: 30000,
                embedding_size: 128,
                type_vocab_size: 2,
                ..base(Family::Albert)
            },
        },
        Recipe {
            name: "DistilBERT",
            objectives: "Distillation from BERT + MLM",
            changed: "Half the layers, trained to match a BERT teacher's outputs; no segment embeddings, no pooler.",
            why: "Faster and smaller at inference time, keeping most of BERT's downstream quality.",
            config: EncoderConfig {
                num_hidden_layers: 6,
                type_vocab_size: 0,
                ..base(Family::DistilBert)
            },
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_model_sizes_match_the_published_checkpoints() {
        // Parameter counts of the bare models in transformers (bert-base-uncased, roberta-base,
        // albert-base-v2, distilbert-base-uncased), exact.
        let published = [
            ("BERT", 109_482_240),
            ("RoBERTa", 124_645_632),
            ("ALBERT", 11_683_584),
            ("DistilBERT", 66_362_880),
        ];
        let recipes = recipes();
        for (name, count) in published {
            let recipe = recipes.iter().find(|r| r.name == name).expect("listed");
            assert!(recipe.config.validate().is_ok(), "{name}");
            assert_eq!(recipe.config.parameter_count().total(), count, "{name}");
        }
    }
}
