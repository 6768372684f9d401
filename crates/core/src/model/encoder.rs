//! The shared encoder: embeddings → (ALBERT: projection) → layers → optional pooler, with the
//! internals a lesson draws returned on request.
//!
//! Layers are stored as groups: BERT, RoBERTa and DistilBERT have one group per layer; ALBERT has
//! `num_hidden_groups` groups of `inner_group_num` layers, reused across the depth.

use candle_core::{DType, Device, Module, Tensor};
use candle_nn::VarBuilder;

use super::nn::Linear;

use super::config::{EncoderConfig, Family};
use super::dropout::DropoutRng;
pub use super::embeddings::EmbeddingParts;
use super::embeddings::{no_segments, Embeddings};
use super::error::{ModelError, Result};
use super::layer::Layer;
use super::nn::{linear, Mode};

/// One batch for a forward pass.
#[derive(Debug, Clone)]
pub struct EncoderInput {
    /// `[batch, seq]` token ids (u32; other integer dtypes are converted).
    pub input_ids: Tensor,
    /// `[batch, seq]` segment ids; zeros when `None`. Must be `None` for DistilBERT.
    pub token_type_ids: Option<Tensor>,
    /// `[batch, seq]`, 1 for real tokens and 0 for padding; all ones when `None`.
    pub attention_mask: Option<Tensor>,
    /// `[batch, seq]` position ids; the family's default when `None` (see `Embeddings`).
    pub position_ids: Option<Tensor>,
    /// Eval (default), Train (dropout on) or Grad (differentiable, no dropout).
    pub mode: Mode,
    /// `[batch, seq, embedding_size]` word embeddings used in place of looking up `input_ids`
    /// (attribution moves them between a baseline and the real text); positions and segments
    /// still come from the ids.
    pub word_embeddings: Option<Tensor>,
}

impl EncoderInput {
    pub fn new(input_ids: Tensor) -> EncoderInput {
        EncoderInput {
            input_ids,
            token_type_ids: None,
            attention_mask: None,
            position_ids: None,
            mode: Mode::Eval,
            word_embeddings: None,
        }
    }

    /// [`EncoderInput::from_rows`] for a model of `cfg`: its padding id, and the segment ids only
    /// where the family has segment embeddings (DistilBERT has none).
    pub fn for_model(
        cfg: &EncoderConfig,
        ids: &[Vec<u32>],
        type_ids: &[Vec<u32>],
        device: &Device,
    ) -> Result<EncoderInput> {
        let type_ids = (cfg.type_vocab_size > 0).then_some(type_ids);
        EncoderInput::from_rows(ids, type_ids, cfg.pad_token_id, device)
    }

    /// Right-pads rows of ids (and optional segment ids) with `pad_id` and builds the mask.
    pub fn from_rows(
        ids: &[Vec<u32>],
        type_ids: Option<&[Vec<u32>]>,
        pad_id: u32,
        device: &Device,
    ) -> Result<EncoderInput> {
        let seq = ids.iter().map(Vec::len).max().unwrap_or(0);
        if ids.is_empty() || seq == 0 {
            return Err(ModelError::Input("empty batch".into()));
        }
        let pad = |rows: &[Vec<u32>], fill: u32| -> Result<Tensor> {
            let flat: Vec<u32> = rows
                .iter()
                .flat_map(|r| {
                    r.iter()
                        .copied()
                        .chain(std::iter::repeat_n(fill, seq - r.len()))
                })
                .collect();
            Ok(Tensor::from_vec(flat, (rows.len(), seq), device)?)
        };
        let mask: Vec<Vec<u32>> = ids.iter().map(|r| vec![1; r.len()]).collect();
        let token_type_ids = match type_ids {
            Some(t)
                if t.len() != ids.len() || t.iter().zip(ids).any(|(a, b)| a.len() != b.len()) =>
            {
                return Err(ModelError::Input(
                    "type_ids rows must match the id rows in length".into(),
                ))
            }
            Some(t) => Some(pad(t, 0)?),
            None => None,
        };
        Ok(EncoderInput {
            input_ids: pad(ids, pad_id)?,
            token_type_ids,
            attention_mask: Some(pad(&mask, 0)?),
            position_ids: None,
            mode: Mode::Eval,
            word_embeddings: None,
        })
    }

