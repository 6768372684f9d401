//! The tokenizer lab's view of one input (see `bertlab_protocol::tokens`), computed from a tokenizer.

use std::collections::HashMap;

use bertlab_core::text::tokenizer::{EncodeOptions, Tokenizer, TokenizerKind};
use bertlab_core::text::wordpiece_trace::{trace_word, WordPieceParams};
use bertlab_protocol::tokens::{TokenCell, TokenView};

/// The tokenizer lab's byte-level BPE (RoBERTa-style) and Unigram (ALBERT-style) tokenizers, in that
/// order, as served next to the app (see `assets/tokenizers/SOURCES.md`); WordPiece is the default
/// model's own.
pub const COMPARED_TOKENIZERS: [&str; 2] = [
    "assets/tokenizers/bpe/tokenizer.json",
    "assets/tokenizers/unigram/tokenizer.json",
];

/// Tokenize `text` (and `pair`) as the model will see it, truncated to `max_len`.
pub fn token_view(
    tokenizer: &Tokenizer,
    text: &str,
    pair: Option<&str>,
    max_len: usize,
    position_offset: u32,
    trace: Option<&str>,
) -> Result<TokenView, String> {
    let options = EncodeOptions {
        add_special_tokens: true,
        max_len: Some(max_len),
        position_offset,
    };
    let encoded = tokenizer
        .encode(text, pair, &options)
        .map_err(|e| e.to_string())?;
    let tokens = (0..encoded.len())
        .map(|i| TokenCell {
            piece: encoded.pieces[i].clone(),
            id: encoded.ids[i],
            segment: encoded.type_ids[i],
            position: encoded.position_ids[i],
            special: encoded.special_tokens_mask[i],
            sequence: encoded.sequence_ids[i],
            chars: encoded.offsets[i],
            word: encoded.word_ids[i],
        })
        .collect();
    let kind = tokenizer.kind();
    let trace = match (kind, trace.map(str::trim).filter(|w| !w.is_empty())) {
        (TokenizerKind::WordPiece, Some(word)) => {
            let vocab: HashMap<String, u32> = tokenizer.inner().get_vocab(false);
            // BERT lowercases before WordPiece; trace what the model actually looks up.
            let word = if tokenizer.token_to_id(word).is_none() {
                word.to_lowercase()
            } else {
                word.to_string()
            };
            Some(
                trace_word(&word, &vocab, &WordPieceParams::default())
                    .map_err(|e| e.to_string())?,
            )
        }
        _ => None,
    };
    Ok(TokenView {
        tokens,
        max_len,
        removed: encoded.truncation.map_or([0, 0], |t| t.removed),
        kind: format!("{kind:?}"),
        trace,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn minilm() -> Tokenizer {
        Tokenizer::from_file(concat!(
            concat!(env!("CARGO_MANIFEST_DIR"), "/../.."),
            "/models/all-minilm-l6-v2/tokenizer.json"
        ))
        .expect("the embedded MiniLM tokenizer is committed")
    }

    #[test]
    fn a_pair_is_wrapped_in_cls_and_sep_with_segment_ids() {
        let view = token_view(&minilm(), "The cat sat.", Some("It purred."), 128, 0, None)
            .expect("tokenizes");
        let pieces: Vec<&str> = view.tokens.iter().map(|t| t.piece.as_str()).collect();
        assert_eq!(pieces.first(), Some(&"[CLS]"));
        assert_eq!(pieces.iter().filter(|p| **p == "[SEP]").count(), 2);
        let first_sep = pieces
            .iter()
            .position(|p| *p == "[SEP]")
            .expect("has [SEP]");
        assert!(view.tokens[..=first_sep].iter().all(|t| t.segment == 0));
        assert!(view.tokens[first_sep + 1..].iter().all(|t| t.segment == 1));
        let positions: Vec<u32> = view.tokens.iter().map(|t| t.position).collect();
        assert_eq!(positions, (0..view.tokens.len() as u32).collect::<Vec<_>>());
        assert_eq!(view.removed, [0, 0]);
    }

    #[test]
    fn offsets_point_back_at_the_source_characters() {
        let text = "Tokenization héllo";
        let view = token_view(&minilm(), text, None, 128, 0, None).expect("tokenizes");
        let chars: Vec<char> = text.chars().collect();
        for t in view.tokens.iter().filter(|t| !t.special) {
            let covered: String = chars[t.chars.0..t.chars.1]
                .iter()
                .collect::<String>()
                .to_lowercase();
            let piece = t.piece.trim_start_matches("##");
            // BERT's normaliser strips accents, so compare without them.
            assert_eq!(covered.replace('é', "e"), piece, "{t:?}");
        }
    }

    #[test]
    fn truncation_to_the_model_length_is_reported() {
        let long = "word ".repeat(50);
        let view = token_view(&minilm(), &long, None, 16, 0, None).expect("tokenizes");
        assert_eq!(view.tokens.len(), 16);
        assert_eq!(view.removed[0], 50 - 14);
    }

    #[test]
    fn the_trace_of_a_word_ends_in_the_pieces_the_tokenizer_produced() {
        let view =
            token_view(&minilm(), "unaffable", None, 128, 0, Some("unaffable")).expect("tokenizes");
        let trace = view.trace.expect("WordPiece tokenizers get a trace");
        let traced: Vec<&str> = trace.pieces.iter().map(|p| p.text.as_str()).collect();
        let produced: Vec<&str> = view
            .tokens
            .iter()
            .filter(|t| !t.special)
            .map(|t| t.piece.as_str())
            .collect();
        assert_eq!(traced, produced);
        assert!(
            trace.steps.len() > traced.len(),
            "the trace shows the failed lookups too"
        );
    }

    #[test]
    fn the_three_algorithms_split_the_same_text_differently() {
        let text = "Tokenization of unbelievably long words, said Captain Ahab.";
        let shipped = COMPARED_TOKENIZERS.map(|path| {
            Tokenizer::from_file(crate::views::test_models::repo_file(path))
                .expect("the lab's tokenizers are committed")
        });
        let views: Vec<TokenView> = [&minilm(), &shipped[0], &shipped[1]]
            .into_iter()
            .map(|tok| token_view(tok, text, None, 128, 0, None).expect("tokenizes"))
            .collect();
        let kinds: Vec<&str> = views.iter().map(|v| v.kind.as_str()).collect();
        assert_eq!(kinds, ["WordPiece", "Bpe", "Unigram"]);
        let ordinary = |v: &TokenView| -> Vec<String> {
            v.tokens
                .iter()
                .filter(|t| !t.special)
                .map(|t| t.piece.clone())
                .collect()
        };
        let [wordpiece, bpe, unigram] = [0, 1, 2].map(|i| ordinary(&views[i]));
        assert!(
            wordpiece.iter().any(|p| p.starts_with("##")),
            "{wordpiece:?}"
        );
        assert!(bpe.iter().any(|p| p.starts_with('Ġ')), "{bpe:?}");
        assert!(unigram.iter().any(|p| p.starts_with('▁')), "{unigram:?}");
        assert_ne!(wordpiece, bpe);
        assert_ne!(bpe, unigram);
        // Each covers the whole text: the characters of its pieces, in order, spell every word.
        for view in &views {
            let last = view
                .tokens
                .iter()
                .filter(|t| !t.special)
                .map(|t| t.chars.1)
                .max();
            assert_eq!(last, Some(text.chars().count()), "{}", view.kind);
        }
        // RoBERTa-style BPE keeps case; BERT and ALBERT lowercase.
        assert!(bpe.iter().any(|p| p.contains("Captain")), "{bpe:?}");
        assert!(!wordpiece.iter().chain(&unigram).any(|p| p.contains('C')));
        for (tok, (cls, sep)) in shipped.iter().zip([("<s>", "</s>"), ("[CLS]", "[SEP]")]) {
            let v = token_view(tok, "a", Some("b"), 16, 0, None).expect("tokenizes");
            assert_eq!(v.tokens[0].piece, cls);
            assert_eq!(v.tokens.last().map(|t| t.piece.as_str()), Some(sep));
        }
    }
}
