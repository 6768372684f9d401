//! The masked-LM head for pretraining on the GPU: the last states of the masked positions are
//! gathered, go through the transform (dense → activation → LayerNorm) and the decoder, whose
//! weight is the word-embedding table when tied, and are scored against the original tokens. Only
//! the masked rows run (as `train::pretrain` scores them on the CPU); a batch's rows are padded to
//! the buffers' capacity with unlabelled rows, which add nothing to the loss or the gradients.
//!
//! Backward: the decoder's weight gradient adds into the word table's, which the embedding
//! backward then adds to as well, so a tied table gets both uses; the gathered rows' gradient is
//! scattered back into the last state's gradient, beside the sentence-pair head's.

use std::collections::HashMap;

use candle_core::TensorId;

use super::super::backward as bw;
use super::super::context::{GpuContext, GpuError};
use super::super::dispatches::{gather, layer_norm};
use super::super::kernels::At;
use super::buffers::{report, Dims, EncoderBuffers};
use super::forward::Recorder;
use super::kernels as k;
use super::params::{EncoderParams, Lin, Norm, Store, Trained};
use crate::model::config::Activation;
use crate::model::heads::MlmHead;

/// The MLM head's weights: the decoder's weight is the encoder's word table when tied.
pub(super) struct MlmParams {
    pub dense: Lin,
    pub activation: Activation,
    pub norm: Norm,
    pub decoder: Lin,
}

impl MlmParams {
    pub fn upload(
        ctx: &GpuContext,
        store: &mut Store,
        head: &MlmHead,
        encoder: &EncoderParams,
        word_table: TensorId,
        trained: &HashMap<TensorId, Trained>,
    ) -> Result<MlmParams, GpuError> {
        let dense = Lin::upload(ctx, store, "mlm dense", &[&head.dense], trained)?;
        let norm = Norm::upload(ctx, store, "mlm norm", &head.norm, trained)?;
        let weight = head.decoder.weight();
        let decoder = if weight.id() == word_table {
            let (vocab, dim) = weight.dims2()?;
            let bias = match head.decoder.bias() {
                Some(b) => b.clone(),
                None => {
                    candle_core::Tensor::zeros(vocab, candle_core::DType::F32, weight.device())?
                }
            };
            Lin {
                w: encoder.word,
                b: store.add(ctx, "mlm bias", &[&bias], trained)?,
                in_dim: dim,
                out_dim: vocab,
            }
        } else {
            Lin::upload(ctx, store, "mlm decoder", &[&head.decoder], trained)?
        };
        Ok(MlmParams {
            dense,
            activation: head.activation,
            norm,
            decoder,
        })
    }
}

/// The head's buffers for `rows` masked positions at most (the capacity grows with the batches).
pub(super) struct MlmBuffers {
    pub rows: usize,
    /// The flat positions (row · seq + column) of the masked tokens, padded with 0.
    pub positions: wgpu::Buffer,
    /// `bw::embedding_index` of the positions: scatters the rows' gradient back.
    pub index: wgpu::Buffer,
    /// The original tokens, −100 on padding rows.
    pub labels: wgpu::Buffer,
    pub picked: wgpu::Buffer,
    pub pre: wgpu::Buffer,
    pub act: wgpu::Buffer,
    pub normed: wgpu::Buffer,
    pub logits: wgpu::Buffer,
    pub dlogits: wgpu::Buffer,
    pub row_loss: wgpu::Buffer,
    pub dnormed: wgpu::Buffer,
    pub dact: wgpu::Buffer,
    pub dpicked: wgpu::Buffer,
    pub stats: wgpu::Buffer,
}

