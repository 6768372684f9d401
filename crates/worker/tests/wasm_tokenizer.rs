//! The tokenizer lab's view computed in the browser (wasm32) agrees with the native one: same pieces,
//! ids, segments, offsets and WordPiece trace for a sentence pair.
#![cfg(target_arch = "wasm32")]

use bertlab_core::text::tokenizer::Tokenizer;
use bertlab_worker::views::tokens::token_view;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const TOKENIZER: &[u8] = include_bytes!("../../../models/all-minilm-l6-v2/tokenizer.json");

#[wasm_bindgen_test]
fn a_sentence_pair_tokenizes_in_the_browser() {
    let tokenizer = Tokenizer::from_bytes(TOKENIZER).expect("tokenizer.json parses in wasm");
    let view = token_view(
        &tokenizer,
        "Playing tokenizers",
        Some("Second one"),
        512,
        0,
        Some("tokenizers"),
    )
    .expect("tokenizes in wasm");
    let pieces: Vec<&str> = view.tokens.iter().map(|t| t.piece.as_str()).collect();
    assert_eq!(
        pieces,
        ["[CLS]", "playing", "token", "##izer", "##s", "[SEP]", "second", "one", "[SEP]"]
    );
    let segments: Vec<u32> = view.tokens.iter().map(|t| t.segment).collect();
    assert_eq!(segments, [0, 0, 0, 0, 0, 0, 1, 1, 1]);
    let trace = view.trace.expect("WordPiece gets a trace");
    let traced: Vec<&str> = trace.pieces.iter().map(|p| p.text.as_str()).collect();
    assert_eq!(traced, ["token", "##izer", "##s"]);
}
