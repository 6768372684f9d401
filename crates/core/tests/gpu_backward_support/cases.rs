//! The GPU training kernels' parity cases, shared by the native run (lavapipe) and the browser
//! run (SwiftShader behind Chromium's WebGPU): each computes a kernel's output on seeded random
//! inputs and compares it with candle's autograd on the CPU.

use std::collections::HashMap;

use bertlab_core::gpu::backward::{self as bw, Launch, MatmulShape, Operand};
use bertlab_core::gpu::At;
use bertlab_core::model::config::Activation;
use bertlab_core::train::optimizer::{decays, AdamW, AdamWParams, Group};
use candle_core::{Device, Tensor, Var, D};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::{
    additive_mask, agree, agree_within, flat, header, key_mask, probe, random, Gpu, ADAMW_TOLERANCE,
};

pub async fn linear_layer_gradients_match_autograd(g: &Gpu) {
    header("linear layer", &g.ctx);
    let mut rng = ChaCha8Rng::seed_from_u64(19);
    for (rows, in_dim, out_dim) in [(7, 13, 29), (65, 31, 70), (24, 384, 1536), (24, 1536, 384)] {
        let case = format!("{rows}x{in_dim} -> {out_dim}");
        let x = Var::from_tensor(&random(&mut rng, &[rows, in_dim], 1.0)).unwrap();
        let w = Var::from_tensor(&random(&mut rng, &[out_dim, in_dim], 0.1)).unwrap();
        let b = Var::from_tensor(&random(&mut rng, &[out_dim], 0.1)).unwrap();
        let dy = random(&mut rng, &[rows, out_dim], 1.0);
        let y = x
            .matmul(&w.t().unwrap())
            .unwrap()
            .broadcast_add(&b)
            .unwrap();
        let grads = probe(&y, &dy).backward().unwrap();
        let [gx, gw, gb] = [&x, &w, &b].map(|v| grads.get(v).unwrap().clone());
        // The gradient buffers start at random values: overwriting must replace them, accumulating
        // add onto them.
        let [x0, w0, b0] = [&gx, &gw, &gb].map(|t| random(&mut rng, t.dims(), 1.0));
        let (dy_buf, w_buf, x_buf) = (g.upload(&dy), g.upload(&w), g.upload(&x));
        let s = bw::LinearShape {
            rows,
            in_dim,
            out_dim,
        };
        let (ctx, k) = (&g.ctx, &g.kernels);
        for accumulate in [false, true] {
            let (dx, dw, db) = (g.upload(&x0), g.upload(&w0), g.upload(&b0));
            let launches = [
                bw::linear_input_grad(
                    ctx,
                    k,
                    s,
                    (At(&dy_buf, 0), At(&w_buf, 0), At(&dx, 0)),
                    accumulate,
                ),
                bw::linear_weight_grad(
                    ctx,
                    k,
                    s,
                    (At(&dy_buf, 0), At(&x_buf, 0), At(&dw, 0)),
                    accumulate,
                ),
                bw::bias_grad(
                    ctx,
                    k,
                    (rows, out_dim),
                    At(&dy_buf, 0),
                    At(&db, 0),
                    accumulate,
                ),
            ]
            .map(Result::unwrap);
            g.run(&launches.iter().collect::<Vec<_>>()).await;
            let plus = |start: &Tensor, grad: &Tensor| {
                if accumulate {
                    (start + grad).unwrap()
                } else {
                    grad.clone()
                }
            };
            let case = format!("{case} {}", if accumulate { "+=" } else { "=" });
            agree(
                "dX = dY·W",
                &case,
                &g.read(&dx, 0, rows * in_dim).await,
                &plus(&x0, &gx),
            );
            agree(
                "dW = dYᵀ·X",
                &case,
                &g.read(&dw, 0, out_dim * in_dim).await,
                &plus(&w0, &gw),
            );
            agree(
                "db = Σ dY",
                &case,
                &g.read(&db, 0, out_dim).await,
                &plus(&b0, &gb),
            );
        }
    }
}

