//! Pretraining pipeline on a tiny BERT and a tokenizer built from the test text: accumulation,
//! determinism, resume, the NaN guard, learning, checkpoints and cloze scoring.

use std::collections::{BTreeSet, HashMap};

use bertlab_core::masking::{MaskingConfig, Strategy};
use bertlab_core::model::{Checkpoint, Encoder, EncoderConfig, Family, Loaded, MaskedLm};
use bertlab_core::text::tokenizer::Tokenizer;
use bertlab_core::train::checkpoint::{
    fresh_model, model_config_json, model_from_checkpoint, model_safetensors, RunFiles,
};
use bertlab_core::train::cloze::parse_cloze_tsv;
use bertlab_core::train::data::{build_contrast_pairs, build_examples, Example};
use bertlab_core::train::eval::{cloze_predictions, evaluate_cloze};
use bertlab_core::train::pair_rule::OverlapRule;
use bertlab_core::train::pretrain::masker_for;
use bertlab_core::train::{PairTask, PretrainModel, TrainConfig, TrainError, Trainer};
use candle_core::{Device, Tensor};
use candle_nn::VarMap;

/// Small documents with regular structure, so a tiny model can learn something in 30 steps.
fn corpus() -> String {
    let animals = ["cat", "dog", "bird", "fish", "horse", "cow"];
    let places = ["house", "garden", "river", "field", "barn", "tree"];
    let colours = ["red", "blue", "green", "brown", "white", "black"];
    let mut out = String::new();
    for (d, a) in animals.iter().enumerate() {
        for (i, p) in places.iter().enumerate() {
            let c = colours[(d + i) % colours.len()];
            out.push_str(&format!("the {a} sleeps in the {p} .\n"));
            out.push_str(&format!("the {c} {a} runs to the {p} every day .\n"));
            out.push_str(&format!(
                "a {a} is not a {} .\n",
                animals[(d + 1) % animals.len()]
            ));
        }
        out.push('\n');
    }
    out
}

/// A WordPiece tokenizer.json whose vocabulary is the corpus's words (plus a few pieces).
fn tokenizer_json() -> String {
    let mut words: BTreeSet<String> = corpus().split_whitespace().map(str::to_string).collect();
    for w in [
        "capital", "of", "france", "paris", "is", "##s", "day", "monday",
    ] {
        words.insert(w.to_string());
    }
    let specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"];
    let mut vocab = serde_json::Map::new();
    for (i, t) in specials
        .iter()
        .map(|s| s.to_string())
        .chain(words)
        .enumerate()
    {
        vocab.insert(t, i.into());
    }
    let added: Vec<serde_json::Value> = specials
        .iter()
        .enumerate()
        .map(|(i, s)| {
            serde_json::json!({"id": i, "content": s, "single_word": false, "lstrip": false,
                "rstrip": false, "normalized": false, "special": true})
        })
        .collect();
    serde_json::json!({
        "version": "1.0", "truncation": null, "padding": null, "added_tokens": added,
        "normalizer": {"type": "BertNormalizer", "clean_text": true, "handle_chinese_chars": true,
                       "strip_accents": null, "lowercase": true},
        "pre_tokenizer": {"type": "BertPreTokenizer"},
        "post_processor": {"type": "BertProcessing", "sep": ["[SEP]", 3], "cls": ["[CLS]", 2]},
        "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": true},
        "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##",
                  "max_input_chars_per_word": 100, "vocab": vocab}
    })
    .to_string()
}

fn tokenizer() -> Tokenizer {
    Tokenizer::from_bytes(tokenizer_json().as_bytes()).unwrap()
}

fn model_config(tok: &Tokenizer) -> EncoderConfig {
    EncoderConfig {
        vocab_size: tok.vocab_size(),
        ..EncoderConfig::tiny(Family::Bert)
    }
}

fn train_config(seed: u64) -> TrainConfig {
    TrainConfig {
        steps: 40,
        batch_size: 8,
        grad_accum: 1,
        lr_encoder: 2e-3,
        lr_head: 2e-3,
        warmup_steps: 3,
        seed,
        eval_every: 0,
        eval_batches: 2,
        masking: MaskingConfig {
            seed,
            ..MaskingConfig::default()
        },
        ..TrainConfig::default()
    }
}

