//! The pretraining code runs in the browser (wasm32) unchanged: a tiny BERT trained with MLM on the
//! committed public-domain corpus sample, the embedded tokenizer, dynamic masking, in headless
//! Chromium. The loss must fall, as it does natively (tests/train_pretrain.rs).
#![cfg(target_arch = "wasm32")]

use bertlab_core::masking::MaskingConfig;
use bertlab_core::model::{EncoderConfig, Family};
use bertlab_core::text::tokenizer::Tokenizer;
use bertlab_core::train::checkpoint::fresh_model;
use bertlab_core::train::data::build_examples;
use bertlab_core::train::pretrain::masker_for;
use bertlab_core::train::{PairTask, TrainConfig, Trainer};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const TOKENIZER: &[u8] = include_bytes!("../../../models/all-minilm-l6-v2/tokenizer.json");
const CORPUS: &str = include_str!("../../../assets/corpus/train.txt");

#[wasm_bindgen_test]
fn a_tiny_encoder_learns_in_the_browser() {
    let tokenizer = Tokenizer::from_bytes(TOKENIZER).expect("tokenizer parses");
    // The first documents of the sample are plenty for 40 small steps.
    let text: String = CORPUS.lines().take(400).collect::<Vec<_>>().join("\n");
    let config = TrainConfig {
        steps: 40,
        batch_size: 8,
        lr_encoder: 3e-3,
        lr_head: 3e-3,
        warmup_steps: 4,
        eval_every: 0,
        masking: MaskingConfig::default(),
        ..TrainConfig::default()
    };
    let examples =
        build_examples(&text, &tokenizer, 32, PairTask::None, config.seed).expect("examples");
    let valid = examples[..8].to_vec();
    let model_config = EncoderConfig {
        vocab_size: tokenizer.vocab_size(),
        ..EncoderConfig::tiny(Family::Bert)
    };
    let (model, varmap) = fresh_model(&model_config, PairTask::None, 3).expect("model");
    let masker = masker_for(&tokenizer, config.masking.clone()).expect("masker");
    let mut trainer =
        Trainer::new(model, &varmap, examples, valid, masker, config).expect("trainer");
    let losses: Vec<f64> = (0..40)
        .map(|_| trainer.train_step().expect("step").loss)
        .collect();
    let first = losses[..5].iter().sum::<f64>() / 5.0;
    let last = losses[35..].iter().sum::<f64>() / 5.0;
    assert!(losses.iter().all(|l| l.is_finite()), "{losses:?}");
    assert!(
        last < first - 1.0,
        "loss {first:.3} -> {last:.3}: {losses:?}"
    );
}
