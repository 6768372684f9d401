//! Text: tokenizer loading and the views the lessons need (pieces, offsets, segment and position ids,
//! truncation, the WordPiece greedy trace). Pure: no candle.

pub mod tokenizer;
#[cfg(not(target_arch = "wasm32"))]
pub mod train_tokenizer;
pub mod view;
pub mod wordpiece_trace;
