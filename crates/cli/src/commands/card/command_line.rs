//! The card's commands as shell lines: recorded command lines quoted for a POSIX shell, and an
//! equivalent command for runs that predate recorded command lines.

use std::path::Path;

use bertlab_core::masking::Strategy;
use bertlab_core::train::{PairTask, TrainConfig};

use crate::commands::pretrain::RunInfo;

/// An argument as a POSIX shell word.
pub fn shell_word(arg: &str) -> String {
    let plain = !arg.is_empty()
        && arg
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-./:=,+@%".contains(c));
    if plain {
        arg.to_string()
    } else {
        format!("'{}'", arg.replace('\'', r"'\''"))
    }
}

pub fn command_line(args: &[String]) -> String {
    std::iter::once("bertlab".to_string())
        .chain(args.iter().map(|a| shell_word(a)))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A run predating recorded command lines: its recorded settings as an equivalent command.
pub fn reconstructed_command(info: &RunInfo, c: &TrainConfig, run: &Path) -> Vec<String> {
    let mut a = ArgList(vec!["pretrain".into()]);
    a.opt("--train", info.train.display());
    if let Some(v) = &info.valid {
        a.opt("--valid", v.display());
    }
    a.opt("--out", run.display());
    match info.started_from.strip_prefix("scratch:") {
        Some(config) => {
            a.flag("--scratch");
            a.opt("--config", config);
            a.opt("--tokenizer", run.join("tokenizer.json").display());
        }
        None => a.opt("--from", &info.started_from),
    }
    a.opt("--steps", c.steps);
    a.opt("--batch-size", c.batch_size);
    a.opt("--grad-accum", c.grad_accum);
    a.opt("--seq-len", info.seq_len);
    a.opt("--lr", c.lr_encoder);
    a.opt("--head-lr", c.lr_head);
    a.opt("--warmup", c.warmup_steps);
    a.opt("--weight-decay", c.adam.weight_decay);
    a.opt("--max-grad-norm", c.max_grad_norm);
    a.opt("--seed", c.seed);
    a.opt("--pair", pair_name(c.pair_task));
    match c.masking.strategy {
        Strategy::Static { duplicates } => {
            a.opt("--masking", "static");
            a.opt("--duplicates", duplicates);
        }
        Strategy::Dynamic => a.opt("--masking", "dynamic"),
    }
    a.opt("--mask-rate", c.masking.selection_rate);
    a.opt("--eval-every", c.eval_every);
    a.opt("--eval-batches", c.eval_batches);
    if c.masking.whole_word {
        a.flag("--whole-word");
    }
    if !c.dropout {
        a.flag("--no-dropout");
    }
    a.0
}

/// Command-line arguments, appended flag by flag.
struct ArgList(Vec<String>);

impl ArgList {
    fn opt(&mut self, flag: &str, value: impl std::fmt::Display) {
        self.0.push(flag.into());
        self.0.push(value.to_string());
    }

    fn flag(&mut self, flag: &str) {
        self.0.push(flag.into());
    }
}

pub fn pair_name(task: PairTask) -> &'static str {
    match task {
        PairTask::None => "none",
        PairTask::Nsp => "nsp",
        PairTask::Sop => "sop",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_words_quote_only_what_needs_it() {
        assert_eq!(shell_word("--lr"), "--lr");
        assert_eq!(shell_word("runs/a-b_1.0"), "runs/a-b_1.0");
        assert_eq!(shell_word("two words"), "'two words'");
        assert_eq!(shell_word("it's"), r"'it'\''s'");
        assert_eq!(shell_word(""), "''");
    }
}
