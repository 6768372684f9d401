//! The embeddings view: token, segment and position parts of every token, their normalised sum,
//! and the geometry of the position table.

use bertlab_core::model::{Encoder, Internals};
use bertlab_core::text::tokenizer::Tokenizer;
use bertlab_protocol::views::{EmbeddingView, VIEW_MAX_TOKENS};
use candle_core::DType;

use super::input::{encode_within, input, message, norm, per_token, removed};

/// Cosine similarity of the position vectors is drawn for at most this many positions.
pub const MAX_SIMILARITY_POSITIONS: usize = 64;

/// The embedding parts of `text` (and `pair`). `segments` replaces the tokenizer's segment ids when
/// it has one entry per token; each must be below the model's `type_vocab_size`.
pub fn embedding_view(
    encoder: &Encoder,
    tokenizer: &Tokenizer,
    text: &str,
    pair: Option<&str>,
    segments: Option<&[u32]>,
) -> Result<EmbeddingView, String> {
    let config = encoder.config();
    let enc = encode_within(tokenizer, config, text, pair, VIEW_MAX_TOKENS)?;
    let choices = config.type_vocab_size as u32;
    let segments = match segments {
        Some(s) if s.len() == enc.len() => {
            if let Some(bad) = s.iter().find(|&&id| id >= choices.max(1)) {
                return Err(if choices == 0 {
                    format!("{} has no segment embeddings to choose from", config.family)
                } else {
                    format!(
                        "segment id {bad} does not exist: this model has {choices} segment embedding{} (0{})",
                        if choices == 1 { "" } else { "s" },
                        if choices == 1 { String::new() } else { format!("–{}", choices - 1) }
                    )
                });
            }
            s.to_vec()
        }
        _ => enc.type_ids.clone(),
    };
    let input = input(config, &enc.ids, &segments, None)?;
    let want = Internals {
        embeddings: true,
        ..Internals::none()
    };
    let parts = encoder
        .forward(&input, &want)
        .map_err(message)?
        .embeddings
        .ok_or("the encoder returned no embedding parts")?;
    let token = per_token(&parts.word)?;
    let segment = match &parts.token_type {
        Some(t) => per_token(t)?,
        None => Vec::new(),
    };
    let position = per_token(&parts.position)?;
    let sum = per_token(&parts.normalized)?;
    let norms = (0..enc.len())
        .map(|i| {
            [
                norm(&token[i]),
                segment.get(i).map_or(0.0, |s| norm(s)),
                norm(&position[i]),
                norm(&sum[i]),
            ]
        })
        .collect();
    Ok(EmbeddingView {
        removed: removed(&enc),
        pieces: enc.pieces,
        segments,
        token,
        segment,
        position,
        sum,
        norms,
        position_similarity: position_similarity(encoder)?,
        segment_choices: choices,
    })
}

/// Cosine similarity between the position vectors the model gives its first tokens (from its
/// position offset on: RoBERTa numbers tokens from `pad_token_id + 1`).
fn position_similarity(encoder: &Encoder) -> Result<Vec<Vec<f32>>, String> {
    let config = encoder.config();
    let n = config.max_input_len().min(MAX_SIMILARITY_POSITIONS);
    let rows = encoder
        .position_embeddings()
        .narrow(0, config.position_offset() as usize, n)
        .and_then(|t| t.to_dtype(DType::F32))
        .map_err(message)?;
    let unit = rows
        .sqr()
        .and_then(|s| s.sum_keepdim(1))
        .and_then(|s| s.sqrt())
        .and_then(|s| s.clamp(1e-12f32, f32::MAX))
        .and_then(|norms| rows.broadcast_div(&norms))
        .map_err(message)?;
    unit.matmul(&unit.t().map_err(message)?)
        .and_then(|m| m.to_vec2())
        .map_err(message)
}

#[cfg(test)]
mod tests {
    use super::super::attention::attention_view;
    use super::super::input::encode;
    use super::super::test_models::{bert, model, BPE, WORDPIECE};
    use super::*;
    use bertlab_core::model::Family;

    /// A text far past the views' limit (a pasted page) is cut to it, and the cut is reported.
    #[test]
    fn long_text_is_cut_to_the_views_limit_and_the_cut_is_counted() {
        let (model, tok) = bert();
        let text = "the cat sat on the mat . ".repeat(200);
        let view = embedding_view(&model.encoder, &tok, &text, None, None).expect("embeds");
        let limit = VIEW_MAX_TOKENS.min(model.encoder.config().max_input_len());
        assert_eq!(view.pieces.len(), limit);
        // 200 sentences of 7 words and a full stop: far more than the views' limit.
        assert!(
            view.removed + limit >= 1200,
            "only {} tokens were cut",
            view.removed
        );
        let attention = attention_view(&model.encoder, &tok, &text, None).expect("attends");
        assert_eq!(attention.pieces.len(), limit);
        assert_eq!(attention.removed, view.removed);
        let short =
            embedding_view(&model.encoder, &tok, "The cat sat.", None, None).expect("embeds");
        assert_eq!(short.removed, 0);
    }