pub async fn activation_derivatives_match_autograd(g: &Gpu) {
    header("activations", &g.ctx);
    let mut rng = ChaCha8Rng::seed_from_u64(20);
    type Forward = fn(&Tensor) -> Tensor;
    let activations: [(Activation, Forward); 5] = [
        (Activation::Gelu, |x| x.gelu_erf().unwrap()),
        (Activation::GeluNew, |x| x.gelu().unwrap()),
        (Activation::Relu, |x| x.relu().unwrap()),
        (Activation::Silu, |x| x.silu().unwrap()),
        (Activation::Tanh, |x| x.tanh().unwrap()),
    ];
    for (activation, forward) in activations {
        for dims in [[7, 13], [24, 1536]] {
            // Wide enough to reach both tails of every curve.
            let x = Var::from_tensor(&random(&mut rng, &dims, 4.0)).unwrap();
            let dy = random(&mut rng, &dims, 1.0);
            let grads = probe(&forward(&x), &dy).backward().unwrap();
            let len = dims[0] * dims[1];
            let (x_buf, grad) = (g.upload(&x), g.upload(&dy));
            let launch = bw::activation_grad(
                &g.ctx,
                &g.kernels,
                Some(activation),
                len,
                At(&x_buf, 0),
                At(&grad, 0),
            )
            .unwrap();
            g.run(&[&launch]).await;
            agree(
                &format!("{activation:?} backward"),
                &format!("{}x{}", dims[0], dims[1]),
                &g.read(&grad, 0, len).await,
                grads.get(&x).unwrap(),
            );
        }
    }
}

pub async fn layer_norm_gradients_match_autograd(g: &Gpu) {
    header("LayerNorm", &g.ctx);
    let mut rng = ChaCha8Rng::seed_from_u64(21);
    for (rows, dim, eps, residual) in [
        (7, 13, 1e-12, false),
        (24, 384, 1e-12, true),
        (9, 300, 1e-5, true),
    ] {
        let case = format!(
            "{rows}x{dim} eps {eps:e}{}",
            if residual { " +residual" } else { "" }
        );
        let x = Var::from_tensor(&random(&mut rng, &[rows, dim], 2.0)).unwrap();
        let res = Var::from_tensor(&random(&mut rng, &[rows, dim], 1.0)).unwrap();
        let gamma = Var::from_tensor(&(random(&mut rng, &[dim], 0.5) + 1.0).unwrap()).unwrap();
        let beta = Var::from_tensor(&random(&mut rng, &[dim], 0.5)).unwrap();
        let dy = random(&mut rng, &[rows, dim], 1.0);
        let v = if residual {
            (x.as_tensor() + res.as_tensor()).unwrap()
        } else {
            x.as_tensor().clone()
        };
        let centred = v.broadcast_sub(&v.mean_keepdim(1).unwrap()).unwrap();
        let var = centred.sqr().unwrap().mean_keepdim(1).unwrap();
        let y = centred
            .broadcast_div(&(var + eps).unwrap().sqrt().unwrap())
            .unwrap()
            .broadcast_mul(&gamma)
            .unwrap()
            .broadcast_add(&beta)
            .unwrap();
        let grads = probe(&y, &dy).backward().unwrap();
        let bufs = [x.as_tensor(), res.as_tensor(), gamma.as_tensor(), &dy].map(|t| g.upload(t));
        let (dx, dgamma, dbeta) = (
            bw::zeros(&g.ctx, "dx", rows * dim),
            bw::zeros(&g.ctx, "dgamma", dim),
            bw::zeros(&g.ctx, "dbeta", dim),
        );
        let stats = bw::zeros(&g.ctx, "stats", 2 * rows);
        let launches = bw::layer_norm_grad(
            &g.ctx,
            &g.kernels,
            &bw::NormGrads {
                rows,
                dim,
                eps: eps as f32,
                x: At(&bufs[0], 0),
                residual: residual.then_some(At(&bufs[1], 0)),
                gamma: At(&bufs[2], 0),
                dy: At(&bufs[3], 0),
                dx: At(&dx, 0),
                dgamma: At(&dgamma, 0),
                dbeta: At(&dbeta, 0),
                stats: &stats,
                accumulate_dx: false,
                accumulate_params: false,
            },
        )
        .unwrap();
        g.run(&launches.iter().collect::<Vec<_>>()).await;
        agree(
            "LayerNorm dx",
            &case,
            &g.read(&dx, 0, rows * dim).await,
            grads.get(&x).unwrap(),
        );
        agree(
            "LayerNorm dgamma",
            &case,
            &g.read(&dgamma, 0, dim).await,
            grads.get(&gamma).unwrap(),
        );
        agree(
            "LayerNorm dbeta",
            &case,
            &g.read(&dbeta, 0, dim).await,
            grads.get(&beta).unwrap(),
        );
    }
}

