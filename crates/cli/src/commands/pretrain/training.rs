//! A session's training: the loop with its progress line and periodic checkpoints, then the final
//! validation and checkpoint.

use std::path::Path;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use bertlab_core::train::checkpoint::dir;
use bertlab_core::train::{EvalMetrics, MetricsLog, StepMetrics, TrainError, TrainEvent, Trainer};
use candle_nn::VarMap;

use super::{fmt_duration, Args};

/// What a checkpoint writes into the run directory besides run.json.
pub struct RunDir<'a> {
    pub out: &'a Path,
    pub varmap: &'a VarMap,
    pub tokenizer_json: &'a [u8],
}

impl RunDir<'_> {
    /// The trainer's checkpoint and the metrics so far.
    fn save(&self, trainer: &Trainer, log: &MetricsLog, f16: bool) -> Result<()> {
        dir::save(self.out, trainer, self.varmap, self.tokenizer_json, f16)?;
        self.save_metrics(log)
    }

    fn save_metrics(&self, log: &MetricsLog) -> Result<()> {
        for (name, text) in [
            ("metrics.csv", log.to_csv()),
            ("metrics.json", log.to_json()),
        ] {
            let path = self.out.join(name);
            std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
        }
        Ok(())
    }
}

/// Trains up to the configured number of updates, or until the --max-minutes budget (counted from
/// `start`) runs out, checkpointing every --save-every updates; returns whether the budget stopped
/// it. A non-finite loss fails the session but keeps the metrics and the last good checkpoint.
pub fn train(
    trainer: &mut Trainer,
    log: &mut MetricsLog,
    run_dir: &RunDir,
    args: &Args,
    start: Instant,
) -> Result<bool> {
    let total = trainer.config().steps;
    let budget = args.max_minutes.map(|m| m * 60.0);
    let mut stopped_by_budget = false;
    let mut progress = Progress {
        total,
        first_step: trainer.step(),
        log_every: args.log_every.max(1),
        start,
        wall0: log.last_wall_s(),
        session_tokens: 0.0,
    };
    let mut last_saved = trainer.step();
    while trainer.step() < total && !stopped_by_budget {
        let until = total.min(trainer.step() + args.save_every.max(1));
        let mut should_stop = || {
            let over = budget.is_some_and(|b| start.elapsed().as_secs_f64() >= b);
            stopped_by_budget |= over;
            over
        };
        let mut on_event = |ev: TrainEvent| progress.record(ev, log);
        match trainer.run(until, &mut should_stop, &mut on_event) {
            Ok(_) => {}
            Err(err @ TrainError::NonFinite { .. }) => {
                run_dir.save_metrics(log)?;
                bail!(
                    "{err}\nthe last good checkpoint (step {last_saved}) is kept in {}",
                    run_dir.out.display()
                );
            }
            Err(err) => return Err(err.into()),
        }
        if trainer.step() < total && !stopped_by_budget {
            run_dir.save(trainer, log, false)?;
            last_saved = trainer.step();
        }
    }
    Ok(stopped_by_budget)
}

/// After the loop: the budget note, a final validation (unless the last update just ran one) and
/// the final checkpoint, in F16 with --save-f16.
pub fn finish(
    trainer: &mut Trainer,
    log: &mut MetricsLog,
    run_dir: &RunDir,
    args: &Args,
    stopped_by_budget: bool,
) -> Result<()> {
    if stopped_by_budget {
        eprintln!(
            "stopped after the {:.1}-minute budget at step {}",
            args.max_minutes.unwrap_or(0.0),
            trainer.step()
        );
    }
    if log.rows.last().is_some_and(|r| r.valid.is_none()) {
        if let Some(e) = trainer.validate()? {
            eprintln!("{}", validation_line(&e));
            log.push_validation(e);
        }
    }
    // What the run learnt about its own text beyond the masks it was shown: where static and
    // dynamic masking part ways on text read many times.
    let new_masks = trainer.evaluate_new_masks()?;
    eprintln!(
        "training text under new masks: MLM accuracy {:.3}, loss {:.4}",
        new_masks.accuracy, new_masks.loss
    );
    log.push_new_masks(new_masks);
    run_dir.save(trainer, log, args.save_f16)
}

/// The session's progress line and its metrics log, fed by the trainer's events.
struct Progress {
    total: usize,
    first_step: usize,
    log_every: usize,
    start: Instant,
    /// Wall time of the run's earlier sessions, so the log's clock runs on across resumes.
    wall0: f64,
    session_tokens: f64,
}

impl Progress {
    fn record(&mut self, ev: TrainEvent, log: &mut MetricsLog) {
        match ev {
            TrainEvent::Step(m) => {
                let elapsed = self.start.elapsed().as_secs_f64();
                self.session_tokens += m.tokens as f64;
                if m.step % self.log_every == 0
                    || m.step == self.total
                    || m.step == self.first_step + 1
                {
                    self.print_step(&m, elapsed);
                }
                log.push_step(m, self.wall0 + elapsed);
            }
            TrainEvent::Validation(e) => {
                eprintln!("  {}", validation_line(&e));
                log.push_validation(e);
            }
        }
    }

    fn print_step(&self, m: &StepMetrics, elapsed: f64) {
        let done = m.step - self.first_step;
        let rate = self.session_tokens / elapsed.max(1e-9);
        let eta = elapsed / done as f64 * (self.total - m.step) as f64;
        let pair = m
            .pair_accuracy
            .map_or(String::new(), |a| format!(" pair-acc {a:.3}"));
        eprintln!(
            "step {}/{} loss {:.4} mlm-acc {:.3}{pair} ppl {:.1} lr {:.2e} |g| {:.2} | {:.0} tok/s | {} elapsed, ETA {}",
            m.step, self.total, m.loss, m.mlm_accuracy, m.perplexity, m.lr, m.grad_norm, rate,
            fmt_duration(elapsed), fmt_duration(eta)
        );
    }
}

fn validation_line(e: &EvalMetrics) -> String {
    format!(
        "validation at step {}: loss {:.4} acc {:.3} ppl {:.2}",
        e.step, e.loss, e.accuracy, e.perplexity
    )
}
