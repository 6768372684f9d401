//! One forward: the input prepared on the host, the plan's one submission, and the readback cut
//! into the tensors the CPU path returns.

use candle_core::{Device, Tensor};

use super::plan::{Plan, Shape, Sizes};
use super::weights::{values, GpuMlmHead};
use super::{GpuEncoder, GpuOutput};
use crate::gpu::context::{read_back, GpuContext, GpuError};
use crate::gpu::kernels::MAX_SEQ;
use crate::model::embeddings::default_position_ids;
use crate::model::encoder::{additive_mask, check_input};
use crate::model::{EmbeddingParts, EncoderInput, EncoderOutput, Internals};

/// One request's input as the kernels read it, in little-endian bytes.
struct HostInput {
    batch: usize,
    seq: usize,
    /// Returned with the embedding parts.
    positions: Tensor,
    /// (id, position, segment) per token, u32.
    ids: Vec<u8>,
    /// The additive attention mask per token, f32.
    mask: Vec<u8>,
    /// Token rows the MLM head reads, u32.
    head_rows: Vec<u8>,
}

impl GpuEncoder {
    /// The forward, and the MLM head's logits at `rows` when `head` is given.
    pub(super) async fn run(
        &self,
        ctx: &GpuContext,
        input: &EncoderInput,
        want: &Internals,
        head: Option<(&GpuMlmHead, &[usize])>,
    ) -> Result<GpuOutput, GpuError> {
        let rows: &[usize] = head.map_or(&[], |(_, rows)| rows);
        let host = self.host_input(input, rows)?;
        let shape = Shape {
            batch: host.batch,
            seq: host.seq,
            head_rows: rows.len(),
        };
        let sizes = Sizes::new(&self.config, shape, self.layer_applications());
        let mut slot = self.plan.lock().await;
        // Plan building, uploads and the forward's one submission, inside the error scopes.
        let lengths = ctx
            .checked(|| self.submit(ctx, &mut slot, &sizes, &host, want, head.map(|(h, _)| h)))
            .await??;
        let Some(plan) = slot.as_ref() else {
            return Err(GpuError::Model("no plan for this input".into()));
        };
        // A lost device shows up here as a failed map: name the cause when wgpu has reported it.
        let data = read_back(ctx, &plan.buffers.staging, lengths.iter().sum())
            .await
            .map_err(|e| ctx.failure().unwrap_or(e))?;
        let mut chunks = Chunks {
            data: &data,
            lengths: lengths.iter(),
        };
        self.outputs(&mut chunks, &sizes, want, plan, host.positions)
    }

    /// Checks the input as the CPU path does, fills in its defaults and encodes it for upload.
    fn host_input(&self, input: &EncoderInput, rows: &[usize]) -> Result<HostInput, GpuError> {
        let cfg = &self.config;
        let (ids, types, positions) = check_input(cfg, input)?;
        let (batch, seq) = ids.dims2()?;
        if seq > MAX_SEQ {
            return Err(GpuError::Unsupported(format!(
                "{seq} tokens; the attention kernel takes at most {MAX_SEQ}"
            )));
        }
        let t = batch * seq;
        if let Some(bad) = rows.iter().find(|&&r| r >= t) {
            return Err(GpuError::Model(format!(
                "logit row {bad} is outside the batch's {t} tokens"
            )));
        }
        let positions = match positions {
            Some(p) => p,
            None => default_position_ids(cfg.family, cfg.pad_token_id, &ids)?,
        };
        let segments = match &types {
            Some(s) => s.clone(),
            None => ids.zeros_like()?,
        };
        let mask = match &input.attention_mask {
            Some(m) => values(&additive_mask(m, &ids)?)?,
            None => vec![0.0; t],
        };
        let id_rows: Vec<u8> = ids
            .flatten_all()?
            .to_vec1::<u32>()?
            .into_iter()
            .zip(positions.flatten_all()?.to_vec1::<u32>()?)
            .zip(segments.flatten_all()?.to_vec1::<u32>()?)
            .flat_map(|((i, p), s)| [i, p, s])
            .flat_map(u32::to_le_bytes)
            .collect();
        Ok(HostInput {
            batch,
            seq,
            positions,
            ids: id_rows,
            mask: mask.iter().flat_map(|v| v.to_le_bytes()).collect(),
            head_rows: rows
                .iter()
                .flat_map(|&r| (r as u32).to_le_bytes())
                .collect(),
        })
    }

    /// Builds the plan if the shape changed, uploads the input, and submits the forward with the
    /// copies of what `want` asks for into staging. Returns the lengths of those copies.
    fn submit(
        &self,
        ctx: &GpuContext,
        slot: &mut Option<Plan>,
        sizes: &Sizes,
        host: &HostInput,
        want: &Internals,
        head: Option<&GpuMlmHead>,
    ) -> Result<Vec<usize>, GpuError> {
        if slot.as_ref().is_none_or(|p| p.shape != sizes.shape) {
            *slot = Some(self.build_plan(ctx, sizes, head)?);
        }
        let Some(plan) = slot.as_ref() else {
            return Err(GpuError::Model("no plan for this input".into()));
        };
        let reads = plan.reads(sizes, want);
        let (queue, buffers) = (&ctx.queue, &plan.buffers);
        queue.write_buffer(&buffers.ids, 0, &host.ids);
        queue.write_buffer(&buffers.mask, 0, &host.mask);
        if !host.head_rows.is_empty() {
            queue.write_buffer(&buffers.head_rows, 0, &host.head_rows);
        }
        let mut commands = ctx.device.create_command_encoder(&Default::default());
        {
            let mut pass = commands.begin_compute_pass(&Default::default());
            for dispatch in &plan.dispatches {
                dispatch.record(&ctx.kernels, &mut pass);
            }
        }
        let mut at = 0u64;
        for (buffer, offset, len) in &reads {
            let bytes = (*len * 4) as u64;
            commands.copy_buffer_to_buffer(
                buffer,
                (*offset * 4) as u64,
                &buffers.staging,
                at,
                bytes,
            );
            at += bytes;
        }
        queue.submit([commands.finish()]);
        Ok(reads.iter().map(|r| r.2).collect())
    }

