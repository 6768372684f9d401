//! Fine-tuning an encoder for sentence (or sentence-pair) classification, in the three regimes the lab compares:
//! a frozen pretrained encoder under a new head, the whole pretrained model trained, and the same
//! architecture trained from random weights. Like [`super::Trainer`] it has no clock, files or
//! threads: [`FineTuner::train_step`] makes one update and the caller (CLI or worker) loops,
//! draws and decides when to stop.

mod class_metrics;
mod config;
pub mod frozen;
mod gpu;
#[cfg(test)]
mod pair_tests;
mod snapshot;
mod updates;

use candle_core::{Device, Tensor, Var, D};
use candle_nn::VarMap;
use serde::{Deserialize, Serialize};

use crate::model::{
    Architecture, Checkpoint, EncoderConfig, ForSequenceClassification, Internals, Loaded, Mode,
};
use crate::text::tokenizer::{EncodeOptions, Tokenizer};

use super::checkpoint::{checkpoint_tensor, copy_checkpoint_weights_where, InitReport};
use super::labelled::LabelledSet;
use super::optimizer::{named_vars, AdamW, AdamWParams, Group};
use super::TrainError;

pub use bertlab_protocol::training::{Approach, Regime, SegmentIds, SheetRow};
pub use class_metrics::{ClassMetrics, Scored};
pub use config::FinetuneConfig;
use frozen::{last_hidden_states, rows_input, FrozenRows, FrozenStates, TokenRow, EVAL_BATCH};
pub(crate) use updates::Updates;

/// One update.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FinetuneStep {
    /// Updates done, this one included.
    pub step: usize,
    pub total_steps: usize,
    pub loss: f64,
    /// On this update's batch.
    pub accuracy: f64,
    pub lr: f64,
    pub grad_norm: f64,
}

/// Token and segment ids of each example, ready for batching.
struct Encoded {
    rows: Vec<TokenRow>,
    labels: Vec<u32>,
}

fn encode_all(
    tokenizer: &Tokenizer,
    config: &EncoderConfig,
    set: &LabelledSet,
    max_len: usize,
    segments: SegmentIds,
) -> Result<Encoded, TrainError> {
    let options = EncodeOptions {
        add_special_tokens: true,
        max_len: Some(max_len.min(config.max_input_len())),
        position_offset: config.position_offset(),
    };
    let rows = (0..set.len())
        .map(|i| {
            let (text, pair) = set.example(i);
            let mut encoded = tokenizer
                .encode(text, pair, &options)
                .map_err(|e| TrainError::Data(format!("cannot tokenize {text:?}: {e}")))?;
            segments.apply(&mut encoded.type_ids);
            Ok(TokenRow {
                ids: encoded.ids,
                types: encoded.type_ids,
            })
        })
        .collect::<Result<Vec<_>, TrainError>>()?;
    Ok(Encoded {
        rows,
        labels: set.label_ids.iter().map(|&l| l as u32).collect(),
    })
}

pub struct FineTuner {
    model: ForSequenceClassification,
    varmap: VarMap,
    config: FinetuneConfig,
    tokenizer: Tokenizer,
    train: Encoded,
    /// Frozen regime: the encoder's first-token output `[1, hidden]` for every training example.
    frozen: FrozenStates,
    run: Updates,
    device: Device,
    /// The run's weights and moments on the GPU, once attached (see `gpu.rs`).
    gpu: Option<gpu::GpuRun>,
}

