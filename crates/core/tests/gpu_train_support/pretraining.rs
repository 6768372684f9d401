//! The pretraining parity cases: a model pretrained on the GPU (the masked-LM head on the masked
//! rows, its decoder tied to the word table, with BERT's NSP or ALBERT's SOP head) against the
//! CPU trainer (candle's autograd), dropout off on both sides: one update's losses, accuracies,
//! gradients and weights for the four families, 50-update loss curves, and the fallback to the
//! CPU. The models are fresh tiny encoders with a vocabulary of 300 (more than a workgroup's 256
//! lanes, so the loss and hit kernels take their strided paths) trained on sentences of the test
//! tokenizer's dozen words.

use bertlab_core::gpu::GpuContext;
use bertlab_core::masking::{MaskingConfig, Strategy};
use bertlab_core::model::{EncoderConfig, Family};
use bertlab_core::train::checkpoint::fresh_model;
use bertlab_core::train::data::{build_examples, PairTask};
use bertlab_core::train::pretrain::{masker_for, StepMetrics};
use bertlab_core::train::{TrainConfig, TrainError, Trainer};
use candle_nn::VarMap;

use super::{
    now_ms, say, test_tokenizer, weights_apart, worst_gradient, CURVE_TOLERANCE, GRAD_TOLERANCE,
    LOSS_TOLERANCE, STEP_TOLERANCE,
};

/// The four families with the sentence objective each can pretrain with.
const RECIPES: [(Family, PairTask); 4] = [
    (Family::Bert, PairTask::Nsp),
    (Family::Roberta, PairTask::None),
    (Family::Albert, PairTask::Sop),
    (Family::DistilBert, PairTask::None),
];

/// Six documents of five sentences from the test tokenizer's words (NSP's negatives come from
/// another document).
fn text() -> String {
    let subjects = ["the cat", "a cat", "the mat", "a mat", "the café"];
    let verbs = ["sat on", "played on", "sat", "played", "playing on"];
    let objects = ["the mat .", "a cat .", "the café .", ".", "a mat ."];
    (0..6)
        .map(|d| {
            (0..5)
                .map(|s| {
                    let i = d * 5 + s;
                    format!(
                        "{} {} {}",
                        subjects[i % 5],
                        verbs[(i / 5 + s) % 5],
                        objects[(i * 3 + d) % 5]
                    )
                })
                .collect::<Vec<_>>()
                .join("\n")
        })
        .collect::<Vec<_>>()
        .join("\n\n")
}

fn model_config(family: Family) -> EncoderConfig {
    EncoderConfig {
        vocab_size: 300,
        hidden_dropout_prob: 0.0,
        attention_probs_dropout_prob: 0.0,
        classifier_dropout: 0.0,
        ..EncoderConfig::tiny(family)
    }
}

fn train_config(task: PairTask, steps: usize) -> TrainConfig {
    TrainConfig {
        steps,
        batch_size: 4,
        lr_encoder: 3e-3,
        lr_head: 3e-3,
        warmup_steps: 5,
        eval_every: 0,
        dropout: false,
        pair_task: task,
        masking: MaskingConfig {
            strategy: Strategy::Dynamic,
            seed: 7,
            ..MaskingConfig::default()
        },
        ..TrainConfig::default()
    }
}

/// A pretraining run of `steps` updates on a fresh model, the same weights every call.
fn trainer((family, task): (Family, PairTask), steps: usize) -> (Trainer, VarMap) {
    let tok = test_tokenizer();
    let examples = build_examples(&text(), &tok, 24, task, 3).unwrap();
    assert!(examples.len() >= 4, "{} sequences", examples.len());
    let (model, varmap) = fresh_model(&model_config(family), task, 11).unwrap();
    let config = train_config(task, steps);
    let masker = masker_for(&tok, config.masking.clone()).unwrap();
    let trainer = Trainer::new(model, &varmap, examples, Vec::new(), masker, config).unwrap();
    (trainer, varmap)
}

