//! Fine-tuning a span head for extractive QA: `[CLS] question [SEP] message [SEP]` in, a start
//! and an end logit per token out (transformers' `qa_outputs`), trained with the mean of the two
//! cross-entropies; an unanswerable question points both at `[CLS]`. An answer is the best span
//! of the message (start ≤ end, at most [`MAX_ANSWER_TOKENS`]) unless `[CLS]`'s pair scores
//! higher, as SQuAD 2.0's BERT baseline decides. Like [`super::tagger::TagTuner`], one update per
//! call and no clock.

use candle_core::{Device, Tensor};
use candle_nn::VarMap;

use super::finetune::frozen::{
    last_hidden_states, length_sorted_batches, padded_rows, rows_input, FrozenRows, FrozenStates,
    TokenRow, EVAL_BATCH,
};
use super::finetune::{model_for_regime, FinetuneConfig, FinetuneStep, Regime, Updates};
use super::span_qa::QaExample;
use super::TrainError;
use crate::analysis::features::encode_options;
use crate::model::{Checkpoint, EncoderConfig, ForQuestionAnswering, Internals, Mode};
use crate::text::tokenizer::Tokenizer;
use bertlab_protocol::span_qa::AnsweredQuestion;

/// The longest answer, in tokens, an answer may be.
pub const MAX_ANSWER_TOKENS: usize = 16;

/// The defaults for `regime`: 3 epochs (at least 40 updates) of 16 questions; full fine-tuning at
/// 3e-4 for the encoder and 3e-3 for the head, a frozen encoder's head at 1e-1 (the tagger's rates:
/// both heads are one linear layer per token).
pub fn qa_config(regime: Regime) -> FinetuneConfig {
    FinetuneConfig {
        regime,
        epochs: 3,
        lr_encoder: 3e-4,
        lr_head: match regime {
            Regime::Frozen => 1e-1,
            Regime::Full | Regime::Scratch => 3e-3,
        },
        ..FinetuneConfig::default()
    }
}

/// One question and message, tokenized: each token's character span in the message (`None` for
/// the question's tokens and the special ones) and the answer's token positions (`(0, 0)`,
/// `[CLS]`, when there is none or it was cut off).
struct QaTokens {
    row: TokenRow,
    pieces: Vec<String>,
    offsets: Vec<Option<(usize, usize)>>,
    target: (u32, u32),
}

fn tokenize(
    tokenizer: &Tokenizer,
    config: &EncoderConfig,
    question: &str,
    context: &str,
    answer: Option<(usize, usize)>,
    max_len: usize,
) -> Result<QaTokens, TrainError> {
    let encoded = tokenizer
        .encode(question, Some(context), &encode_options(config, max_len))
        .map_err(|e| TrainError::Data(format!("{question:?} / {context:?}: {e}")))?;
    let offsets: Vec<Option<(usize, usize)>> = encoded
        .sequence_ids
        .iter()
        .zip(&encoded.offsets)
        .map(|(seq, &span)| (*seq == Some(1)).then_some(span))
        .collect();
    let target = answer
        .and_then(|(start, end)| {
            let first = offsets
                .iter()
                .position(|o| o.is_some_and(|(s, e)| s <= start && start < e))?;
            let last = offsets
                .iter()
                .rposition(|o| o.is_some_and(|(s, e)| s < end && end <= e))?;
            (first <= last).then_some((first as u32, last as u32))
        })
        .unwrap_or((0, 0));
    Ok(QaTokens {
        row: TokenRow {
            ids: encoded.ids,
            types: encoded.type_ids,
        },
        pieces: encoded.pieces,
        offsets,
        target,
    })
}

/// Questions tokenized for the encoder ([`QaTuner::tokenize_questions`]).
pub struct TokenizedQuestions(Vec<QaTokens>);

impl TokenizedQuestions {
    /// Each question's token and segment ids.
    pub fn rows(&self) -> Vec<&TokenRow> {
        self.0.iter().map(|t| &t.row).collect()
    }
}

pub struct QaTuner {
    model: ForQuestionAnswering,
    varmap: VarMap,
    config: FinetuneConfig,
    tokenizer: Tokenizer,
    train: Vec<QaTokens>,
    frozen: FrozenStates,
    run: Updates,
}