pub async fn softmax_gradient_matches_autograd_and_skips_padding(g: &Gpu) {
    header("attention softmax", &g.ctx);
    let mut rng = ChaCha8Rng::seed_from_u64(22);
    for (batch, heads, seq, head_dim, lengths) in
        [(2, 3, 11, 7, vec![11, 6]), (2, 12, 24, 32, vec![24, 17])]
    {
        let case = format!("{batch}x{heads} heads, {seq} tokens");
        let scale = 1.0 / (head_dim as f64).sqrt();
        let scores = Var::from_tensor(&random(&mut rng, &[batch, heads, seq, seq], 3.0)).unwrap();
        let mask = additive_mask(&lengths, seq);
        let dp = random(&mut rng, &[batch, heads, seq, seq], 1.0);
        let logits = (scores.as_tensor() * scale)
            .unwrap()
            .broadcast_add(&key_mask(&mask))
            .unwrap();
        let probs = candle_nn::ops::softmax(&logits, D::Minus1).unwrap();
        let grads = probe(&probs, &dp).backward().unwrap();
        let want = grads.get(&scores).unwrap();
        let (p_buf, mask_buf, grad) = (g.upload(&probs), g.upload(&mask), g.upload(&dp));
        let launch = bw::softmax_grad(
            &g.ctx,
            &g.kernels,
            (batch, heads, seq),
            scale as f32,
            (At(&p_buf, 0), &mask_buf),
            At(&grad, 0),
        )
        .unwrap();
        g.run(&[&launch]).await;
        let got = g.read(&grad, 0, batch * heads * seq * seq).await;
        agree("softmax backward", &case, &got, want);
        // Padded keys get exactly zero, not merely a small number.
        let padded_key = (lengths[1]..seq)
            .flat_map(|j| (0..heads * seq).map(move |row| ((heads * seq) + row) * seq + j));
        assert!(
            padded_key.into_iter().all(|at| got[at] == 0.0),
            "{case}: padded keys"
        );
    }
}

