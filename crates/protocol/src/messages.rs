//! Typed messages between the page and the compute worker.
//!
//! Every request carries a [`JobId`] chosen by the page; every reply names the job it answers, so the
//! page can run several jobs, route progress to the widget that asked, and cancel one of them.

use serde::{Deserialize, Serialize};

use crate::backend::{BackendChoice, BackendStatus};
use crate::features::{FeatureCloud, Pooling};
use crate::masking::{MaskingConfig, MaskingGrid};
use crate::probes::ProbeTask;
use crate::tokens::TokenView;
use crate::training::{Approach, PairTask, SegmentIds, SheetRow};
use crate::views::{
    AttentionView, BenchRow, ContextSide, EmbeddingView, FillMaskView, LogitLensView,
    SurprisalView, TrainingBenchRow,
};

/// Identifies one request and every event it produces.
pub type JobId = u32;

/// A message from the page to the worker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ToWorker {
    /// Start a job.
    Run { job: JobId, request: Request },
    /// Stop a running job at its next checkpoint; the worker answers with [`Reply::Cancelled`].
    Cancel { job: JobId },
    /// Pause, resume or end a training job (one that sends [`Reply::Point`]s).
    Steer { job: JobId, action: Steer },
}

/// What the user can do to a training run besides cancelling it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Steer {
    /// Hold at the next update until `Resume`.
    Pause,
    Resume,
    /// End training at the next update and report the model as it is then.
    Stop,
}

