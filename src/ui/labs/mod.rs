//! The interactive labs. Each is a component whose state lives in the URL (see `url_state`).

mod tokenizer;

pub use tokenizer::TokenizerLab;
