//! The fill-mask view: the model's best guesses at every `[MASK]`, optionally seeing one side only.

use bertlab_core::model::{EncoderInput, Internals, MaskedLm};
use bertlab_core::text::tokenizer::Tokenizer;
use bertlab_protocol::views::{Candidate, ContextSide, FillMaskView, MaskPrediction};
use candle_core::Tensor;

use super::input::{encode, input, message};

/// Which tokens `side` hides: every ordinary token right of the first mask (`LeftOnly`) or left of
/// the last (`RightOnly`). Specials and the masks themselves stay visible.
pub fn hidden_tokens(is_mask: &[bool], special: &[bool], side: ContextSide) -> Vec<bool> {
    let first = is_mask.iter().position(|&m| m);
    let last = is_mask.iter().rposition(|&m| m);
    (0..is_mask.len())
        .map(|i| {
            let ordinary = !special[i] && !is_mask[i];
            ordinary
                && match (side, first, last) {
                    (ContextSide::LeftOnly, Some(f), _) => i > f,
                    (ContextSide::RightOnly, _, Some(l)) => i < l,
                    _ => false,
                }
        })
        .collect()
}

/// The `top_k` most probable pieces at every `[MASK]` of `text` (written `[MASK]`, or `<mask>`, whatever
/// the tokenizer calls it), seeing only the context `side` allows. Probabilities are a softmax over
/// the whole vocabulary; special tokens are never offered as candidates.
pub fn fill_mask_view(
    model: &MaskedLm,
    tokenizer: &Tokenizer,
    text: &str,
    top_k: usize,
    side: ContextSide,
) -> Result<FillMaskView, String> {
    let query = FillMaskQuery::new(model, tokenizer, text, top_k, side)?;
    let output = model
        .encoder
        .forward(query.input(), &Internals::none())
        .map_err(message)?;
    query.answer(model, tokenizer, &output.last_hidden_state)
}

/// [`fill_mask_view`] in two halves around the encoder, so the worker can run the encoder one
/// layer at a time (see [`bertlab_core::model::ForwardPass`]) and drop a query that went stale.
pub struct FillMaskQuery {
    input: EncoderInput,
    pieces: Vec<String>,
    hidden: Vec<bool>,
    /// Token indices of the masks.
    positions: Vec<usize>,
    side: ContextSide,
    top_k: usize,
    removed: usize,
}

impl FillMaskQuery {
    /// Tokenizes `text` and applies the context ablation; errors name what the student should fix.
    pub fn new(
        model: &MaskedLm,
        tokenizer: &Tokenizer,
        text: &str,
        top_k: usize,
        side: ContextSide,
    ) -> Result<FillMaskQuery, String> {
        let config = model.encoder.config();
        let (mask, mask_id) = tokenizer
            .mask_token()
            .ok_or("this model's tokenizer has no mask token, so it cannot fill in blanks")?;
        if top_k == 0 {
            return Err("top_k must be at least 1".into());
        }
        let text = text.replace("[MASK]", &mask).replace("<mask>", &mask);
        let enc = encode(tokenizer, config, &text, None)?;
        let is_mask: Vec<bool> = enc.ids.iter().map(|&id| id == mask_id).collect();
        if !is_mask.contains(&true) {
            return Err(match enc.truncation {
                Some(t) if text.contains(&mask) => format!(
                    "the text is longer than the model's {} tokens and every [MASK] was cut off: put one nearer the start",
                    t.max_len
                ),
                _ => "no [MASK] in the text: put [MASK] where the model should guess".into(),
            });
        }
        let hidden = hidden_tokens(&is_mask, &enc.special_tokens_mask, side);
        let visible = hidden.iter().map(|&h| u32::from(!h)).collect();
        Ok(FillMaskQuery {
            input: input(config, &enc.ids, &enc.type_ids, Some(visible))?,
            positions: (0..enc.len()).filter(|&i| is_mask[i]).collect(),
            removed: enc.truncation.map_or(0, |t| t.total_removed()),
            pieces: enc.pieces,
            hidden,
            side,
            top_k,
        })
    }

