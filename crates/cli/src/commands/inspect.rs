//! `bertlab inspect`: configuration and parameter counts per component.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result};
use bertlab_core::model::{component_of, Checkpoint, Encoder, Family, MaskedLm};
use candle_core::Device;

use super::model_dir;
use super::model_source::ModelSource;

#[derive(clap::Args)]
pub struct Args {
    /// A model folder with config.json and model.safetensors (tokenizer.json optional), or its http(s) URL (downloaded once into the cache); default: the lab's default model.
    #[arg(long, value_name = "DIR|URL")]
    model: Option<ModelSource>,
}

/// Orders components as they sit in the network: embeddings, layers by number, pooler, heads.
fn order(component: &str) -> (usize, usize) {
    let number = |p: &str| component.strip_prefix(p).and_then(|n| n.parse().ok());
    if let Some(i) = number("layer ").or_else(|| number("shared layer group ")) {
        return (2, i);
    }
    let rank = match component {
        "embeddings" => 0,
        "embedding projection" => 1,
        "pooler" => 3,
        "MLM head" => 4,
        "NSP head" => 5,
        "SOP head" => 6,
        "classifier head" => 7,
        "QA head" => 8,
        _ => 9,
    };
    (rank, 0)
}

pub fn run(args: Args) -> Result<()> {
    let folder = model_dir::or_default(args.model)?;
    let ckpt = model_dir::checkpoint(&folder)?;
    print_config(&folder, &ckpt);
    let counts = parameters_by_component(&ckpt);
    // Loading proves the file is complete and consistent, not just listable.
    let has_mlm = counts.contains_key("MLM head");
    let unused = if has_mlm {
        ckpt.load::<MaskedLm>(&Device::Cpu).map(|l| l.unused)
    } else {
        ckpt.load::<Encoder>(&Device::Cpu).map(|l| l.unused)
    }
    .context("loading the checkpoint")?;
    print_parameters(counts);
    if ckpt.config.tie_word_embeddings && has_mlm {
        println!("(the MLM decoder reuses the word embeddings; counted once)");
    }
    if !unused.is_empty() {
        println!(
            "not used by fill-mask: {} tensor(s) of other heads",
            unused.len()
        );
    }
    Ok(())
}

/// The configuration, one `name  value` line each, and the tokenizer if the folder has one.
fn print_config(folder: &Path, ckpt: &Checkpoint) {
    let cfg = &ckpt.config;
    println!("model           {}", folder.display());
    println!(
        "family          {} ({})",
        cfg.family,
        cfg.family.model_type()
    );
    if !cfg.architectures.is_empty() {
        println!("architectures   {}", cfg.architectures.join(", "));
    }
    println!("weights         {}", ckpt.source_dtypes().join(", "));
    println!("vocab_size      {}", cfg.vocab_size);
    println!("hidden_size     {}", cfg.hidden_size);
    if cfg.embedding_size != cfg.hidden_size {
        println!("embedding_size  {}", cfg.embedding_size);
    }
    println!("layers          {}", cfg.num_hidden_layers);
    if cfg.family == Family::Albert {
        println!(
            "layer groups    {} shared, {} layer(s) each",
            cfg.num_hidden_groups, cfg.inner_group_num
        );
    }
    println!(
        "heads           {} x {} dims",
        cfg.num_attention_heads,
        cfg.head_dim()
    );
    println!("intermediate    {}", cfg.intermediate_size);
    println!("activation      {}", cfg.hidden_act.name());
    println!(
        "positions       {} (longest input {})",
        cfg.max_position_embeddings,
        cfg.max_input_len()
    );
    println!("segment types   {}", cfg.type_vocab_size);
    println!("layer_norm_eps  {:e}", cfg.layer_norm_eps);
    println!(
        "dropout         hidden {}, attention {}",
        cfg.hidden_dropout_prob, cfg.attention_probs_dropout_prob
    );
    if let Ok(tok) = model_dir::tokenizer(folder) {
        println!(
            "tokenizer       {:?}, vocabulary {}",
            tok.kind(),
            tok.vocab_size()
        );
    }
}

/// Stored parameters per component; aliases of tied weights are skipped so each counts once.
fn parameters_by_component(ckpt: &Checkpoint) -> BTreeMap<String, usize> {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for name in ckpt.tensor_names() {
        if ckpt.is_alias(&name) {
            continue;
        }
        if let Some(t) = ckpt.tensor(&name) {
            *counts
                .entry(component_of(ckpt.config.family, &name))
                .or_default() += t.elem_count();
        }
    }
    counts
}

/// The parameter table, components in network order, with each one's share and the total.
fn print_parameters(counts: BTreeMap<String, usize>) {
    let mut rows: Vec<(String, usize)> = counts.into_iter().collect();
    rows.sort_by_key(|(c, _)| order(c));
    let total: usize = rows.iter().map(|(_, n)| n).sum();
    println!("\n{:<24} {:>12} {:>7}", "component", "parameters", "share");
    for (component, n) in &rows {
        println!(
            "{:<24} {:>12} {:>6.1}%",
            component,
            n,
            100.0 * *n as f64 / total.max(1) as f64
        );
    }
    println!("{:<24} {:>12}", "total", total);
}
