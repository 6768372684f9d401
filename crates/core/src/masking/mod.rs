//! Masking for masked-language-model pretraining, shared by the masking lab, in-tab pretraining and
//! `bertlab pretrain`.
//!
//! Two steps per sequence:
//! - **selection** picks the prediction targets among the non-special tokens (`selection_rate`, 15 % by
//!   default), token by token or whole words at a time;
//! - **replacement** decides what the model sees at each target: `[MASK]` (80 %), a random ordinary
//!   token (10 %) or the original token (10 %), so the model cannot learn that only `[MASK]` needs
//!   predicting.
//!
//! [`Strategy::Static`] is BERT's duplicate-the-data-N-times (N fixed masks per sequence, epoch `e`
//! sees mask `e % N`); [`Strategy::Dynamic`] is RoBERTa's fresh mask every time a sequence is seen.
//!
//! Selection draws an exact count per sequence, `rate * candidates` rounded stochastically (up with
//! probability equal to the fractional part), rather than a Bernoulli coin per token: the count stays
//! within one token of `rate * candidates`, so a sentence in the lab's grid shows a steady number of
//! targets, and its expectation is exactly `rate * candidates`, so measured rates converge for any
//! sequence length (BERT's `max(1, round(rate * n))` gives 20 % on 10-token sequences). Whole-word
//! masking keeps the rate in expectation too; see the `selection` module.
//!
//! Everything is a pure function of (seed, sequence index, slot) and the sequence itself, so the lab's
//! grid, training in the tab and the CLI produce the same masks in any iteration order, natively and in
//! wasm32. Pure Rust: ids and vocabularies come in as plain data.

mod grid;
mod masker;
mod replacement;
mod selection;
mod stats;
mod stream;
mod words;

pub use bertlab_protocol::masking::{
    EpochStats, GridCell, MaskCounts, MaskingConfig, MaskingError, MaskingGrid, Strategy,
    MAX_GRID_EPOCHS,
};
pub use grid::masking_grid;
pub use masker::{MaskedSequence, Masker, Sequence, IGNORE_INDEX};
pub use replacement::{Decision, ReplacementIds};
pub use stats::epoch_stats;
pub use words::word_ids_from_pieces;

#[cfg(test)]
mod fixtures;
