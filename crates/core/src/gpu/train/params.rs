//! The weights on the GPU: one buffer per module tensor (the fused query/key/value projection
//! stacks three), with a gradient and AdamW's moments beside each one the optimizer trains. They
//! are uploaded once from the CPU model and the optimizer, stay on the GPU between steps, and come
//! back on [`Store::download`].

use std::collections::HashMap;

use candle_core::{Tensor, TensorId};

use super::super::backward::{self as bw, AdamWStep, AdamWTensor, Launch};
use super::super::context::{GpuContext, GpuError};
use super::super::kernels::At;
use super::kernels::{sum_squares, sum_total, TrainKernels};
use crate::model::config::Activation;
use crate::model::embeddings::Embeddings;
use crate::model::heads::PairHead;
use crate::model::layer::Layer;
use crate::model::nn::{LayerNorm, Linear};
use crate::model::{Encoder, ForSequenceClassification};
use crate::train::optimizer::{AdamW, Group};

/// What the optimizer keeps of one weight it trains.
pub(super) struct Trained {
    pub name: String,
    pub group: Group,
    pub decay: bool,
    pub m: Vec<f32>,
    pub v: Vec<f32>,
}

/// The optimizer's weights by tensor: the model's modules hold the very tensors its variables
/// wrap (same id), so a module's weight is trained exactly when its id is here.
pub(super) fn trained_by_id(opt: &AdamW) -> HashMap<TensorId, Trained> {
    opt.entries()
        .map(|e| {
            (
                e.var.as_tensor().id(),
                Trained {
                    name: e.name.to_string(),
                    group: e.group,
                    decay: e.decay,
                    m: e.m.to_vec(),
                    v: e.v.to_vec(),
                },
            )
        })
        .collect()
}

/// One model tensor inside a weight buffer.
struct Part {
    offset: usize,
    len: usize,
    /// Set when the optimizer trains it.
    trained: Option<(String, Group, bool)>,
}

/// One weight buffer, and its gradient and moments when anything in it is trained.
pub(super) struct Weight {
    pub value: wgpu::Buffer,
    pub grad: Option<wgpu::Buffer>,
    moments: Option<(wgpu::Buffer, wgpu::Buffer)>,
    parts: Vec<Part>,
    len: usize,
}

/// Every weight buffer of a trainer; modules refer to them by index.
#[derive(Default)]
pub(super) struct Store {
    weights: Vec<Weight>,
}

impl Store {
    /// Uploads `tensors` one after another into one buffer; gradient and moments (the optimizer's,
    /// so a run can move to the GPU mid-way) come with it when any of them is trained.
    pub(super) fn add(
        &mut self,
        ctx: &GpuContext,
        label: &str,
        tensors: &[&Tensor],
        trained: &HashMap<TensorId, Trained>,
    ) -> Result<usize, GpuError> {
        let (mut values, mut m, mut v, mut parts) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for t in tensors {
            let data = t
                .to_dtype(candle_core::DType::F32)?
                .flatten_all()?
                .to_vec1::<f32>()?;
            let (offset, len) = (values.len(), data.len());
            values.extend(data);
            let info = trained.get(&t.id());
            match info {
                Some(info) if info.m.len() == len && info.v.len() == len => {
                    m.extend(&info.m);
                    v.extend(&info.v);
                }
                _ => {
                    m.resize(offset + len, 0.0);
                    v.resize(offset + len, 0.0);
                }
            }
            parts.push(Part {
                offset,
                len,
                trained: info.map(|i| (i.name.clone(), i.group, i.decay)),
            });
        }
        let any = parts.iter().any(|p| p.trained.is_some());
        let len = values.len();
        let limit = ctx.device.limits().max_storage_buffer_binding_size as usize / 4;
        if len > limit {
            return Err(GpuError::Unsupported(format!(
                "{label} has {len} floats; the device binds at most {limit}"
            )));
        }
        self.weights.push(Weight {
            value: bw::upload(ctx, label, &values),
            grad: any.then(|| bw::zeros(ctx, label, len)),
            moments: any.then(|| (bw::upload(ctx, label, &m), bw::upload(ctx, label, &v))),
            parts,
            len,
        });
        Ok(self.weights.len() - 1)
    }

    pub fn value(&self, i: usize) -> &wgpu::Buffer {
        &self.weights[i].value
    }

    pub fn grad(&self, i: usize) -> Option<&wgpu::Buffer> {
        self.weights[i].grad.as_ref()
    }

    /// The gradient buffers, to clear before a step.
    pub fn grads(&self) -> impl Iterator<Item = &wgpu::Buffer> {
        self.weights.iter().filter_map(|w| w.grad.as_ref())
    }