/// Self-attention's backward through the batched matmul on per-head slices of the fused
/// query/key/value buffer `[tokens, 3 · hidden]`, as the forward lays it out.
pub async fn attention_gradients_through_the_batched_matmul_match_autograd(g: &Gpu) {
    header("attention", &g.ctx);
    let mut rng = ChaCha8Rng::seed_from_u64(23);
    for (batch, heads, seq, d, lengths) in
        [(2, 3, 11, 7, vec![11, 8]), (2, 12, 24, 32, vec![20, 24])]
    {
        let case = format!("{batch}x{heads} heads, {seq} tokens, d {d}");
        let (h, t) = (heads * d, batch * seq);
        let scale = 1.0 / (d as f64).sqrt();
        let qkv = Var::from_tensor(&random(&mut rng, &[t, 3 * h], 1.0)).unwrap();
        let mask = additive_mask(&lengths, seq);
        let dc = random(&mut rng, &[t, h], 1.0);
        // [batch, heads, seq, d] per part, as candle's attention does.
        let part = |i: usize| {
            qkv.as_tensor()
                .narrow(1, i * h, h)
                .unwrap()
                .reshape((batch, seq, heads, d))
                .unwrap()
                .transpose(1, 2)
                .unwrap()
                .contiguous()
                .unwrap()
        };
        let (q, k, v) = (part(0), part(1), part(2));
        let raw = q.matmul(&k.t().unwrap()).unwrap();
        let logits = (&raw * scale)
            .unwrap()
            .broadcast_add(&key_mask(&mask))
            .unwrap();
        let probs = candle_nn::ops::softmax(&logits, D::Minus1).unwrap();
        let context = probs
            .matmul(&v)
            .unwrap()
            .transpose(1, 2)
            .unwrap()
            .reshape((t, h))
            .unwrap();
        let grads = probe(&context, &dc).backward().unwrap();

        let (ctx, kern) = (&g.ctx, &g.kernels);
        let (qkv_buf, dc_buf, mask_buf, p_buf) = (
            g.upload(&qkv),
            g.upload(&dc),
            g.upload(&mask),
            g.upload(&probs),
        );
        let block = seq * seq;
        let (scores, dp, dqkv) = (
            bw::zeros(ctx, "scores", batch * heads * block),
            bw::zeros(ctx, "dP", batch * heads * block),
            bw::zeros(ctx, "dqkv", t * 3 * h),
        );
        // Head `i` of sequence `b`: rows of the token-major buffers, a `[seq, seq]` block of the
        // probabilities.
        let tokens =
            |buf, part: usize, ld| Operand::rows(At(buf, part * h), ld).batched(seq * ld, d);
        let square = |buf| Operand::rows(At(buf, 0), seq).batched(heads * block, block);
        let (q_op, k_op, v_op) = (
            tokens(&qkv_buf, 0, 3 * h),
            tokens(&qkv_buf, 1, 3 * h),
            tokens(&qkv_buf, 2, 3 * h),
        );
        let dc_op = tokens(&dc_buf, 0, h);
        let shape = |m, n, k| MatmulShape {
            batch: (batch, heads),
            ..MatmulShape::new(m, n, k)
        };
        // The scores as the forward scales them: alpha = 1/√d.
        let scaled = MatmulShape {
            alpha: scale as f32,
            ..shape(seq, seq, d)
        };
        let launches = [
            bw::matmul(ctx, kern, scaled, q_op, k_op.t(), square(&scores)),
            // dP = dC·Vᵀ, then dS in place, then dQ = dS·K, dK = dSᵀ·Q, dV = Pᵀ·dC.
            bw::matmul(ctx, kern, shape(seq, seq, d), dc_op, v_op.t(), square(&dp)),
            bw::softmax_grad(
                ctx,
                kern,
                (batch, heads, seq),
                scale as f32,
                (At(&p_buf, 0), &mask_buf),
                At(&dp, 0),
            ),
            bw::matmul(
                ctx,
                kern,
                shape(seq, d, seq),
                square(&dp),
                k_op,
                tokens(&dqkv, 0, 3 * h),
            ),
            bw::matmul(
                ctx,
                kern,
                shape(seq, d, seq),
                square(&dp).t(),
                q_op,
                tokens(&dqkv, 1, 3 * h),
            ),
            bw::matmul(
                ctx,
                kern,
                shape(seq, d, seq),
                square(&p_buf).t(),
                dc_op,
                tokens(&dqkv, 2, 3 * h),
            ),
        ]
        .map(Result::unwrap);
        g.run(&launches.iter().collect::<Vec<_>>()).await;
        agree(
            "batched matmul Q·Kᵀ/√d",
            &case,
            &g.read(&scores, 0, batch * heads * block).await,
            &(&raw * scale).unwrap(),
        );
        let want = grads.get(&qkv).unwrap();
        let got =
            Tensor::from_vec(g.read(&dqkv, 0, t * 3 * h).await, (t, 3 * h), &Device::Cpu).unwrap();
        for (i, name) in ["dQ = dS·K", "dK = dSᵀ·Q", "dV = Pᵀ·dC"]
            .into_iter()
            .enumerate()
        {
            let got = flat(&got.narrow(1, i * h, h).unwrap());
            agree(name, &case, &got, &want.narrow(1, i * h, h).unwrap());
        }
    }
}