fn trainer_with(config: TrainConfig, model: (PretrainModel, VarMap)) -> (Trainer, VarMap) {
    let tok = tokenizer();
    let text = corpus();
    let train = build_examples(&text, &tok, 24, config.pair_task, config.seed).unwrap();
    let valid = train[..6].to_vec();
    let masker = masker_for(&tok, config.masking.clone()).unwrap();
    let (model, varmap) = model;
    let trainer = Trainer::new(model, &varmap, train, valid, masker, config).unwrap();
    (trainer, varmap)
}

fn fresh_trainer(config: TrainConfig) -> (Trainer, VarMap) {
    let cfg = model_config(&tokenizer());
    let model = fresh_model(&cfg, config.pair_task, 7).unwrap();
    trainer_with(config, model)
}

fn weights(varmap: &VarMap) -> HashMap<String, Vec<f32>> {
    varmap
        .data()
        .lock()
        .unwrap()
        .iter()
        .map(|(n, v)| {
            (
                n.clone(),
                v.flatten_all().unwrap().to_vec1::<f32>().unwrap(),
            )
        })
        .collect()
}

fn max_diff(a: &HashMap<String, Vec<f32>>, b: &HashMap<String, Vec<f32>>) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .flat_map(|(n, x)| x.iter().zip(&b[n]).map(|(p, q)| (p - q).abs()))
        .fold(0.0, f32::max)
}

#[test]
fn accumulating_two_half_batches_equals_one_full_batch() {
    let full_cfg = TrainConfig {
        dropout: false,
        ..train_config(3)
    };
    let half_cfg = TrainConfig {
        batch_size: 4,
        grad_accum: 2,
        ..full_cfg.clone()
    };
    let (mut full, full_w) = fresh_trainer(full_cfg);
    let (mut half, half_w) = fresh_trainer(half_cfg);
    let before = weights(&full_w);
    let a = full.train_step().unwrap();
    let b = half.train_step().unwrap();
    assert!((a.loss - b.loss).abs() < 1e-5, "{} vs {}", a.loss, b.loss);
    assert!(
        (a.grad_norm - b.grad_norm).abs() < 1e-4 * a.grad_norm.max(1.0),
        "{} vs {}",
        a.grad_norm,
        b.grad_norm
    );
    let (wa, wb) = (weights(&full_w), weights(&half_w));
    // The update moved the weights (by ~lr) and both ways moved them the same.
    assert!(max_diff(&before, &wa) > 1e-4);
    assert!(max_diff(&wa, &wb) < 1e-5, "{}", max_diff(&wa, &wb));
}

/// The training kernels (fused LayerNorm, softmax, GELU, bias and cross-entropy, each with its own
/// backward) change the speed, not the run: 20 fixed-seed updates, dropout and all, give the losses
/// and gradient norms of the same run on the candle ops they replace, within 1e-3 relative (f32
/// sums in another order, over 20 updates that feed on each other).
#[test]
fn the_fused_kernels_train_like_the_composed_ops() {
    let run = || {
        let (mut t, _) = fresh_trainer(train_config(11));
        (0..20).map(|_| t.train_step().unwrap()).collect::<Vec<_>>()
    };
    let fused = run();
    let composed = bertlab_core::model::fused::with_composed_ops(run);
    for (i, (a, b)) in fused.iter().zip(&composed).enumerate() {
        let close = |x: f64, y: f64| (x - y).abs() <= 1e-3 * x.abs().max(y.abs()).max(1.0);
        assert!(
            close(a.loss, b.loss),
            "update {i}: loss {} fused, {} composed",
            a.loss,
            b.loss
        );
        assert!(
            close(a.grad_norm, b.grad_norm),
            "update {i}: gradient norm {} fused, {} composed",
            a.grad_norm,
            b.grad_norm
        );
    }
    assert!(fused[19].loss < fused[0].loss, "it learns");
    // the switch took effect: another exp and erf leave their mark in the last bits
    assert!(fused.iter().zip(&composed).any(|(a, b)| a.loss != b.loss));
}

