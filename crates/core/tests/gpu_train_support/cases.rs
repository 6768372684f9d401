//! The whole-step parity cases: a sequence classifier fine-tuned on the GPU
//! (crates/core/src/gpu/train) against the CPU trainer (candle's autograd), dropout off on both
//! sides unless a case says otherwise. Each is async (reading from the GPU is); the native run
//! blocks on it, the browser's awaits it.

use bertlab_core::gpu::GpuContext;
use bertlab_core::model::Checkpoint;
use bertlab_core::text::tokenizer::Tokenizer;
use bertlab_core::train::finetune::{FinetuneConfig, Regime};
use bertlab_core::train::TrainError;

use super::{
    config, now_ms, say, test_tokenizer, tuner, weights_apart, worst_gradient, Fixture,
    CURVE_TOLERANCE, GRAD_TOLERANCE, LOSS_TOLERANCE, NO_POOLER, SEQ_CLS, STEP_TOLERANCE,
};

/// One step on both sides: loss, every gradient, every weight after the update.
async fn one_step(ctx: &GpuContext, fixture: &Fixture, regime: Regime) {
    let name = fixture.name;
    let base = fixture.checkpoint();
    let tok = test_tokenizer();
    let mut cpu = tuner(&base, &tok, config(regime, 4));
    let mut gpu = tuner(&base, &tok, config(regime, 4));
    gpu.attach_gpu(ctx).await.unwrap();
    let (cpu_loss, cpu_grads) = cpu.next_gradients().unwrap();
    let step = gpu.train_step_gpu(ctx).await.unwrap();
    let gpu_grads = gpu.gpu_gradients(ctx).await.unwrap();
    let (trained, worst, worst_name) =
        worst_gradient(&cpu_grads, &gpu_grads, &format!("{name} {regime:?}"));
    cpu.train_step().unwrap();
    gpu.sync_from_gpu(ctx).await.unwrap();
    let lr = config(regime, 4).lr_head;
    let moved = weights_apart(cpu.varmap(), gpu.varmap(), lr);
    let loss_diff = (step.loss - cpu_loss).abs() / cpu_loss.abs().max(1.0);
    say(format!(
        "  {name:<20} {:<7} {:>4} {cpu_loss:>10.6} {:>10.6} {loss_diff:>9.2e} {worst:>9.2e}  {worst_name:<58} {moved:>9.2e}",
        format!("{regime:?}"),
        trained,
        step.loss,
    ));
    assert!(
        loss_diff < LOSS_TOLERANCE,
        "{name} {regime:?}: loss {cpu_loss} vs {}",
        step.loss
    );
    assert!(
        worst <= GRAD_TOLERANCE,
        "{name} {regime:?}: gradient of {worst_name} {worst:e} apart"
    );
    assert!(
        moved <= STEP_TOLERANCE,
        "{name} {regime:?}: weights {moved:e} lr apart"
    );
}

pub async fn one_step_matches_the_cpu_for_every_family_and_regime(ctx: &GpuContext) {
    say(format!(
        "one step on {}: fixture, regime, trained tensors, CPU loss, GPU loss, loss rel. diff, worst gradient rel. diff (tensor), max weight diff after AdamW / lr",
        ctx.adapter_name()
    ));
    for fixture in &SEQ_CLS {
        for regime in [Regime::Full, Regime::Frozen] {
            one_step(ctx, fixture, regime).await;
        }
    }
    // Without a pooler in the base checkpoint the frozen regime trains a fresh one.
    for fixture in &NO_POOLER {
        one_step(ctx, fixture, Regime::Frozen).await;
    }
}

/// Losses of a run on the CPU and on the GPU from the same start, and milliseconds per step.
pub struct Curves {
    pub cpu: Vec<f64>,
    pub gpu: Vec<f64>,
    pub cpu_ms: f64,
    pub gpu_ms: f64,
}

/// `steps` updates on the CPU and on the GPU from the same start.
pub async fn curves(
    ctx: &GpuContext,
    base: &Checkpoint,
    tok: &Tokenizer,
    config: FinetuneConfig,
    steps: usize,
) -> Curves {
    let mut cpu = tuner(base, tok, config.clone());
    let mut gpu = tuner(base, tok, config);
    gpu.attach_gpu(ctx).await.unwrap();
    let start = now_ms();
    let cpu_losses: Vec<f64> = (0..steps).map(|_| cpu.train_step().unwrap().loss).collect();
    let cpu_ms = (now_ms() - start) / steps as f64;
    let start = now_ms();
    let mut gpu_losses = Vec::with_capacity(steps);
    for _ in 0..steps {
        gpu_losses.push(gpu.train_step_gpu(ctx).await.unwrap().loss);
    }
    let gpu_ms = (now_ms() - start) / steps as f64;
    Curves {
        cpu: cpu_losses,
        gpu: gpu_losses,
        cpu_ms,
        gpu_ms,
    }
}