    fn max_diff(a: &[Vec<f32>], b: &[Vec<f32>]) -> f32 {
        a.iter()
            .flatten()
            .zip(b.iter().flatten())
            .map(|(x, y)| (x - y).abs())
            .fold(0.0, f32::max)
    }

    #[test]
    fn the_embedding_sum_is_what_the_first_layer_receives() {
        let (model, tok) = bert();
        let view = embedding_view(
            &model.encoder,
            &tok,
            "The cat sat.",
            Some("It purred."),
            None,
        )
        .expect("embeds");
        let enc = encode(
            &tok,
            model.encoder.config(),
            "The cat sat.",
            Some("It purred."),
        )
        .unwrap();
        assert_eq!(view.pieces, enc.pieces);
        assert_eq!(view.segments, enc.type_ids);
        let input = input(model.encoder.config(), &enc.ids, &enc.type_ids, None).unwrap();
        let out = model
            .encoder
            .forward(&input, &Internals::all())
            .expect("forward");
        let first_layer_input = per_token(&out.hidden_states.unwrap()[0]).unwrap();
        assert!(max_diff(&view.sum, &first_layer_input) < 1e-5);
        // The token part is the word-embedding row of each id.
        let table = model.encoder.word_embeddings();
        for (i, &id) in enc.ids.iter().enumerate() {
            let row: Vec<f32> = table.get(id as usize).unwrap().to_vec1().unwrap();
            assert_eq!(view.token[i], row);
        }
        for (i, n) in view.norms.iter().enumerate() {
            assert!((n[0] - norm(&view.token[i])).abs() < 1e-6);
            assert!((n[1] - norm(&view.segment[i])).abs() < 1e-6);
            assert!((n[3] - norm(&view.sum[i])).abs() < 1e-6);
        }
        assert_eq!(view.segment_choices, 2);
        assert_eq!(view.position_similarity.len(), 64);
        for (i, row) in view.position_similarity.iter().enumerate() {
            assert!((row[i] - 1.0).abs() < 1e-5);
            assert!(row.iter().all(|c| c.abs() <= 1.0 + 1e-5));
        }
    }

    #[test]
    fn a_segment_override_changes_only_the_segment_part() {
        let (model, tok) = bert();
        let plain = embedding_view(&model.encoder, &tok, "a b c", None, None).expect("embeds");
        let n = plain.pieces.len();
        assert!(plain.segments.iter().all(|&s| s == 0));
        let ones = vec![1; n];
        let swapped =
            embedding_view(&model.encoder, &tok, "a b c", None, Some(&ones)).expect("embeds");
        assert_eq!(swapped.segments, ones);
        assert_eq!(swapped.token, plain.token);
        assert_eq!(swapped.position, plain.position);
        assert!(max_diff(&swapped.segment, &plain.segment) > 1e-4);
        assert!(max_diff(&swapped.sum, &plain.sum) > 1e-4);
        // A list of the wrong length is ignored; an id without a table row is refused.
        let ignored =
            embedding_view(&model.encoder, &tok, "a b c", None, Some(&[1, 1])).expect("embeds");
        assert_eq!(ignored.segments, plain.segments);
        let err =
            embedding_view(&model.encoder, &tok, "a b c", None, Some(&vec![2; n])).unwrap_err();
        assert!(err.contains("segment id 2 does not exist"), "{err}");
    }

    #[test]
    fn positions_are_those_the_model_uses() {
        // RoBERTa numbers tokens from pad + 1 = 2; DistilBERT has no segment table.
        let (roberta, tok) = model(Family::Roberta, BPE);
        let view =
            embedding_view(&roberta.encoder, &tok, "hello world", None, None).expect("embeds");
        let table = roberta.encoder.position_embeddings();
        let row = |i: usize| -> Vec<f32> { table.get(i).unwrap().to_vec1().unwrap() };
        assert_eq!(view.position[0], row(2));
        let (a, b) = (row(2), row(3));
        let cosine = a.iter().zip(&b).map(|(x, y)| x * y).sum::<f32>() / (norm(&a) * norm(&b));
        assert!((view.position_similarity[0][1] - cosine).abs() < 1e-5);
        assert_eq!(view.position_similarity.len(), 64);
        assert_eq!(view.segment_choices, 1);

        let (distil, tok) = model(Family::DistilBert, WORDPIECE);
        let view =
            embedding_view(&distil.encoder, &tok, "hello world", None, None).expect("embeds");
        assert!(view.segment.is_empty());
        assert_eq!(view.segment_choices, 0);
        assert!(view.norms.iter().all(|n| n[1] == 0.0));
    }
}
