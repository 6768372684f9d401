//! Encoder + head models, loadable from the matching transformers checkpoints
//! (`*Model`, `*ForMaskedLM`, `*ForPreTraining`, `*ForSequenceClassification`,
//! `*ForTokenClassification`, `*ForQuestionAnswering`).

use candle_core::Tensor;
use candle_nn::VarBuilder;

use super::checkpoint::{Architecture, BuildContext};
use super::config::Family;
use super::encoder::{Encoder, EncoderInput, EncoderOutput, Internals, PoolerChoice};
use super::error::{ModelError, Result};
use super::heads::{MlmHead, PairHead, SequenceClassifier, SpanQa, TokenClassifier};

fn load_encoder(vb: &VarBuilder, ctx: &BuildContext, pooler: PoolerChoice) -> Result<Encoder> {
    Ok(Encoder::load(
        ctx.encoder_vb(vb),
        ctx.config,
        pooler,
        &ctx.rng,
    )?)
}

/// The pooled output, computed if the caller did not ask for it.
fn pooled(encoder: &Encoder, out: &EncoderOutput) -> Result<Tensor> {
    match &out.pooled {
        Some(p) => Ok(p.clone()),
        None => encoder
            .pool(&out.last_hidden_state)?
            .ok_or_else(|| ModelError::Input("this model has no pooler".into())),
    }
}

impl Architecture for Encoder {
    /// A base model's pooler is loaded when present; random init creates one (as `BertModel`).
    fn build(vb: &VarBuilder, ctx: &BuildContext) -> Result<Self> {
        let pooler = if ctx.random {
            PoolerChoice::Required
        } else {
            PoolerChoice::IfPresent
        };
        load_encoder(vb, ctx, pooler)
    }

    fn task_model() -> bool {
        false
    }

    fn encoder(&self) -> &Encoder {
        self
    }
}

#[derive(Debug, Clone)]
pub struct MaskedLm {
    pub encoder: Encoder,
    pub head: MlmHead,
}

#[derive(Debug, Clone)]
pub struct MaskedLmOutput {
    pub encoder: EncoderOutput,
    /// `[batch, seq, vocab]`
    pub logits: Tensor,
}

impl MaskedLm {
    pub fn forward(&self, input: &EncoderInput, want: &Internals) -> Result<MaskedLmOutput> {
        let encoder = self.encoder.forward(input, want)?;
        let logits = self.head.forward(&encoder.last_hidden_state, input.mode)?;
        Ok(MaskedLmOutput { encoder, logits })
    }
}

impl Architecture for MaskedLm {
    fn build(vb: &VarBuilder, ctx: &BuildContext) -> Result<Self> {
        let encoder = load_encoder(vb, ctx, PoolerChoice::IfPresent)?;
        let head = MlmHead::load(vb, ctx.config, encoder.word_embeddings())?;
        Ok(MaskedLm { encoder, head })
    }

    fn encoder(&self) -> &Encoder {
        &self.encoder
    }
}

/// MLM + sentence-pair head: BERT (NSP) and ALBERT (SOP).
#[derive(Debug, Clone)]
pub struct ForPreTraining {
    pub encoder: Encoder,
    pub mlm: MlmHead,
    pub pair: PairHead,
}

#[derive(Debug, Clone)]
pub struct PreTrainingOutput {
    pub encoder: EncoderOutput,
    /// `[batch, seq, vocab]`
    pub mlm_logits: Tensor,
    /// `[batch, 2]`: NSP (0 = is next) or SOP (0 = in order).
    pub pair_logits: Tensor,
}

impl ForPreTraining {
    pub fn forward(&self, input: &EncoderInput, want: &Internals) -> Result<PreTrainingOutput> {
        let encoder = self.encoder.forward(input, want)?;
        let mlm_logits = self.mlm.forward(&encoder.last_hidden_state, input.mode)?;
        let pair_logits = self
            .pair
            .forward(&pooled(&self.encoder, &encoder)?, input.mode)?;
        Ok(PreTrainingOutput {
            encoder,
            mlm_logits,
            pair_logits,
        })
    }
}

