//! What the fill-mask, embeddings and attention widgets draw: computed in the worker from a loaded
//! model and sent to the page as plain data (the page never holds a tensor).

use serde::{Deserialize, Serialize};

/// Which side of each `[MASK]` the model may look at (the bidirectionality ablation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContextSide {
    /// The whole sentence, as BERT reads it.
    #[default]
    Both,
    /// Only the tokens left of the first `[MASK]` (the right ones get attention weight 0).
    LeftOnly,
    /// Only the tokens right of the last `[MASK]`.
    RightOnly,
}

/// One candidate for a masked position.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    pub piece: String,
    pub id: u32,
    pub probability: f32,
}

/// The predictions at one `[MASK]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MaskPrediction {
    /// Token index in [`FillMaskView::pieces`].
    pub position: usize,
    /// Best first.
    pub candidates: Vec<Candidate>,
}

/// Fill-mask on one input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FillMaskView {
    /// Every token the model saw, specials included.
    pub pieces: Vec<String>,
    /// Per token: whether the ablation hid it from the model.
    pub hidden: Vec<bool>,
    pub side: ContextSide,
    /// One entry per `[MASK]`, left to right.
    pub masks: Vec<MaskPrediction>,
    /// Tokens cut from the end of the text to fit the model's length.
    #[serde(default)]
    pub removed: usize,
}

/// The three embedding parts of every token, their LayerNormed sum, and the position table's geometry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EmbeddingView {
    pub pieces: Vec<String>,
    /// Segment (token type) id used for each token.
    pub segments: Vec<u32>,
    /// Per token, one vector of `dims` values each. `segment` is empty for models without a
    /// token-type table (DistilBERT).
    pub token: Vec<Vec<f32>>,
    pub segment: Vec<Vec<f32>>,
    pub position: Vec<Vec<f32>>,
    /// LayerNorm(token + segment + position), what the first layer receives (before ALBERT's projection).
    pub sum: Vec<Vec<f32>>,
    /// L2 norms per token: `[token, segment, position, sum]`.
    pub norms: Vec<[f32; 4]>,
    /// Cosine similarity between the position vectors 0..n (n = `position_similarity.len()`, at most 64).
    pub position_similarity: Vec<Vec<f32>>,
    /// Segment ids the model's table accepts (`type_vocab_size`).
    pub segment_choices: u32,
    /// Tokens cut from the end of the text to fit [`VIEW_MAX_TOKENS`].
    #[serde(default)]
    pub removed: usize,
}

/// Attention probabilities of every layer and head for one input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttentionView {
    pub pieces: Vec<String>,
    /// Whether each token is [CLS]/[SEP]/[PAD]-like (for the "hide special tokens" toggle).
    pub special: Vec<bool>,
    pub layers: usize,
    pub heads: usize,
    /// `weights[layer][head]` is a row-major `n × n` matrix (row = the attending token), n = `pieces.len()`.
    pub weights: Vec<Vec<Vec<f32>>>,
    /// Tokens cut from the end of the text to fit [`VIEW_MAX_TOKENS`].
    #[serde(default)]
    pub removed: usize,
}

/// The most tokens the embeddings and attention views show: a grid or a table of more cannot be
/// read, and a 512 × 512 map per head would be hundreds of megabytes to send to the page.
pub const VIEW_MAX_TOKENS: usize = 128;

/// The sequence lengths every benchmark reports unless asked for others.
pub const BENCH_SEQ_LENS: [usize; 3] = [16, 64, 128];

/// Training updates per second, CPU and GPU, on one workload from the same start.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainingBenchRow {
    pub workload: String,
    /// Sequences per update, and tokens per sequence.
    pub batch: usize,
    pub seq: usize,
    /// Updates timed on each path, after one warm-up update.
    pub steps: usize,
    pub cpu_updates_per_s: f64,
    /// `None` without a GPU, or when the GPU failed (then `gpu_error` says why).
    pub gpu_updates_per_s: Option<f64>,
    #[serde(default)]
    pub gpu_error: Option<String>,
}

/// Milliseconds per forward, CPU and GPU, for one model at one length.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BenchRow {
    pub model: String,
    pub seq: usize,
    /// The encoder alone, up to the last hidden state.
    pub cpu_encoder_ms: f64,
    /// The encoder, then the MLM head at one position (a fill-mask prediction).
    pub cpu_ms: f64,
    /// `None` without a GPU.
    pub gpu_ms: Option<f64>,
}

/// The logit lens: the masked-LM head applied to the hidden state at the first `[MASK]` after the
/// embeddings (layer 0) and after every layer, to watch the prediction form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogitLensView {
    /// Every token the model saw, specials included.
    pub pieces: Vec<String>,
    /// The token index of the `[MASK]` read.
    pub position: usize,
    /// Layer 0 (embeddings) to the last layer.
    pub layers: Vec<LensLayer>,
}

/// The head's guesses from one layer's hidden state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LensLayer {
    pub layer: usize,
    pub candidates: Vec<Candidate>,
    /// The probability this layer gives the last layer's first guess.
    pub final_guess_probability: f32,
}

/// Pseudo-perplexity: every ordinary token masked in turn and the model asked for it back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SurprisalView {
    pub tokens: Vec<TokenSurprisal>,
    /// `exp` of the mean negative log-probability of the tokens (lower: the text looks likelier).
    pub pseudo_perplexity: f32,
    /// Tokens cut from the end of the text to fit the model's length or the view's limit.
    pub removed: usize,
}

/// One token, masked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TokenSurprisal {
    pub piece: String,
    /// The probability the model gives the token where it is masked.
    pub probability: f32,
    /// `-log2(probability)`: bits of surprise.
    pub surprisal_bits: f32,
    /// What the model would have put there instead.
    pub best_guess: String,
}

/// Why a classifier chose its label for a text: each token's share of the label's logit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttributionView {
    /// The label explained (the classifier's choice).
    pub label: String,
    pub pieces: Vec<AttributedPiece>,
    /// Intervals of the path from the all-padding baseline to the text.
    pub steps: usize,
    /// The label's logit for the text minus its logit for the baseline.
    pub logit_change: f32,
    /// How far the integrated shares miss `logit_change`, as a fraction of it.
    pub completeness_gap: f32,
}

/// One token of an [`AttributionView`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttributedPiece {
    pub piece: String,
    /// Its integrated-gradients share of the logit's change from the baseline.
    pub integrated: f32,
    /// The logit's gradient with respect to its word embedding, dotted with that embedding.
    pub gradient_x_input: f32,
}