/// The work a page can ask for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Request {
    /// Describe the worker: version and compute backend.
    Hello,
    /// Measure the worker's integer throughput in `steps` slices of about `step_ms` milliseconds,
    /// reporting progress after each and honouring cancellation: the long-job path end to end.
    SelfCheck { steps: u32, step_ms: u32 },
    /// Stop the worker the way a bug or a too-large model would: a panic, or memory reserved until
    /// the browser refuses more. The page must notice, start a new worker and keep the lab's
    /// state; the crash-recovery tests send this.
    Crash { out_of_memory: bool },
    /// Load a model (a [`ModelKey`](crate::model_key::ModelKey): a shipped folder's name, a
    /// folder's URL, or a folder the page stored from the student's disk), or the default model
    /// when `None`. A model from a URL or a disk is kept in the browser's storage once it loads.
    LoadModel { name: Option<String> },
    /// Delete a model the student added (URL or disk) from memory and from the browser's storage.
    ForgetModel { name: String },
    /// Tokenize a sentence or pair with a model's tokenizer (the default model when `model` is
    /// `None`), truncated to `max_len` tokens or the model's limit, tracing WordPiece on `trace`.
    Tokenize {
        model: Option<String>,
        text: String,
        pair: Option<String>,
        max_len: Option<usize>,
        trace: Option<String>,
    },
    /// The same text through the lab's three tokenizer kinds: WordPiece (the default model's),
    /// byte-level BPE (RoBERTa-style) and Unigram (ALBERT-style), in that order.
    CompareTokenizers { text: String },
    /// Top-`top_k` predictions at every `[MASK]` in `text`, seeing the context `side` allows.
    FillMask {
        model: Option<String>,
        text: String,
        top_k: usize,
        side: ContextSide,
    },
    /// The logit lens at the first `[MASK]` of `text`: the head's `top_k` guesses from every
    /// layer's hidden state.
    LogitLens {
        model: Option<String>,
        text: String,
        top_k: usize,
    },
    /// Pseudo-perplexity of `text`: every token masked in turn.
    Surprisal { model: Option<String>, text: String },
    /// Embedding parts of a sentence or pair; `segments` overrides the segment id of each token
    /// (ignored when its length does not match the tokenization).
    Embeddings {
        model: Option<String>,
        text: String,
        pair: Option<String>,
        segments: Option<Vec<u32>>,
    },
    /// Attention of every layer and head.
    Attention {
        model: Option<String>,
        text: String,
        pair: Option<String>,
    },
    /// Mask `text` (tokenized by the model's tokenizer) for `epochs` epochs under `config`.
    MaskEpochs {
        model: Option<String>,
        text: String,
        config: MaskingConfig,
        epochs: usize,
    },
    /// The models the lab ships (`models/index.json`) and those the student added, described
    /// without loading their weights, with the browser's storage use.
    ListModels,
    /// Train and test one classifier of the experiment sheet, streaming its training curve.
    Finetune(FinetuneRequest),
    /// The runs of `lab` that were saved but never finished ([`Outcome::Interrupted`]).
    InterruptedRuns { lab: TrainingLab },
    /// Continue run `lane` of `lab` from its saved update: the same replies as the request that
    /// started it (`Finetune` or `Pretrain`).
    ResumeRun { lab: TrainingLab, lane: usize },
    /// Delete the saved state of `lab`'s runs.
    DiscardInterruptedRuns { lab: TrainingLab },
    /// The encoder trained by the `Finetune` job `run` (the worker keeps the latest one) as a
    /// Hugging Face folder in a ZIP. The bytes arrive as a binary message just before the
    /// [`Outcome::Exported`] that names them (see `client::take_bytes`).
    ExportModel { run: JobId },
    /// The labels `model` gives `text` (with `pair`, for a sentence-pair classifier), most likely
    /// first.
    Classify {
        model: TrainedModel,
        text: String,
        #[serde(default)]
        pair: Option<String>,
    },
    /// The labelled set's sentence features at every layer of the base model, of its random-init
    /// twin and, when named, of a fine-tuned classifier, each projected onto its first two
    /// principal axes.
    FeatureSpace(FeatureSpaceRequest),
    /// A linear probe on every layer of the base encoder, its random-init twin and, when named,
    /// a fine-tuned classifier's encoder.
    LayerProbes(ProbeRequest),
    /// Fine-tune a token head (part of speech or entities), streaming progress; the worker keeps the tagger
    /// for `Tag`.
    TrainTagger(crate::tagging::TaggerRequest),
    /// The words of `text` with their pieces and the latest tagger's tags.
    Tag { text: String },
    /// Fine-tune a span head (extractive QA over the support messages), streaming progress; the
    /// worker keeps it for `Answer`.
    TrainQa(crate::span_qa::QaRequest),
    /// The latest span head's answer to `question` over `text`, with every token's logits.
    Answer { question: String, text: String },
    /// What `model` reads: one text, or a pair of texts (the page then asks for two).
    DescribeClassifier { model: TrainedModel },
    /// Why `model` gives `text` (and `pair`) its label: each token's share, by integrated
    /// gradients and by gradient × input.
    Explain {
        model: TrainedModel,
        text: String,
        #[serde(default)]
        pair: Option<String>,
    },
    /// Pretrain a tiny encoder from scratch with MLM on the shipped corpus sample, streaming its
    /// curve, held-out accuracy and the guesses for a probe sentence.
    Pretrain(PretrainRequest),
    /// Run forward passes on `choice` from now on (when it is available).
    SetBackend { choice: BackendChoice },
    /// Time one fill-mask forward of the default model on the CPU and on WebGPU (about a second in
    /// all); with `Auto`, the faster one is used from then on.
    MeasureBackends,
    /// Destroy the WebGPU device, as a driver reset would, to watch the worker fall back to the
    /// CPU (the system page's "Simulate a lost GPU").
    LoseGpu,
    /// The benchmark page: ms per forward at each of `lens` tokens on both backends, for the
    /// default model and, when `bert_base`, a bert-base-sized model with random weights.
    Benchmark {
        bert_base: bool,
        reps: usize,
        lens: Vec<usize>,
    },
}

/// One run of the pretraining lab: a recipe (masking and sentence objective) on a tiny encoder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PretrainRequest {
    /// Dynamic masking (a fresh mask each epoch) or static (BERT's fixed copies).
    pub dynamic_masking: bool,
    pub pair_task: PairTask,
    pub layers: usize,
    pub hidden_size: usize,
    pub heads: usize,
    pub steps: usize,
    pub seed: u64,
    /// A sentence with one `[MASK]` whose top guesses are reported as training goes.
    pub probe: String,
    /// Which of the lab's two side-by-side runs this is (0 or 1), to save and resume it.
    #[serde(default)]
    pub lane: usize,
    /// How many 64-token sequences of the corpus sample make the training text, read again for
    /// as many epochs as the updates need (a small text read many times is where the recipes
    /// differ). Saved runs from before this field used the whole sample.
    #[serde(default = "whole_sample")]
    pub sequences: usize,
    /// Static masking's number of masked copies (BERT: 10); ignored by dynamic masking.
    #[serde(default = "bert_copies")]
    pub static_copies: usize,
}