    pub fn with_token_type_ids(mut self, ids: Tensor) -> Self {
        self.token_type_ids = Some(ids);
        self
    }

    pub fn with_attention_mask(mut self, mask: Tensor) -> Self {
        self.attention_mask = Some(mask);
        self
    }

    pub fn with_position_ids(mut self, ids: Tensor) -> Self {
        self.position_ids = Some(ids);
        self
    }

    pub fn with_word_embeddings(mut self, word: Tensor) -> Self {
        self.word_embeddings = Some(word);
        self
    }

    pub fn with_mode(mut self, mode: Mode) -> Self {
        self.mode = mode;
        self
    }

    /// Shorthand: `true` = [`Mode::Train`] (dropout on), `false` = [`Mode::Eval`].
    pub fn train(self, train: bool) -> Self {
        self.with_mode(if train { Mode::Train } else { Mode::Eval })
    }
}

/// Which internals to return. They are computed anyway, so asking costs memory, not time.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Internals {
    pub embeddings: bool,
    pub hidden_states: bool,
    pub attentions: bool,
    pub pooled: bool,
}

impl Internals {
    pub fn none() -> Internals {
        Internals::default()
    }

    pub fn all() -> Internals {
        Internals {
            embeddings: true,
            hidden_states: true,
            attentions: true,
            pooled: true,
        }
    }
}

#[derive(Debug, Clone)]
pub struct EncoderOutput {
    /// `[batch, seq, hidden]`
    pub last_hidden_state: Tensor,
    pub embeddings: Option<EmbeddingParts>,
    /// `num_hidden_layers + 1` tensors `[batch, seq, hidden]`; `[0]` is the embedding output as
    /// fed to the first layer (after ALBERT's projection), as in transformers.
    pub hidden_states: Option<Vec<Tensor>>,
    /// One `[batch, heads, seq, seq]` per layer application (ALBERT: per inner layer per step).
    pub attentions: Option<Vec<Tensor>>,
    /// `[batch, hidden]`: tanh(dense(first token)); `None` when asked but the model has no pooler.
    pub pooled: Option<Tensor>,
}

/// Whether an encoder gets a pooler.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PoolerChoice {
    /// Load it (error if the checkpoint lacks it); DistilBERT has none regardless.
    Required,
    /// Load it when the checkpoint holds it (random init: none).
    IfPresent,
}

#[derive(Debug, Clone)]
pub struct Encoder {
    config: EncoderConfig,
    pub(crate) embeddings: Embeddings,
    /// ALBERT's `embedding_hidden_mapping_in` (embedding_size → hidden_size).
    pub(crate) projection: Option<Linear>,
    pub(crate) groups: Vec<Vec<Layer>>,
    pub(crate) pooler: Option<Linear>,
    rng: DropoutRng,
}

impl Encoder {
    /// Loads from `vb` at the encoder root (`""` or `"bert"` etc.).
    pub fn load(
        vb: VarBuilder,
        cfg: &EncoderConfig,
        pooler: PoolerChoice,
        rng: &DropoutRng,
    ) -> candle_core::Result<Encoder> {
        let embeddings = Embeddings::load(vb.pp("embeddings"), cfg, rng)?;
        let std = cfg.initializer_range;
        let (projection, groups) = match cfg.family {
            Family::Albert => {
                let enc = vb.pp("encoder");
                let projection = linear(
                    cfg.embedding_size,
                    cfg.hidden_size,
                    std,
                    enc.pp("embedding_hidden_mapping_in"),
                )?;
                let groups = (0..cfg.num_hidden_groups)
                    .map(|g| {
                        let gvb = enc.pp("albert_layer_groups").pp(g).pp("albert_layers");
                        (0..cfg.inner_group_num)
                            .map(|j| Layer::load(gvb.pp(j), cfg, rng))
                            .collect()
                    })
                    .collect::<candle_core::Result<Vec<Vec<Layer>>>>()?;
                (Some(projection), groups)
            }
            family => {
                let layers = vb.pp(if family == Family::DistilBert {
                    "transformer.layer"
                } else {
                    "encoder.layer"
                });
                let groups = (0..cfg.num_hidden_layers)
                    .map(|i| Ok(vec![Layer::load(layers.pp(i), cfg, rng)?]))
                    .collect::<candle_core::Result<Vec<_>>>()?;
                (None, groups)
            }
        };
        let pooler_name = match cfg.family {
            Family::Albert => Some("pooler"),
            Family::Bert | Family::Roberta => Some("pooler.dense"),
            Family::DistilBert => None,
        };
        let pooler = match pooler_name {
            Some(name)
                if pooler == PoolerChoice::Required || vb.pp(name).contains_tensor("weight") =>
            {
                Some(linear(cfg.hidden_size, cfg.hidden_size, std, vb.pp(name))?)
            }
            _ => None,
        };
        Ok(Encoder {
            config: cfg.clone(),
            embeddings,
            projection,
            groups,
            pooler,
            rng: rng.clone(),
        })
    }

