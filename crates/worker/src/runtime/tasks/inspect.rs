//! The jobs that look inside a model: tokenizing, filling in blanks, embedding parts, attention
//! maps and masking over epochs. Each answers with the view its widget draws.

use std::rc::Rc;

use bertlab_core::model::{Internals, ModelError};
use bertlab_protocol::masking::MaskingConfig;
use bertlab_protocol::messages::Outcome;
use bertlab_protocol::views::ContextSide;

use crate::lab_model::LabModel;
use crate::runtime::accelerator::{self, GpuWeights};
use crate::runtime::assets::shipped_tokenizer;
use crate::runtime::jobs::{JobContext, Stop};
use crate::views::attention::AttentionQuery;
use crate::views::lens::{logit_lens_view, surprisal_view};
use crate::views::tokens::{token_view, COMPARED_TOKENIZERS};

/// The tokenizer lab: `text` (and `pair`) as `model` reads it, cut to `max_len` tokens.
pub(super) fn tokenize(
    model: &LabModel,
    text: &str,
    pair: Option<&str>,
    max_len: Option<usize>,
    trace: Option<&str>,
) -> Result<Outcome, Stop> {
    let limit = model.config.max_input_len();
    let max_len = max_len.map_or(limit, |m| m.clamp(2, limit));
    let view = token_view(
        &model.tokenizer,
        text,
        pair,
        max_len,
        model.config.position_offset(),
        trace,
    )?;
    Ok(Outcome::Tokenized(view))
}

/// `text` through the default model's WordPiece and the lab's BPE and Unigram tokenizers.
pub(super) async fn compare_tokenizers(
    ctx: &JobContext,
    model: &LabModel,
    text: &str,
) -> Result<Outcome, Stop> {
    let max_len = model.config.max_input_len();
    let mut views = vec![token_view(
        &model.tokenizer,
        text,
        None,
        max_len,
        model.config.position_offset(),
        None,
    )?];
    for (i, path) in COMPARED_TOKENIZERS.into_iter().enumerate() {
        ctx.progress(i as u64 + 1, 3, format!("tokenizing with {path}"));
        let tokenizer = shipped_tokenizer(path).await?;
        // Not a model's tokenizer: positions simply count from 0.
        views.push(token_view(&tokenizer, text, None, max_len, 0, None)?);
        ctx.yield_or_stop().await?;
    }
    Ok(Outcome::TokenizersCompared(views))
}

/// The `top_k` guesses at every `[MASK]` of `text`, on the GPU when it is the active backend.
pub(super) async fn fill_mask(
    ctx: &JobContext,
    model: Rc<LabModel>,
    text: &str,
    top_k: usize,
    side: ContextSide,
) -> Result<Outcome, Stop> {
    ctx.progress(0, 0, format!("{} is filling in the blanks", model.name));
    ctx.yield_or_stop().await?;
    let (mlm, query) = model.fill_mask_query(text, top_k, side)?;
    if let Some(gpu) = accelerator::for_model(&model).await {
        if let GpuWeights::MaskedLm(m) = gpu.weights.as_ref() {
            let rows = query.mask_rows().to_vec();
            match m
                .forward(&gpu.ctx, query.input(), &Internals::none(), &rows)
                .await
            {
                Ok(out) => {
                    let logits = out
                        .logits
                        .ok_or_else(|| Stop::Failed("the GPU returned no logits".into()))?;
                    return Ok(Outcome::FilledMask(query.rank(&model.tokenizer, &logits)?));
                }
                // Tell the page, then answer this query on the CPU.
                Err(e) => accelerator::failed(e),
            }
        }
    }
    // Typing sends a query per keystroke: yield between layers so a newer one can stop this one
    // instead of waiting for its whole forward pass.
    let failed = |e: ModelError| Stop::Failed(e.to_string());
    let mut pass = mlm
        .encoder
        .start(query.input(), &Internals::none())
        .map_err(failed)?;
    while pass.step().map_err(failed)? {
        ctx.yield_or_stop().await?;
    }
    let output = pass.finish().map_err(failed)?;
    Ok(Outcome::FilledMask(query.answer(
        mlm,
        &model.tokenizer,
        &output.last_hidden_state,
    )?))
}

/// The logit lens at the first `[MASK]` of `text` (on the CPU: it reads every layer's state).
pub(super) async fn logit_lens(
    ctx: &JobContext,
    model: &LabModel,
    text: &str,
    top_k: usize,
) -> Result<Outcome, Stop> {
    ctx.progress(0, 0, format!("reading every layer of {}", model.name));
    ctx.yield_or_stop().await?;
    let view = logit_lens_view(
        model.masked_lm()?,
        &model.tokenizer,
        text,
        top_k.clamp(1, 20),
    )?;
    Ok(Outcome::LogitLens(view))
}

/// Pseudo-perplexity of `text`: one batch with each token masked in turn.
pub(super) async fn surprisal(
    ctx: &JobContext,
    model: &LabModel,
    text: &str,
) -> Result<Outcome, Stop> {
    ctx.progress(
        0,
        0,
        format!("masking each word in turn with {}", model.name),
    );
    ctx.yield_or_stop().await?;
    Ok(Outcome::Surprisal(surprisal_view(
        model.masked_lm()?,
        &model.tokenizer,
        text,
    )?))
}

/// The embedding parts of `text` (and `pair`), optionally with the student's segment ids.
pub(super) async fn embeddings(
    ctx: &JobContext,
    model: &LabModel,
    text: &str,
    pair: Option<&str>,
    segments: Option<&[u32]>,
) -> Result<Outcome, Stop> {
    ctx.progress(0, 0, format!("embedding with {}", model.name));
    ctx.yield_or_stop().await?;
    Ok(Outcome::Embedded(model.embeddings(text, pair, segments)?))
}

/// Every layer's and head's attention for `text` (and `pair`), on the GPU when it is active.
pub(super) async fn attention(
    ctx: &JobContext,
    model: Rc<LabModel>,
    text: &str,
    pair: Option<&str>,
) -> Result<Outcome, Stop> {
    ctx.progress(0, 0, format!("running {}", model.name));
    ctx.yield_or_stop().await?;
    if let Some(gpu) = accelerator::for_model(&model).await {
        let query = AttentionQuery::new(&model.config, &model.tokenizer, text, pair)?;
        match gpu
            .weights
            .encoder()
            .forward(&gpu.ctx, query.input(), &AttentionQuery::WANT)
            .await
        {
            Ok(out) => return Ok(Outcome::Attended(query.answer(out.attentions)?)),
            Err(e) => accelerator::failed(e),
        }
    }
    Ok(Outcome::Attended(model.attention(text, pair)?))
}

/// The masking lab's grid: `text` masked with `config` over `epochs` epochs.
pub(super) fn mask_epochs(
    model: &LabModel,
    text: &str,
    config: MaskingConfig,
    epochs: usize,
) -> Result<Outcome, Stop> {
    Ok(Outcome::MaskedEpochs(
        model.mask_epochs(text, config, epochs)?,
    ))
}