    /// One AdamW launch per trained tensor, recorded once: the step's scalars live in `step`.
    pub fn adamw(
        &self,
        ctx: &GpuContext,
        k: &TrainKernels,
        step: &AdamWStep,
    ) -> Result<Vec<Launch>, GpuError> {
        let mut launches = Vec::new();
        for w in &self.weights {
            let (Some(grad), Some((m, v))) = (&w.grad, &w.moments) else {
                continue;
            };
            for p in &w.parts {
                let Some((_, group, decays)) = &p.trained else {
                    continue;
                };
                launches.push(bw::adamw(
                    ctx,
                    &k.backward,
                    step,
                    &AdamWTensor {
                        len: p.len,
                        group: *group,
                        decays: *decays,
                        param: At(&w.value, p.offset),
                        grad: At(grad, p.offset),
                        m: At(m, p.offset),
                        v: At(v, p.offset),
                    },
                )?);
            }
        }
        Ok(launches)
    }

    /// The launches that put Σ g² over every trained gradient into `out`, using `partials`
    /// (allocated here, one slot per workgroup).
    pub fn sum_of_squares(
        &self,
        ctx: &GpuContext,
        k: &TrainKernels,
        out: At,
    ) -> Result<(Vec<Launch>, wgpu::Buffer), GpuError> {
        let trained = || {
            self.weights.iter().flat_map(|w| {
                w.parts
                    .iter()
                    .filter(|p| p.trained.is_some())
                    .filter_map(move |p| w.grad.as_ref().map(|g| (g, p)))
            })
        };
        let slots: usize = trained()
            .map(|(_, p)| p.len.div_ceil(256).clamp(1, super::kernels::SQUARE_GROUPS))
            .sum();
        let partials = bw::zeros(ctx, "partial sums", slots);
        let mut launches = Vec::new();
        let mut slot = 0;
        for (grad, p) in trained() {
            let (launch, used) = sum_squares(ctx, k, p.len, At(grad, p.offset), &partials, slot)?;
            launches.push(launch);
            slot += used;
        }
        launches.push(sum_total(ctx, k, &partials, slot, out)?);
        Ok((launches, partials))
    }

    /// Writes every trained tensor's value into the optimizer's variable and its moments into the
    /// optimizer. One readback per weight buffer (value, m and v together).
    pub async fn download(&self, ctx: &GpuContext, opt: &mut AdamW) -> Result<(), GpuError> {
        let vars: HashMap<String, candle_core::Var> = opt
            .entries()
            .map(|e| (e.name.to_string(), e.var.clone()))
            .collect();
        for w in &self.weights {
            let Some((m, v)) = &w.moments else {
                continue;
            };
            let data = read_three(ctx, [&w.value, m, v], w.len).await?;
            for p in &w.parts {
                let Some((name, _, _)) = &p.trained else {
                    continue;
                };
                let Some(var) = vars.get(name) else {
                    return Err(GpuError::Model(format!("the optimizer lost {name}")));
                };
                let range = p.offset..p.offset + p.len;
                let value = Tensor::from_slice(&data[0][range.clone()], var.shape(), var.device())?;
                var.set(&value)?;
                opt.set_moments(
                    name,
                    data[1][range.clone()].to_vec(),
                    data[2][range].to_vec(),
                )
                .map_err(|e| GpuError::Model(e.to_string()))?;
            }
        }
        Ok(())
    }
}

impl Store {
    /// The last step's gradient of every trained tensor, by the optimizer's name (parity checks).
    pub async fn gradients(&self, ctx: &GpuContext) -> Result<HashMap<String, Vec<f32>>, GpuError> {
        let mut out = HashMap::new();
        for w in &self.weights {
            let Some(grad) = &w.grad else {
                continue;
            };
            let data = bw::read(ctx, At(grad, 0), w.len).await?;
            for p in &w.parts {
                if let Some((name, _, _)) = &p.trained {
                    out.insert(name.clone(), data[p.offset..p.offset + p.len].to_vec());
                }
            }
        }
        Ok(out)
    }
}

