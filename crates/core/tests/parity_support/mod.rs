#![allow(dead_code)] // each test crate that includes this module uses a different part of it

//! Shared by `tests/parity.rs` (native) and `tests/wasm_forward.rs` (wasm32): runs one Hugging Face
//! fixture from `tests/fixtures/parity/` through our model and compares every reference tensor.
//!
//! The reference names (`embeddings.word`, `hidden_states.{i}`, `attentions.{i}`, `pooled`, `logits.*`,
//! `fill_mask.*`) are documented in `scripts/parity/make_fixtures.py`. Every tensor the reference holds
//! must be produced by our model: a missing one is a failure, never a skip. Padded positions are compared
//! too, since HF masks padded keys only and the rows of padded queries are well defined.

use std::collections::{BTreeMap, HashMap};

use bertlab_core::model::{
    Architecture, Checkpoint, Encoder, EncoderInput, EncoderOutput, ForPreTraining,
    ForQuestionAnswering, ForSequenceClassification, ForTokenClassification, Internals, MaskedLm,
    Mode,
};
use candle_core::{DType, Device, Tensor, D};

/// Max |ours - HF| allowed for any element of any compared float tensor.
pub const TOLERANCE: f32 = 1e-4;

/// The HF class a fixture was saved from, i.e. which of our architectures loads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Head {
    /// `BertModel` etc.: encoder (+ pooler) only.
    Base,
    /// `*ForMaskedLM`.
    MaskedLm,
    /// `BertForPreTraining` (MLM + NSP) / `AlbertForPreTraining` (MLM + SOP).
    PreTraining,
    SeqCls,
    TokenCls,
    Qa,
}

/// One fixture: the model files and the reference, as bytes (native reads them, wasm embeds them).
pub struct Fixture<'a> {
    pub name: &'a str,
    pub head: Head,
    pub config_json: &'a [u8],
    pub weights: &'a [u8],
    pub reference: &'a [u8],
}

/// One compared tensor.
#[derive(Debug)]
pub struct Row {
    pub tensor: String,
    pub shape: Vec<usize>,
    /// Max |ours - HF| (exact match for integer tensors shows 0); infinite on a shape mismatch or NaN.
    pub max_diff: f32,
}

/// The outcome of one fixture in one mode.
#[derive(Debug)]
pub struct Report {
    pub case: String,
    pub mode: Mode,
    pub rows: Vec<Row>,
    pub failures: Vec<String>,
}

impl Report {
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }

    /// A table of max diffs per tensor, then the failures.
    pub fn render(&self) -> String {
        let mut s = format!(
            "{} ({:?}): {} tensors compared\n",
            self.case,
            self.mode,
            self.rows.len()
        );
        for r in &self.rows {
            let flag = if r.max_diff <= TOLERANCE {
                ""
            } else {
                "  <-- over tolerance"
            };
            s += &format!(
                "  {:<24} {:<16} max|diff| {:.3e}{flag}\n",
                r.tensor,
                format!("{:?}", r.shape),
                r.max_diff
            );
        }
        for f in &self.failures {
            s += &format!("  FAIL: {f}\n");
        }
        s
    }

    pub fn worst(&self) -> f32 {
        self.rows.iter().map(|r| r.max_diff).fold(0.0, f32::max)
    }
}

type Tensors = HashMap<String, Tensor>;

fn err(context: &str) -> impl Fn(candle_core::Error) -> String + '_ {
    move |e| format!("{context}: {e}")
}

/// Loads the fixture with our checkpoint loader, runs the forward pass asking for every internal, and
/// compares the result with the HF reference. `Err` only when the fixture itself cannot be read.
pub fn run(fixture: &Fixture, mode: Mode) -> Result<Report, String> {
    let reference: Tensors = candle_core::safetensors::load_buffer(fixture.reference, &Device::Cpu)
        .map_err(err("reading reference.safetensors"))?;
    let mut report = Report {
        case: fixture.name.to_string(),
        mode,
        rows: Vec::new(),
        failures: Vec::new(),
    };
    let checkpoint = match Checkpoint::from_bytes(fixture.config_json, fixture.weights) {
        Ok(c) => c,
        Err(e) => {
            report.failures.push(format!("loading the checkpoint: {e}"));
            return Ok(report);
        }
    };
    let input = encoder_input(&reference, mode)?;
    let ours = match forward(&checkpoint, fixture.head, &input) {
        Ok((ours, unused)) => {
            if !unused.is_empty() {
                // Every tensor of these files belongs to the architecture that loads them.
                report
                    .failures
                    .push(format!("checkpoint tensors left unused: {unused:?}"));
            }
            ours
        }
        Err(e) => {
            report.failures.push(format!("forward: {e}"));
            return Ok(report);
        }
    };
    compare(&reference, &ours, &mut report)?;
    if reference.contains_key("fill_mask.top_ids") {
        check_fill_mask(&reference, &ours, &mut report)?;
    }
    Ok(report)
}