impl FineTuner {
    /// A classifier over `train.labels` on top of `base` (pretrained weights; `Scratch` uses only
    /// its config), its head freshly initialised from `config.seed`.
    pub fn new(
        base: &Checkpoint,
        tokenizer: Tokenizer,
        train: &LabelledSet,
        config: FinetuneConfig,
    ) -> Result<FineTuner, TrainError> {
        config.validate()?;
        if train.is_empty() {
            return Err(TrainError::Data("no training examples".into()));
        }
        let device = Device::Cpu;
        let mut model_config = base.config.clone();
        model_config.labels = train.labels.clone();
        model_config.architectures = vec![format!(
            "{}ForSequenceClassification",
            model_config.family.class_prefix()
        )];
        model_config.text_pairs = train.is_pairs().then_some(config.segments);
        let (loaded, opt, trainable) = model_for_regime::<ForSequenceClassification>(
            base,
            &model_config,
            config.regime,
            config.seed,
            config.adam,
        )?;
        let encoded = encode_all(
            &tokenizer,
            &model_config,
            train,
            config.max_len,
            config.segments,
        )?;
        let frozen = FrozenStates::new(
            config.regime == Regime::Frozen,
            model_config.hidden_size,
            |state| state.narrow(0, 0, 1)?.contiguous(),
        );
        let run = Updates::plan(
            opt,
            trainable,
            encoded.rows.iter().map(|r| r.ids.len()).collect(),
            &config,
        );
        Ok(FineTuner {
            model: loaded.model,
            varmap: loaded.varmap,
            config,
            tokenizer,
            train: encoded,
            frozen,
            run,
            device,
            gpu: None,
        })
    }

    pub fn config(&self) -> &FinetuneConfig {
        &self.config
    }

    pub fn model(&self) -> &ForSequenceClassification {
        &self.model
    }

    /// Every weight by its transformers name (for export).
    pub fn varmap(&self) -> &VarMap {
        &self.varmap
    }

    pub fn tokenizer(&self) -> &Tokenizer {
        &self.tokenizer
    }

    /// Weights the optimizer updates.
    pub fn trainable_parameters(&self) -> usize {
        self.run.trainable
    }

    pub fn step(&self) -> usize {
        self.run.step
    }

    /// `epochs` passes over the training set in batches, or `min_updates` if more.
    pub fn total_steps(&self) -> usize {
        self.run.total_steps
    }

    pub fn is_done(&self) -> bool {
        self.run.is_done()
    }