impl QaTuner {
    /// A span head on top of `base` (pretrained weights; `Scratch` uses only its config), freshly
    /// initialised from `config.seed`.
    pub fn new(
        base: &Checkpoint,
        tokenizer: Tokenizer,
        train: &[QaExample],
        config: FinetuneConfig,
    ) -> Result<QaTuner, TrainError> {
        config.validate()?;
        if train.is_empty() {
            return Err(TrainError::Data("no training questions".into()));
        }
        let mut model_config = base.config.clone();
        // transformers' default for a QA config: two outputs, named as it names them.
        model_config.labels = vec!["LABEL_0".into(), "LABEL_1".into()];
        model_config.architectures = vec![format!(
            "{}ForQuestionAnswering",
            model_config.family.class_prefix()
        )];
        model_config.text_pairs = None;
        let (loaded, opt, trainable) = model_for_regime::<ForQuestionAnswering>(
            base,
            &model_config,
            config.regime,
            config.seed,
            config.adam,
        )?;
        let encoded = train
            .iter()
            .map(|e| {
                tokenize(
                    &tokenizer,
                    &model_config,
                    &e.question,
                    &e.context,
                    e.answer,
                    config.max_len,
                )
            })
            .collect::<Result<Vec<_>, _>>()?;
        let frozen = FrozenStates::new(
            config.regime == Regime::Frozen,
            model_config.hidden_size,
            Ok,
        );
        let run = Updates::plan(
            opt,
            trainable,
            encoded.iter().map(|e| e.row.ids.len()).collect(),
            &config,
        );
        Ok(QaTuner {
            model: loaded.model,
            varmap: loaded.varmap,
            config,
            tokenizer,
            train: encoded,
            frozen,
            run,
        })
    }

    pub fn config(&self) -> &FinetuneConfig {
        &self.config
    }

    pub fn model(&self) -> &ForQuestionAnswering {
        &self.model
    }

    /// The training rows for the frozen regime's states (see [`FrozenRows`]).
    pub fn frozen_rows(&mut self) -> FrozenRows<'_> {
        FrozenRows {
            states: &mut self.frozen,
            rows: self.train.iter().map(|e| &e.row).collect(),
            encoder: &self.model.encoder,
        }
    }

    /// Every weight by its transformers name (for export).
    pub fn varmap(&self) -> &VarMap {
        &self.varmap
    }

    pub fn tokenizer(&self) -> &Tokenizer {
        &self.tokenizer
    }

    pub fn trainable_parameters(&self) -> usize {
        self.run.trainable
    }

    pub fn step(&self) -> usize {
        self.run.step
    }

    pub fn total_steps(&self) -> usize {
        self.run.total_steps
    }

    pub fn is_done(&self) -> bool {
        self.run.is_done()
    }

    /// One update on the next batch of the seeded order: the start and end logits stacked as
    /// `2 × batch` rows, so one cross-entropy is the mean of the two. A non-finite loss or
    /// gradient returns [`TrainError::NonFinite`] and leaves the weights as they were.
    pub fn train_step(&mut self) -> Result<FinetuneStep, TrainError> {
        let indices = self.run.next_batch(self.config.batch_size);
        self.model
            .encoder
            .set_dropout_seed(self.run.dropout_seed(self.config.seed));
        let rows = self.train.iter().map(|e| &e.row);
        let (start, end) = match self.frozen.get(&self.model.encoder, rows)? {
            Some(features) => {
                let hidden = padded_rows(features, &indices)?;
                self.model.head.forward(&hidden, Mode::Train)?
            }
            None => {
                let rows: Vec<&TokenRow> = indices.iter().map(|&i| &self.train[i].row).collect();
                let input = rows_input(self.model.encoder.config(), &rows)?.with_mode(Mode::Train);
                let out = self.model.forward(&input, &Internals::none())?;
                (out.start_logits, out.end_logits)
            }
        };
        let targets: Vec<u32> = indices
            .iter()
            .map(|&i| self.train[i].target.0)
            .chain(indices.iter().map(|&i| self.train[i].target.1))
            .collect();
        let logits = Tensor::cat(&[start, end], 0)?;
        let labels = Tensor::new(targets.as_slice(), &Device::Cpu)?;
        self.run.apply(&self.config, &logits, &labels)
    }

    /// `examples` tokenized as the encoder reads them, for [`QaTuner::answers_from_states`].
    pub fn tokenize_questions(
        &self,
        examples: &[QaExample],
    ) -> Result<TokenizedQuestions, TrainError> {
        let cfg = self.model.encoder.config();
        let tokens = examples
            .iter()
            .map(|e| {
                tokenize(
                    &self.tokenizer,
                    cfg,
                    &e.question,
                    &e.context,
                    None,
                    self.config.max_len,
                )
            })
            .collect::<Result<_, _>>()?;
        Ok(TokenizedQuestions(tokens))
    }

    /// The answer to each example's question (empty when the model says there is none).
    pub fn predict(&self, examples: &[QaExample]) -> Result<Vec<String>, TrainError> {
        let questions = self.tokenize_questions(examples)?;
        let states = last_hidden_states(&self.model.encoder, &questions.rows())?;
        self.answers_from_states(examples, &questions, &states)
    }

    /// As [`QaTuner::predict`], from `examples` tokenized and the last hidden states of their rows,
    /// computed with this tuner's encoder (or, frozen, any unchanged copy of it).
    pub fn answers_from_states(
        &self,
        examples: &[QaExample],
        questions: &TokenizedQuestions,
        states: &[Tensor],
    ) -> Result<Vec<String>, TrainError> {
        let tokenized = &questions.0;
        if states.len() != tokenized.len() || examples.len() != tokenized.len() {
            return Err(TrainError::Data(format!(
                "{} encoder states and {} questions for {} tokenized",
                states.len(),
                examples.len(),
                tokenized.len()
            )));
        }
        let lengths: Vec<usize> = tokenized.iter().map(|t| t.row.ids.len()).collect();
        let mut out = vec![String::new(); examples.len()];
        for batch in length_sorted_batches(&lengths, EVAL_BATCH) {
            let (start, end) = self
                .model
                .head
                .forward(&padded_rows(states, &batch)?, Mode::Eval)?;
            let (starts, ends) = (start.to_vec2::<f32>()?, end.to_vec2::<f32>()?);
            for (k, &i) in batch.iter().enumerate() {
                let (start, end) = (&starts[k][..lengths[i]], &ends[k][..lengths[i]]);
                let span = best_span(start, end, &tokenized[i].offsets);
                out[i] = span_text(span, &tokenized[i].offsets, &examples[i].context);
            }
        }
        Ok(out)
    }
}