fn whole_sample() -> usize {
    usize::MAX
}

fn bert_copies() -> usize {
    10
}

/// The labelled sets the lab ships in `assets/datasets/` (see `SOURCES.md` there).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ShippedSet {
    /// 800 customer-support messages over 8 intents, written for the lab.
    #[default]
    SupportIntents,
    /// 1,200 SpamAssassin e-mails, spam or ham.
    SpamAssassin,
    /// Pairs of the support messages: the same request or not (a sentence-pair task).
    SupportPairs,
    /// Neighbouring corpus sentences, or a sentence and one from another document (NSP's pairs).
    NextSentence,
    /// Neighbouring corpus sentences in their order or swapped (SOP's pairs).
    SentenceOrder,
}

impl ShippedSet {
    pub const ALL: [ShippedSet; 5] = [
        ShippedSet::SupportIntents,
        ShippedSet::SpamAssassin,
        ShippedSet::SupportPairs,
        ShippedSet::NextSentence,
        ShippedSet::SentenceOrder,
    ];

    /// Whether its rows are sentence pairs (`text_pair`).
    pub fn holds_pairs(self) -> bool {
        !matches!(self, ShippedSet::SupportIntents | ShippedSet::SpamAssassin)
    }

    /// The sets that probe a sentence objective: each first text appears twice, under both
    /// labels, so colouring first texts by label (the feature space) would mean nothing.
    pub fn probes_a_sentence_objective(self) -> bool {
        matches!(self, ShippedSet::NextSentence | ShippedSet::SentenceOrder)
    }

    pub fn path(self) -> &'static str {
        match self {
            ShippedSet::SupportIntents => "assets/datasets/support-intents.csv",
            ShippedSet::SpamAssassin => "assets/datasets/spam-assassin.csv",
            ShippedSet::SupportPairs => "assets/datasets/support-pairs.csv",
            ShippedSet::NextSentence => "assets/datasets/next-sentence.csv",
            ShippedSet::SentenceOrder => "assets/datasets/sentence-order.csv",
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            ShippedSet::SupportIntents => "800 customer-support messages over 8 intents (600 to train, 200 to test), written for the lab",
            ShippedSet::SpamAssassin => "1,200 e-mails from the SpamAssassin corpus, spam or ham (900 to train, 300 to test), headers and HTML removed",
            ShippedSet::SupportPairs => "800 pairs of support messages, the same request or not (600 to train, 200 to test); the different pairs share many words",
            ShippedSet::NextSentence => "800 pairs of book and speech sentences: B follows A, or B comes from another text (NSP's pairs; 600 to train, 200 to test)",
            ShippedSet::SentenceOrder => "800 pairs of neighbouring book and speech sentences, in order or swapped (SOP's pairs; 600 to train, 200 to test)",
        }
    }

    /// Rows of its `train` split (what a run on "all" examples trains on).
    pub fn train_examples(self) -> usize {
        match self {
            ShippedSet::SupportIntents => 600,
            ShippedSet::SpamAssassin => 900,
            ShippedSet::SupportPairs | ShippedSet::NextSentence | ShippedSet::SentenceOrder => 600,
        }
    }

    /// Short name for the sheet and URLs.
    pub fn slug(self) -> &'static str {
        match self {
            ShippedSet::SupportIntents => "support-intents",
            ShippedSet::SpamAssassin => "spam-assassin",
            ShippedSet::SupportPairs => "support-pairs",
            ShippedSet::NextSentence => "next-sentence",
            ShippedSet::SentenceOrder => "sentence-order",
        }
    }
}

/// One run of the fine-tuning lab.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FinetuneRequest {
    /// The encoder to start from (a folder of the lab's `models/`); the default model when `None`.
    pub model: Option<String>,
    /// The user's CSV (`text,label[,split]`); `dataset` when `None`.
    pub csv: Option<String>,
    /// Which shipped labelled set to use without a CSV.
    #[serde(default)]
    pub dataset: ShippedSet,
    pub approach: Approach,
    /// How a sentence pair's texts are told apart (ignored for single texts).
    #[serde(default)]
    pub segments: SegmentIds,
    /// A class-balanced subset of the training split; all of it when `None`.
    pub train_examples: Option<usize>,
    pub epochs: usize,
    pub seed: u64,
    /// Project the held-out texts' features a few times during the run (single texts only), so
    /// the page can redraw the feature space while the encoder changes.
    #[serde(default)]
    pub watch_features: bool,
}

