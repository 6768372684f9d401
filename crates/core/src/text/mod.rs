//! Text: tokenizer loading and encoding (pieces, offsets, segment and position ids, truncation) and
//! the WordPiece greedy trace. Pure: no candle.

pub mod tokenizer;
pub mod wordpiece_trace;
pub mod wordpiece_vocab;
