//! Two looks inside a masked-LM: the logit lens (the MLM head read off every layer's hidden state at
//! a `[MASK]`) and pseudo-perplexity (every token masked in turn, how surprised the model is to see
//! it back).

use bertlab_core::model::nn::Mode;
use bertlab_core::model::{EncoderInput, Internals, MaskedLm};
use bertlab_core::text::tokenizer::Tokenizer;
use bertlab_protocol::views::{
    ContextSide, LensLayer, LogitLensView, SurprisalView, TokenSurprisal,
};
use candle_core::{Device, Tensor, D};

use super::fill_mask::{top_candidates, FillMaskQuery};
use super::input::{encode, message};

/// Tokens pseudo-perplexity masks at most: each is a row of one batch through the encoder.
pub const SURPRISAL_MAX_TOKENS: usize = 64;

/// The head's probabilities at `position` of each `[1, seq, hidden]` state.
fn head_probabilities(
    model: &MaskedLm,
    states: &[Tensor],
    position: usize,
) -> Result<Vec<Vec<f32>>, String> {
    let at: Vec<Tensor> = states
        .iter()
        .map(|h| h.narrow(1, position, 1))
        .collect::<candle_core::Result<_>>()
        .map_err(message)?;
    let rows = Tensor::cat(&at, 0).map_err(message)?;
    let logits = model.head.forward(&rows, Mode::Eval).map_err(message)?;
    candle_nn::ops::softmax_last_dim(&logits.squeeze(1).map_err(message)?)
        .and_then(|p| p.to_vec2::<f32>())
        .map_err(message)
}

/// The logit lens at the first `[MASK]` of `text`.
pub fn logit_lens_view(
    model: &MaskedLm,
    tokenizer: &Tokenizer,
    text: &str,
    top_k: usize,
) -> Result<LogitLensView, String> {
    let query = FillMaskQuery::new(model, tokenizer, text, top_k, ContextSide::Both)?;
    let position = query.mask_rows()[0];
    let want = Internals {
        hidden_states: true,
        ..Internals::none()
    };
    let output = model
        .encoder
        .forward(query.input(), &want)
        .map_err(message)?;
    let states = output
        .hidden_states
        .ok_or("the encoder returned no hidden states")?;
    let probabilities = head_probabilities(model, &states, position)?;
    let specials = tokenizer.special_ids();
    let last = probabilities.last().ok_or("the model has no layers")?;
    let final_guess = top_candidates(tokenizer, &specials, last, 1)
        .first()
        .map_or(0, |c| c.id as usize);
    let layers = probabilities
        .iter()
        .enumerate()
        .map(|(layer, row)| LensLayer {
            layer,
            candidates: top_candidates(tokenizer, &specials, row, top_k),
            final_guess_probability: row[final_guess],
        })
        .collect();
    Ok(LogitLensView {
        pieces: query.pieces().to_vec(),
        position,
        layers,
    })
}

/// Every ordinary token of `text` masked in turn (all in one batch), with the probability the
/// model gives it back and its best guess there instead.
pub fn surprisal_view(
    model: &MaskedLm,
    tokenizer: &Tokenizer,
    text: &str,
) -> Result<SurprisalView, String> {
    let config = model.encoder.config();
    let (_, mask_id) = tokenizer
        .mask_token()
        .ok_or("this model's tokenizer has no mask token, so it cannot be asked for a word back")?;
    let enc = encode(tokenizer, config, text, None)?;
    // A [MASK] the student typed is no word to score; nor is any other special token.
    let specials = tokenizer.special_ids();
    let ordinary: Vec<usize> = (0..enc.len())
        .filter(|&i| !enc.special_tokens_mask[i] && specials.binary_search(&enc.ids[i]).is_err())
        .collect();
    if ordinary.is_empty() {
        return Err("type a sentence: there is no word to mask".into());
    }
    let kept = &ordinary[..ordinary.len().min(SURPRISAL_MAX_TOKENS)];
    let removed = enc.truncation.map_or(0, |t| t.total_removed()) + ordinary.len() - kept.len();
    let rows: Vec<Vec<u32>> = kept
        .iter()
        .map(|&i| {
            let mut ids = enc.ids.clone();
            ids[i] = mask_id;
            ids
        })
        .collect();
    let segments = vec![enc.type_ids.clone(); rows.len()];
    let segments = (config.type_vocab_size > 0).then_some(segments.as_slice());
    let input = EncoderInput::from_rows(&rows, segments, config.pad_token_id, &Device::Cpu)
        .map_err(message)?;
    let hidden = model
        .encoder
        .forward(&input, &Internals::none())
        .map_err(message)?
        .last_hidden_state;
    // Row r's masked token is at kept[r]: gather those states only, then one head pass.
    let at: Vec<Tensor> = kept
        .iter()
        .enumerate()
        .map(|(r, &i)| hidden.get(r)?.narrow(0, i, 1))
        .collect::<candle_core::Result<_>>()
        .map_err(message)?;
    let logits = model
        .head
        .forward(
            &Tensor::cat(&at, 0)
                .map_err(message)?
                .unsqueeze(0)
                .map_err(message)?,
            Mode::Eval,
        )
        .map_err(message)?
        .squeeze(0)
        .map_err(message)?;
    let log_probs = candle_nn::ops::log_softmax(&logits, D::Minus1)
        .and_then(|p| p.to_vec2::<f32>())
        .map_err(message)?;
    let mut tokens = Vec::with_capacity(kept.len());
    let mut nll = 0.0f64;
    for (&i, row) in kept.iter().zip(&log_probs) {
        let log_p = row[enc.ids[i] as usize];
        nll -= log_p as f64;
        // Log-probabilities rank the pieces as the probabilities do.
        let best_guess = top_candidates(tokenizer, &specials, row, 1)
            .into_iter()
            .next()
            .map(|c| c.piece)
            .unwrap_or_default();
        tokens.push(TokenSurprisal {
            piece: enc.pieces[i].clone(),
            probability: log_p.exp(),
            surprisal_bits: -log_p / std::f32::consts::LN_2,
            best_guess,
        });
    }
    let mean_nll = nll / kept.len() as f64;
    Ok(SurprisalView {
        tokens,
        pseudo_perplexity: mean_nll.exp() as f32,
        removed,
    })
}

#[cfg(test)]
#[path = "lens_tests.rs"]
mod tests;
