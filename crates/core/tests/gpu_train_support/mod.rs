//! What the whole-step GPU training parity tests share, natively (`gpu_train_parity.rs`, lavapipe)
//! and in the browser (`wasm_gpu_train.rs`, SwiftShader behind Chromium's WebGPU): the fixtures,
//! embedded so the browser, which cannot read files, gets the same bytes; the tolerances; the
//! labelled set and settings both sides train on; comparisons, a clock and the table's `say`.
//! `cases` holds the fine-tuning checks, `pretraining` the pretraining ones.

pub mod cases;
pub mod pretraining;

use std::collections::HashMap;

use bertlab_core::gpu::GpuContext;
use bertlab_core::model::Checkpoint;
use bertlab_core::text::tokenizer::Tokenizer;
use bertlab_core::train::finetune::{FineTuner, FinetuneConfig, Regime};
use bertlab_core::train::labelled::LabelledSet;
use candle_core::Tensor;
use candle_nn::VarMap;

/// Gradients: max |GPU − CPU| ≤ GRAD_TOLERANCE × max |CPU| per tensor. The GPU sums in other
/// orders (tiled matmuls, tree reductions, column sums in fixed lanes) and approximates erf (error
/// < 1.5e-7): a few f32 ulps per term, compounded through two layers, LayerNorms and the
/// attention softmax forward and back. Measured worst 8e-5 on lavapipe (a head bias of the
/// DistilBERT fixture, 1e-5 or less elsewhere); a wrong index, transpose, mask or missing term is
/// off by O(1).
pub const GRAD_TOLERANCE: f32 = 5e-4;

/// Weights after an update: AdamW divides by √v, so a gradient element ~1e-7 of its tensor's
/// largest can still swing its first update by up to lr: compare the change relative to lr.
/// Measured worst 1.3e-3 lr after one update, 2e-3 lr after the 8 of the fallback test.
pub const STEP_TOLERANCE: f32 = 1e-2;

/// Losses along a run, relative (to max(1, |CPU loss|)): rounding differences grow through 50
/// updates at rates of 3e-3 and 1e-2; measured worst 5.7e-6 (ALBERT, full). Diverging code (a
/// wrong rate, schedule step, clipping or batch) differs by O(1e-2) within a few steps.
pub const CURVE_TOLERANCE: f64 = 1e-4;

/// Loss of one step, relative to max(1, |CPU loss|): the forward alone, a few ulps.
pub const LOSS_TOLERANCE: f64 = 1e-5;

/// A checkpoint's two files, embedded in the test binary.
pub struct Fixture {
    pub name: &'static str,
    config: &'static [u8],
    weights: &'static [u8],
}

macro_rules! fixture {
    ($dir:literal) => {
        Fixture {
            name: $dir,
            config: include_bytes!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../tests/fixtures/parity/",
                $dir,
                "/config.json"
            )),
            weights: include_bytes!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../tests/fixtures/parity/",
                $dir,
                "/model.safetensors"
            )),
        }
    };
}

/// Sequence classifiers of the four families (a trained pooler and head in each).
pub static SEQ_CLS: [Fixture; 4] = [
    fixture!("bert-seq_cls"),
    fixture!("roberta-seq_cls"),
    fixture!("albert-seq_cls"),
    fixture!("distilbert-seq_cls"),
];

/// Masked-LM checkpoints without a pooler: the frozen regime trains a fresh one.
pub static NO_POOLER: [Fixture; 2] = [fixture!("bert-mlm"), fixture!("albert-mlm")];

const TEST_TOKENIZER: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../tests/model_data/wordpiece-tokenizer.json"
));

impl Fixture {
    /// The checkpoint with its own dropout probabilities (0.1 in every fixture).
    pub fn with_dropout(&self) -> Checkpoint {
        Checkpoint::from_bytes(self.config, self.weights)
            .unwrap_or_else(|e| panic!("{}: {e}", self.name))
    }

    /// The checkpoint with every dropout probability 0, so both sides are deterministic.
    pub fn checkpoint(&self) -> Checkpoint {
        without_dropout(self.with_dropout())
    }
}

pub fn without_dropout(mut c: Checkpoint) -> Checkpoint {
    c.config.hidden_dropout_prob = 0.0;
    c.config.attention_probs_dropout_prob = 0.0;
    c.config.classifier_dropout = 0.0;
    c
}

pub async fn context() -> GpuContext {
    GpuContext::new().await.unwrap_or_else(|e| {
        panic!(
            "{e}: the GPU tests need a Vulkan adapter natively (apt install mesa-vulkan-drivers: \
             lavapipe), and Chromium --enable-unsafe-webgpu in the browser"
        )
    })
}

/// The wordpiece tokenizer of tests/model_data (a dozen words, enough for `animals`).
pub fn test_tokenizer() -> Tokenizer {
    Tokenizer::from_bytes(TEST_TOKENIZER).unwrap()
}