pub async fn embedding_gradient_scatter_adds_like_index_select_backward(g: &Gpu) {
    header("embeddings", &g.ctx);
    let mut rng = ChaCha8Rng::seed_from_u64(24);
    // Ids drawn from a few rows, so most rows repeat; the wide table as BERT's position table.
    for (vocab, dim, tokens, drawn) in [(50, 13, 24, 10), (512, 384, 48, 40), (1000, 384, 96, 1000)]
    {
        let case = format!("{tokens} ids of {drawn} into {vocab}x{dim}");
        let ids: Vec<u32> = (0..tokens)
            .map(|_| rng.random_range(0..drawn as u32))
            .collect();
        let table = Var::from_tensor(&random(&mut rng, &[vocab, dim], 1.0)).unwrap();
        let dx = random(&mut rng, &[tokens, dim], 1.0);
        let id_tensor = Tensor::new(ids.as_slice(), &Device::Cpu).unwrap();
        let grads = probe(&table.embedding(&id_tensor).unwrap(), &dx)
            .backward()
            .unwrap();
        // The kernel adds onto the gradient the table already has.
        let start = random(&mut rng, &[vocab, dim], 1.0);
        let want = (&start + grads.get(&table).unwrap()).unwrap();
        // Sized once for the shape and rewritten per batch, as a training loop does.
        let index = bw::zeros(&g.ctx, "index", 3 * tokens + 2);
        bw::write_u32(&g.ctx, &index, &bw::embedding_index(&ids, vocab).unwrap()).unwrap();
        let (dx_buf, table_grad) = (g.upload(&dx), g.upload(&start));
        let launch = bw::embedding_grad(
            &g.ctx,
            &g.kernels,
            (tokens, dim, vocab),
            &index,
            At(&dx_buf, 0),
            At(&table_grad, 0),
        )
        .unwrap();
        g.run(&[&launch]).await;
        agree(
            "embedding scatter-add",
            &case,
            &g.read(&table_grad, 0, vocab * dim).await,
            &want,
        );
    }
    assert!(
        bw::embedding_index(&[3, 50], 50).is_err(),
        "an id past the table"
    );
}

pub async fn cross_entropy_matches_candle_at_labelled_rows(g: &Gpu) {
    header("cross-entropy", &g.ctx);
    let mut rng = ChaCha8Rng::seed_from_u64(25);
    // A tagger's tokens with some unlabelled, an MLM head's rows, a sequence classifier.
    for (rows, classes, unlabelled) in [(24, 29, 0.3), (20, 1000, 0.5), (7, 3, 0.0)] {
        let case = format!("{rows} rows x {classes} classes");
        let labels: Vec<i64> = (0..rows)
            .map(|i| {
                // Row 0 always labelled, so the mean is defined.
                if i > 0 && rng.random::<f64>() < unlabelled {
                    -100
                } else {
                    rng.random_range(0..classes as i64)
                }
            })
            .collect();
        let logits = Var::from_tensor(&random(&mut rng, &[rows, classes], 5.0)).unwrap();
        let kept: Vec<u32> = (0..rows as u32)
            .filter(|&r| labels[r as usize] >= 0)
            .collect();
        let kept_labels: Vec<u32> = kept.iter().map(|&r| labels[r as usize] as u32).collect();
        let index = Tensor::new(kept.as_slice(), &Device::Cpu).unwrap();
        let target = Tensor::new(kept_labels.as_slice(), &Device::Cpu).unwrap();
        let loss =
            candle_nn::loss::cross_entropy(&logits.index_select(&index, 0).unwrap(), &target)
                .unwrap();
        let grads = loss.backward().unwrap();
        let (ctx, k) = (&g.ctx, &g.kernels);
        let label_buf = bw::upload_u32(ctx, "labels", &bw::label_words(&labels, classes).unwrap());
        let (logit_buf, grad, row_loss, loss_buf) = (
            g.upload(&logits),
            bw::zeros(ctx, "grad", rows * classes),
            bw::zeros(ctx, "row loss", rows),
            bw::zeros(ctx, "loss", 1),
        );
        let launches = bw::cross_entropy(
            ctx,
            k,
            &bw::CrossEntropy {
                rows,
                classes,
                logits: At(&logit_buf, 0),
                labels: &label_buf,
                grad: At(&grad, 0),
                row_loss: &row_loss,
                loss: At(&loss_buf, 0),
            },
        )
        .unwrap();
        g.run(&launches.iter().collect::<Vec<_>>()).await;
        agree(
            "cross-entropy loss",
            &case,
            &g.read(&loss_buf, 0, 1).await,
            &loss,
        );
        agree(
            "cross-entropy dLogits",
            &case,
            &g.read(&grad, 0, rows * classes).await,
            grads.get(&logits).unwrap(),
        );
    }
    assert!(
        bw::label_words(&[0, 3], 3).is_err(),
        "a label past the classes"
    );
    assert!(
        bw::label_words(&[-1], 3).is_err(),
        "a negative label other than -100"
    );
}