    /// The staged floats as the CPU path's outputs; reads come in [`Plan::reads`]'s order.
    fn outputs(
        &self,
        chunks: &mut Chunks,
        sizes: &Sizes,
        want: &Internals,
        plan: &Plan,
        positions: Tensor,
    ) -> Result<GpuOutput, GpuError> {
        let Shape { batch, seq, .. } = sizes.shape;
        let (h, layers, heads) = (sizes.hidden, sizes.layers, sizes.heads);
        let (last_hidden_state, hidden_states) = if want.hidden_states {
            let all = chunks.next(&[layers + 1, batch, seq, h])?;
            let states = (0..=layers)
                .map(|l| all.get(l))
                .collect::<candle_core::Result<Vec<_>>>()?;
            (states[layers].clone(), Some(states))
        } else {
            (chunks.next(&[batch, seq, h])?, None)
        };
        let attentions = if want.attentions {
            let all = chunks.next(&[sizes.applications, batch, heads, seq, seq])?;
            Some(
                (0..sizes.applications)
                    .map(|a| all.get(a))
                    .collect::<candle_core::Result<Vec<_>>>()?,
            )
        } else {
            None
        };
        let embeddings = if want.embeddings {
            Some(self.embedding_parts(chunks, sizes, positions)?)
        } else {
            None
        };
        let pooled = match plan.buffers.pooled.as_ref().filter(|_| want.pooled) {
            Some(_) => Some(chunks.next(&[batch, h])?),
            None => None,
        };
        let logits = match plan.buffers.logits {
            Some(_) => Some(chunks.next(&[sizes.shape.head_rows, sizes.vocab])?),
            None => None,
        };
        Ok(GpuOutput {
            encoder: EncoderOutput {
                last_hidden_state,
                embeddings,
                hidden_states,
                attentions,
                pooled,
            },
            logits,
        })
    }

    /// The four embedding blocks (word, position, segment, sum) and the normalized sum.
    fn embedding_parts(
        &self,
        chunks: &mut Chunks,
        sizes: &Sizes,
        positions: Tensor,
    ) -> Result<EmbeddingParts, GpuError> {
        let Shape { batch, seq, .. } = sizes.shape;
        let all = chunks.next(&[4, batch, seq, sizes.embedding])?;
        let normalized = chunks.next(&[batch, seq, sizes.embedding])?;
        Ok(EmbeddingParts {
            word: all.get(0)?,
            position: all.get(1)?,
            token_type: if self.embeddings.segment.is_some() {
                Some(all.get(2)?)
            } else {
                None
            },
            sum: all.get(3)?,
            normalized,
            position_ids: positions,
        })
    }
}

impl Plan {
    /// What comes back for `want`, in staging order: (buffer, offset, floats).
    fn reads(&self, sizes: &Sizes, want: &Internals) -> Vec<(&wgpu::Buffer, usize, usize)> {
        let b = &self.buffers;
        let (t, e, h) = (sizes.tokens, sizes.embedding, sizes.hidden);
        let mut reads = Vec::new();
        if want.hidden_states {
            reads.push((&b.hidden, 0, sizes.hidden_states()));
        } else {
            reads.push((&b.hidden, sizes.layers * t * h, t * h));
        }
        if want.attentions {
            reads.push((&b.probs, 0, sizes.probs_block() * sizes.applications));
        }
        if want.embeddings {
            reads.push((&b.parts, 0, 4 * t * e));
            reads.push((b.normalized.as_ref().unwrap_or(&b.hidden), 0, t * e));
        }
        if let Some(p) = b.pooled.as_ref().filter(|_| want.pooled) {
            reads.push((p, 0, sizes.shape.batch * h));
        }
        if let Some(l) = &b.logits {
            reads.push((l, 0, sizes.shape.head_rows * sizes.vocab));
        }
        reads
    }
}

/// The staged floats, taken back one read at a time.
struct Chunks<'a> {
    data: &'a [f32],
    lengths: std::slice::Iter<'a, usize>,
}

impl Chunks<'_> {
    /// The next read as a tensor of `dims`.
    fn next(&mut self, dims: &[usize]) -> Result<Tensor, GpuError> {
        let missing = || GpuError::Readback("missing output".into());
        let len = *self.lengths.next().ok_or_else(missing)?;
        let (chunk, rest) = self.data.split_at_checked(len).ok_or_else(missing)?;
        self.data = rest;
        Ok(Tensor::from_slice(chunk, dims, &Device::Cpu)?)
    }
}
