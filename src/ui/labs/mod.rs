//! The interactive widgets. Each takes its state as a signal — the URL's on a lab page, a lesson
//! step's inside a lesson — and a policy of hidden or locked controls.

mod attention;
mod embeddings;
mod fill_mask;
mod masking;
mod tokenizer;

pub use attention::AttentionWidget;
pub use embeddings::EmbeddingsWidget;
pub use fill_mask::FillMaskWidget;
pub use masking::MaskingWidget;
pub use tokenizer::TokenizerWidget;