    pub fn config(&self) -> &EncoderConfig {
        &self.config
    }

    /// The word-embedding matrix `[vocab, embedding_size]`.
    pub fn word_embeddings(&self) -> &Tensor {
        self.embeddings.word_table()
    }

    /// The position-embedding matrix `[max_position_embeddings, embedding_size]`; RoBERTa's rows
    /// start being used at `config().position_offset()`.
    pub fn position_embeddings(&self) -> &Tensor {
        self.embeddings.position_table()
    }

    pub fn has_pooler(&self) -> bool {
        self.pooler.is_some()
    }

    /// Resets the generator shared by every dropout of this model (and its heads).
    pub fn set_dropout_seed(&self, seed: u64) {
        self.rng.reseed(seed);
    }

    /// tanh(dense(h[:, 0])), or `None` without a pooler.
    pub fn pool(&self, last_hidden_state: &Tensor) -> Result<Option<Tensor>> {
        match &self.pooler {
            Some(dense) => {
                let first = last_hidden_state.narrow(1, 0, 1)?.squeeze(1)?;
                Ok(Some(dense.forward(&first)?.tanh()?))
            }
            None => Ok(None),
        }
    }

    pub fn forward(&self, input: &EncoderInput, want: &Internals) -> Result<EncoderOutput> {
        self.start(input, want)?.finish()
    }

    /// Embeds `input` and returns a pass whose layers run one [`ForwardPass::step`] at a time.
    pub fn start(&self, input: &EncoderInput, want: &Internals) -> Result<ForwardPass<'_>> {
        let (ids, types, positions) = check_input(&self.config, input)?;
        let mask = match &input.attention_mask {
            Some(m) => Some(additive_mask(m, &ids)?),
            None => None,
        };
        let (mut hidden, parts) = self.embeddings.forward(
            &ids,
            input.word_embeddings.as_ref(),
            types.as_ref(),
            positions.as_ref(),
            input.mode,
            want.embeddings,
        )?;
        if let Some(p) = &self.projection {
            hidden = p.forward(&hidden)?;
        }
        Ok(ForwardPass {
            encoder: self,
            mask,
            mode: input.mode,
            hidden_states: want.hidden_states.then(|| vec![hidden.clone()]),
            hidden,
            parts,
            attentions: want.attentions.then(Vec::new),
            pooled: want.pooled,
            layers_done: 0,
        })
    }
}

/// Checks ids against the tables so bad input gives a message, not an index panic.
pub(crate) fn check_input(
    cfg: &EncoderConfig,
    input: &EncoderInput,
) -> Result<(Tensor, Option<Tensor>, Option<Tensor>)> {
    let bad = ModelError::Input;
    let ids = input.input_ids.to_dtype(DType::U32)?;
    let (b, s) = match ids.dims() {
        [b, s] if *b > 0 && *s > 0 => (*b, *s),
        d => {
            return Err(bad(format!(
                "input_ids must be [batch, seq] and non-empty, got {d:?}"
            )))
        }
    };
    let check_ids = |t: &Tensor, what: &str, limit: usize| -> Result<Tensor> {
        let t = t.to_dtype(DType::U32)?;
        if t.dims() != [b, s] {
            return Err(bad(format!(
                "{what} has shape {:?}, input_ids {:?}",
                t.dims(),
                [b, s]
            )));
        }
        let max = t.max_all()?.to_scalar::<u32>()? as usize;
        if max >= limit {
            return Err(bad(format!(
                "{what} contains {max}, but the model's table has only {limit} entries"
            )));
        }
        Ok(t)
    };
    let ids = check_ids(&ids, "input_ids", cfg.vocab_size)?;
    let types = match &input.token_type_ids {
        Some(t) if cfg.type_vocab_size > 0 => {
            Some(check_ids(t, "token_type_ids", cfg.type_vocab_size)?)
        }
        Some(_) => return Err(no_segments(cfg.family)),
        None => None,
    };
    let positions = match &input.position_ids {
        Some(p) => Some(check_ids(p, "position_ids", cfg.max_position_embeddings)?),
        None if s + cfg.position_offset() as usize > cfg.max_position_embeddings => {
            return Err(bad(format!(
                "sequence of {s} tokens is longer than the model's {} positions",
                cfg.max_input_len()
            )))
        }
        None => None,
    };
    Ok((ids, types, positions))
}