    /// The training rows for the frozen regime's states (see [`FrozenRows`]).
    pub fn frozen_rows(&mut self) -> FrozenRows<'_> {
        FrozenRows {
            states: &mut self.frozen,
            rows: self.train.rows.iter().collect(),
            encoder: &self.model.encoder,
        }
    }

    /// Logits `[rows, labels]` for training examples `indices`.
    fn logits_for(&mut self, indices: &[usize], mode: Mode) -> Result<Tensor, TrainError> {
        match self
            .frozen
            .get(&self.model.encoder, self.train.rows.iter())?
        {
            Some(first) => {
                let first =
                    Tensor::stack(&indices.iter().map(|&i| &first[i]).collect::<Vec<_>>(), 0)?;
                head_logits(&self.model, &first, mode)
            }
            None => {
                let batch: Vec<&TokenRow> = indices.iter().map(|&i| &self.train.rows[i]).collect();
                let input = rows_input(self.model.encoder.config(), &batch)?.with_mode(mode);
                Ok(self.model.forward(&input, &Internals::none())?.logits)
            }
        }
    }

    /// One update on the next batch of the seeded order. A non-finite loss or gradient returns
    /// [`TrainError::NonFinite`] and leaves the weights as they were.
    pub fn train_step(&mut self) -> Result<FinetuneStep, TrainError> {
        if self.gpu.is_some() {
            return Err(TrainError::Config(
                "the GPU holds this run's latest weights: step with train_step_gpu, or \
                 sync_from_gpu and detach_gpu first"
                    .into(),
            ));
        }
        let indices = self.run.next_batch(self.config.batch_size);
        self.model
            .encoder
            .set_dropout_seed(self.run.dropout_seed(self.config.seed));
        let logits = self.logits_for(&indices, Mode::Train)?;
        let labels = Tensor::new(
            indices
                .iter()
                .map(|&i| self.train.labels[i])
                .collect::<Vec<_>>(),
            &self.device,
        )?;
        self.run.apply(&self.config, &logits, &labels)
    }

    /// The classifier's labels, in the order of [`FineTuner::predict`]'s columns.
    pub fn labels(&self) -> &[String] {
        &self.model.encoder.config().labels
    }

    /// The rows the examples of `set` become as the encoder's input, for
    /// [`FineTuner::predict_from_states`].
    pub fn rows(&self, set: &LabelledSet) -> Result<Vec<TokenRow>, TrainError> {
        let cfg = self.model.encoder.config();
        Ok(encode_all(
            &self.tokenizer,
            cfg,
            set,
            self.config.max_len,
            self.config.segments,
        )?
        .rows)
    }

    /// Class probabilities `[examples, labels]` for the examples of `set` (its labels are not
    /// read), in eval mode.
    pub fn predict(&self, set: &LabelledSet) -> Result<Vec<Vec<f32>>, TrainError> {
        let rows = self.rows(set)?;
        let states = last_hidden_states(&self.model.encoder, &rows.iter().collect::<Vec<_>>())?;
        self.predict_from_states(&states)
    }

    /// As [`FineTuner::predict`], from the last hidden states of [`FineTuner::rows`]' rows,
    /// computed with this tuner's encoder (or, frozen, any unchanged copy of it).
    pub fn predict_from_states(&self, states: &[Tensor]) -> Result<Vec<Vec<f32>>, TrainError> {
        let mut out = Vec::with_capacity(states.len());
        for chunk in states.chunks(EVAL_BATCH) {
            let first = chunk
                .iter()
                .map(|s| s.narrow(0, 0, 1))
                .collect::<candle_core::Result<Vec<_>>>()?;
            let logits = head_logits(&self.model, &Tensor::stack(&first, 0)?, Mode::Eval)?;
            out.extend(candle_nn::ops::softmax(&logits, D::Minus1)?.to_vec2::<f32>()?);
        }
        Ok(out)
    }

    /// Accuracy, macro-F1, loss and the confusion matrix on `set` (its labels must be the
    /// training set's).
    pub fn evaluate(&self, set: &LabelledSet) -> Result<ClassMetrics, TrainError> {
        Ok(self.score(set)?.metrics)
    }

    /// As [`FineTuner::evaluate`], keeping each example's predicted class id.
    pub fn score(&self, set: &LabelledSet) -> Result<Scored, TrainError> {
        self.score_predicted(set, self.predict(set)?)
    }

    /// As [`FineTuner::score`], from [`FineTuner::predict`]'s probabilities for `set`.
    pub fn score_predicted(
        &self,
        set: &LabelledSet,
        probabilities: Vec<Vec<f32>>,
    ) -> Result<Scored, TrainError> {
        let labels = self.labels();
        if set.labels != labels {
            return Err(TrainError::Data(format!(
                "the evaluation set's labels {:?} differ from the model's {labels:?}",
                set.labels
            )));
        }
        if set.is_pairs() != self.model.encoder.config().text_pairs.is_some() {
            return Err(TrainError::Data(
                "the evaluation set and the training set must both be pairs or both single texts"
                    .into(),
            ));
        }
        if probabilities.len() != set.len() {
            return Err(TrainError::Data(format!(
                "{} predictions for {} examples",
                probabilities.len(),
                set.len()
            )));
        }
        Ok(ClassMetrics::score(&set.label_ids, &probabilities))
    }
}