/// `len` floats of each of three buffers, in one submission and one map.
async fn read_three(
    ctx: &GpuContext,
    buffers: [&wgpu::Buffer; 3],
    len: usize,
) -> Result<[Vec<f32>; 3], GpuError> {
    let staging = ctx.device.create_buffer(&wgpu::BufferDescriptor {
        label: Some("weights readback"),
        size: (3 * len.max(1) * 4) as u64,
        usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
        mapped_at_creation: false,
    });
    let bytes = (len * 4) as u64;
    ctx.checked(|| {
        let mut commands = ctx.device.create_command_encoder(&Default::default());
        for (i, b) in buffers.iter().enumerate() {
            commands.copy_buffer_to_buffer(b, 0, &staging, i as u64 * bytes, bytes);
        }
        ctx.queue.submit([commands.finish()]);
    })
    .await?;
    let all = super::super::context::read_back(ctx, &staging, 3 * len)
        .await
        .map_err(|e| ctx.failure().unwrap_or(e))?;
    Ok([
        all[..len].to_vec(),
        all[len..2 * len].to_vec(),
        all[2 * len..].to_vec(),
    ])
}

/// A linear layer: weight `[out, in]` and bias, as weight indices.
#[derive(Clone, Copy)]
pub(super) struct Lin {
    pub w: usize,
    pub b: usize,
    pub in_dim: usize,
    pub out_dim: usize,
}

impl Lin {
    /// `parts` stacked along the output (one layer, or the fused query/key/value).
    pub(super) fn upload(
        ctx: &GpuContext,
        store: &mut Store,
        label: &str,
        parts: &[&Linear],
        trained: &HashMap<TensorId, Trained>,
    ) -> Result<Lin, GpuError> {
        let mut biases = Vec::new();
        let (mut out_dim, mut in_dim) = (0, 0);
        for l in parts {
            let (out, inp) = l.weight().dims2()?;
            biases.push(match l.bias() {
                Some(b) => b.clone(),
                None => Tensor::zeros(out, candle_core::DType::F32, l.weight().device())?,
            });
            out_dim += out;
            in_dim = inp;
        }
        let weights: Vec<&Tensor> = parts.iter().map(|l| l.weight()).collect();
        Ok(Lin {
            w: store.add(ctx, label, &weights, trained)?,
            b: store.add(ctx, label, &biases.iter().collect::<Vec<_>>(), trained)?,
            in_dim,
            out_dim,
        })
    }

    pub fn buffers<'s>(&self, store: &'s Store) -> (&'s wgpu::Buffer, &'s wgpu::Buffer) {
        (store.value(self.w), store.value(self.b))
    }

    pub fn dims(&self) -> (usize, usize) {
        (self.in_dim, self.out_dim)
    }
}

/// A LayerNorm: gamma and beta as weight indices.
#[derive(Clone, Copy)]
pub(super) struct Norm {
    pub gamma: usize,
    pub beta: usize,
    pub dim: usize,
    pub eps: f32,
}

impl Norm {
    pub(super) fn upload(
        ctx: &GpuContext,
        store: &mut Store,
        label: &str,
        norm: &LayerNorm,
        trained: &HashMap<TensorId, Trained>,
    ) -> Result<Norm, GpuError> {
        let (gamma, beta, eps) = norm.parts();
        Ok(Norm {
            gamma: store.add(ctx, label, &[gamma], trained)?,
            beta: store.add(ctx, label, &[beta], trained)?,
            dim: gamma.dims1()?,
            eps: eps as f32,
        })
    }

    pub fn buffers<'s>(&self, store: &'s Store) -> (&'s wgpu::Buffer, &'s wgpu::Buffer) {
        (store.value(self.gamma), store.value(self.beta))
    }
}

/// One transformer block's weights.
pub(super) struct LayerParams {
    pub qkv: Lin,
    pub output: Lin,
    pub attention_norm: Norm,
    pub ffn_in: Lin,
    pub activation: Activation,
    pub ffn_out: Lin,
    pub output_norm: Norm,
}

impl LayerParams {
    fn upload(
        ctx: &GpuContext,
        store: &mut Store,
        layer: &Layer,
        trained: &HashMap<TensorId, Trained>,
    ) -> Result<LayerParams, GpuError> {
        let att = &layer.attention;
        Ok(LayerParams {
            qkv: Lin::upload(
                ctx,
                store,
                "qkv",
                &[&att.query, &att.key, &att.value],
                trained,
            )?,
            output: Lin::upload(ctx, store, "attention output", &[&att.output], trained)?,
            attention_norm: Norm::upload(
                ctx,
                store,
                "attention norm",
                &layer.attention_norm,
                trained,
            )?,
            ffn_in: Lin::upload(ctx, store, "ffn in", &[&layer.ffn_in], trained)?,
            activation: layer.activation,
            ffn_out: Lin::upload(ctx, store, "ffn out", &[&layer.ffn_out], trained)?,
            output_norm: Norm::upload(ctx, store, "output norm", &layer.output_norm, trained)?,
        })
    }
}