/// `mask` `[b, s]` (1 = token) → additive `[b, 1, 1, s]`: 0 for tokens, `f32::MIN` for pads,
/// as transformers does with `torch.finfo(float32).min`.
pub(crate) fn additive_mask(mask: &Tensor, ids: &Tensor) -> Result<Tensor> {
    if mask.dims() != ids.dims() {
        return Err(ModelError::Input(format!(
            "attention_mask has shape {:?}, input_ids {:?}",
            mask.dims(),
            ids.dims()
        )));
    }
    let (b, s) = mask.dims2()?;
    let keep = mask.to_dtype(DType::F32)?.ne(0f32)?.to_dtype(DType::F32)?;
    Ok(keep
        .affine(-(f32::MIN as f64), f32::MIN as f64)?
        .reshape((b, 1, 1, s))?)
}

/// A forward pass in progress, one layer per [`step`](ForwardPass::step): the worker yields to its
/// event loop between layers, so a newer request can stop a stale one half-way.
pub struct ForwardPass<'a> {
    encoder: &'a Encoder,
    /// Additive attention mask `[b, 1, 1, s]`.
    mask: Option<Tensor>,
    mode: Mode,
    hidden: Tensor,
    parts: Option<EmbeddingParts>,
    hidden_states: Option<Vec<Tensor>>,
    attentions: Option<Vec<Tensor>>,
    pooled: bool,
    layers_done: usize,
}