/// The feature-space view's request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureSpaceRequest {
    /// The base encoder (a folder of the lab's `models/`); the default model when `None`.
    pub model: Option<String>,
    /// Whose texts (a pair set's first texts).
    pub dataset: ShippedSet,
    /// Every text of the set rather than its test split.
    pub all_texts: bool,
    pub pooling: Pooling,
    /// A fine-tuned classifier to compare with (its encoder's features).
    pub tuned: Option<TrainedModel>,
}

/// The layer-probe view's request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProbeRequest {
    /// The base encoder (a folder of the lab's `models/`); the default model when `None`.
    pub model: Option<String>,
    pub task: ProbeTask,
    /// A fine-tuned classifier whose encoder is probed too.
    pub tuned: Option<TrainedModel>,
}

/// A message from the worker to the page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum FromWorker {
    /// Sent once when the worker has started and can take requests.
    Ready(WorkerInfo),
    /// The compute backend changed: WebGPU found or not, failed, chosen, or measured.
    Backend(BackendStatus),
    /// An event of a running job.
    Job { job: JobId, reply: Reply },
    /// A model is downloading, was loaded or failed, whichever job asked for it (models load when a
    /// lab first needs one, not at start-up).
    Model(ModelEvent),
    /// The worker panicked (its message follows) and is about to stop: the page starts a new one.
    Crashed { message: String },
}

/// What happened to a model the worker was asked for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ModelEvent {
    /// Bytes of its weights received so far; `total` when the server sent a length.
    Downloading {
        name: String,
        received: u64,
        total: Option<u64>,
    },
    /// Loaded and ready. `from_cache`: its files came from the browser's cache, with no download.
    Loaded {
        summary: ModelSummary,
        from_cache: bool,
    },
    Failed {
        name: String,
        message: String,
    },
}

/// One event of a job: any number of `Progress` (and, from training jobs, `Point`), then exactly
/// one of `Done`, `Failed` or `Cancelled`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Reply {
    Progress(Progress),
    /// One update of a training run, for the live curve.
    Point(TrainingPoint),
    Done(Outcome),
    /// The job failed; the message is written for a student to read.
    Failed {
        message: String,
    },
    Cancelled,
}

impl Reply {
    /// Whether this event ends its job.
    pub fn is_final(&self) -> bool {
        !matches!(self, Reply::Progress(_) | Reply::Point(_))
    }
}

/// How far a job has come.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Progress {
    pub done: u64,
    pub total: u64,
    pub message: String,
}

impl Progress {
    /// Completed fraction in `[0, 1]`; a job of unknown size (`total == 0`) reports 0.
    pub fn fraction(&self) -> f64 {
        if self.total == 0 {
            0.0
        } else {
            (self.done as f64 / self.total as f64).min(1.0)
        }
    }
}

/// Where a training run stands after one update.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainingPoint {
    pub step: usize,
    pub total_steps: usize,
    pub loss: f64,
    /// On the update's batch.
    pub accuracy: f64,
    /// Whether the run is holding (paused) after this update.
    pub paused: bool,
    /// Held-out accuracy, on the updates where it was measured.
    #[serde(default)]
    pub held_out_accuracy: Option<f64>,
    /// Pretraining: MLM accuracy on the training text under masks the run was never shown, on the
    /// updates where it was measured.
    #[serde(default)]
    pub new_mask_accuracy: Option<f64>,
    /// Pretraining with a sentence objective (NSP or SOP): its held-out accuracy, when measured.
    #[serde(default)]
    pub held_out_pair_accuracy: Option<f64>,
    /// Pretraining with a sentence objective: what a rule with no network, blind to order (the
    /// share of pieces A and B have in common), scores on the same held-out pairs, when measured.
    #[serde(default)]
    pub pair_rule_accuracy: Option<f64>,
    /// The probe sentence's top guesses, on the updates where they were asked for.
    #[serde(default)]
    pub probe: Vec<String>,
    /// The latest update saved in the browser, from which the run can resume after a crash or a
    /// reload; `None` before the first save.
    #[serde(default)]
    pub resumable_from: Option<usize>,
    /// Fine-tuning that watches its features: the held-out texts' [CLS] vectors at the last layer,
    /// projected, on the updates where they were measured.
    #[serde(default)]
    pub feature_cloud: Option<FeatureCloud>,
}