/// The batch exactly as HF saw it. Position ids are left to our model's own default (RoBERTa's offset
/// past padding included) and compared against the ids HF derived.
fn encoder_input(reference: &Tensors, mode: Mode) -> Result<EncoderInput, String> {
    let get = |name: &str| -> Result<Tensor, String> {
        let t = reference
            .get(name)
            .ok_or(format!("reference lacks {name}"))?;
        t.to_dtype(DType::U32).map_err(err(name))
    };
    let mut input = EncoderInput::new(get("input_ids")?)
        .with_attention_mask(get("attention_mask")?)
        .with_mode(mode);
    if reference.contains_key("token_type_ids") {
        input = input.with_token_type_ids(get("token_type_ids")?);
    }
    Ok(input)
}

/// Runs the architecture for `head`; returns our tensors under the reference names and the
/// checkpoint tensors the architecture did not use.
fn forward(
    checkpoint: &Checkpoint,
    head: Head,
    input: &EncoderInput,
) -> Result<(Tensors, Vec<String>), String> {
    fn load<M: Architecture>(c: &Checkpoint) -> Result<(M, Vec<String>), String> {
        let loaded = c.load::<M>(&Device::Cpu).map_err(|e| e.to_string())?;
        Ok((loaded.model, loaded.unused))
    }
    let want = Internals::all();
    let mut ours = Tensors::new();
    let unused = match head {
        Head::Base => {
            let (m, unused) = load::<Encoder>(checkpoint)?;
            let out = m.forward(input, &want).map_err(|e| e.to_string())?;
            encoder_tensors(&out, &mut ours);
            unused
        }
        Head::MaskedLm => {
            let (m, unused) = load::<MaskedLm>(checkpoint)?;
            let out = m.forward(input, &want).map_err(|e| e.to_string())?;
            encoder_tensors(&out.encoder, &mut ours);
            ours.insert("logits.mlm".into(), out.logits);
            unused
        }
        Head::PreTraining => {
            let (m, unused) = load::<ForPreTraining>(checkpoint)?;
            let out = m.forward(input, &want).map_err(|e| e.to_string())?;
            encoder_tensors(&out.encoder, &mut ours);
            ours.insert("logits.mlm".into(), out.mlm_logits);
            // BERT's pair task is next-sentence prediction, ALBERT's sentence-order prediction.
            ours.insert("logits.nsp".into(), out.pair_logits.clone());
            ours.insert("logits.sop".into(), out.pair_logits);
            unused
        }
        Head::SeqCls => {
            let (m, unused) = load::<ForSequenceClassification>(checkpoint)?;
            let out = m.forward(input, &want).map_err(|e| e.to_string())?;
            encoder_tensors(&out.encoder, &mut ours);
            ours.insert("logits.seq_cls".into(), out.logits);
            unused
        }
        Head::TokenCls => {
            let (m, unused) = load::<ForTokenClassification>(checkpoint)?;
            let out = m.forward(input, &want).map_err(|e| e.to_string())?;
            encoder_tensors(&out.encoder, &mut ours);
            ours.insert("logits.token_cls".into(), out.logits);
            unused
        }
        Head::Qa => {
            let (m, unused) = load::<ForQuestionAnswering>(checkpoint)?;
            let out = m.forward(input, &want).map_err(|e| e.to_string())?;
            encoder_tensors(&out.encoder, &mut ours);
            ours.insert("logits.qa_start".into(), out.start_logits);
            ours.insert("logits.qa_end".into(), out.end_logits);
            unused
        }
    };
    Ok((ours, unused))
}

fn encoder_tensors(out: &EncoderOutput, ours: &mut Tensors) {
    if let Some(p) = &out.embeddings {
        ours.insert("embeddings.word".into(), p.word.clone());
        ours.insert("embeddings.position".into(), p.position.clone());
        if let Some(t) = &p.token_type {
            ours.insert("embeddings.token_type".into(), t.clone());
        }
        ours.insert("embeddings.sum_norm".into(), p.normalized.clone());
        ours.insert("position_ids".into(), p.position_ids.clone());
    }
    for (i, h) in out.hidden_states.iter().flatten().enumerate() {
        ours.insert(format!("hidden_states.{i}"), h.clone());
    }
    for (i, a) in out.attentions.iter().flatten().enumerate() {
        ours.insert(format!("attentions.{i}"), a.clone());
    }
    if let Some(p) = &out.pooled {
        ours.insert("pooled".into(), p.clone());
    }
}