impl Architecture for ForPreTraining {
    fn build(vb: &VarBuilder, ctx: &BuildContext) -> Result<Self> {
        if !matches!(ctx.config.family, Family::Bert | Family::Albert) {
            return Err(ModelError::UnsupportedConfig(format!(
                "{} has no pretraining head with a sentence-pair task",
                ctx.config.family
            )));
        }
        let encoder = load_encoder(vb, ctx, PoolerChoice::Required)?;
        let mlm = MlmHead::load(vb, ctx.config, encoder.word_embeddings())?;
        let pair = PairHead::load(vb, ctx.config, &ctx.rng)?;
        Ok(ForPreTraining { encoder, mlm, pair })
    }

    fn encoder(&self) -> &Encoder {
        &self.encoder
    }
}

#[derive(Debug, Clone)]
pub struct ClassifierOutput {
    pub encoder: EncoderOutput,
    /// `[batch, num_labels]` (sequence) or `[batch, seq, num_labels]` (token).
    pub logits: Tensor,
}

#[derive(Debug, Clone)]
pub struct ForSequenceClassification {
    pub encoder: Encoder,
    pub head: SequenceClassifier,
}

impl ForSequenceClassification {
    pub fn forward(&self, input: &EncoderInput, want: &Internals) -> Result<ClassifierOutput> {
        let encoder = self.encoder.forward(input, want)?;
        let pooled = match self.encoder.config().family {
            Family::Bert | Family::Albert => Some(pooled(&self.encoder, &encoder)?),
            _ => None,
        };
        let logits = self
            .head
            .forward(&encoder.last_hidden_state, pooled.as_ref(), input.mode)?;
        Ok(ClassifierOutput { encoder, logits })
    }
}

impl Architecture for ForSequenceClassification {
    fn build(vb: &VarBuilder, ctx: &BuildContext) -> Result<Self> {
        let pooler = match ctx.config.family {
            Family::Bert | Family::Albert => PoolerChoice::Required,
            _ => PoolerChoice::IfPresent,
        };
        let encoder = load_encoder(vb, ctx, pooler)?;
        let head = SequenceClassifier::load(vb, ctx.config, &ctx.rng)?;
        Ok(ForSequenceClassification { encoder, head })
    }

    fn encoder(&self) -> &Encoder {
        &self.encoder
    }
}

#[derive(Debug, Clone)]
pub struct ForTokenClassification {
    pub encoder: Encoder,
    pub head: TokenClassifier,
}

impl ForTokenClassification {
    pub fn forward(&self, input: &EncoderInput, want: &Internals) -> Result<ClassifierOutput> {
        let encoder = self.encoder.forward(input, want)?;
        let logits = self.head.forward(&encoder.last_hidden_state, input.mode)?;
        Ok(ClassifierOutput { encoder, logits })
    }
}

impl Architecture for ForTokenClassification {
    fn build(vb: &VarBuilder, ctx: &BuildContext) -> Result<Self> {
        let encoder = load_encoder(vb, ctx, PoolerChoice::IfPresent)?;
        let head = TokenClassifier::load(vb, ctx.config, &ctx.rng)?;
        Ok(ForTokenClassification { encoder, head })
    }

    fn encoder(&self) -> &Encoder {
        &self.encoder
    }
}

#[derive(Debug, Clone)]
pub struct ForQuestionAnswering {
    pub encoder: Encoder,
    pub head: SpanQa,
}

#[derive(Debug, Clone)]
pub struct SpanOutput {
    pub encoder: EncoderOutput,
    /// `[batch, seq]`
    pub start_logits: Tensor,
    /// `[batch, seq]`
    pub end_logits: Tensor,
}

impl ForQuestionAnswering {
    pub fn forward(&self, input: &EncoderInput, want: &Internals) -> Result<SpanOutput> {
        let encoder = self.encoder.forward(input, want)?;
        let (start_logits, end_logits) =
            self.head.forward(&encoder.last_hidden_state, input.mode)?;
        Ok(SpanOutput {
            encoder,
            start_logits,
            end_logits,
        })
    }
}