/// The labs whose runs are saved as they train, so they can resume.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TrainingLab {
    /// One run at a time (lane 0).
    FineTune,
    /// Two recipes side by side (lanes 0 and 1).
    Pretrain,
}

impl TrainingLab {
    pub fn slug(self) -> &'static str {
        match self {
            TrainingLab::FineTune => "finetune",
            TrainingLab::Pretrain => "pretrain",
        }
    }

    /// How many runs the lab trains at once.
    pub fn lanes(self) -> usize {
        match self {
            TrainingLab::FineTune => 1,
            TrainingLab::Pretrain => 2,
        }
    }
}

/// A classifier the student trained in the lab.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum TrainedModel {
    /// The encoder the `Finetune` job trained (the worker keeps the latest one).
    Run(JobId),
    /// A model saved in the browser, by its file name (see
    /// [`TRAINED_MODELS_CACHE`](crate::model_key::TRAINED_MODELS_CACHE)).
    Saved(String),
}

/// What a saved run was asked to do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum SavedRequest {
    Finetune(FinetuneRequest),
    Pretrain(PretrainRequest),
}

impl SavedRequest {
    /// The lab and lane the run belongs to.
    pub fn slot(&self) -> (TrainingLab, usize) {
        match self {
            SavedRequest::Finetune(_) => (TrainingLab::FineTune, 0),
            SavedRequest::Pretrain(r) => (TrainingLab::Pretrain, r.lane),
        }
    }
}

/// A training run the worker saved but never finished (the tab was closed or reloaded, or the
/// worker crashed): enough to show it and to resume it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InterruptedRun {
    pub request: SavedRequest,
    /// The saved update and the run's plan.
    pub step: usize,
    pub total_steps: usize,
    /// The curve up to the saved update.
    pub points: Vec<TrainingPoint>,
    /// When it was saved (ms since the epoch).
    pub saved_at_ms: f64,
}

/// The result of a finished job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Outcome {
    Hello(WorkerInfo),
    /// A `SelfCheck` ran all its steps at this many simple integer operations per second.
    SelfCheck {
        steps: u32,
        operations_per_second: f64,
    },
    ModelLoaded(ModelSummary),
    Tokenized(TokenView),
    TokenizersCompared(Vec<TokenView>),
    FilledMask(FillMaskView),
    LogitLens(LogitLensView),
    Surprisal(SurprisalView),
    Embedded(EmbeddingView),
    Attended(AttentionView),
    MaskedEpochs(MaskingGrid),
    Models {
        default: String,
        models: Vec<ModelSummary>,
        /// Bytes the lab's origin stores and may store, when the browser says.
        #[serde(default)]
        storage: Option<StorageUse>,
    },
    /// A model the student added was deleted.
    ModelForgotten {
        name: String,
    },
    /// A line of the experiment sheet, tested on the held-out split.
    FineTuned(SheetRow),
    Interrupted(Vec<InterruptedRun>),
    /// Every label with its probability, most likely first.
    Classified {
        labels: Vec<(String, f32)>,
    },
    Explained(crate::views::AttributionView),
    /// Every (encoder, layer) projection a `FeatureSpace` request asked for.
    FeatureSpace(Vec<FeatureCloud>),
    TaggerTrained(crate::tagging::TaggerReport),
    Tagged(Vec<crate::tagging::TaggedWord>),
    QaTrained(crate::span_qa::QaReport),
    Answered(crate::span_qa::AnsweredQuestion),
    /// The probes' accuracy per layer for each encoder.
    LayerProbes(crate::probes::ProbeReport),
    /// Whether a classifier compares two texts (`[CLS] A [SEP] B [SEP]`) rather than labelling one.
    ClassifierReads {
        text_pairs: bool,
    },
    /// A model folder zipped: a file name to save it under, and its size.
    Exported {
        file_name: String,
        bytes: usize,
    },
    /// The backend now in use (answers `SetBackend` and `MeasureBackends`).
    Backend(BackendStatus),
    /// The benchmark page's table, and the adapter it ran on (`None`: no WebGPU).
    Benchmark {
        adapter: Option<String>,
        software: bool,
        rows: Vec<BenchRow>,
        /// Pretraining updates per second of the lab's race model, CPU against GPU.
        #[serde(default)]
        training: Option<TrainingBenchRow>,
    },
    /// A pretraining run ended: its updates, tokens and final held-out scores.
    Pretrained {
        steps: usize,
        tokens_seen: u64,
        held_out_accuracy: f64,
        held_out_perplexity: f64,
        parameters: usize,
        /// Where the updates ran: the backend, and a fallback to the CPU if the GPU failed.
        #[serde(default)]
        trained_on: String,
    },
}

