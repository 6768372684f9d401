use super::super::fill_mask::fill_mask_view;
use super::super::test_models::all_families;
use super::*;
use bertlab_core::model::Family;

/// Probabilities agree to this much: the same f32 arithmetic in another order.
const TOLERANCE: f32 = 1e-5;

fn mask_of(family: Family) -> &'static str {
    match family {
        Family::Roberta => "<mask>",
        _ => "[MASK]",
    }
}

#[test]
fn the_last_layer_of_the_lens_is_fill_mask_and_every_layer_is_the_head_on_its_state() {
    for (family, model, tok) in all_families() {
        let text = format!("the cat sat on the {} today", mask_of(family));
        let lens = logit_lens_view(&model, &tok, &text, 5).expect("lens");
        assert_eq!(
            lens.layers.len(),
            model.encoder.config().num_hidden_layers + 1
        );
        let filled = fill_mask_view(&model, &tok, &text, 5, ContextSide::Both).expect("fill-mask");
        let last = &lens.layers.last().expect("layers").candidates;
        for (a, b) in last.iter().zip(&filled.masks[0].candidates) {
            assert_eq!(a.piece, b.piece, "{family:?}");
            assert!(
                (a.probability - b.probability).abs() < TOLERANCE,
                "{family:?}"
            );
        }
        // Reference: the head over the whole sequence of each hidden state, read at the mask.
        let query = FillMaskQuery::new(&model, &tok, &text, 5, ContextSide::Both).expect("query");
        let want = Internals {
            hidden_states: true,
            ..Internals::none()
        };
        let states = model
            .encoder
            .forward(query.input(), &want)
            .expect("forward")
            .hidden_states
            .expect("states");
        for (layer, state) in lens.layers.iter().zip(&states) {
            let logits = model.head.forward(state, Mode::Eval).expect("head");
            let row = candle_nn::ops::softmax_last_dim(&logits)
                .and_then(|p| p.get(0)?.get(lens.position)?.to_vec1::<f32>())
                .expect("row");
            for c in &layer.candidates {
                assert!(
                    (row[c.id as usize] - c.probability).abs() < TOLERANCE,
                    "{family:?} layer {}",
                    layer.layer
                );
            }
            let final_id = last[0].id as usize;
            assert!((row[final_id] - layer.final_guess_probability).abs() < TOLERANCE);
        }
    }
}

#[test]
fn surprisal_matches_masking_each_token_on_its_own() {
    for (family, model, tok) in all_families() {
        let text = "she put the milk in the fridge";
        let view = surprisal_view(&model, &tok, text).expect("surprisal");
        let config = model.encoder.config();
        let enc = encode(&tok, config, text, None).expect("encode");
        let (_, mask_id) = tok.mask_token().expect("mask");
        let ordinary: Vec<usize> = (0..enc.len())
            .filter(|&i| !enc.special_tokens_mask[i])
            .collect();
        assert_eq!(view.tokens.len(), ordinary.len());
        let mut nll = 0.0f64;
        for (token, &i) in view.tokens.iter().zip(&ordinary) {
            // Reference: one sequence, one mask, the full masked-LM forward.
            let mut ids = enc.ids.clone();
            ids[i] = mask_id;
            let segments = [enc.type_ids.clone()];
            let segments = (config.type_vocab_size > 0).then_some(segments.as_slice());
            let input =
                EncoderInput::from_rows(&[ids], segments, config.pad_token_id, &Device::Cpu)
                    .expect("input");
            let logits = model
                .forward(&input, &Internals::none())
                .expect("forward")
                .logits;
            let p = candle_nn::ops::softmax_last_dim(&logits)
                .and_then(|p| {
                    p.get(0)?
                        .get(i)?
                        .get(enc.ids[i] as usize)?
                        .to_scalar::<f32>()
                })
                .expect("probability");
            assert_eq!(token.piece, enc.pieces[i]);
            assert!(
                (token.probability - p).abs() <= TOLERANCE * p.max(1e-3),
                "{family:?} {}: {} vs {p}",
                token.piece,
                token.probability
            );
            assert!((token.surprisal_bits - (-p.log2())).abs() < 1e-3);
            nll -= (p as f64).ln();
        }
        let expected = (nll / ordinary.len() as f64).exp() as f32;
        assert!(
            (view.pseudo_perplexity - expected).abs() < 1e-3 * expected,
            "{family:?}"
        );
    }
}

#[test]
fn long_and_empty_texts_are_handled_with_a_note_or_a_message() {
    let (_, model, tok) = all_families().remove(0);
    let words = SURPRISAL_MAX_TOKENS + 10;
    let view = surprisal_view(&model, &tok, &"word ".repeat(words)).expect("long text");
    // The tiny model's own length (two specials aside) may cut first.
    let fits = (model.encoder.config().max_input_len() - 2).min(SURPRISAL_MAX_TOKENS);
    assert_eq!(view.tokens.len(), fits);
    assert_eq!(view.removed, words - fits);
    let with_mask = surprisal_view(&model, &tok, "the [MASK] sat").expect("a typed mask");
    assert!(
        with_mask.tokens.iter().all(|t| t.piece != "[MASK]"),
        "a typed [MASK] is not scored"
    );
    let err = surprisal_view(&model, &tok, "   ").expect_err("no words");
    assert!(err.contains("type a sentence"), "{err}");
    let err = logit_lens_view(&model, &tok, "no mask here", 5).expect_err("no mask");
    assert!(err.contains("[MASK]"), "{err}");
}