#[test]
fn same_seed_same_losses_and_schedule_in_metrics() {
    let run = |seed| {
        let (mut t, _) = fresh_trainer(train_config(seed));
        (0..5).map(|_| t.train_step().unwrap()).collect::<Vec<_>>()
    };
    let (a, b, c) = (run(5), run(5), run(6));
    let losses =
        |r: &[bertlab_core::train::StepMetrics]| r.iter().map(|m| m.loss).collect::<Vec<_>>();
    assert_eq!(losses(&a), losses(&b));
    assert_ne!(losses(&a), losses(&c));
    // lr follows the warmup (3 steps to 2e-3), holds the peak for the first decay step, then decays.
    let lrs: Vec<f64> = a.iter().map(|m| m.lr).collect();
    assert!(
        (lrs[0] - 2e-3 / 3.0).abs() < 1e-12
            && (lrs[2] - 2e-3).abs() < 1e-12
            && (lrs[3] - 2e-3).abs() < 1e-12
            && lrs[4] < lrs[3],
        "learning rates {lrs:?}"
    );
    assert!(a
        .iter()
        .all(|m| m.mlm_accuracy >= 0.0 && m.mlm_accuracy <= 1.0 && m.tokens > 0));
    assert_eq!(
        a[a.len() - 1].tokens_seen,
        a.iter().map(|m| m.tokens as u64).sum::<u64>()
    );
}

#[test]
fn resumed_run_matches_uninterrupted_run() {
    let cfg = train_config(11);
    let (mut straight, _) = fresh_trainer(cfg.clone());
    let expected: Vec<f64> = (0..6)
        .map(|_| straight.train_step().unwrap().loss)
        .collect();

    let (mut first, first_w) = fresh_trainer(cfg.clone());
    for _ in 0..3 {
        first.train_step().unwrap();
    }
    let weights_bytes = model_safetensors(&first_w, false).unwrap();
    let config_bytes = model_config_json(&first).unwrap();
    let run = RunFiles::of(&first).unwrap();
    drop(first);

    let ckpt = Checkpoint::from_bytes(&config_bytes, &weights_bytes).unwrap();
    let (model, varmap, report) = model_from_checkpoint(&ckpt, cfg.pair_task, 999).unwrap();
    assert!(report.fresh.is_empty(), "{:?}", report.fresh);
    let (state, moments) = run.parse().unwrap();
    assert_eq!(state.step, 3);
    let (mut resumed, _) = trainer_with(state.config.clone(), (model, varmap));
    resumed.restore(&state, &moments).unwrap();
    let rest: Vec<f64> = (0..3).map(|_| resumed.train_step().unwrap().loss).collect();
    for (a, b) in expected[3..].iter().zip(&rest) {
        assert!((a - b).abs() < 1e-6, "{expected:?} vs {rest:?}");
    }
}

/// The lab's one-file snapshot (weights, moments, step) restored into a freshly built trainer
/// continues with the losses and the weights of the uninterrupted run; a snapshot of another plan
/// is refused.
#[test]
fn a_run_restored_from_its_snapshot_matches_the_uninterrupted_run() {
    for cfg in [
        train_config(12),
        TrainConfig {
            pair_task: PairTask::Sop,
            ..train_config(13)
        },
    ] {
        let (mut straight, straight_w) = fresh_trainer(cfg.clone());
        let expected: Vec<f64> = (0..6)
            .map(|_| straight.train_step().unwrap().loss)
            .collect();
        let (mut first, _) = fresh_trainer(cfg.clone());
        for _ in 0..3 {
            first.train_step().unwrap();
        }
        let saved = first.snapshot().unwrap();
        drop(first);
        let (mut resumed, resumed_w) = fresh_trainer(cfg.clone());
        resumed.restore_snapshot(&saved).unwrap();
        assert_eq!(resumed.step(), 3);
        let rest: Vec<f64> = (0..3).map(|_| resumed.train_step().unwrap().loss).collect();
        assert_eq!(expected[3..], rest[..], "{:?}", cfg.pair_task);
        assert_eq!(max_diff(&weights(&straight_w), &weights(&resumed_w)), 0.0);
        assert_eq!(resumed.tokens_seen(), straight.tokens_seen());

        let (mut longer, _) = fresh_trainer(TrainConfig {
            steps: cfg.steps + 1,
            ..cfg.clone()
        });
        let refused = longer.restore_snapshot(&saved).unwrap_err().to_string();
        assert!(refused.contains("settings differ"), "{refused}");
        assert_eq!(longer.step(), 0);
    }
}