/// Answers `question` over `context` with a fine-tuned span head.
pub fn answer(
    model: &ForQuestionAnswering,
    tokenizer: &Tokenizer,
    question: &str,
    context: &str,
) -> Result<AnsweredQuestion, TrainError> {
    let cfg = model.encoder.config();
    let row = tokenize(tokenizer, cfg, question, context, None, cfg.max_input_len())?;
    let out = model.forward(&rows_input(cfg, &[&row.row])?, &Internals::none())?;
    let (start, end) = (
        out.start_logits.get(0)?.to_vec1::<f32>()?,
        out.end_logits.get(0)?.to_vec1::<f32>()?,
    );
    let span = best_span(&start, &end, &row.offsets);
    Ok(AnsweredQuestion {
        text: span_text(span, &row.offsets, context),
        in_message: row.offsets.iter().map(Option::is_some).collect(),
        pieces: row.pieces,
        start_logits: start,
        end_logits: end,
        span,
    })
}

/// The characters of `context` that tokens `span` cover (empty for no answer).
fn span_text(
    span: Option<(usize, usize)>,
    offsets: &[Option<(usize, usize)>],
    context: &str,
) -> String {
    span.map_or(String::new(), |(i, j)| {
        let (from, to) = (offsets[i].map_or(0, |o| o.0), offsets[j].map_or(0, |o| o.1));
        context
            .chars()
            .skip(from)
            .take(to.saturating_sub(from))
            .collect()
    })
}

