//! Random tiny models of every family with the tokenizers the lab ships, for the views' tests.

use bertlab_core::model::{EncoderConfig, Family, Loaded, MaskedLm};
use bertlab_core::text::tokenizer::Tokenizer;
use candle_core::Device;

/// `path` (relative to the repository root) as cargo's test working directory (the crate) sees it.
pub(crate) fn repo_file(path: &str) -> String {
    format!("{}/../../{path}", env!("CARGO_MANIFEST_DIR"))
}

fn tokenizer(path: &str) -> Tokenizer {
    Tokenizer::from_file(repo_file(path)).expect("committed tokenizer")
}

/// A random tiny model of `family` sized to `tok`'s vocabulary, with `tok`.
pub(super) fn model(family: Family, tok: &str) -> (MaskedLm, Tokenizer) {
    let tok = tokenizer(tok);
    let config = EncoderConfig {
        vocab_size: tok.vocab_size(),
        ..EncoderConfig::tiny(family)
    };
    let model = Loaded::<MaskedLm>::random(&config, 7, &Device::Cpu)
        .expect("random model")
        .model;
    (model, tok)
}

pub(super) const WORDPIECE: &str = "models/all-minilm-l6-v2/tokenizer.json";
pub(super) const BPE: &str = "assets/tokenizers/bpe/tokenizer.json";
pub(super) const UNIGRAM: &str = "assets/tokenizers/unigram/tokenizer.json";

pub(super) fn bert() -> (MaskedLm, Tokenizer) {
    model(Family::Bert, WORDPIECE)
}

pub(super) fn all_families() -> Vec<(Family, MaskedLm, Tokenizer)> {
    [
        (Family::Bert, WORDPIECE),
        (Family::Roberta, BPE),
        (Family::Albert, UNIGRAM),
        (Family::DistilBert, WORDPIECE),
    ]
    .into_iter()
    .map(|(f, t)| {
        let (m, tok) = model(f, t);
        (f, m, tok)
    })
    .collect()
}