/// The encoder's weights (the full regime trains them).
pub(super) struct EncoderParams {
    pub word: usize,
    pub position: usize,
    pub segment: Option<usize>,
    /// Rows of each table: word, position, segment.
    pub rows: [usize; 3],
    pub norm: Norm,
    /// ALBERT's embedding → hidden projection.
    pub projection: Option<Lin>,
    pub groups: Vec<Vec<LayerParams>>,
}

impl EncoderParams {
    pub fn upload(
        ctx: &GpuContext,
        store: &mut Store,
        encoder: &Encoder,
        trained: &HashMap<TensorId, Trained>,
    ) -> Result<EncoderParams, GpuError> {
        let emb: &Embeddings = &encoder.embeddings;
        let mut table = |label: &str, t: &candle_nn::Embedding| {
            let rows = t.embeddings().dims2()?.0;
            Ok::<_, GpuError>((store.add(ctx, label, &[t.embeddings()], trained)?, rows))
        };
        let (word, word_rows) = table("word embeddings", &emb.word_embeddings)?;
        let (position, position_rows) = table("position embeddings", &emb.position_embeddings)?;
        let segment = match &emb.token_type_embeddings {
            Some(t) => Some(table("segment embeddings", t)?),
            None => None,
        };
        let norm = Norm::upload(ctx, store, "embedding norm", &emb.layer_norm, trained)?;
        let projection = match &encoder.projection {
            Some(p) => Some(Lin::upload(ctx, store, "projection", &[p], trained)?),
            None => None,
        };
        let groups = encoder
            .groups
            .iter()
            .map(|g| {
                g.iter()
                    .map(|l| LayerParams::upload(ctx, store, l, trained))
                    .collect::<Result<Vec<_>, _>>()
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(EncoderParams {
            word,
            position,
            segment: segment.map(|s| s.0),
            rows: [word_rows, position_rows, segment.map_or(0, |s| s.1)],
            norm,
            projection,
            groups,
        })
    }
}

/// The head on the first token, the same shape for every family: (dropout →) dense + activation →
/// dropout → out. For a classifier, the dense layer is BERT's and ALBERT's pooler (tanh),
/// RoBERTa's `classifier.dense` (tanh, with dropout before it) or DistilBERT's `pre_classifier`
/// (ReLU); for pretraining's sentence-pair head, the pooler.
pub(super) struct HeadParams {
    pub dense: Lin,
    pub activation: Activation,
    pub dropout_before: bool,
    /// The dropout probability between the activation and `out`.
    pub dropout_after: f32,
    pub out: Lin,
}

impl HeadParams {
    pub fn upload(
        ctx: &GpuContext,
        store: &mut Store,
        model: &ForSequenceClassification,
        trained: &HashMap<TensorId, Trained>,
    ) -> Result<HeadParams, GpuError> {
        use crate::model::Family;
        let family = model.encoder.config().family;
        let (pre, out) = model.head.layers();
        let (dense, activation, label) = match (family, pre, &model.encoder.pooler) {
            (Family::Bert | Family::Albert, _, Some(pooler)) => {
                (pooler, Activation::Tanh, "pooler")
            }
            (Family::Roberta, Some(pre), _) => (pre, Activation::Tanh, "classifier dense"),
            (Family::DistilBert, Some(pre), _) => (pre, Activation::Relu, "pre-classifier"),
            _ => {
                return Err(GpuError::Model(format!(
                    "a {family} sequence classifier without its pooler or dense layer"
                )))
            }
        };
        Ok(HeadParams {
            dense: Lin::upload(ctx, store, label, &[dense], trained)?,
            activation,
            dropout_before: family == Family::Roberta,
            dropout_after: model.encoder.config().classifier_dropout,
            out: Lin::upload(ctx, store, "classifier", &[out], trained)?,
        })
    }

    /// Pretraining's NSP / SOP head: the pooler, then (ALBERT's dropout and) the two-way layer.
    pub fn pair(
        ctx: &GpuContext,
        store: &mut Store,
        encoder: &Encoder,
        head: &PairHead,
        trained: &HashMap<TensorId, Trained>,
    ) -> Result<HeadParams, GpuError> {
        let Some(pooler) = &encoder.pooler else {
            return Err(GpuError::Model(
                "the sentence-pair head needs a pooler".into(),
            ));
        };
        let (dropout, out) = head.parts();
        Ok(HeadParams {
            dense: Lin::upload(ctx, store, "pooler", &[pooler], trained)?,
            activation: Activation::Tanh,
            dropout_before: false,
            dropout_after: dropout,
            out: Lin::upload(ctx, store, "sentence-pair head", &[out], trained)?,
        })
    }
}