/// Two classes one word separates (the test tokenizer knows a dozen words), lengths 3 to 8.
fn animals(n: usize) -> LabelledSet {
    let cats = [
        "the cat sat",
        "a cat played",
        "the cat sat on a mat",
        "cat .",
    ];
    let dogs = [
        "the mat",
        "a mat on the mat",
        "the mat sat",
        "playing on a mat",
    ];
    LabelledSet {
        texts: (0..n)
            .map(|i| {
                if i % 2 == 0 {
                    cats[i / 2 % 4]
                } else {
                    dogs[i / 2 % 4]
                }
                .to_string()
            })
            .collect(),
        text_pairs: None,
        label_ids: (0..n).map(|i| i % 2).collect(),
        labels: vec!["cat".into(), "no cat".into()],
    }
}

/// The fixtures' settings: rates high enough that 50 updates of batch 8 learn `animals`.
pub fn config(regime: Regime, epochs: usize) -> FinetuneConfig {
    FinetuneConfig {
        regime,
        epochs,
        min_updates: 0,
        batch_size: 8,
        lr_encoder: 3e-3,
        lr_head: 1e-2,
        ..FinetuneConfig::default()
    }
}

/// A fine-tuner on 16 `animals`.
pub fn tuner(base: &Checkpoint, tokenizer: &Tokenizer, config: FinetuneConfig) -> FineTuner {
    FineTuner::new(base, tokenizer.clone(), &animals(16), config).unwrap()
}

pub fn flat(t: &Tensor) -> Vec<f32> {
    t.flatten_all().unwrap().to_vec1::<f32>().unwrap()
}

/// (max |a − b| / max |b|, max |b|); NaN counts as infinitely far.
pub fn relative(a: &[f32], b: &[f32]) -> (f32, f32) {
    assert_eq!(a.len(), b.len());
    let scale = b.iter().fold(0f32, |m, v| m.max(v.abs()));
    let diff = a
        .iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .map(|d| if d.is_nan() { f32::INFINITY } else { d })
        .fold(0f32, f32::max);
    (diff / scale.max(f32::MIN_POSITIVE), scale)
}

/// Every weight of a model, by name (after a sync, the GPU's).
pub fn weights(varmap: &VarMap) -> HashMap<String, Vec<f32>> {
    varmap
        .data()
        .lock()
        .unwrap()
        .iter()
        .map(|(n, v)| (n.clone(), flat(v.as_tensor())))
        .collect()
}

/// The largest difference between two models' weights, in units of `lr`.
pub fn weights_apart(a: &VarMap, b: &VarMap, lr: f64) -> f32 {
    let (a, b) = (weights(a), weights(b));
    a.iter()
        .map(|(n, w)| {
            w.iter()
                .zip(&b[n])
                .map(|(x, y)| (x - y).abs() / lr as f32)
                .fold(0f32, f32::max)
        })
        .fold(0f32, f32::max)
}

/// The trained tensors' names (the same on both sides, or the assert fails with `what`), and
/// the worst gradient difference with its tensor. A tensor's differences are measured against its
/// own largest gradient, or a thousandth of the model's largest where that is more: the attention
/// key bias's gradient is zero in exact arithmetic (softmax is shift-invariant along a row), so
/// both sides hold rounding noise there, ~1e-9, which no relative measure of its own can compare.
pub fn worst_gradient(
    cpu: &HashMap<String, Tensor>,
    gpu: &HashMap<String, Vec<f32>>,
    what: &str,
) -> (usize, f32, String) {
    let mut names: Vec<&String> = cpu.keys().collect();
    names.sort();
    let mut gpu_names: Vec<&String> = gpu.keys().collect();
    gpu_names.sort();
    assert_eq!(names, gpu_names, "{what}: trained weights");
    let cpu_flat: Vec<Vec<f32>> = names.iter().map(|n| flat(&cpu[*n])).collect();
    let largest = cpu_flat
        .iter()
        .map(|g| relative(g, g).1)
        .fold(0f32, f32::max);
    let (mut worst, mut worst_name) = (0f32, String::new());
    for (name, cpu_g) in names.iter().zip(&cpu_flat) {
        let (rel, scale) = relative(&gpu[*name], cpu_g);
        let rel = rel * scale.max(f32::MIN_POSITIVE) / scale.max(largest * 1e-3);
        if rel > worst || worst_name.is_empty() {
            (worst, worst_name) = (rel, name.to_string());
        }
    }
    (names.len(), worst, worst_name)
}

/// Milliseconds from an arbitrary start: `performance.now()` in the browser, where
/// `std::time::Instant` panics.
pub fn now_ms() -> f64 {
    #[cfg(target_arch = "wasm32")]
    {
        web_sys::window()
            .and_then(|w| w.performance())
            .map_or_else(js_sys::Date::now, |p| p.now())
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
        START
            .get_or_init(std::time::Instant::now)
            .elapsed()
            .as_secs_f64()
            * 1e3
    }
}

/// A line of the table: the test's output natively, the browser console under wasm-bindgen-test.
pub fn say(line: String) {
    #[cfg(target_arch = "wasm32")]
    wasm_bindgen_test::console_log!("{line}");
    #[cfg(not(target_arch = "wasm32"))]
    println!("{line}");
}