/// The message span with the highest start + end logit (start ≤ end, at most
/// [`MAX_ANSWER_TOKENS`] long), or `None` when `[CLS]`'s start + end beats it.
pub fn best_span(
    start: &[f32],
    end: &[f32],
    offsets: &[Option<(usize, usize)>],
) -> Option<(usize, usize)> {
    let null = start.first().copied().unwrap_or(0.0) + end.first().copied().unwrap_or(0.0);
    let mut best: Option<(usize, usize, f32)> = None;
    for i in (0..start.len()).filter(|&i| offsets[i].is_some()) {
        for j in (i..(i + MAX_ANSWER_TOKENS).min(end.len())).filter(|&j| offsets[j].is_some()) {
            let score = start[i] + end[j];
            if best.is_none_or(|b| score > b.2) {
                best = Some((i, j, score));
            }
        }
    }
    best.filter(|b| b.2 > null).map(|(i, j, _)| (i, j))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::train::finetune::tests::{base, tokenizer};
    use crate::train::span_qa::{qa_scores, QUESTIONS};

    #[test]
    fn answers_are_marked_on_the_message_tokens_that_cover_them() {
        let (tok, cfg) = (tokenizer(), base().config);
        let context = "my playing cats broke";
        let t = tokenize(&tok, &cfg, QUESTIONS[0], context, Some((3, 15)), 64).unwrap();
        let (first, last) = (t.target.0 as usize, t.target.1 as usize);
        // "playing cats" (characters 3..15): from the token that holds its first character to
        // the one that holds its last, all of them the message's.
        let (start, end) = (t.offsets[first].unwrap(), t.offsets[last].unwrap());
        assert!(
            start.0 <= 3 && 3 < start.1 && end.0 < 15 && 15 <= end.1,
            "{start:?} {end:?}"
        );
        assert!(last > first, "{:?}", t.pieces);
        // Only "my" comes before it in the message; the question and specials are never answers.
        assert_eq!(t.offsets[..first].iter().filter(|o| o.is_some()).count(), 1);
        assert_eq!(t.offsets[0], None);
        let none = tokenize(&tok, &cfg, QUESTIONS[0], context, None, 64).unwrap();
        assert_eq!(none.target, (0, 0));
    }

    #[test]
    fn the_best_span_stays_in_the_message_and_loses_to_cls_when_weaker() {
        let offsets = [None, None, Some((0, 2)), Some((3, 5)), Some((6, 8)), None];
        // Token 1 (the question) scores highest but is not the message's.
        let start = [0.0, 9.0, 1.0, 3.0, 0.0, 0.0];
        let end = [0.0, 9.0, 0.0, 1.0, 2.0, 0.0];
        assert_eq!(best_span(&start, &end, &offsets), Some((3, 4)));
        // An end before the start is never taken.
        let end_first = [0.0, 0.0, 5.0, 0.0, 1.0, 0.0];
        let start_late = [0.0, 0.0, 0.0, 0.0, 5.0, 0.0];
        assert_eq!(best_span(&start_late, &end_first, &offsets), Some((4, 4)));
        let cls = [6.0, 0.0, 1.0, 3.0, 0.0, 0.0];
        assert_eq!(best_span(&cls, &end, &offsets), None);
    }

    #[test]
    fn full_fine_tuning_learns_to_point_at_the_answer() {
        // "Which one?" is answered by the animal word, which moves around; "When?" never is.
        let animals = ["cats", "dogs", "birds"];
        let fillers = ["the", "play", "run", "walk", "and"];
        let examples: Vec<QaExample> = (0..48)
            .map(|i| {
                let mut words: Vec<&str> = (0..5).map(|k| fillers[(i + k) % 5]).collect();
                let at = i % 5;
                words[at] = animals[i % 3];
                let context = words.join(" ");
                let start: usize = words[..at].iter().map(|w| w.len() + 1).sum();
                let answerable = i % 4 != 3;
                QaExample {
                    question: if answerable { "Which one?" } else { "When?" }.into(),
                    answer: answerable.then_some((start, start + words[at].len())),
                    context,
                }
            })
            .collect();
        let config = FinetuneConfig {
            epochs: 60,
            lr_encoder: 2e-3,
            lr_head: 1e-2,
            ..qa_config(Regime::Full)
        };
        let mut tuner = QaTuner::new(&base(), tokenizer(), &examples[..40], config).unwrap();
        let first = tuner.train_step().unwrap();
        let mut last = first.clone();
        while !tuner.is_done() {
            last = tuner.train_step().unwrap();
        }
        let held_out = &examples[40..];
        let scores = qa_scores(held_out, &tuner.predict(held_out).unwrap());
        assert!(
            last.loss < first.loss * 0.5,
            "{} -> {}",
            first.loss,
            last.loss
        );
        assert!(scores.exact_match >= 0.75, "{scores:?}");
    }
}