/// One update on both sides: losses, accuracies, every gradient, every weight after AdamW.
async fn one_step(ctx: &GpuContext, recipe: (Family, PairTask)) {
    let name = format!("{} {:?}", recipe.0, recipe.1);
    let (mut cpu, cpu_vars) = trainer(recipe, 10);
    let (mut gpu, gpu_vars) = trainer(recipe, 10);
    gpu.attach_gpu(ctx).await.unwrap();
    let (cpu_loss, cpu_grads) = cpu.next_gradients().unwrap();
    let step = gpu.train_step_gpu(ctx).await.unwrap();
    let gpu_grads = gpu.gpu_gradients(ctx).await.unwrap();
    let (trained, worst, worst_name) = worst_gradient(&cpu_grads, &gpu_grads, &name);
    let cpu_step = cpu.train_step().unwrap();
    gpu.sync_from_gpu(ctx).await.unwrap();
    let moved = weights_apart(&cpu_vars, &gpu_vars, train_config(recipe.1, 10).lr_head);
    let loss_diff = (step.loss - cpu_loss).abs() / cpu_loss.abs().max(1.0);
    say(format!(
        "  {name:<16} {:>4} {cpu_loss:>10.6} {:>10.6} {loss_diff:>9.2e} {:>5.3}/{:<5.3} {worst:>9.2e}  {worst_name:<48} {moved:>9.2e}",
        trained,
        step.loss,
        cpu_step.mlm_accuracy,
        step.mlm_accuracy,
    ));
    assert!(
        loss_diff < LOSS_TOLERANCE,
        "{name}: loss {cpu_loss} vs {}",
        step.loss
    );
    assert!(
        (step.mlm_loss - cpu_step.mlm_loss).abs() < LOSS_TOLERANCE * cpu_step.mlm_loss.max(1.0),
        "{name}: MLM loss {} vs {}",
        cpu_step.mlm_loss,
        step.mlm_loss
    );
    assert_eq!(
        step.mlm_accuracy, cpu_step.mlm_accuracy,
        "{name}: MLM accuracy"
    );
    assert_eq!(
        step.pair_accuracy, cpu_step.pair_accuracy,
        "{name}: pair accuracy"
    );
    assert_eq!(
        step.pair_loss.is_some(),
        recipe.1 != PairTask::None,
        "{name}"
    );
    assert_eq!(step.tokens_seen, cpu_step.tokens_seen, "{name}: tokens");
    assert!(
        worst <= GRAD_TOLERANCE,
        "{name}: gradient of {worst_name} {worst:e} apart"
    );
    assert!(
        moved <= STEP_TOLERANCE,
        "{name}: weights {moved:e} lr apart"
    );
}

pub async fn one_pretraining_step_matches_the_cpu_for_every_family(ctx: &GpuContext) {
    say(format!(
        "one pretraining update on {}: recipe, trained tensors, CPU loss, GPU loss, loss rel. diff, MLM accuracy CPU/GPU, worst gradient rel. diff (tensor), max weight diff after AdamW / lr",
        ctx.adapter_name()
    ));
    for recipe in RECIPES {
        one_step(ctx, recipe).await;
    }
}

/// The largest relative difference between two loss curves.
fn curve_gap(cpu: &[StepMetrics], gpu: &[StepMetrics]) -> f64 {
    assert_eq!(cpu.len(), gpu.len());
    cpu.iter()
        .zip(gpu)
        .map(|(c, g)| (c.loss - g.loss).abs() / c.loss.abs().max(1.0))
        .fold(0.0, f64::max)
}

/// `steps` updates on the CPU and on the GPU from the same start.
async fn curves(
    ctx: &GpuContext,
    recipe: (Family, PairTask),
    steps: usize,
) -> (Vec<StepMetrics>, Vec<StepMetrics>, f64, f64) {
    let (mut cpu, _) = trainer(recipe, steps);
    let (mut gpu, _) = trainer(recipe, steps);
    let started = now_ms();
    let cpu_curve: Vec<StepMetrics> = (0..steps).map(|_| cpu.train_step().unwrap()).collect();
    let cpu_ms = now_ms() - started;
    gpu.attach_gpu(ctx).await.unwrap();
    let started = now_ms();
    let mut gpu_curve = Vec::with_capacity(steps);
    for _ in 0..steps {
        gpu_curve.push(gpu.train_step_gpu(ctx).await.unwrap());
    }
    let gpu_ms = now_ms() - started;
    (cpu_curve, gpu_curve, cpu_ms, gpu_ms)
}