/// The classifier's logits from first-token encoder outputs `[rows, 1, hidden]` (the pooler,
/// where the family has one, runs here, so a fresh pooler can learn in the frozen regime).
/// A task model of `model_config`'s shape with a fresh head (seeded by `seed`), the encoder's
/// weights copied from `base` unless trained from scratch, and the optimizer over what `regime`
/// trains: pretrained weights (from scratch, the whole encoder) follow the encoder's learning
/// rate, new ones (a head, a missing pooler) the head's. Also returns the trainable weight count.
pub(crate) fn model_for_regime<M: Architecture>(
    base: &Checkpoint,
    model_config: &EncoderConfig,
    regime: Regime,
    seed: u64,
    adam: AdamWParams,
) -> Result<(Loaded<M>, AdamW, usize), TrainError> {
    let prefix = format!("{}.", model_config.family.base_prefix());
    // The encoder's weights come from `base`: drawing them first would be wasted (a second or two
    // in the browser), and skipping their draws leaves the head's init as it was.
    let from_base = |name: &str, shape: &candle_core::Shape| {
        (regime != Regime::Scratch && name.starts_with(&prefix))
            .then(|| checkpoint_tensor(base, name))
            .flatten()
            .filter(|t| t.shape() == shape)
            .cloned()
    };
    let loaded = Loaded::<M>::random_except(model_config, seed, &Device::Cpu, Some(&from_base))?;
    // Only the encoder (pooler included) comes from `base`: a fine-tuned checkpoint's own head,
    // named like the new one, answers another question.
    let report = match regime {
        Regime::Scratch => InitReport::default(),
        Regime::Frozen | Regime::Full => {
            copy_checkpoint_weights_where(base, &loaded.varmap, |name| name.starts_with(&prefix))?
        }
    };
    let trained: Vec<(String, Var, Group)> = named_vars(&loaded.varmap)?
        .into_iter()
        .filter(|(name, _)| regime != Regime::Frozen || report.fresh.contains(name))
        .map(|(name, var)| {
            let group = if name.starts_with(&prefix) && !report.fresh.contains(&name) {
                Group::Encoder
            } else {
                Group::Head
            };
            (name, var, group)
        })
        .collect();
    let trainable = trained.iter().map(|(_, v, _)| v.elem_count()).sum();
    let opt = AdamW::new(trained, adam)?;
    Ok((loaded, opt, trainable))
}