    /// What goes through `model.encoder`.
    pub fn input(&self) -> &EncoderInput {
        &self.input
    }

    /// Ranks the guesses from the encoder's `last_hidden_state` for [`Self::input`].
    pub fn answer(
        self,
        model: &MaskedLm,
        tokenizer: &Tokenizer,
        last_hidden_state: &Tensor,
    ) -> Result<FillMaskView, String> {
        // The vocabulary projection is as costly as the encoder itself: apply it to the masks only.
        let index = Tensor::new(
            self.positions.iter().map(|&p| p as u32).collect::<Vec<_>>(),
            last_hidden_state.device(),
        )
        .map_err(message)?;
        let at_masks = last_hidden_state.index_select(&index, 1).map_err(message)?;
        let logits = model
            .head
            .forward(&at_masks, self.input.mode)
            .map_err(message)?
            .squeeze(0)
            .map_err(message)?;
        self.rank(tokenizer, &logits)
    }

    /// Every token of the input, specials included.
    pub fn pieces(&self) -> &[String] {
        &self.pieces
    }

    /// Token rows of the masks in [`Self::input`] (a batch of one), where the MLM logits are read.
    pub fn mask_rows(&self) -> &[usize] {
        &self.positions
    }

    /// Ranks the guesses from MLM logits `[masks, vocab]` at [`Self::mask_rows`] (the GPU path
    /// computes them itself).
    pub fn rank(self, tokenizer: &Tokenizer, logits: &Tensor) -> Result<FillMaskView, String> {
        let top_k = self.top_k;
        let probabilities = candle_nn::ops::softmax_last_dim(logits)
            .and_then(|p| p.to_vec2::<f32>())
            .map_err(message)?;
        let specials = tokenizer.special_ids();
        let masks = self
            .positions
            .into_iter()
            .zip(&probabilities)
            .map(|(position, row)| MaskPrediction {
                position,
                candidates: top_candidates(tokenizer, &specials, row, top_k),
            })
            .collect();
        Ok(FillMaskView {
            pieces: self.pieces,
            hidden: self.hidden,
            side: self.side,
            masks,
            removed: self.removed,
        })
    }
}

