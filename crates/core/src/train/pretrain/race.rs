//! The pretraining lab's race: the tiny BERT each recipe trains from scratch and the settings it
//! trains with, shared by the lab's job and the training benchmarks so both time the same work.

use candle_nn::VarMap;

use super::{masker_for, TrainConfig, Trainer};
use crate::masking::{MaskingConfig, Strategy};
use crate::model::{EncoderConfig, Family};
use crate::text::tokenizer::Tokenizer;
use crate::train::checkpoint::fresh_model;
use crate::train::data::{build_contrast_pairs, build_examples, Example, PairTask};
use crate::train::TrainError;
use bertlab_protocol::messages::PretrainRequest;
use bertlab_protocol::training::RACE_BATCH;

/// The race's training settings: a learning rate high enough for a tiny model to move within
/// minutes, batches of 8, and the chosen number of static copies against fresh masks.
pub fn race_config(request: &PretrainRequest) -> TrainConfig {
    TrainConfig {
        steps: request.steps.clamp(1, 5000),
        batch_size: RACE_BATCH,
        lr_encoder: 3e-3,
        lr_head: 3e-3,
        warmup_steps: 10,
        eval_every: 0,
        eval_batches: 4,
        seed: request.seed,
        pair_task: request.pair_task,
        masking: MaskingConfig {
            strategy: if request.dynamic_masking {
                Strategy::Dynamic
            } else {
                Strategy::Static {
                    duplicates: request.static_copies,
                }
            },
            seed: request.seed,
            ..MaskingConfig::default()
        },
        ..TrainConfig::default()
    }
}

/// The race's encoder: BERT of the requested depth and width over `vocab_size` pieces.
pub fn race_model_config(request: &PretrainRequest, vocab_size: usize) -> EncoderConfig {
    EncoderConfig {
        vocab_size,
        num_hidden_layers: request.layers,
        hidden_size: request.hidden_size,
        // BERT embeds straight into the hidden size (only ALBERT factorises it)
        embedding_size: request.hidden_size,
        num_attention_heads: request.heads,
        intermediate_size: request.hidden_size * 4,
        ..EncoderConfig::tiny(Family::Bert)
    }
}

/// Lines of the corpus sample the training text and the held-out pairs are cut from: plenty for a
/// run of minutes, and quick to tokenize at start-up.
const TRAIN_LINES: usize = 3000;
const HELD_OUT_LINES: usize = 400;
/// Tokens per sequence.
pub const RACE_SEQ: usize = 64;

/// The race's training text, the first `request.sequences` sequences of `train_text` (read again
/// each epoch), and its held-out sequences from `valid_text`, as many as validation reads. With a
/// sentence task the held-out pairs come in couples, each A with its real B and with a negative,
/// so a head that always answers the same scores 50 %.
pub fn race_sequences(
    request: &PretrainRequest,
    tokenizer: &Tokenizer,
    (train_text, valid_text): (&str, &str),
) -> Result<(Vec<Example>, Vec<Example>), TrainError> {
    type Builder = fn(&str, &Tokenizer, usize, PairTask, u64) -> Result<Vec<Example>, TrainError>;
    let cut = |build: Builder, text: &str, lines: usize| {
        let head = text.lines().take(lines).collect::<Vec<_>>().join("\n");
        build(&head, tokenizer, RACE_SEQ, request.pair_task, request.seed)
    };
    let mut train = cut(build_examples, train_text, TRAIN_LINES)?;
    train.truncate(request.sequences);
    let mut valid = cut(build_contrast_pairs, valid_text, HELD_OUT_LINES)?;
    let config = race_config(request);
    valid.truncate(config.eval_batches * config.batch_size);
    Ok((train, valid))
}

/// A fresh race model (seeded by the request) and its trainer on `train`, validated on `valid`;
/// with the model's weight count.
pub fn race_trainer(
    request: &PretrainRequest,
    tokenizer: &Tokenizer,
    train: Vec<Example>,
    valid: Vec<Example>,
) -> Result<(Trainer, usize), TrainError> {
    let config = race_config(request);
    let model_config = race_model_config(request, tokenizer.vocab_size());
    let (model, varmap): (_, VarMap) = fresh_model(&model_config, request.pair_task, request.seed)?;
    let parameters = varmap.all_vars().iter().map(|v| v.elem_count()).sum();
    let masker = masker_for(tokenizer, config.masking.clone())?;
    let trainer = Trainer::new(model, &varmap, train, valid, masker, config)?;
    Ok((trainer, parameters))
}