/// The batch inputs are what we fed in, and the fill-mask entries are checked on their own.
fn is_input(name: &str) -> bool {
    matches!(name, "input_ids" | "attention_mask" | "token_type_ids")
        || name.starts_with("fill_mask.")
}

fn compare(reference: &Tensors, ours: &Tensors, report: &mut Report) -> Result<(), String> {
    let sorted: BTreeMap<&String, &Tensor> = reference.iter().collect();
    for (name, expected) in sorted {
        if is_input(name) {
            continue;
        }
        let Some(actual) = ours.get(name.as_str()) else {
            report
                .failures
                .push(format!("{name}: HF has it, our forward returned none"));
            continue;
        };
        let shape = expected.dims().to_vec();
        if actual.dims() != expected.dims() {
            report
                .failures
                .push(format!("{name}: shape {:?}, HF {:?}", actual.dims(), shape));
            report.rows.push(Row {
                tensor: name.clone(),
                shape,
                max_diff: f32::INFINITY,
            });
            continue;
        }
        let max_diff = max_abs_diff(expected, actual).map_err(err(name))?;
        let exact = !expected.dtype().is_float();
        if (exact && max_diff != 0.0) || !(max_diff <= TOLERANCE) {
            report
                .failures
                .push(format!("{name}: max |diff| {max_diff:.3e} > {TOLERANCE:e}"));
        }
        report.rows.push(Row {
            tensor: name.clone(),
            shape,
            max_diff,
        });
    }
    Ok(())
}

/// Max |a - b| over all elements, computed in f64 so the integer ids compare exactly too; NaN counts as
/// infinitely far.
fn max_abs_diff(a: &Tensor, b: &Tensor) -> candle_core::Result<f32> {
    let a = a.to_dtype(DType::F64)?.flatten_all()?.to_vec1::<f64>()?;
    let b = b.to_dtype(DType::F64)?.flatten_all()?.to_vec1::<f64>()?;
    Ok(a.iter()
        .zip(&b)
        .map(|(x, y)| (x - y).abs())
        .map(|d| if d.is_nan() { f64::INFINITY } else { d })
        .fold(0.0, f64::max) as f32)
}

/// Fill-mask as a user sees it: softmax over the vocabulary at the [MASK], top-K ids in HF's order and
/// their probabilities within tolerance (the script made sure the top K are separated well above it).
fn check_fill_mask(reference: &Tensors, ours: &Tensors, report: &mut Report) -> Result<(), String> {
    let index = |name: &str| -> Result<usize, String> {
        let t = reference
            .get(name)
            .ok_or(format!("reference lacks {name}"))?;
        Ok(t.to_dtype(DType::U32)
            .and_then(|t| t.flatten_all()?.to_vec1::<u32>())
            .map_err(err(name))?[0] as usize)
    };
    let (b, pos) = (
        index("fill_mask.batch_index")?,
        index("fill_mask.position")?,
    );
    let want_ids: Vec<u32> = reference["fill_mask.top_ids"]
        .to_dtype(DType::U32)
        .and_then(|t| t.to_vec1())
        .map_err(err("top_ids"))?;
    let want_probs: Vec<f32> = reference["fill_mask.top_probs"]
        .to_vec1()
        .map_err(err("top_probs"))?;
    let Some(logits) = ours.get("logits.mlm") else {
        report.failures.push("fill-mask: no MLM logits".into());
        return Ok(());
    };
    let probs = candle_nn::ops::softmax(
        &logits
            .get(b)
            .and_then(|t| t.get(pos))
            .map_err(err("mask row"))?,
        D::Minus1,
    )
    .and_then(|t| t.to_vec1::<f32>())
    .map_err(err("softmax"))?;
    let mut order: Vec<usize> = (0..probs.len()).collect();
    order.sort_by(|&i, &j| probs[j].total_cmp(&probs[i]));
    let got_ids: Vec<u32> = order
        .iter()
        .take(want_ids.len())
        .map(|&i| i as u32)
        .collect();
    let got_probs: Vec<f32> = order
        .iter()
        .take(want_ids.len())
        .map(|&i| probs[i])
        .collect();
    let max_diff = got_probs
        .iter()
        .zip(&want_probs)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f32::max);
    if got_ids != want_ids {
        report
            .failures
            .push(format!("fill-mask top ids {got_ids:?}, HF {want_ids:?}"));
    }
    if !(max_diff <= TOLERANCE) {
        report.failures.push(format!(
            "fill-mask top probabilities {got_probs:?}, HF {want_probs:?}"
        ));
    }
    report.rows.push(Row {
        tensor: "fill_mask.top_probs".into(),
        shape: vec![want_ids.len()],
        max_diff,
    });
    Ok(())
}