/// What a loaded model is, for the status bar and the model pickers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelSummary {
    pub name: String,
    pub family: String,
    pub layers: usize,
    pub hidden_size: usize,
    pub heads: usize,
    pub vocab_size: usize,
    /// Longest input in tokens, special tokens included.
    pub max_len: usize,
    pub parameters: usize,
    /// Whether fill-mask predictions are available.
    pub has_mlm_head: bool,
    /// Bytes the browser keeps of a model the student added (URL or disk); `None` for shipped ones.
    #[serde(default)]
    pub stored_bytes: Option<u64>,
}

/// The browser's storage for this origin (`navigator.storage.estimate()`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct StorageUse {
    pub usage: u64,
    pub quota: u64,
}

/// What the worker is and what it computes on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkerInfo {
    pub version: String,
    /// Where forward passes run, and why (updated by [`FromWorker::Backend`]).
    pub backend: BackendStatus,
}

/// Encode a message for `postMessage`.
pub fn encode<T: Serialize>(message: &T) -> Result<String, String> {
    serde_json::to_string(message).map_err(|e| format!("could not encode a worker message: {e}"))
}

/// Decode a message received through `postMessage`.
pub fn decode<T: for<'de> Deserialize<'de>>(text: &str) -> Result<T, String> {
    serde_json::from_str(text).map_err(|e| format!("malformed worker message: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shipped_set_is_described_with_its_split() {
        for set in ShippedSet::ALL {
            let said = set.describe();
            assert!(
                said.contains(&format!("{} to train", set.train_examples())),
                "{set:?}: {said}"
            );
        }
    }

    #[test]
    fn messages_round_trip_through_json() {
        let outbound = vec![
            ToWorker::Run {
                job: 7,
                request: Request::SelfCheck {
                    steps: 3,
                    step_ms: 10,
                },
            },
            ToWorker::Cancel { job: 7 },
            ToWorker::Steer {
                job: 7,
                action: Steer::Pause,
            },
        ];
        for message in outbound {
            let text = encode(&message).expect("encodable");
            assert_eq!(decode::<ToWorker>(&text).expect("decodable"), message);
        }
        let inbound = FromWorker::Job {
            job: 7,
            reply: Reply::Progress(Progress {
                done: 1,
                total: 3,
                message: "step 1".into(),
            }),
        };
        let text = encode(&inbound).expect("encodable");
        assert_eq!(decode::<FromWorker>(&text).expect("decodable"), inbound);
    }

    #[test]
    fn only_terminal_replies_end_a_job() {
        let progress = Reply::Progress(Progress {
            done: 0,
            total: 0,
            message: String::new(),
        });
        assert!(!progress.is_final());
        assert!(Reply::Cancelled.is_final());
        assert!(!Reply::Point(TrainingPoint {
            step: 1,
            total_steps: 2,
            loss: 1.0,
            accuracy: 0.5,
            paused: false,
            held_out_accuracy: None,
            new_mask_accuracy: None,
            held_out_pair_accuracy: None,
            pair_rule_accuracy: None,
            probe: Vec::new(),
            resumable_from: None,
            feature_cloud: None,
        })
        .is_final());
        assert!(Reply::Failed {
            message: "x".into()
        }
        .is_final());
    }

    #[test]
    fn progress_fraction_is_clamped_and_safe_for_unknown_totals() {
        let p = |done, total| {
            Progress {
                done,
                total,
                message: String::new(),
            }
            .fraction()
        };
        assert_eq!(p(5, 0), 0.0);
        assert_eq!(p(1, 4), 0.25);
        assert_eq!(p(9, 4), 1.0);
    }

    #[test]
    fn malformed_input_gets_a_message_not_a_panic() {
        let err = decode::<ToWorker>("{not json").expect_err("must fail");
        assert!(err.contains("malformed worker message"), "{err}");
    }
}