#[test]
fn non_finite_loss_stops_without_touching_the_weights() {
    let (mut t, varmap) = fresh_trainer(train_config(2));
    t.train_step().unwrap();
    {
        let data = varmap.data().lock().unwrap();
        let var = &data["bert.encoder.layer.0.attention.output.dense.weight"];
        let nan = Tensor::full(f32::NAN, var.dims(), &Device::Cpu).unwrap();
        var.set(&nan).unwrap();
    }
    let before = weights(&varmap);
    let err = t.train_step().unwrap_err();
    assert!(
        matches!(err, TrainError::NonFinite { step: 2, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("step 2"), "{err}");
    assert_eq!(t.step(), 1);
    let after = weights(&varmap);
    for (name, w) in &before {
        let same = w
            .iter()
            .zip(&after[name])
            .all(|(a, b)| a == b || (a.is_nan() && b.is_nan()));
        assert!(same, "{name} changed");
    }
}

#[test]
fn tiny_scratch_model_learns() {
    let (mut t, _) = fresh_trainer(TrainConfig {
        steps: 30,
        ..train_config(1)
    });
    let before = t.validate().unwrap().unwrap();
    let losses: Vec<f64> = (0..30).map(|_| t.train_step().unwrap().loss).collect();
    let after = t.validate().unwrap().unwrap();
    let first: f64 = losses[..5].iter().sum::<f64>() / 5.0;
    let last: f64 = losses[25..].iter().sum::<f64>() / 5.0;
    assert!(
        last < first - 0.5,
        "training loss {first:.3} -> {last:.3}: {losses:?}"
    );
    assert!(
        after.loss < before.loss - 0.5,
        "validation {:.3} -> {:.3}",
        before.loss,
        after.loss
    );
    assert!((after.perplexity - after.loss.exp()).abs() < 1e-9);
}

/// On a text read many times, static masking with one copy learns the answers to its fixed gaps:
/// it scores far better on the masks it was shown than on new masks of the same text, while a
/// dynamic run, shown fresh masks each time, scores about the same on both.
#[test]
fn static_masking_memorises_its_gaps_and_new_masks_show_it() {
    let run = |strategy| {
        let mut config = TrainConfig {
            steps: 120,
            lr_encoder: 5e-3,
            lr_head: 5e-3,
            // every sequence of the text, so each accuracy rests on as many gaps as there are
            eval_batches: 100,
            ..train_config(3)
        };
        config.masking.strategy = strategy;
        let (mut t, _) = fresh_trainer(config);
        while t.step() < 120 {
            t.train_step().unwrap();
        }
        // `evaluate` masks the training text as the first epoch did (the one static copy).
        let text = build_examples(&corpus(), &tokenizer(), 24, PairTask::None, 3).unwrap();
        let shown = t.evaluate(&text).unwrap().accuracy;
        let new = t.evaluate_new_masks().unwrap();
        assert!(new.masked_tokens > 0 && new.sequences > 0);
        (shown, new.accuracy)
    };
    let (static_shown, static_new) = run(Strategy::Static { duplicates: 1 });
    let (dynamic_shown, dynamic_new) = run(Strategy::Dynamic);
    let (static_gap, dynamic_gap) = (static_shown - static_new, dynamic_shown - dynamic_new);
    assert!(
        static_gap > 0.15,
        "static: {static_shown:.3} on its own masks, {static_new:.3} on new ones"
    );
    assert!(
        static_gap > dynamic_gap + 0.15,
        "static gap {static_gap:.3} against dynamic gap {dynamic_gap:.3}"
    );
}

#[test]
fn pair_tasks_train_with_balanced_labels() {
    for task in [PairTask::Nsp, PairTask::Sop] {
        let tok = tokenizer();
        let examples = build_examples(&corpus(), &tok, 24, task, 9).unwrap();
        let negatives = examples.iter().filter(|e| e.pair_label == Some(1)).count();
        assert!(examples
            .iter()
            .all(|e| e.pair_label.is_some() && e.ids.len() <= 24));
        assert!(examples.iter().all(|e| e.type_ids.contains(&1)));
        let share = negatives as f64 / examples.len() as f64;
        assert!(
            (0.25..=0.75).contains(&share),
            "{task:?}: {negatives}/{}",
            examples.len()
        );
        let (mut t, _) = fresh_trainer(TrainConfig {
            pair_task: task,
            ..train_config(4)
        });
        let m = t.train_step().unwrap();
        assert!(m.pair_loss.is_some_and(f64::is_finite) && m.pair_accuracy.is_some());
        assert!((m.loss - m.mlm_loss - m.pair_loss.unwrap()).abs() < 1e-9);
    }
}

/// An example's ordinary pieces, segment A then segment B.
fn segment_pieces(ex: &Example) -> [Vec<u32>; 2] {
    let mut parts = [Vec::new(), Vec::new()];
    for ((&id, &segment), &special) in ex.ids.iter().zip(&ex.type_ids).zip(&ex.special) {
        if !special {
            parts[segment as usize].push(id);
        }
    }
    parts
}

#[test]
fn contrast_pairs_show_each_a_with_its_real_b_and_with_a_negative() {
    let tok = tokenizer();
    for task in [PairTask::Nsp, PairTask::Sop] {
        let pairs = build_contrast_pairs(&corpus(), &tok, 24, task, 5).unwrap();
        assert!(
            !pairs.is_empty() && pairs.len().is_multiple_of(2),
            "{task:?}"
        );
        for couple in pairs.chunks(2) {
            assert_eq!(
                [couple[0].pair_label, couple[1].pair_label],
                [Some(0), Some(1)]
            );
            let [a, b] = segment_pieces(&couple[0]);
            let [neg_a, neg_b] = segment_pieces(&couple[1]);
            match task {
                PairTask::Sop => assert_eq!((neg_a, neg_b), (b, a)),
                // The same A, though the longer segment may lose its tail to fit.
                _ => {
                    let n = a.len().min(neg_a.len());
                    assert_eq!(a[..n], neg_a[..n]);
                    assert_ne!(b, neg_b);
                }
            }
        }
    }
}

#[test]
fn the_overlap_rule_spots_another_documents_topic_but_not_a_swapped_order() {
    let tok = tokenizer();
    let fit =
        |task| OverlapRule::fit(&build_examples(&corpus(), &tok, 24, task, 9).unwrap()).unwrap();
    let held_out = |task| build_contrast_pairs(&corpus(), &tok, 24, task, 5).unwrap();
    // Each document of the corpus is about one animal, so a B from another document shares
    // fewer pieces with A than the B that follows it.
    let (nsp_rule, nsp_pairs) = (fit(PairTask::Nsp), held_out(PairTask::Nsp));
    let closer = nsp_pairs
        .chunks(2)
        .filter(|c| nsp_rule.score(&c[0]) > nsp_rule.score(&c[1]))
        .count();
    assert!(
        closer * 4 > nsp_pairs.len(),
        "the real B overlaps more in only {closer} of {} couples",
        nsp_pairs.len() / 2
    );
    let nsp = nsp_rule.accuracy(&nsp_pairs);
    assert!(nsp > 0.6, "NSP {nsp:.3} from {} pairs", nsp_pairs.len());
    // Swapping A and B leaves the score as it was, so each SOP couple gets one right, one wrong.
    let sop_rule = fit(PairTask::Sop);
    let sop_pairs = held_out(PairTask::Sop);
    for couple in sop_pairs.chunks(2) {
        assert_eq!(sop_rule.score(&couple[0]), sop_rule.score(&couple[1]));
    }
    assert_eq!(sop_rule.accuracy(&sop_pairs), 0.5);
    assert!(
        OverlapRule::fit(&build_examples(&corpus(), &tok, 24, PairTask::None, 9).unwrap())
            .is_none()
    );
}

#[test]
fn checkpoint_has_hf_names_loads_as_masked_lm_and_shrinks_in_f16() {
    let (mut t, varmap) = fresh_trainer(train_config(1));
    t.train_step().unwrap();
    let f32_bytes = model_safetensors(&varmap, false).unwrap();
    let f16_bytes = model_safetensors(&varmap, true).unwrap();
    assert!(f16_bytes.len() * 10 < f32_bytes.len() * 6);
    let config = model_config_json(&t).unwrap();
    let json: serde_json::Value = serde_json::from_slice(&config).unwrap();
    assert_eq!(json["architectures"][0], "BertForMaskedLM");
    let ckpt = Checkpoint::from_bytes(&config, &f32_bytes).unwrap();
    let names = ckpt.tensor_names();
    for want in [
        "cls.predictions.bias",
        "cls.predictions.transform.dense.weight",
        "cls.predictions.transform.LayerNorm.weight",
        "bert.embeddings.word_embeddings.weight",
    ] {
        assert!(
            names.iter().any(|n| n == want),
            "{want} missing from {names:?}"
        );
    }
    // Tied to the word embeddings: no separate decoder matrix is stored.
    assert!(!names.iter().any(|n| n == "cls.predictions.decoder.weight"));
    let loaded = ckpt.load::<MaskedLm>(&Device::Cpu).unwrap();
    assert!(loaded.unused.is_empty(), "{:?}", loaded.unused);
    assert!(Checkpoint::from_bytes(&config, &f16_bytes)
        .unwrap()
        .load::<MaskedLm>(&Device::Cpu)
        .is_ok());
}

#[test]
fn base_encoder_gets_a_fresh_mlm_head() {
    let tok = tokenizer();
    let cfg = model_config(&tok);
    let base = Loaded::<Encoder>::random(&cfg, 21, &Device::Cpu).unwrap();
    let bytes = base.to_safetensors().unwrap();
    let config = serde_json::to_vec(&cfg.to_hf_json()).unwrap();
    let ckpt = Checkpoint::from_bytes(&config, &bytes).unwrap();
    let (_, varmap, report) = model_from_checkpoint(&ckpt, PairTask::None, 3).unwrap();
    assert!(!report.fresh.is_empty());
    assert!(
        report
            .fresh
            .iter()
            .all(|n| n.starts_with("cls.predictions.")),
        "{:?}",
        report.fresh
    );
    let data = varmap.data().lock().unwrap();
    let ours = data["bert.encoder.layer.1.output.dense.weight"]
        .flatten_all()
        .unwrap()
        .to_vec1::<f32>()
        .unwrap();
    let theirs = ckpt
        .tensor("encoder.layer.1.output.dense.weight")
        .unwrap()
        .flatten_all()
        .unwrap()
        .to_vec1::<f32>()
        .unwrap();
    assert_eq!(ours, theirs);
}

#[test]
fn cloze_scoring_runs_end_to_end_on_a_tiny_model() {
    let tok = tokenizer();
    let (model, _) = fresh_model(&model_config(&tok), PairTask::None, 5).unwrap();
    let items = parse_cloze_tsv(include_str!("../../../tests/data/cloze.tsv")).unwrap();
    let preds = cloze_predictions(&model, &tok, &items, 5).unwrap();
    assert_eq!(preds.len(), items.len());
    assert!(preds.iter().all(|p| p.len() == 5));
    let score = evaluate_cloze(&model, &tok, &items).unwrap();
    assert_eq!(score.overall.items, items.len());
    assert_eq!(
        score.by_category.values().map(|t| t.items).sum::<usize>(),
        items.len()
    );
    assert!(score.overall.top1 <= score.overall.top5 && score.overall.top5 <= items.len());
}