pub async fn fifty_pretraining_updates_follow_the_cpu_loss_curve(
    ctx: &GpuContext,
    recipes: &[(Family, PairTask)],
) {
    say("50 pretraining updates: recipe, first and last CPU loss, worst relative loss gap, mean MLM accuracy of the last 10 CPU / GPU, updates whose accuracies differ, ms per update CPU / GPU".into());
    for &recipe in recipes {
        let (cpu, gpu, cpu_ms, gpu_ms) = curves(ctx, recipe, 50).await;
        let gap = curve_gap(&cpu, &gpu);
        // The GPU counts its hits itself: an argmax may flip on a near tie, rarely.
        let differ = cpu
            .iter()
            .zip(&gpu)
            .filter(|(c, g)| c.mlm_accuracy != g.mlm_accuracy || c.pair_accuracy != g.pair_accuracy)
            .count();
        say(format!(
            "  {:<16} {:>8.4} {:>8.4} {gap:>9.2e} {:>6.3} / {:<6.3} {differ:>3} {:>8.1} / {:.1}",
            format!("{} {:?}", recipe.0, recipe.1),
            cpu[0].loss,
            cpu[49].loss,
            late_accuracy(&cpu),
            late_accuracy(&gpu),
            cpu_ms / 50.0,
            gpu_ms / 50.0
        ));
        assert!(
            late_accuracy(&cpu) > 0.0,
            "{recipe:?}: no masked token guessed in the last 10 updates"
        );
        assert!(
            differ <= 2,
            "{recipe:?}: accuracies differ at {differ} updates"
        );
        assert!(
            cpu[49].mlm_loss < cpu[0].mlm_loss,
            "{recipe:?}: the run does not learn ({} → {})",
            cpu[0].mlm_loss,
            cpu[49].mlm_loss
        );
        assert!(
            gap < CURVE_TOLERANCE,
            "{recipe:?}: loss curves {gap:e} apart"
        );
    }
}

fn late_accuracy(curve: &[StepMetrics]) -> f64 {
    let late = &curve[curve.len().saturating_sub(10)..];
    late.iter().map(|m| m.mlm_accuracy).sum::<f64>() / late.len().max(1) as f64
}

/// The curves of the fifty-update test: both sentence objectives (the pair head's backward) and
/// one MLM-only family.
pub fn pretraining_curve_recipes() -> [(Family, PairTask); 3] {
    [RECIPES[0], RECIPES[2], RECIPES[1]]
}

/// Six GPU updates with a sync after the third, then the GPU "fails": the run detaches, rewinds to
/// update 3 and the CPU redoes 4 to 8. Its curve and weights match a run on the CPU throughout.
pub async fn after_a_lost_device_pretraining_goes_on_from_the_last_sync(ctx: &GpuContext) {
    let recipe = RECIPES[0];
    let (mut cpu, cpu_vars) = trainer(recipe, 8);
    let (mut run, run_vars) = trainer(recipe, 8);
    let cpu_curve: Vec<StepMetrics> = (0..8).map(|_| cpu.train_step().unwrap()).collect();
    run.attach_gpu(ctx).await.unwrap();
    let mut curve: Vec<StepMetrics> = Vec::new();
    for step in 1..=6 {
        curve.push(run.train_step_gpu(ctx).await.unwrap());
        if step == 3 {
            run.sync_from_gpu(ctx).await.unwrap();
        }
    }
    // The CPU's weights are those of the sync until the run is detached.
    assert!(matches!(run.train_step(), Err(TrainError::Config(_))));
    assert_eq!(run.detach_gpu(), Some(3));
    assert_eq!(run.step(), 3);
    curve.truncate(3);
    while run.step() < 8 {
        curve.push(run.train_step().unwrap());
    }
    let gap = curve_gap(&cpu_curve, &curve);
    let moved = weights_apart(&cpu_vars, &run_vars, train_config(recipe.1, 8).lr_head);
    say(format!(
        "fallback after update 6 (synced at 3): loss gap {gap:.2e}, weights {moved:.2e} lr apart after 8"
    ));
    assert_eq!(run.tokens_seen(), cpu.tokens_seen());
    assert!(gap < CURVE_TOLERANCE, "loss curves {gap:e} apart");
    assert!(moved <= STEP_TOLERANCE, "weights {moved:e} lr apart");
}
