//! The recipe table of the advanced track: BERT and three successors, what each changed, and the
//! shape and parameter count of their base-size checkpoints. The core's parameter-count formula is
//! held to these published counts (`bertlab_core::model::size`), so the page needs no model code.

/// One row of the table.
pub struct Recipe {
    pub name: &'static str,
    pub objectives: &'static str,
    pub changed: &'static str,
    pub why: &'static str,
    pub layers: usize,
    /// ALBERT reuses one set of layer weights at every depth.
    pub shared_layers: bool,
    pub hidden: usize,
    pub vocabulary: usize,
    /// Parameters of the bare model (no task head), as `transformers` counts them.
    pub parameters: usize,
    /// Of which the embedding tables, their LayerNorm and ALBERT's projection.
    pub embedding_parameters: usize,
}

/// BERT-base, RoBERTa-base, ALBERT-base (v2) and DistilBERT-base.
pub fn recipes() -> Vec<Recipe> {
    vec![
        Recipe {
            name: "BERT",
            objectives: "MLM + next-sentence prediction",
            changed: "Masks fixed when the data is prepared (ten copies, each masked once); 1M steps of 256 sequences.",
            why: "Set the pattern: pretrain one bidirectional encoder, then fine-tune it per task.",
            layers: 12,
            shared_layers: false,
            hidden: 768,
            vocabulary: 30522,
            parameters: 109_482_240,
            embedding_parameters: 23_837_184,
        },
        Recipe {
            name: "RoBERTa",
            objectives: "MLM only",
            changed: "No next-sentence task, a fresh mask every time, batches of 8K sequences, ten times the text, longer training, byte-level BPE.",
            why: "The same architecture got clearly better: BERT had been undertrained, and the recipe mattered.",
            layers: 12,
            shared_layers: false,
            hidden: 768,
            vocabulary: 50265,
            parameters: 124_645_632,
            embedding_parameters: 39_000_576,
        },
        Recipe {
            name: "ALBERT",
            objectives: "MLM + sentence-order prediction",
            changed: "A small embedding size projected up, one set of layer weights reused at every depth, sentence order instead of next sentence.",
            why: "A fraction of the parameters with transfer close to BERT's; compute per token stays the same.",
            layers: 12,
            shared_layers: true,
            hidden: 768,
            vocabulary: 30000,
            parameters: 11_683_584,
            embedding_parameters: 4_005_120,
        },
        Recipe {
            name: "DistilBERT",
            objectives: "Distillation from BERT + MLM",
            changed: "Half the layers, trained to match a BERT teacher's outputs; no segment embeddings, no pooler.",
            why: "Faster and smaller at inference time, keeping most of BERT's downstream quality.",
            layers: 6,
            shared_layers: false,
            hidden: 768,
            vocabulary: 30522,
            parameters: 66_362_880,
            embedding_parameters: 23_835_648,
        },
    ]
}