impl Architecture for ForQuestionAnswering {
    fn build(vb: &VarBuilder, ctx: &BuildContext) -> Result<Self> {
        let encoder = load_encoder(vb, ctx, PoolerChoice::IfPresent)?;
        let head = SpanQa::load(vb, ctx.config, &ctx.rng)?;
        Ok(ForQuestionAnswering { encoder, head })
    }

    fn encoder(&self) -> &Encoder {
        &self.encoder
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::checkpoint::Loaded;
    use crate::model::config::EncoderConfig;
    use candle_core::Device;

    fn input() -> EncoderInput {
        EncoderInput::from_rows(&[vec![2, 7, 8, 3], vec![2, 9, 3]], None, 0, &Device::Cpu).unwrap()
    }

    #[test]
    fn every_head_has_the_documented_shape() {
        for family in Family::ALL {
            let cfg = EncoderConfig::tiny(family);
            let dev = Device::Cpu;
            let mlm = Loaded::<MaskedLm>::random(&cfg, 1, &dev).unwrap().model;
            assert_eq!(
                mlm.forward(&input(), &Internals::none())
                    .unwrap()
                    .logits
                    .dims(),
                [2, 4, 100]
            );
            let seq = Loaded::<ForSequenceClassification>::random(&cfg, 1, &dev)
                .unwrap()
                .model;
            assert_eq!(
                seq.forward(&input(), &Internals::none())
                    .unwrap()
                    .logits
                    .dims(),
                [2, 3]
            );
            let tok = Loaded::<ForTokenClassification>::random(&cfg, 1, &dev)
                .unwrap()
                .model;
            assert_eq!(
                tok.forward(&input(), &Internals::none())
                    .unwrap()
                    .logits
                    .dims(),
                [2, 4, 3]
            );
            let qa = Loaded::<ForQuestionAnswering>::random(&cfg, 1, &dev)
                .unwrap()
                .model;
            let out = qa.forward(&input(), &Internals::none()).unwrap();
            assert_eq!(
                (out.start_logits.dims(), out.end_logits.dims()),
                ([2, 4].as_slice(), [2, 4].as_slice())
            );
            let pre = Loaded::<ForPreTraining>::random(&cfg, 1, &dev);
            match family {
                Family::Bert | Family::Albert => {
                    let out = pre
                        .unwrap()
                        .model
                        .forward(&input(), &Internals::none())
                        .unwrap();
                    assert_eq!(out.pair_logits.dims(), [2, 2]);
                    assert_eq!(out.mlm_logits.dims(), [2, 4, 100]);
                }
                _ => assert!(pre.is_err()),
            }
        }
    }

    #[test]
    fn mlm_decoder_is_tied_to_word_embeddings() {
        let loaded =
            Loaded::<MaskedLm>::random(&EncoderConfig::tiny(Family::Bert), 3, &Device::Cpu)
                .unwrap();
        // Tied: no separate decoder weight among the parameters.
        let names: Vec<String> = loaded
            .varmap
            .data()
            .lock()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        assert!(
            !names.iter().any(|n| n.contains("decoder.weight")),
            "{names:?}"
        );
        assert!(names.contains(&"cls.predictions.bias".to_string()));
    }

    #[test]
    fn same_seed_same_model() {
        let cfg = EncoderConfig::tiny(Family::Albert);
        let a = Loaded::<MaskedLm>::random(&cfg, 11, &Device::Cpu)
            .unwrap()
            .model;
        let b = Loaded::<MaskedLm>::random(&cfg, 11, &Device::Cpu)
            .unwrap()
            .model;
        let la = a.forward(&input(), &Internals::none()).unwrap().logits;
        let lb = b.forward(&input(), &Internals::none()).unwrap().logits;
        let diff = (la - lb)
            .unwrap()
            .abs()
            .unwrap()
            .max_all()
            .unwrap()
            .to_scalar::<f32>()
            .unwrap();
        assert_eq!(diff, 0.0);
    }
}
