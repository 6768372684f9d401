//! The encoder and MLM head on the GPU. The structs mirror `crate::model`'s (embeddings, layers with
//! attention and feed-forward, pooler, MLM head) and are uploaded from a loaded CPU model, so every
//! family and checkpoint the CPU path loads runs here too.
//!
//! - `weights`: the uploaded modules and the kernel launches that read them;
//! - `plan`: per input shape, the buffers and the forward's dispatches, recorded once;
//! - `run`: one forward — input upload, one submission, readback into the CPU path's outputs.

mod plan;
mod run;
mod weights;

use candle_core::Tensor;
use futures_util::lock::Mutex;

use super::context::{GpuContext, GpuError};
use crate::model::{Encoder, EncoderConfig, EncoderInput, EncoderOutput, Internals, MaskedLm};
use plan::Plan;
use weights::{GpuEmbeddings, GpuLayer, GpuLinear};

pub use weights::GpuMlmHead;

/// What a GPU forward returns: the encoder's output, as the CPU path shapes it, and the MLM logits
/// `[rows, vocab]` at the rows asked for.
#[derive(Debug, Clone)]
pub struct GpuOutput {
    pub encoder: EncoderOutput,
    pub logits: Option<Tensor>,
}

pub struct GpuEncoder {
    config: EncoderConfig,
    embeddings: GpuEmbeddings,
    /// ALBERT's embedding → hidden projection.
    projection: Option<GpuLinear>,
    groups: Vec<Vec<GpuLayer>>,
    pooler: Option<GpuLinear>,
    /// Buffers and recorded dispatches for the last input shape. Held across the readback, so
    /// overlapping requests (the worker runs jobs concurrently) take turns.
    plan: Mutex<Option<Plan>>,
}

impl GpuEncoder {
    /// Uploads the weights; a failure (a table over the device's binding limit, out of memory)
    /// comes back here rather than at the first forward.
    pub async fn upload(ctx: &GpuContext, encoder: &Encoder) -> Result<GpuEncoder, GpuError> {
        ctx.checked(|| Self::upload_now(ctx, encoder)).await?
    }

    fn upload_now(ctx: &GpuContext, encoder: &Encoder) -> Result<GpuEncoder, GpuError> {
        let embeddings = GpuEmbeddings::upload(ctx, &encoder.embeddings)?;
        let projection = match &encoder.projection {
            Some(p) => Some(GpuLinear::upload(ctx, "projection", &[p])?),
            None => None,
        };
        let groups = encoder
            .groups
            .iter()
            .map(|group| group.iter().map(|l| GpuLayer::upload(ctx, l)).collect())
            .collect::<Result<Vec<Vec<_>>, _>>()?;
        let pooler = match &encoder.pooler {
            Some(p) => Some(GpuLinear::upload(ctx, "pooler", &[p])?),
            None => None,
        };
        Ok(GpuEncoder {
            config: encoder.config().clone(),
            embeddings,
            projection,
            groups,
            pooler,
            plan: Mutex::new(None),
        })
    }

    pub fn config(&self) -> &EncoderConfig {
        &self.config
    }

    /// The encoder forward on the GPU, with the same checks, defaults and outputs as
    /// [`Encoder::forward`] in eval mode.
    pub async fn forward(
        &self,
        ctx: &GpuContext,
        input: &EncoderInput,
        want: &Internals,
    ) -> Result<EncoderOutput, GpuError> {
        Ok(self.run(ctx, input, want, None).await?.encoder)
    }

    fn layer_applications(&self) -> usize {
        self.config.num_hidden_layers * self.groups[0].len()
    }
}

/// A masked-LM on the GPU: the encoder and its MLM head.
pub struct GpuMaskedLm {
    pub encoder: GpuEncoder,
    pub head: GpuMlmHead,
}

impl GpuMaskedLm {
    pub async fn upload(ctx: &GpuContext, model: &MaskedLm) -> Result<GpuMaskedLm, GpuError> {
        let encoder = GpuEncoder::upload(ctx, &model.encoder).await?;
        let head = ctx
            .checked(|| GpuMlmHead::upload(ctx, &model.head))
            .await??;
        Ok(GpuMaskedLm { encoder, head })
    }

    /// The forward with the MLM logits at `rows` (flat token indices, `b * seq + i`), `[rows,
    /// vocab]`: the vocabulary projection costs as much as the encoder, so it runs only where a
    /// view reads it.
    pub async fn forward(
        &self,
        ctx: &GpuContext,
        input: &EncoderInput,
        want: &Internals,
        rows: &[usize],
    ) -> Result<GpuOutput, GpuError> {
        self.encoder
            .run(ctx, input, want, Some((&self.head, rows)))
            .await
    }
}