impl MlmBuffers {
    pub fn new(
        ctx: &GpuContext,
        d: &Dims,
        p: &MlmParams,
        rows: usize,
    ) -> Result<MlmBuffers, GpuError> {
        let (h, e, vocab) = (d.hidden, p.decoder.in_dim, p.decoder.out_dim);
        let limit = ctx.device.limits().max_storage_buffer_binding_size as usize / 4;
        if rows * vocab > limit {
            return Err(GpuError::Unsupported(format!(
                "{rows} masked tokens × {vocab} words of logits need {} MB; the device binds {} MB",
                (rows * vocab * 4) >> 20,
                (limit * 4) >> 20
            )));
        }
        let z = |label: &str, floats: usize| bw::zeros(ctx, label, floats);
        Ok(MlmBuffers {
            rows,
            positions: z("masked positions", rows),
            index: z("masked index", 3 * rows + 2),
            labels: z("masked tokens", rows),
            picked: z("masked states", rows * h),
            pre: z("mlm dense", rows * e),
            act: z("mlm activation", rows * e),
            normed: z("mlm normed", rows * e),
            logits: z("mlm logits", rows * vocab),
            dlogits: z("mlm logit gradient", rows * vocab),
            row_loss: z("mlm row losses", rows),
            dnormed: z("mlm gradient", rows * e),
            dact: z("mlm gradient", rows * e),
            dpicked: z("masked states gradient", rows * h),
            stats: z("mlm norm statistics", 2 * rows),
        })
    }
}

impl Recorder<'_> {
    /// The head on the masked rows of the last state, the loss into the report's MLM slot and
    /// the count of right guesses beside it.
    pub fn mlm(
        &mut self,
        p: &MlmParams,
        m: &MlmBuffers,
        b: &EncoderBuffers,
    ) -> Result<(), GpuError> {
        let (ctx, store) = (self.ctx, self.store);
        let (rows, h, e, vocab) = (m.rows, self.dims.hidden, p.norm.dim, p.decoder.out_dim);
        let last = At(&b.states[self.dims.applications], 0);
        self.push(gather(ctx, &m.positions, (rows, h), last, &m.picked));
        self.linear(&p.dense, rows, (At(&m.picked, 0), At(&m.pre, 0)));
        self.activate(p.activation, rows * e, (At(&m.pre, 0), At(&m.act, 0)))?;
        self.push(layer_norm(
            ctx,
            p.norm.buffers(store),
            (e, p.norm.eps),
            rows,
            At(&m.act, 0),
            None,
            At(&m.normed, 0),
        ));
        self.linear(&p.decoder, rows, (At(&m.normed, 0), At(&m.logits, 0)));
        self.cross_entropy(&bw::CrossEntropy {
            rows,
            classes: vocab,
            logits: At(&m.logits, 0),
            labels: &m.labels,
            grad: At(&m.dlogits, 0),
            row_loss: &m.row_loss,
            loss: At(&self.head.report, report::MLM_LOSS),
        })?;
        let hits = k::hits(
            ctx,
            self.k,
            (rows, vocab),
            At(&m.logits, 0),
            &m.labels,
            At(&self.head.report, report::MLM_HITS),
        );
        self.launch(hits)
    }

    /// The head's backward, its rows' gradient added into the last state's (`d1`).
    pub fn mlm_backward(
        &mut self,
        p: &MlmParams,
        m: &MlmBuffers,
        b: &EncoderBuffers,
    ) -> Result<(), GpuError> {
        let (rows, h, e) = (m.rows, self.dims.hidden, p.norm.dim);
        let at = |buf| At(buf, 0);
        self.linear_params(&p.decoder, rows, at(&m.dlogits), at(&m.normed))?;
        self.linear_input(&p.decoder, rows, (at(&m.dlogits), at(&m.dnormed)), false)?;
        self.norm(
            &p.norm,
            rows,
            (at(&m.act), None),
            (at(&m.dnormed), at(&m.dact)),
            &m.stats,
        )?;
        let grad = bw::activation_grad(
            self.ctx,
            &self.k.backward,
            Some(p.activation),
            rows * e,
            at(&m.pre),
            at(&m.dact),
        );
        self.launch(grad)?;
        self.linear_params(&p.dense, rows, at(&m.dact), at(&m.picked))?;
        self.linear_input(&p.dense, rows, (at(&m.dact), at(&m.dpicked)), false)?;
        let scatter = bw::embedding_grad(
            self.ctx,
            &self.k.backward,
            (rows, h, self.tokens()),
            &m.index,
            at(&m.dpicked),
            at(&b.d1),
        );
        self.launch(scatter)
    }
}
