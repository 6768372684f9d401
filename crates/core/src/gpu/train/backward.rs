//! The backward, recorded after the forward in the same plan: the head (into the first tokens'
//! gradient), every layer application in reverse (a shared ALBERT layer adds its gradients up
//! over its applications), and the embeddings. Parameter gradients always accumulate: the step
//! clears them first.

use super::super::backward::{self as bw, LinearShape, NormGrads};
use super::super::context::GpuError;
use super::super::kernels::At;
use super::buffers::EncoderBuffers;
use super::forward::Recorder;
use super::kernels as k;
use super::params::{EncoderParams, HeadParams, LayerParams, Lin, Norm};

impl Recorder<'_> {
    /// `dW += dYᵀ·X` and `db += Σ dY` for `lin` over `rows` rows, when it is trained.
    pub(super) fn linear_params(
        &mut self,
        lin: &Lin,
        rows: usize,
        dy: At,
        x: At,
    ) -> Result<(), GpuError> {
        let (ctx, kern, store) = (self.ctx, &self.k.backward, self.store);
        let shape = LinearShape {
            rows,
            in_dim: lin.in_dim,
            out_dim: lin.out_dim,
        };
        if let Some(dw) = store.grad(lin.w) {
            self.launch(bw::linear_weight_grad(
                ctx,
                kern,
                shape,
                (dy, x, At(dw, 0)),
                true,
            ))?;
        }
        if let Some(db) = store.grad(lin.b) {
            self.launch(bw::bias_grad(
                ctx,
                kern,
                (rows, lin.out_dim),
                dy,
                At(db, 0),
                true,
            ))?;
        }
        Ok(())
    }

    /// `dX (+)= dY·W` for `lin` over `rows` rows.
    pub(super) fn linear_input(
        &mut self,
        lin: &Lin,
        rows: usize,
        (dy, dx): (At, At),
        accumulate: bool,
    ) -> Result<(), GpuError> {
        let shape = LinearShape {
            rows,
            in_dim: lin.in_dim,
            out_dim: lin.out_dim,
        };
        let w = At(self.store.value(lin.w), 0);
        let launch =
            bw::linear_input_grad(self.ctx, &self.k.backward, shape, (dy, w, dx), accumulate);
        self.launch(launch)
    }

    /// The LayerNorm backward: `dx` overwritten, gamma's and beta's gradients added to.
    pub(super) fn norm(
        &mut self,
        norm: &Norm,
        rows: usize,
        (x, residual): (At, Option<At>),
        (dy, dx): (At, At),
        stats: &wgpu::Buffer,
    ) -> Result<(), GpuError> {
        let store = self.store;
        let (Some(dgamma), Some(dbeta)) = (store.grad(norm.gamma), store.grad(norm.beta)) else {
            return Err(GpuError::Model(
                "a LayerNorm inside the trained encoder is not trained".into(),
            ));
        };
        let launches = bw::layer_norm_grad(
            self.ctx,
            &self.k.backward,
            &NormGrads {
                rows,
                dim: norm.dim,
                eps: norm.eps,
                x,
                residual,
                gamma: At(store.value(norm.gamma), 0),
                dy,
                dx,
                dgamma: At(dgamma, 0),
                dbeta: At(dbeta, 0),
                stats,
                accumulate_dx: false,
                accumulate_params: true,
            },
        )?;
        for l in launches {
            self.push(l);
        }
        Ok(())
    }

    /// The head's backward from the loss gradient at the logits. With `into` (the full regime),
    /// the first tokens' gradient is scattered into it (`[t, h]`, cleared by the step).
    pub fn head_backward(
        &mut self,
        p: &HeadParams,
        into: Option<&EncoderBuffers>,
    ) -> Result<(), GpuError> {
        let (ctx, hb) = (self.ctx, self.head);
        let (rows, h) = (self.dims.batch, self.dims.hidden);
        self.linear_params(&p.out, rows, At(&hb.dlogits, 0), At(&hb.dense_out, 0))?;
        let dense_trained = self.store.grad(p.dense.w).is_some();
        if !dense_trained && into.is_none() {
            return Ok(());
        }
        self.linear_input(&p.out, rows, (At(&hb.dlogits, 0), At(&hb.da, 0)), false)?;
        self.dropout(self.drop.head_after(p), rows * h, At(&hb.da, 0))?;
        let grad = bw::activation_grad(
            ctx,
            &self.k.backward,
            Some(p.activation),
            rows * h,
            At(&hb.dense_pre, 0),
            At(&hb.da, 0),
        );
        self.launch(grad)?;
        self.linear_params(&p.dense, rows, At(&hb.da, 0), At(&hb.first, 0))?;
        let Some(b) = into else {
            return Ok(());
        };
        self.linear_input(&p.dense, rows, (At(&hb.da, 0), At(&hb.db, 0)), false)?;
        self.dropout(self.drop.head_before(p), rows * h, At(&hb.db, 0))?;
        let scatter = bw::embedding_grad(
            ctx,
            &self.k.backward,
            (rows, h, self.tokens()),
            &b.first_index,
            At(&hb.db, 0),
            At(&b.d1, 0),
        );
        self.launch(scatter)
    }

    /// Every layer application in reverse, from the last state's gradient in `d1` to the first
    /// state's, left in `d1`; then the embeddings'.
    pub fn encoder_backward(
        &mut self,
        p: &EncoderParams,
        b: &EncoderBuffers,
    ) -> Result<(), GpuError> {
        let per_group = self.dims.applications / p.groups.len() / p.groups[0].len();
        let mut order = Vec::with_capacity(self.dims.applications);
        for l in 0..self.dims.applications / p.groups[0].len() {
            for layer in &p.groups[l / per_group] {
                order.push(layer);
            }
        }
        for (a, layer) in order.into_iter().enumerate().rev() {
            self.layer_backward(layer, b, a)?;
        }
        self.embeddings_backward(p, b)
    }

    fn layer_backward(
        &mut self,
        p: &LayerParams,
        b: &EncoderBuffers,
        a: usize,
    ) -> Result<(), GpuError> {
        let (ctx, kern) = (self.ctx, &self.k.backward);
        let (t, h, i, seq) = (
            self.tokens(),
            self.dims.hidden,
            self.dims.intermediate,
            self.seq,
        );
        let head_dim = h / self.dims.heads;
        let kept = &b.kept[a];
        let at = |buf| At(buf, 0);
        // Output LayerNorm: d2 is the gradient of both the feed-forward output and `mid`.
        self.norm(
            &p.output_norm,
            t,
            (at(&kept.ffn_out), Some(at(&kept.mid))),
            (at(&b.d1), at(&b.d2)),
            &b.stats,
        )?;
        let ffn_site = self.drop.ffn_out(a);
        let dffn = if ffn_site.active() {
            let copy = k::dropout_copy(
                ctx,
                self.k,
                ffn_site,
                &self.head.seed,
                t * h,
                (at(&b.d2), at(&b.masked)),
            );
            self.launch(copy)?;
            at(&b.masked)
        } else {
            at(&b.d2)
        };
        self.linear_params(&p.ffn_out, t, dffn, at(&kept.act))?;
        self.linear_input(&p.ffn_out, t, (dffn, at(&b.dff)), false)?;
        let grad = bw::activation_grad(
            ctx,
            kern,
            Some(p.activation),
            t * i,
            at(&kept.pre),
            at(&b.dff),
        );
        self.launch(grad)?;
        self.linear_params(&p.ffn_in, t, at(&b.dff), at(&kept.mid))?;
        // d2 becomes the whole gradient at `mid`: the residual's and the feed-forward's.
        self.linear_input(&p.ffn_in, t, (at(&b.dff), at(&b.d2)), true)?;
        self.norm(
            &p.attention_norm,
            t,
            (at(&kept.attended), Some(at(&b.states[a]))),
            (at(&b.d2), at(&b.d1)),
            &b.stats,
        )?;
        let out_site = self.drop.attention_out(a);
        let dattended = if out_site.active() {
            let copy = k::dropout_copy(
                ctx,
                self.k,
                out_site,
                &self.head.seed,
                t * h,
                (at(&b.d1), at(&b.masked)),
            );
            self.launch(copy)?;
            at(&b.masked)
        } else {
            at(&b.d1)
        };
        self.linear_params(&p.output, t, dattended, at(&kept.context))?;
        self.linear_input(&p.output, t, (dattended, at(&b.dcontext)), false)?;
        // Attention: dP = dC·Vᵀ (through the dropout's mask), dS in place, dQ = dS·K,
        // dK = dSᵀ·Q, dV = P_droppedᵀ·dC.
        let dp = bw::matmul(
            ctx,
            kern,
            self.heads_shape(seq, seq, head_dim),
            self.tokens_op(&b.dcontext, 0, h),
            self.tokens_op(&kept.qkv, 2 * h, 3 * h).t(),
            self.square_op(&b.dprobs),
        );
        self.launch(dp)?;
        let probs_site = self.drop.probs(a);
        let used = match (&kept.dropped, probs_site.active()) {
            (Some(dropped), true) => {
                self.dropout(
                    probs_site,
                    self.dims.batch * self.dims.heads * seq * seq,
                    at(&b.dprobs),
                )?;
                dropped
            }
            _ => &kept.probs,
        };
        let softmax = bw::softmax_grad(
            ctx,
            kern,
            (self.dims.batch, self.dims.heads, seq),
            1.0 / (head_dim as f32).sqrt(),
            (at(&kept.probs), &b.mask),
            at(&b.dprobs),
        );
        self.launch(softmax)?;
        let shape = self.heads_shape(seq, head_dim, seq);
        let products = [
            (
                self.square_op(&b.dprobs),
                self.tokens_op(&kept.qkv, h, 3 * h),
                0,
            ),
            (
                self.square_op(&b.dprobs).t(),
                self.tokens_op(&kept.qkv, 0, 3 * h),
                h,
            ),
            (
                self.square_op(used).t(),
                self.tokens_op(&b.dcontext, 0, h),
                2 * h,
            ),
        ];
        for (lhs, rhs, column) in products {
            let out = self.tokens_op(&b.dqkv, column, 3 * h);
            self.launch(bw::matmul(ctx, kern, shape, lhs, rhs, out))?;
        }
        self.linear_params(&p.qkv, t, at(&b.dqkv), at(&b.states[a]))?;
        // d1 becomes the gradient at the layer's input: the residual's and the projections'.
        self.linear_input(&p.qkv, t, (at(&b.dqkv), at(&b.d1)), true)
    }

    /// From the first state's gradient in `d1`: ALBERT's projection, dropout, the LayerNorm,
    /// and the scatter-add into the word, position and segment tables.
    fn embeddings_backward(
        &mut self,
        p: &EncoderParams,
        b: &EncoderBuffers,
    ) -> Result<(), GpuError> {
        let (t, e) = (self.tokens(), self.dims.embedding);
        let dnormed = match (&p.projection, &b.normed) {
            (Some(proj), Some(normed)) => {
                self.linear_params(proj, t, At(&b.d1, 0), At(normed, 0))?;
                self.linear_input(proj, t, (At(&b.d1, 0), At(&b.de, 0)), false)?;
                At(&b.de, 0)
            }
            _ => At(&b.d1, 0),
        };
        self.dropout(self.drop.embeddings(), t * e, dnormed)?;
        self.norm(
            &p.norm,
            t,
            (At(&b.parts, 3 * t * e), None),
            (dnormed, At(&b.de2, 0)),
            &b.stats,
        )?;
        let tables = [Some(p.word), Some(p.position), p.segment];
        for ((table, rows), index) in tables.into_iter().zip(p.rows).zip(&b.index) {
            let Some(grad) = table.and_then(|w| self.store.grad(w)) else {
                continue;
            };
            let launch = bw::embedding_grad(
                self.ctx,
                &self.k.backward,
                (t, e, rows),
                index,
                At(&b.de2, 0),
                At(grad, 0),
            );
            self.launch(launch)?;
        }
        Ok(())
    }
}
