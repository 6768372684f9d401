//! The options every head-training command shares (`finetune-tagger`, `finetune-qa`): the regime,
//! how much data and how long, and the learning rates over the regime's defaults.

use bertlab_core::train::finetune::FinetuneConfig;
use bertlab_protocol::training::{Approach, Regime};

#[derive(clap::Args)]
pub struct HeadRunArgs {
    /// frozen, full or scratch.
    #[arg(long, default_value = "full", value_parser = parse_regime)]
    pub approach: Regime,
    /// Train on the first N training examples only.
    #[arg(long)]
    pub train_limit: Option<usize>,
    #[arg(long, default_value_t = 3)]
    pub epochs: usize,
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Peak learning rate of the encoder's weights (default: the regime's).
    #[arg(long)]
    pub lr_encoder: Option<f64>,
    /// Peak learning rate of the new head (default: the regime's).
    #[arg(long)]
    pub lr_head: Option<f64>,
}

impl HeadRunArgs {
    /// `defaults` (the regime's) with these options over them.
    pub fn config(&self, defaults: FinetuneConfig) -> FinetuneConfig {
        FinetuneConfig {
            epochs: self.epochs,
            seed: self.seed,
            lr_encoder: self.lr_encoder.unwrap_or(defaults.lr_encoder),
            lr_head: self.lr_head.unwrap_or(defaults.lr_head),
            ..defaults
        }
    }
}

fn parse_regime(slug: &str) -> Result<Regime, String> {
    Approach::from_slug(slug)
        .and_then(Approach::regime)
        .ok_or_else(|| "one of frozen, full, scratch".to_string())
}