impl ForwardPass<'_> {
    /// Runs the next layer (ALBERT: the next pass through its group); returns whether any is left.
    pub fn step(&mut self) -> Result<bool> {
        let config = &self.encoder.config;
        if self.layers_done == config.num_hidden_layers {
            return Ok(false);
        }
        let groups = &self.encoder.groups;
        let per_group = config.num_hidden_layers / groups.len();
        for layer in &groups[self.layers_done / per_group] {
            let (out, probs) = layer.forward(&self.hidden, self.mask.as_ref(), self.mode)?;
            self.hidden = out;
            if let Some(a) = self.attentions.as_mut() {
                a.push(probs);
            }
        }
        if let Some(h) = self.hidden_states.as_mut() {
            h.push(self.hidden.clone());
        }
        self.layers_done += 1;
        Ok(self.layers_done < config.num_hidden_layers)
    }

    /// The output, after the remaining layers.
    pub fn finish(mut self) -> Result<EncoderOutput> {
        while self.step()? {}
        let pooled = if self.pooled {
            self.encoder.pool(&self.hidden)?
        } else {
            None
        };
        Ok(EncoderOutput {
            last_hidden_state: self.hidden,
            embeddings: self.parts,
            hidden_states: self.hidden_states,
            attentions: self.attentions,
            pooled,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::fused::check::max_abs;
    use crate::model::params::{random_source, var_builder};

    fn encoder(family: Family) -> Encoder {
        let cfg = EncoderConfig::tiny(family);
        let (vb, _) = var_builder(random_source(1, None), &Device::Cpu);
        Encoder::load(vb, &cfg, PoolerChoice::Required, &DropoutRng::new(0)).unwrap()
    }

    fn batch() -> EncoderInput {
        // Second row is padded after three tokens.
        EncoderInput::from_rows(
            &[vec![2, 10, 11, 12, 3], vec![2, 20, 3]],
            None,
            0,
            &Device::Cpu,
        )
        .unwrap()
    }

    #[test]
    fn attention_rows_sum_to_one_and_pads_get_none() {
        for family in Family::ALL {
            let enc = encoder(family);
            let out = enc.forward(&batch(), &Internals::all()).unwrap();
            let att = out.attentions.unwrap();
            assert_eq!(att.len(), 2);
            for a in &att {
                assert_eq!(a.dims(), [2, 4, 5, 5]);
                let sums = a.sum(3).unwrap();
                assert!(max_abs(&(sums - 1.0).unwrap()) < 1e-5, "{family}");
                // Keys 3 and 4 of row 1 are padding.
                let to_pads = a.get(1).unwrap().narrow(2, 3, 2).unwrap();
                assert_eq!(max_abs(&to_pads), 0.0, "{family}");
            }
            assert_eq!(out.hidden_states.unwrap().len(), 3);
            assert_eq!(out.pooled.is_some(), family != Family::DistilBert);
        }
    }

    #[test]
    fn a_pass_stepped_layer_by_layer_is_the_forward() {
        for family in Family::ALL {
            let enc = encoder(family);
            let whole = enc.forward(&batch(), &Internals::all()).unwrap();
            let mut pass = enc.start(&batch(), &Internals::all()).unwrap();
            let mut steps = 1;
            while pass.step().unwrap() {
                steps += 1;
            }
            assert_eq!(steps, enc.config().num_hidden_layers, "{family}");
            let stepped = pass.finish().unwrap();
            // Same operations in the same order: identical, not merely close.
            let diff = (&whole.last_hidden_state - &stepped.last_hidden_state).unwrap();
            assert_eq!(max_abs(&diff), 0.0, "{family}");
            let count = |o: &EncoderOutput| {
                (
                    o.hidden_states.as_ref().map(Vec::len),
                    o.attentions.as_ref().map(Vec::len),
                )
            };
            assert_eq!(count(&whole), count(&stepped), "{family}");
        }
    }

    #[test]
    fn padding_does_not_change_real_tokens() {
        for family in Family::ALL {
            let enc = encoder(family);
            let padded = enc.forward(&batch(), &Internals::none()).unwrap();
            let alone = EncoderInput::new(Tensor::new(&[[2u32, 20, 3]], &Device::Cpu).unwrap());
            let alone = enc.forward(&alone, &Internals::none()).unwrap();
            let row = padded
                .last_hidden_state
                .get(1)
                .unwrap()
                .narrow(0, 0, 3)
                .unwrap();
            let diff = (row - alone.last_hidden_state.get(0).unwrap()).unwrap();
            assert!(max_abs(&diff) < 1e-5, "{family}");
        }
    }

    #[test]
    fn albert_shares_one_layer_across_depth() {
        let enc = encoder(Family::Albert);
        assert_eq!(enc.groups.len(), 1);
        let out = enc.forward(&batch(), &Internals::all()).unwrap();
        let hs = out.hidden_states.unwrap();
        // hidden_states[0] is the projected embedding output: hidden_size wide.
        assert_eq!(hs[0].dims(), [2, 5, 32]);
        assert_eq!(out.embeddings.unwrap().normalized.dims(), [2, 5, 16]);
    }

    #[test]
    fn dropout_changes_output_only_in_training() {
        let enc = encoder(Family::Bert);
        let eval = |m| {
            enc.forward(&batch().with_mode(m), &Internals::none())
                .unwrap()
                .last_hidden_state
        };
        let a = eval(Mode::Eval);
        assert_eq!(max_abs(&(&a - eval(Mode::Eval)).unwrap()), 0.0);
        assert!(max_abs(&(&a - eval(Mode::Grad)).unwrap()) < 1e-5);
        assert!(max_abs(&(&a - eval(Mode::Train)).unwrap()) > 1e-3);
        enc.set_dropout_seed(9);
        let t1 = eval(Mode::Train);
        enc.set_dropout_seed(9);
        assert_eq!(max_abs(&(t1 - eval(Mode::Train)).unwrap()), 0.0);
    }

    #[test]
    fn bad_input_is_reported() {
        let enc = encoder(Family::Bert);
        let ids = Tensor::new(&[[2u32, 100]], &Device::Cpu).unwrap();
        let err = enc
            .forward(&EncoderInput::new(ids), &Internals::none())
            .unwrap_err();
        assert!(err.to_string().contains("input_ids contains 100"), "{err}");
        let long = Tensor::zeros((1, 65), DType::U32, &Device::Cpu).unwrap();
        let err = enc
            .forward(&EncoderInput::new(long), &Internals::none())
            .unwrap_err();
        assert!(err.to_string().contains("longer than"), "{err}");
    }
}