fn head_logits(
    model: &ForSequenceClassification,
    first: &Tensor,
    mode: Mode,
) -> Result<Tensor, TrainError> {
    let pooled = model.encoder.pool(first)?;
    Ok(model.head.forward(first, pooled.as_ref(), mode)?)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::model::{Family, MaskedLm};

    pub(crate) fn tokenizer() -> Tokenizer {
        Tokenizer::from_bytes(include_bytes!(
            "../../../../../tests/model_data/wordpiece-tokenizer.json"
        ))
        .expect("test tokenizer")
    }

    /// A tiny pretrained-looking BERT: random MLM weights saved as a checkpoint.
    pub(crate) fn base() -> Checkpoint {
        let mut cfg = EncoderConfig::tiny(Family::Bert);
        cfg.vocab_size = tokenizer().vocab_size();
        let loaded = Loaded::<MaskedLm>::random(&cfg, 3, &Device::Cpu).unwrap();
        let mut hf = cfg.clone();
        hf.architectures = vec!["BertForMaskedLM".into()];
        let config = serde_json::to_vec(&hf.to_hf_json()).unwrap();
        Checkpoint::from_bytes(&config, &loaded.to_safetensors().unwrap()).unwrap()
    }

    /// Two classes one word separates (the test tokenizer knows 12 words): is there a cat?
    pub(crate) fn animals(n: usize) -> LabelledSet {
        let cats = [
            "the cat sat",
            "a cat played",
            "the cat sat on a mat",
            "cat .",
        ];
        let dogs = [
            "the mat",
            "a mat on the mat",
            "the mat sat",
            "playing on a mat",
        ];
        LabelledSet {
            texts: (0..n)
                .map(|i| {
                    if i % 2 == 0 {
                        cats[i / 2 % 4]
                    } else {
                        dogs[i / 2 % 4]
                    }
                    .to_string()
                })
                .collect(),
            text_pairs: None,
            label_ids: (0..n).map(|i| i % 2).collect(),
            labels: vec!["cat".into(), "no cat".into()],
        }
    }

    /// The tiny test encoder set up to learn the animals, 30 epochs of 16 examples.
    pub(crate) fn tuner(regime: Regime) -> FineTuner {
        let config = FinetuneConfig {
            regime,
            epochs: 30,
            min_updates: 0,
            batch_size: 8,
            lr_encoder: 3e-3,
            lr_head: 1e-2,
            ..FinetuneConfig::default()
        };
        FineTuner::new(&base(), tokenizer(), &animals(16), config).unwrap()
    }

    #[test]
    fn every_regime_lowers_the_loss_and_training_the_encoder_separates_the_classes() {
        for regime in Regime::ALL {
            let mut t = tuner(regime);
            let before = t.evaluate(&animals(16)).unwrap();
            let mut losses = Vec::new();
            while !t.is_done() {
                losses.push(t.train_step().unwrap().loss);
            }
            let after = t.evaluate(&animals(16)).unwrap();
            assert!(
                after.loss < before.loss,
                "{regime:?}: {} → {}",
                before.loss,
                after.loss
            );
            // The test encoder is random, so its frozen features need not separate the classes;
            // training the encoder itself must.
            if regime != Regime::Frozen {
                assert!(
                    after.accuracy >= 0.9,
                    "{regime:?}: accuracy {}",
                    after.accuracy
                );
            }
            assert_eq!(losses.len(), 60);
        }
    }

    #[test]
    fn a_fine_tuned_classifier_can_start_a_new_task_with_other_labels() {
        // A 3-label export: its encoder is reused, its head (also named `classifier`) is not.
        let dir = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../tests/fixtures/export/bert-seq_cls"
        );
        let three_labels = Checkpoint::from_dir(dir).unwrap();
        assert_eq!(three_labels.config.labels.len(), 3);
        let config = FinetuneConfig {
            regime: Regime::Frozen,
            ..FinetuneConfig::default()
        };
        let tuner = FineTuner::new(&three_labels, tokenizer(), &animals(8), config).unwrap();
        assert_eq!(tuner.labels().len(), 2);
        let encoder_weight = "bert.embeddings.word_embeddings.weight";
        let ours = tuner.varmap().data().lock().unwrap()[encoder_weight]
            .flatten_all()
            .unwrap()
            .to_vec1::<f32>()
            .unwrap();
        let theirs = three_labels.tensor(encoder_weight).unwrap();
        let theirs = theirs
            .to_dtype(candle_core::DType::F32)
            .unwrap()
            .flatten_all()
            .unwrap();
        assert_eq!(ours, theirs.to_vec1::<f32>().unwrap());
    }

    #[test]
    fn frozen_trains_only_the_new_weights() {
        let mut t = tuner(Regime::Frozen);
        let full = tuner(Regime::Full);
        assert!(t.trainable_parameters() < full.trainable_parameters() / 10);
        let word = "bert.embeddings.word_embeddings.weight";
        let get = |t: &FineTuner, name: &str| {
            t.varmap().data().lock().unwrap()[name]
                .as_tensor()
                .flatten_all()
                .unwrap()
                .to_vec1::<f32>()
                .unwrap()
        };
        let (embedding, classifier) = (get(&t, word), get(&t, "classifier.weight"));
        t.train_step().unwrap();
        assert_eq!(get(&t, word), embedding);
        assert_ne!(get(&t, "classifier.weight"), classifier);
    }

    #[test]
    fn a_non_finite_loss_stops_without_touching_the_weights() {
        let mut t = FineTuner::new(
            &base(),
            tokenizer(),
            &animals(16),
            FinetuneConfig {
                lr_encoder: 1e30,
                lr_head: 1e30,
                max_grad_norm: 0.0,
                warmup_fraction: 0.0,
                ..FinetuneConfig::default()
            },
        )
        .unwrap();
        let weights = |t: &FineTuner| {
            t.varmap().data().lock().unwrap()["classifier.weight"]
                .as_tensor()
                .flatten_all()
                .unwrap()
                .to_vec1::<f32>()
                .unwrap()
        };
        let mut last_good = weights(&t);
        let failure = loop {
            match t.train_step() {
                Ok(_) => last_good = weights(&t),
                Err(e) => break e,
            }
            assert!(t.step() < 20, "a learning rate of 1e30 never overflowed");
        };
        assert!(matches!(failure, TrainError::NonFinite { .. }), "{failure}");
        assert_eq!(weights(&t), last_good);
    }

    #[test]
    fn the_same_seed_gives_the_same_run() {
        let run = || {
            let mut t = tuner(Regime::Full);
            (0..3)
                .map(|_| t.train_step().unwrap().loss)
                .collect::<Vec<_>>()
        };
        assert_eq!(run(), run());
    }
}