/// Prints the run's row and asserts the GPU's loss within CURVE_TOLERANCE of the CPU's at every
/// step.
pub fn check_curve(what: &str, c: &Curves) {
    let (a, b) = (&c.cpu, &c.gpu);
    let off = |x: f64, y: f64| (x - y).abs() / x.abs().max(1.0);
    let worst = a
        .iter()
        .zip(b)
        .map(|(x, y)| off(*x, *y))
        .fold(0f64, f64::max);
    say(format!(
        "  {what:<28} steps {:>3}  first {:.6}/{:.6}  last {:.6}/{:.6}  worst rel. diff {worst:.2e}  per step: CPU {:.1} ms, GPU {:.1} ms",
        a.len(),
        a[0],
        b[0],
        a[a.len() - 1],
        b[b.len() - 1],
        c.cpu_ms,
        c.gpu_ms
    ));
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        assert!(
            off(*x, *y) <= CURVE_TOLERANCE,
            "{what}: step {} loss {x} on the CPU, {y} on the GPU",
            i + 1
        );
    }
}

/// The 50-step runs: BERT in full, RoBERTa frozen, ALBERT (shared layers) in full. Last because
/// the browser stops before it: a full-model step takes 0.9–1.4 s on SwiftShader (0.2 s on lavapipe).
pub fn curve_runs() -> [(&'static Fixture, Regime); 3] {
    [
        (&SEQ_CLS[0], Regime::Full),
        (&SEQ_CLS[1], Regime::Frozen),
        (&SEQ_CLS[2], Regime::Full),
    ]
}

/// 50 updates (25 epochs of two batches) of each run, following the CPU's loss at every step.
pub async fn fifty_step_runs_follow_the_cpu_loss_curve(
    ctx: &GpuContext,
    runs: &[(&Fixture, Regime)],
) {
    say(format!("loss curves (CPU/GPU) on {}", ctx.adapter_name()));
    let tok = test_tokenizer();
    for (fixture, regime) in runs {
        let c = curves(ctx, &fixture.checkpoint(), &tok, config(*regime, 25), 50).await;
        check_curve(&format!("{} {regime:?}", fixture.name), &c);
    }
}

/// 3 GPU updates, a sync, 2 more, the device lost at the 6th: the run rewinds to the sync and
/// the CPU's 8 updates end where an all-CPU run's do.
pub async fn after_a_lost_device_the_cpu_goes_on_from_the_last_sync(ctx: &GpuContext) {
    let base = SEQ_CLS[0].checkpoint();
    let tok = test_tokenizer();
    let steps = 8;
    let mut cpu = tuner(&base, &tok, config(Regime::Full, 4));
    for _ in 0..steps {
        cpu.train_step().unwrap();
    }
    let mut run = tuner(&base, &tok, config(Regime::Full, 4));
    run.attach_gpu(ctx).await.unwrap();
    // While the GPU holds the weights the CPU refuses to step from its stale copy.
    assert!(matches!(run.train_step(), Err(TrainError::Config(_))));
    for _ in 0..3 {
        run.train_step_gpu(ctx).await.unwrap();
    }
    run.sync_from_gpu(ctx).await.unwrap();
    for _ in 0..2 {
        run.train_step_gpu(ctx).await.unwrap();
    }
    ctx.lose_device();
    let err = run
        .train_step_gpu(ctx)
        .await
        .expect_err("the device is gone");
    assert!(matches!(err, TrainError::Gpu(_)), "{err}");
    assert_eq!(run.step(), 5, "a failed update is not counted");
    assert_eq!(run.detach_gpu(), Some(3), "back to the last sync");
    while run.step() < steps {
        run.train_step().unwrap();
    }
    let apart = weights_apart(cpu.varmap(), run.varmap(), config(Regime::Full, 4).lr_head);
    say(format!(
        "fallback on {} after 3 synced + 2 lost GPU steps, {steps} in all ({err}): weights {apart:.2e} lr from an all-CPU run",
        ctx.adapter_name()
    ));
    assert!(apart <= STEP_TOLERANCE, "{apart:e}");
}

/// With the fixture's own dropout (0.1 everywhere; attention probabilities included) the GPU
/// draws its own masks (a counter-based hash, not the CPU's ChaCha stream), so the curves differ
/// step by step; both must still learn the task (the mean loss of the last 10 of 50 steps below
/// half the first: at 36 steps it is still above on both sides), and the masks must change the
/// first loss.
pub async fn with_dropout_on_the_gpu_trains_like_the_cpu(ctx: &GpuContext) {
    let fixture = &SEQ_CLS[0];
    let with = fixture.with_dropout();
    assert!(with.config.attention_probs_dropout_prob > 0.0);
    let tok = test_tokenizer();
    let on = curves(ctx, &with, &tok, config(Regime::Full, 25), 50).await;
    // Without dropout both sides agree (`one_step`): the CPU's first loss stands for both.
    let plain = tuner(&fixture.checkpoint(), &tok, config(Regime::Full, 1))
        .train_step()
        .unwrap()
        .loss;
    let (cpu, gpu) = (&on.cpu, &on.gpu);
    let tail = |c: &[f64]| c[40..].iter().sum::<f64>() / 10.0;
    say(format!(
        "dropout 0.1 on {}: first loss CPU {:.4} GPU {:.4} (without dropout {:.4}); mean of the last 10: CPU {:.4} GPU {:.4}",
        ctx.adapter_name(),
        cpu[0],
        gpu[0],
        plain,
        tail(cpu),
        tail(gpu)
    ));
    assert!(
        (gpu[0] - plain).abs() > 1e-6,
        "the GPU's dropout dropped nothing"
    );
    assert!(tail(gpu) < 0.5 * gpu[0], "{gpu:?}");
    assert!(tail(cpu) < 0.5 * cpu[0], "{cpu:?}");
}
