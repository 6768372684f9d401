//! The training forward, recorded once per sequence length: the inference kernels where they fit
//! (embedding gather, fused QKV, attention, LayerNorm, linear layers), with what the backward
//! needs kept per layer application, the activations apart from their matmuls (their inputs are
//! kept), dropout from the step's seed, then the head and the loss.

use super::super::backward::{self as bw, Launch, MatmulShape, Operand};
use super::super::context::{GpuContext, GpuError};
use super::super::dispatches::{gather, layer_norm};
use super::super::kernels::{At, Dispatch, Kernel};
use super::buffers::{report, Dims, EncoderBuffers, HeadBuffers};
use super::kernels::{self as k, Op, Site, TrainKernels};
use super::params::{EncoderParams, HeadParams, LayerParams, Lin, Store};
use crate::model::config::Activation;

/// Dropout probabilities, where each family puts them (`model::layer::LayerNames`).
#[derive(Debug, Clone, Copy)]
pub(super) struct Dropouts {
    pub hidden: f32,
    pub attention: f32,
    /// On the attention output projection (not DistilBERT).
    pub attention_out: bool,
    /// On the feed-forward output (not ALBERT).
    pub ffn_out: bool,
}

/// Each dropout site's stream: forward and backward draw the same mask from it.
pub(super) mod streams {
    pub const EMBEDDINGS: u32 = 0;
    pub const HEAD_BEFORE: u32 = 0x7fff_fffe;
    pub const HEAD_AFTER: u32 = 0x7fff_ffff;

    pub fn probs(application: usize) -> u32 {
        1 + 3 * application as u32
    }

    pub fn attention_out(application: usize) -> u32 {
        2 + 3 * application as u32
    }

    pub fn ffn_out(application: usize) -> u32 {
        3 + 3 * application as u32
    }
}

impl Dropouts {
    pub fn embeddings(&self) -> Site {
        Site {
            p: self.hidden,
            stream: streams::EMBEDDINGS,
        }
    }

    pub fn probs(&self, a: usize) -> Site {
        Site {
            p: self.attention,
            stream: streams::probs(a),
        }
    }

    pub fn attention_out(&self, a: usize) -> Site {
        Site {
            p: if self.attention_out { self.hidden } else { 0.0 },
            stream: streams::attention_out(a),
        }
    }

    pub fn ffn_out(&self, a: usize) -> Site {
        Site {
            p: if self.ffn_out { self.hidden } else { 0.0 },
            stream: streams::ffn_out(a),
        }
    }

    pub fn head_before(&self, head: &HeadParams) -> Site {
        Site {
            p: if head.dropout_before {
                head.dropout_after
            } else {
                0.0
            },
            stream: streams::HEAD_BEFORE,
        }
    }

    pub fn head_after(&self, head: &HeadParams) -> Site {
        Site {
            p: head.dropout_after,
            stream: streams::HEAD_AFTER,
        }
    }
}

/// Records one plan's launches in order.
pub(super) struct Recorder<'a> {
    pub ctx: &'a GpuContext,
    pub k: &'a TrainKernels,
    pub store: &'a Store,
    pub dims: Dims,
    pub drop: Dropouts,
    pub head: &'a HeadBuffers,
    /// The sequence length of this plan.
    pub seq: usize,
    pub ops: Vec<Op>,
}

