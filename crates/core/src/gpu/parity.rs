//! GPU against CPU on the same weights and input: the check the test suites run on lavapipe
//! (natively) and on SwiftShader (in headless Chromium), and `bertlab gpu` runs on real hardware.

use candle_core::{Device, Tensor};

use super::{GpuContext, GpuError, GpuMaskedLm};
use crate::model::{EncoderConfig, EncoderInput, Internals, MaskedLm};

/// What "the same" means for the GPU path: its kernels sum in another order and use an erf
/// approximation (error < 1.5e-7), so bitwise equality is not expected.
pub const TOLERANCE: f32 = 1e-3;

/// Max |GPU − CPU| per output tensor.
#[derive(Debug, Clone)]
pub struct ParityReport {
    pub model: String,
    pub rows: Vec<(String, f32)>,
}

impl ParityReport {
    pub fn worst(&self) -> f32 {
        self.rows.iter().map(|r| r.1).fold(0.0, f32::max)
    }

    /// Every tensor within [`TOLERANCE`] (and none NaN).
    pub fn passed(&self) -> bool {
        self.rows.iter().all(|r| r.1 <= TOLERANCE)
    }

    pub fn render(&self) -> String {
        let mut out = format!("{}: GPU vs CPU, max |diff| per tensor\n", self.model);
        for (name, diff) in &self.rows {
            let mark = if *diff <= TOLERANCE { "" } else { "  <-- over" };
            out.push_str(&format!("  {name:<22} {diff:.3e}{mark}\n"));
        }
        out
    }
}

/// A two-sequence batch for `config`: the second row padded, segments where the family has them,
/// ids spread over the vocabulary (skipping the low ids where the special tokens sit).
pub fn sample_batch(config: &EncoderConfig, seq: usize) -> Result<EncoderInput, GpuError> {
    let vocab = config.vocab_size as u32;
    let row = |salt: u32, len: usize| -> Vec<u32> {
        (0..len as u32)
            .map(|i| 5 + (i * 7919 + salt * 104_729) % (vocab - 5))
            .collect()
    };
    let short = (seq * 2 / 3).max(1);
    let rows = [row(1, seq), row(2, short)];
    let segments = (config.type_vocab_size > 1).then(|| {
        rows.iter()
            .map(|r| (0..r.len()).map(|i| u32::from(i >= r.len() / 2)).collect())
            .collect::<Vec<Vec<u32>>>()
    });
    Ok(EncoderInput::from_rows(
        &rows,
        segments.as_deref(),
        config.pad_token_id,
        &Device::Cpu,
    )?)
}

fn max_diff(name: &str, cpu: &Tensor, gpu: &Tensor) -> Result<(String, f32), GpuError> {
    if cpu.dims() != gpu.dims() {
        return Err(GpuError::Model(format!(
            "{name}: CPU shape {:?}, GPU shape {:?}",
            cpu.dims(),
            gpu.dims()
        )));
    }
    let diff = (cpu - gpu)?.abs()?.flatten_all()?.to_vec1::<f32>()?;
    // NaN compares false with everything: count it as infinitely far.
    let worst = diff
        .into_iter()
        .map(|d| if d.is_nan() { f32::INFINITY } else { d })
        .fold(0.0, f32::max);
    Ok((name.to_string(), worst))
}

/// Runs `model` on the CPU (candle, eval mode) and on the GPU with every internal requested and
/// the MLM logits at every position, and compares all of them.
pub async fn compare(
    ctx: &GpuContext,
    name: &str,
    model: &MaskedLm,
    gpu: &GpuMaskedLm,
    input: &EncoderInput,
) -> Result<ParityReport, GpuError> {
    let want = Internals::all();
    let cpu = model.forward(input, &want)?;
    let (batch, seq) = input.input_ids.dims2()?;
    let all_rows: Vec<usize> = (0..batch * seq).collect();
    let out = gpu.forward(ctx, input, &want, &all_rows).await?;
    let mut rows = Vec::new();
    let mut push = |label: &str, c: &Tensor, g: &Tensor| -> Result<(), GpuError> {
        rows.push(max_diff(label, c, g)?);
        Ok(())
    };
    if let (Some(c), Some(g)) = (&cpu.encoder.embeddings, &out.encoder.embeddings) {
        push("embeddings.word", &c.word, &g.word)?;
        push("embeddings.position", &c.position, &g.position)?;
        if let (Some(ct), Some(gt)) = (&c.token_type, &g.token_type) {
            push("embeddings.segment", ct, gt)?;
        }
        push("embeddings.sum", &c.sum, &g.sum)?;
        push("embeddings.normalized", &c.normalized, &g.normalized)?;
    }
    let pairs = |c: &Option<Vec<Tensor>>, g: &Option<Vec<Tensor>>| match (c, g) {
        (Some(c), Some(g)) if c.len() == g.len() => Ok(c.clone().into_iter().zip(g.clone())),
        _ => Err(GpuError::Model(
            "hidden states or attentions missing or of different counts".into(),
        )),
    };
    for (i, (c, g)) in pairs(&cpu.encoder.hidden_states, &out.encoder.hidden_states)?.enumerate() {
        push(&format!("hidden_states[{i}]"), &c, &g)?;
    }
    for (i, (c, g)) in pairs(&cpu.encoder.attentions, &out.encoder.attentions)?.enumerate() {
        push(&format!("attentions[{i}]"), &c, &g)?;
    }
    push(
        "last_hidden_state",
        &cpu.encoder.last_hidden_state,
        &out.encoder.last_hidden_state,
    )?;
    if let (Some(c), Some(g)) = (&cpu.encoder.pooled, &out.encoder.pooled) {
        push("pooled", c, g)?;
    }
    let Some(logits) = &out.logits else {
        return Err(GpuError::Model("the GPU returned no logits".into()));
    };
    let vocab = model.encoder.config().vocab_size;
    let cpu_logits = cpu.logits.reshape((batch * seq, vocab))?;
    push("mlm logits", &cpu_logits, logits)?;
    // A few rows, as fill-mask asks: the head then runs on the small-row kernel.
    let few = [1, batch * seq - 1];
    let out = gpu.forward(ctx, input, &Internals::none(), &few).await?;
    let Some(logits) = &out.logits else {
        return Err(GpuError::Model("the GPU returned no logits".into()));
    };
    let index = Tensor::new(few.map(|r| r as u32).as_slice(), &Device::Cpu)?;
    push(
        "mlm logits, 2 rows",
        &cpu_logits.index_select(&index, 0)?,
        logits,
    )?;
    Ok(ParityReport {
        model: name.to_string(),
        rows,
    })
}
