//! Core outputs turned into the views the page draws (`bertlab_protocol::views` and `::tokens`):
//! plain data, so the page never holds a tensor. Native too, for the tests and the CLI.

pub mod attention;
pub mod attribution;
pub mod embeddings;
pub mod fill_mask;
mod input;
pub mod lens;
#[cfg(test)]
pub(crate) mod test_models;
pub mod tokens;