impl Recorder<'_> {
    pub fn tokens(&self) -> usize {
        self.dims.batch * self.seq
    }

    pub fn push(&mut self, op: impl Into<Op>) {
        self.ops.push(op.into());
    }

    pub fn launch(&mut self, launch: Result<Launch, GpuError>) -> Result<(), GpuError> {
        self.ops.push(Op::Train(launch?));
        Ok(())
    }

    /// `y = x · Wᵀ + b` for `lin` over `rows` rows (the forward's linear kernel).
    pub fn linear(&mut self, lin: &Lin, rows: usize, (x, y): (At, At)) {
        let launch = k::linear(
            self.ctx,
            lin.buffers(self.store),
            lin.dims(),
            rows,
            (x, y),
            None,
        );
        self.push(launch);
    }

    /// `y = act(x)` over `len` floats, kept apart from its matmul for the backward.
    pub fn activate(
        &mut self,
        activation: Activation,
        len: usize,
        (x, y): (At, At),
    ) -> Result<(), GpuError> {
        let launch = k::activate(self.ctx, self.k, activation, len, x, y);
        self.launch(launch)
    }

    /// The mean cross-entropy and its gradient at the logits (two launches).
    pub fn cross_entropy(&mut self, ce: &bw::CrossEntropy) -> Result<(), GpuError> {
        let [per_row, mean] = bw::cross_entropy(self.ctx, &self.k.backward, ce)?;
        self.push(per_row);
        self.push(mean);
        Ok(())
    }

    /// Dropout in place, when the site drops anything.
    pub fn dropout(&mut self, site: Site, len: usize, x: At) -> Result<(), GpuError> {
        if site.active() {
            let launch = k::dropout(self.ctx, self.k, site, &self.head.seed, len, x);
            self.launch(launch)?;
        }
        Ok(())
    }

    /// Head `i` of each sequence in a token-major buffer: rows `ld` floats apart from column
    /// `column`, `head_dim` wide.
    pub fn tokens_op<'b>(&self, buf: &'b wgpu::Buffer, column: usize, ld: usize) -> Operand<'b> {
        let d = self.dims.hidden / self.dims.heads;
        Operand::rows(At(buf, column), ld).batched(self.seq * ld, d)
    }

    /// One `[seq, seq]` block per (sequence, head).
    pub fn square_op<'b>(&self, buf: &'b wgpu::Buffer) -> Operand<'b> {
        let block = self.seq * self.seq;
        Operand::rows(At(buf, 0), self.seq).batched(self.dims.heads * block, block)
    }

    /// A per-head matmul shape over the batch.
    pub fn heads_shape(&self, m: usize, n: usize, kk: usize) -> MatmulShape {
        MatmulShape {
            batch: (self.dims.batch, self.dims.heads),
            ..MatmulShape::new(m, n, kk)
        }
    }

    /// Embeddings, their LayerNorm and dropout, ALBERT's projection, every layer application,
    /// then each sequence's first token into the head's input.
    pub fn encoder(&mut self, p: &EncoderParams, b: &EncoderBuffers) -> Result<(), GpuError> {
        let (ctx, store) = (self.ctx, self.store);
        let (t, e) = (self.tokens(), self.dims.embedding);
        let segment = p.segment.map(|s| store.value(s));
        self.push(Dispatch::new(
            &ctx.device,
            &ctx.kernels,
            Kernel::Embed,
            [t as u32, e as u32, segment.is_some() as u32, 0, 0, 0, 0, 0],
            &[
                &b.ids,
                store.value(p.word),
                store.value(p.position),
                segment.unwrap_or(store.value(p.word)),
                &b.parts,
            ],
            [t as u32, 1, 1],
        ));
        let normed = At(b.normed.as_ref().unwrap_or(&b.states[0]), 0);
        self.push(layer_norm(
            ctx,
            p.norm.buffers(store),
            (e, p.norm.eps),
            t,
            At(&b.parts, 3 * t * e),
            None,
            normed,
        ));
        self.dropout(self.drop.embeddings(), t * e, normed)?;
        if let Some(proj) = &p.projection {
            self.linear(proj, t, (normed, At(&b.states[0], 0)));
        }
        let per_group = self.dims.applications / p.groups.len() / p.groups[0].len();
        let mut a = 0;
        for l in 0..self.dims.applications / p.groups[0].len() {
            for layer in &p.groups[l / per_group] {
                self.layer(layer, b, a)?;
                a += 1;
            }
        }
        let h = self.dims.hidden;
        self.push(gather(
            ctx,
            &b.first_rows,
            (self.dims.batch, h),
            At(&b.states[self.dims.applications], 0),
            &self.head.first,
        ));
        Ok(())
    }

    /// Layer application `a`: `states[a]` → `states[a + 1]`, keeping `kept[a]`.
    fn layer(&mut self, p: &LayerParams, b: &EncoderBuffers, a: usize) -> Result<(), GpuError> {
        let (ctx, store, d) = (self.ctx, self.store, self.dims);
        let (t, h, seq) = (self.tokens(), d.hidden, self.seq);
        let head_dim = h / d.heads;
        let scale = 1.0 / (head_dim as f32).sqrt();
        let kept = &b.kept[a];
        let input = At(&b.states[a], 0);
        self.linear(&p.qkv, t, (input, At(&kept.qkv, 0)));
        self.push(Dispatch::new(
            &ctx.device,
            &ctx.kernels,
            Kernel::Attention,
            [
                seq as u32,
                d.heads as u32,
                head_dim as u32,
                h as u32,
                0,
                scale.to_bits(),
                0,
                0,
            ],
            &[&kept.qkv, &b.mask, &kept.probs, &kept.context],
            [seq as u32, d.heads as u32, d.batch as u32],
        ));
        let probs_site = self.drop.probs(a);
        if let (true, Some(dropped)) = (probs_site.active(), &kept.dropped) {
            // The kernel's context used the undropped probabilities: redo it with the dropped.
            let len = d.batch * d.heads * seq * seq;
            let copy = k::dropout_copy(
                ctx,
                self.k,
                probs_site,
                &self.head.seed,
                len,
                (At(&kept.probs, 0), At(dropped, 0)),
            );
            self.launch(copy)?;
            let product = bw::matmul(
                ctx,
                &self.k.backward,
                self.heads_shape(seq, head_dim, seq),
                self.square_op(dropped),
                self.tokens_op(&kept.qkv, 2 * h, 3 * h),
                self.tokens_op(&kept.context, 0, h),
            );
            self.launch(product)?;
        }
        self.linear(&p.output, t, (At(&kept.context, 0), At(&kept.attended, 0)));
        self.dropout(self.drop.attention_out(a), t * h, At(&kept.attended, 0))?;
        let norm = &p.attention_norm;
        self.push(layer_norm(
            ctx,
            norm.buffers(store),
            (h, norm.eps),
            t,
            At(&kept.attended, 0),
            Some(input),
            At(&kept.mid, 0),
        ));
        self.linear(&p.ffn_in, t, (At(&kept.mid, 0), At(&kept.pre, 0)));
        let i = d.intermediate;
        self.activate(p.activation, t * i, (At(&kept.pre, 0), At(&kept.act, 0)))?;
        self.linear(&p.ffn_out, t, (At(&kept.act, 0), At(&kept.ffn_out, 0)));
        self.dropout(self.drop.ffn_out(a), t * h, At(&kept.ffn_out, 0))?;
        let norm = &p.output_norm;
        self.push(layer_norm(
            ctx,
            norm.buffers(store),
            (h, norm.eps),
            t,
            At(&kept.ffn_out, 0),
            Some(At(&kept.mid, 0)),
            At(&b.states[a + 1], 0),
        ));
        Ok(())
    }

    /// The head on `first` and the loss: (dropout →) dense → activation → dropout → out, then
    /// cross-entropy with its gradient at the logits.
    pub fn head(&mut self, p: &HeadParams) -> Result<(), GpuError> {
        let hb = self.head;
        let (rows, h, c) = (self.dims.batch, self.dims.hidden, self.dims.classes);
        self.dropout(self.drop.head_before(p), rows * h, At(&hb.first, 0))?;
        self.linear(&p.dense, rows, (At(&hb.first, 0), At(&hb.dense_pre, 0)));
        self.activate(
            p.activation,
            rows * h,
            (At(&hb.dense_pre, 0), At(&hb.dense_out, 0)),
        )?;
        self.dropout(self.drop.head_after(p), rows * h, At(&hb.dense_out, 0))?;
        self.linear(&p.out, rows, (At(&hb.dense_out, 0), At(&hb.logits, 0)));
        self.cross_entropy(&bw::CrossEntropy {
            rows,
            classes: c,
            logits: At(&hb.logits, 0),
            labels: &hb.labels,
            grad: At(&hb.dlogits, 0),
            row_loss: &hb.row_loss,
            loss: At(&hb.report, report::HEAD_LOSS),
        })?;
        Ok(())
    }
}