/// The `top_k` most probable pieces of one row of probabilities over the vocabulary, most probable
/// first; special tokens (`specials`, sorted) are never offered.
pub fn top_candidates(
    tokenizer: &Tokenizer,
    specials: &[u32],
    row: &[f32],
    top_k: usize,
) -> Vec<Candidate> {
    // Model vocabularies may be padded past the tokenizer's: such rows name no piece.
    let mut ranked: Vec<u32> = (0..row.len() as u32)
        .filter(|id| specials.binary_search(id).is_err())
        .filter(|&id| tokenizer.id_to_token(id).is_some())
        .collect();
    let by_probability = |a: &u32, b: &u32| row[*b as usize].total_cmp(&row[*a as usize]);
    // Only the best few need ordering.
    let keep = top_k.min(ranked.len());
    if keep > 0 && keep < ranked.len() {
        ranked.select_nth_unstable_by(keep - 1, by_probability);
        ranked.truncate(keep);
    }
    ranked.sort_by(by_probability);
    ranked
        .into_iter()
        .filter_map(|id| {
            tokenizer.id_to_token(id).map(|piece| Candidate {
                piece,
                id,
                probability: row[id as usize],
            })
        })
        .take(top_k)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::test_models::{all_families, bert};
    use super::*;

    fn probabilities(view: &FillMaskView) -> Vec<f32> {
        view.masks
            .iter()
            .flat_map(|m| m.candidates.iter().map(|c| c.probability))
            .collect()
    }

    #[test]
    fn candidates_are_sorted_probabilities_without_specials() {
        for (family, model, tok) in all_families() {
            let view = fill_mask_view(
                &model,
                &tok,
                "The cat [MASK] on the mat, then <mask> away.",
                7,
                ContextSide::Both,
            )
            .expect("fills");
            let (mask, _) = tok.mask_token().expect("has a mask");
            assert_eq!(view.masks.len(), 2, "{family}: {:?}", view.pieces);
            assert!(view.masks[0].position < view.masks[1].position);
            assert!(view.hidden.iter().all(|h| !h));
            let specials = tok.special_ids();
            for m in &view.masks {
                // RoBERTa's `<mask>` keeps the space it absorbed: " <mask>".
                assert_eq!(view.pieces[m.position].trim(), mask, "{family}");
                assert_eq!(m.candidates.len(), 7);
                let p: Vec<f32> = m.candidates.iter().map(|c| c.probability).collect();
                assert!(p.windows(2).all(|w| w[0] >= w[1]), "{family}: {p:?}");
                assert!(p.iter().sum::<f32>() <= 1.0 + 1e-5 && p[6] > 0.0);
                for c in &m.candidates {
                    assert!(!specials.contains(&c.id), "{family}: {c:?}");
                    assert_eq!(tok.id_to_token(c.id).as_deref(), Some(c.piece.as_str()));
                }
            }
        }
    }

    #[test]
    fn one_sided_context_hides_the_other_side_and_ignores_it() {
        let (model, tok) = bert();
        let fill = |text: &str, side| fill_mask_view(&model, &tok, text, 5, side).expect("fills");
        // Same token count, different words right of the mask.
        let a = "the old cat sat [MASK] the soft mat";
        let b = "the old cat sat [MASK] a green hill";
        let left = fill(a, ContextSide::LeftOnly);
        let pos = left.masks[0].position;
        for (i, piece) in left.pieces.iter().enumerate() {
            let ordinary = !piece.starts_with('[');
            assert_eq!(left.hidden[i], ordinary && i > pos, "{i} {piece}");
        }
        // What the model cannot see cannot change its guess; with both sides it does.
        // Relative: a random model spreads its probability thinly over 30k pieces.
        let close = |x: &[f32], y: &[f32]| {
            x.iter()
                .zip(y)
                .all(|(p, q)| (p - q).abs() <= 1e-5 * p.max(*q))
        };
        let left_b = fill(b, ContextSide::LeftOnly);
        assert_eq!(
            left.masks[0].candidates[0].id,
            left_b.masks[0].candidates[0].id
        );
        assert!(close(&probabilities(&left), &probabilities(&left_b)));
        let both = fill(a, ContextSide::Both);
        assert!(!close(
            &probabilities(&both),
            &probabilities(&fill(b, ContextSide::Both))
        ));
        assert!(!close(&probabilities(&both), &probabilities(&left)));

        let right = fill("a b [MASK] c [MASK] d", ContextSide::RightOnly);
        let last = right.masks[1].position;
        let hidden: Vec<&str> = (0..right.pieces.len())
            .filter(|&i| right.hidden[i])
            .map(|i| right.pieces[i].as_str())
            .collect();
        assert_eq!(hidden, ["a", "b", "c"]);
        assert!(!right.hidden[last + 1]);
    }

    #[test]
    fn fill_mask_errors_say_what_to_do() {
        let (model, tok) = bert();
        let err = fill_mask_view(&model, &tok, "no blank here", 5, ContextSide::Both).unwrap_err();
        assert!(
            err.ends_with("put [MASK] where the model should guess"),
            "{err}"
        );
        let long = format!("{} [MASK]", "word ".repeat(100));
        let err = fill_mask_view(&model, &tok, &long, 5, ContextSide::Both).unwrap_err();
        assert!(err.contains("longer than the model's 64 tokens"), "{err}");
        // A long text still works when its mask survives the cut.
        let early = format!("[MASK] {}", "word ".repeat(100));
        let view = fill_mask_view(&model, &tok, &early, 5, ContextSide::Both).expect("fills");
        assert_eq!(view.pieces.len(), 64);
        assert_eq!(view.removed, 103 - 64);
        let err = fill_mask_view(&model, &tok, "a [MASK]", 0, ContextSide::Both).unwrap_err();
        assert!(err.contains("top_k"), "{err}");
    }
}