/// The update of `train::optimizer::AdamW`, step for step: two groups at their own rates, decayed
/// and undecayed weights, and a clipped step.
pub async fn adamw_steps_match_the_cpu_optimizer(g: &Gpu) {
    header("AdamW", &g.ctx);
    let mut rng = ChaCha8Rng::seed_from_u64(26);
    let weights = [
        ("encoder.dense.weight", vec![29, 13], Group::Encoder),
        ("encoder.dense.bias", vec![29], Group::Encoder),
        ("encoder.LayerNorm.weight", vec![384], Group::Encoder),
        ("classifier.weight", vec![3, 384], Group::Head),
    ];
    let vars: Vec<(String, Var, Group)> = weights
        .iter()
        .map(|(name, dims, group)| {
            (
                name.to_string(),
                Var::from_tensor(&random(&mut rng, dims, 1.0)).unwrap(),
                *group,
            )
        })
        .collect();
    let hp = AdamWParams::default();
    let (ctx, k) = (&g.ctx, &g.kernels);
    let params: Vec<wgpu::Buffer> = vars.iter().map(|(_, v, _)| g.upload(v)).collect();
    let grad_bufs: Vec<wgpu::Buffer> = vars
        .iter()
        .map(|(_, v, _)| bw::zeros(ctx, "grad", v.elem_count()))
        .collect();
    let moments: Vec<[wgpu::Buffer; 2]> = vars
        .iter()
        .map(|(_, v, _)| [0, 1].map(|_| bw::zeros(ctx, "moment", v.elem_count())))
        .collect();
    let step = bw::AdamWStep::new(ctx);
    let launches: Vec<Launch> = vars
        .iter()
        .enumerate()
        .map(|(i, (name, var, group))| {
            bw::adamw(
                ctx,
                k,
                &step,
                &bw::AdamWTensor {
                    len: var.elem_count(),
                    group: *group,
                    decays: decays(name),
                    param: At(&params[i], 0),
                    grad: At(&grad_bufs[i], 0),
                    m: At(&moments[i][0], 0),
                    v: At(&moments[i][1], 0),
                },
            )
            .unwrap()
        })
        .collect();
    let mut cpu = AdamW::new(vars.clone(), hp).unwrap();
    for t in 1..=5 {
        let grads: HashMap<String, Tensor> = vars
            .iter()
            .map(|(name, v, _)| (name.clone(), random(&mut rng, v.dims(), 1.0)))
            .collect();
        for (i, (name, _, _)) in vars.iter().enumerate() {
            g.write(&grad_bufs[i], &grads[name]);
        }
        let lrs = (1e-3 / t as f64, 5e-3);
        // Step 3 is clipped to norm 1: the GPU takes the CPU's clipping factor.
        let max_norm = if t == 3 { 1.0 } else { 0.0 };
        let norm = cpu.clipped_step(&grads, max_norm, lrs, t).unwrap();
        let scale = if max_norm > 0.0 && norm > max_norm {
            max_norm / (norm + 1e-6)
        } else {
            1.0
        };
        step.write(ctx, &hp, t, lrs, scale);
        g.run(&launches.iter().collect::<Vec<_>>()).await;
        for (i, (name, var, _)) in vars.iter().enumerate() {
            let got = g.read(&params[i], 0, var.elem_count()).await;
            agree_within(
                "AdamW",
                &format!("step {t} {name}"),
                &got,
                var.as_tensor(),
                ADAMW_TOLERANCE,
            );
        }
    }
    assert_eq!(cpu.steps_taken(), 5);
}
