//! The fill-mask, embeddings and attention views (see `bertlab_protocol::views`), computed from a
//! loaded model: the page never holds a tensor.

use bertlab_core::model::{Encoder, EncoderConfig, EncoderInput, Internals, MaskedLm};
use bertlab_core::text::tokenizer::{EncodeOptions, Encoded, Tokenizer};
use bertlab_protocol::views::{
    AttentionView, Candidate, ContextSide, EmbeddingView, FillMaskView, MaskPrediction,
};
use candle_core::{DType, Device, Tensor};

/// Cosine similarity of the position vectors is drawn for at most this many positions.
pub const MAX_SIMILARITY_POSITIONS: usize = 64;

fn message(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// `text` (and `pair`) as the model reads it: special tokens added, cut to the model's length.
fn encode(
    tokenizer: &Tokenizer,
    config: &EncoderConfig,
    text: &str,
    pair: Option<&str>,
) -> Result<Encoded, String> {
    let options = EncodeOptions {
        add_special_tokens: true,
        max_len: Some(config.max_input_len()),
        position_offset: config.position_offset(),
    };
    tokenizer.encode(text, pair, &options).map_err(message)
}

/// One sequence as encoder input: its segment ids (for models with a segment table) and, when
/// given, which tokens may be attended to (1) or are hidden (0).
fn input(
    config: &EncoderConfig,
    ids: &[u32],
    segments: &[u32],
    visible: Option<Vec<u32>>,
) -> Result<EncoderInput, String> {
    let device = Device::Cpu;
    let segments = [segments.to_vec()];
    let segments = (config.type_vocab_size > 0).then_some(segments.as_slice());
    let input = EncoderInput::from_rows(&[ids.to_vec()], segments, config.pad_token_id, &device)
        .map_err(message)?;
    Ok(match visible {
        Some(visible) => {
            let n = visible.len();
            input.with_attention_mask(Tensor::from_vec(visible, (1, n), &device).map_err(message)?)
        }
        None => input,
    })
}

/// `[1, seq, dims]` → one vector per token.
fn per_token(t: &Tensor) -> Result<Vec<Vec<f32>>, String> {
    t.squeeze(0)
        .and_then(|t| t.to_dtype(DType::F32))
        .and_then(|t| t.to_vec2())
        .map_err(message)
}

fn norm(v: &[f32]) -> f32 {
    v.iter().map(|x| x * x).sum::<f32>().sqrt()
}

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
            .map(|(position, row)| {
                // Model vocabularies may be padded past the tokenizer's: such rows name no piece.
                let mut ranked: Vec<u32> = (0..row.len() as u32)
                    .filter(|id| specials.binary_search(id).is_err())
                    .filter(|&id| tokenizer.id_to_token(id).is_some())
                    .collect();
                let by_probability =
                    |a: &u32, b: &u32| row[*b as usize].total_cmp(&row[*a as usize]);
                // Only the best few need ordering.
                let keep = top_k.min(ranked.len());
                if keep > 0 && keep < ranked.len() {
                    ranked.select_nth_unstable_by(keep - 1, by_probability);
                    ranked.truncate(keep);
                }
                ranked.sort_by(by_probability);
                let candidates = ranked
                    .into_iter()
                    .filter_map(|id| {
                        tokenizer.id_to_token(id).map(|piece| Candidate {
                            piece,
                            id,
                            probability: row[id as usize],
                        })
                    })
                    .take(top_k)
                    .collect();
                MaskPrediction {
                    position,
                    candidates,
                }
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
    let enc = encode(tokenizer, config, text, pair)?;
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

/// Attention probabilities of every layer (ALBERT: every application of its shared layer) and head.
pub fn attention_view(
    encoder: &Encoder,
    tokenizer: &Tokenizer,
    text: &str,
    pair: Option<&str>,
) -> Result<AttentionView, String> {
    let query = AttentionQuery::new(encoder.config(), tokenizer, text, pair)?;
    let output = encoder
        .forward(query.input(), &AttentionQuery::WANT)
        .map_err(message)?;
    query.answer(output.attentions)
}

/// [`attention_view`] in two halves around the encoder, so any backend can run it.
pub struct AttentionQuery {
    input: EncoderInput,
    pieces: Vec<String>,
    special: Vec<bool>,
    heads: usize,
}

impl AttentionQuery {
    /// What the encoder is asked for.
    pub const WANT: Internals = Internals {
        embeddings: false,
        hidden_states: false,
        attentions: true,
        pooled: false,
    };

    pub fn new(
        config: &EncoderConfig,
        tokenizer: &Tokenizer,
        text: &str,
        pair: Option<&str>,
    ) -> Result<AttentionQuery, String> {
        let enc = encode(tokenizer, config, text, pair)?;
        Ok(AttentionQuery {
            input: input(config, &enc.ids, &enc.type_ids, None)?,
            pieces: enc.pieces,
            special: enc.special_tokens_mask,
            heads: config.num_attention_heads,
        })
    }

    pub fn input(&self) -> &EncoderInput {
        &self.input
    }

    /// The view from the encoder's attention probabilities, one `[1, heads, seq, seq]` per layer.
    pub fn answer(self, attentions: Option<Vec<Tensor>>) -> Result<AttentionView, String> {
        let attentions = attentions.ok_or("the encoder returned no attention probabilities")?;
        let weights = attentions
            .iter()
            .map(|layer| {
                let heads: Vec<Vec<Vec<f32>>> = layer
                    .squeeze(0)
                    .and_then(|t| t.to_dtype(DType::F32))
                    .and_then(|t| t.to_vec3())
                    .map_err(message)?;
                Ok(heads.into_iter().map(|rows| rows.concat()).collect())
            })
            .collect::<Result<Vec<Vec<Vec<f32>>>, String>>()?;
        Ok(AttentionView {
            pieces: self.pieces,
            special: self.special,
            layers: weights.len(),
            heads: self.heads,
            weights,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bertlab_core::model::{Family, Loaded};

    fn tokenizer(path: &str) -> Tokenizer {
        Tokenizer::from_file(format!("{}/../../{path}", env!("CARGO_MANIFEST_DIR")))
            .expect("committed tokenizer")
    }

    /// A random tiny model of `family` sized to `tok`'s vocabulary, with `tok`.
    fn model(family: Family, tok: &str) -> (MaskedLm, Tokenizer) {
        let tok = tokenizer(tok);
        let config = EncoderConfig {
            vocab_size: tok.vocab_size(),
            ..EncoderConfig::tiny(family)
        };
        let model = Loaded::<MaskedLm>::random(&config, 7, &Device::Cpu)
            .expect("random model")
            .model;
        (model, tok)
    }

    const WORDPIECE: &str = "models/all-minilm-l6-v2/tokenizer.json";
    const BPE: &str = "assets/tokenizers/bpe/tokenizer.json";
    const UNIGRAM: &str = "assets/tokenizers/unigram/tokenizer.json";

    fn bert() -> (MaskedLm, Tokenizer) {
        model(Family::Bert, WORDPIECE)
    }

    fn all_families() -> Vec<(Family, MaskedLm, Tokenizer)> {
        [
            (Family::Bert, WORDPIECE),
            (Family::Roberta, BPE),
            (Family::Albert, UNIGRAM),
            (Family::DistilBert, WORDPIECE),
        ]
        .into_iter()
        .map(|(f, t)| {
            let (m, tok) = model(f, t);
            (f, m, tok)
        })
        .collect()
    }

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

    #[test]
    fn attention_rows_are_distributions_for_every_layer_and_head() {
        for (family, model, tok) in all_families() {
            let view = attention_view(&model.encoder, &tok, "The cat sat.", Some("It purred."))
                .expect("attends");
            let n = view.pieces.len();
            assert_eq!((view.layers, view.heads), (2, 4), "{family}");
            assert_eq!(view.weights.len(), 2);
            assert_eq!(
                view.special.iter().filter(|&&s| s).count(),
                if family == Family::Roberta { 4 } else { 3 }
            );
            assert!(view.special[0] && view.special[n - 1] && !view.special[1]);
            for layer in &view.weights {
                assert_eq!(layer.len(), 4);
                for head in layer {
                    assert_eq!(head.len(), n * n);
                    for row in head.chunks(n) {
                        let sum: f32 = row.iter().sum();
                        assert!((sum - 1.0).abs() < 1e-4, "{family}: {sum}");
                        assert!(row.iter().all(|&p| p >= 0.0));
                    }
                }
            }
        }
    }
}
