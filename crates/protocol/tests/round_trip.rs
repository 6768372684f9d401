//! Every message the page and the worker exchange survives JSON unchanged: each request, each
//! answer with the view it carries, and the control messages. A field that fails to round-trip
//! (a float map key, a skipped field without a default, a renamed variant) would break the lab
//! silently, so every variant is listed here.

use bertlab_protocol::backend::{
    BackendChoice, BackendStatus, BackendTimings, CpuKernels, GpuAvailability,
};
use bertlab_protocol::features::{FeatureCloud, Pooling};
use bertlab_protocol::masking::{
    EpochStats, GridCell, MaskCounts, MaskingConfig, MaskingGrid, Strategy,
};
use bertlab_protocol::messages::{
    decode, encode, FinetuneRequest, FromWorker, InterruptedRun, ModelEvent, ModelSummary, Outcome,
    PretrainRequest, ProbeRequest, Progress, Reply, Request, SavedRequest, ShippedSet, Steer,
    StorageUse, ToWorker, TrainedModel, TrainingLab, TrainingPoint, WorkerInfo,
};
use bertlab_protocol::probes::{ProbeCurve, ProbeReport, ProbeTask};
use bertlab_protocol::tokens::{
    Span, TokenCell, TokenView, TraceOutcome, TracePiece, TraceStep, WordPieceTrace,
};
use bertlab_protocol::training::{Approach, Misclassified, PairTask, SegmentIds, SheetRow};
use bertlab_protocol::views::{
    AttentionView, BenchRow, Candidate, ContextSide, EmbeddingView, FillMaskView, LensLayer,
    LogitLensView, MaskPrediction, SurprisalView, TokenSurprisal, TrainingBenchRow,
};

fn json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("serialisable")
}

fn round_trip<T>(value: &T)
where
    T: serde::Serialize + for<'de> serde::Deserialize<'de> + PartialEq + std::fmt::Debug,
{
    let text = encode(value).expect("encodable");
    let back: T = decode(&text).expect("decodable");
    assert_eq!(&back, value, "changed on the way: {text}");
}

fn requests() -> Vec<Request> {
    let some = |s: &str| Some(s.to_string());
    vec![
        Request::Hello,
        Request::SelfCheck {
            steps: 3,
            step_ms: 10,
        },
        Request::Crash {
            out_of_memory: true,
        },
        Request::LoadModel { name: None },
        Request::LoadModel {
            name: some("recipe-bert"),
        },
        Request::LoadModel {
            name: some("https://example.org/models/mine/"),
        },
        Request::ForgetModel {
            name: "disk:mine".into(),
        },
        Request::LogitLens {
            model: some("recipe-bert"),
            text: "The [MASK] sat.".into(),
            top_k: 5,
        },
        Request::Surprisal {
            model: None,
            text: "Héllo wörld".into(),
        },
        Request::Tokenize {
            model: None,
            text: "Héllo, wörld! [SEP]".into(),
            pair: some("Second one"),
            max_len: Some(12),
            trace: some("unaffable"),
        },
        Request::CompareTokenizers {
            text: "tokenizers".into(),
        },
        Request::FillMask {
            model: None,
            text: "The [MASK] sat.".into(),
            top_k: 5,
            side: ContextSide::RightOnly,
        },
        Request::Embeddings {
            model: None,
            text: "a".into(),
            pair: None,
            segments: Some(vec![0, 0, 1]),
        },
        Request::Attention {
            model: some("x"),
            text: "a".into(),
            pair: some("b"),
        },
        Request::MaskEpochs {
            model: None,
            text: "a b c".into(),
            config: MaskingConfig {
                strategy: Strategy::Static { duplicates: 4 },
                whole_word: true,
                ..MaskingConfig::default()
            },
            epochs: 8,
        },
        Request::ListModels,
        Request::Finetune(FinetuneRequest {
            model: None,
            csv: some("text,label\nhi,greeting\n"),
            dataset: ShippedSet::SupportPairs,
            approach: Approach::Frozen,
            segments: SegmentIds::One,
            train_examples: Some(64),
            epochs: 4,
            seed: u64::MAX,
            watch_features: true,
        }),
        Request::LayerProbes(ProbeRequest {
            model: None,
            task: ProbeTask::PartOfSpeech,
            tuned: Some(TrainedModel::Saved("mine.zip".into())),
        }),
        Request::InterruptedRuns {
            lab: TrainingLab::Pretrain,
        },
        Request::ResumeRun {
            lab: TrainingLab::FineTune,
            lane: 0,
        },
        Request::DiscardInterruptedRuns {
            lab: TrainingLab::FineTune,
        },
        Request::ExportModel { run: 9 },
        Request::Classify {
            model: TrainedModel::Run(9),
            text: "my parcel never arrived".into(),
            pair: None,
        },
        Request::Classify {
            model: TrainedModel::Saved("mine-full-3.zip".into()),
            text: "où est mon colis ?".into(),
            pair: Some("mon colis n'est pas arrivé".into()),
        },
        Request::Explain {
            model: TrainedModel::Run(9),
            text: "my parcel never arrived".into(),
            pair: Some("where is my order".into()),
        },
        Request::DescribeClassifier {
            model: TrainedModel::Saved("pairs-full-1.zip".into()),
        },
        Request::Pretrain(PretrainRequest {
            dynamic_masking: true,
            pair_task: PairTask::Sop,
            layers: 2,
            hidden_size: 64,
            heads: 2,
            steps: 150,
            seed: 1,
            probe: "The [MASK] is blue.".into(),
            lane: 1,
            sequences: 64,
            static_copies: 1,
        }),
        Request::SetBackend {
            choice: BackendChoice::WebGpu,
        },
        Request::MeasureBackends,
        Request::LoseGpu,
        Request::Benchmark {
            bert_base: true,
            reps: 3,
            lens: vec![16, 512],
        },
    ]
}

fn backend() -> BackendStatus {
    BackendStatus {
        choice: BackendChoice::Cpu,
        gpu: GpuAvailability::Ready {
            adapter: "SwiftShader".into(),
            software: true,
        },
        timings: Some(BackendTimings {
            model: "m".into(),
            tokens: 16,
            cpu_ms: 37.9,
            gpu_ms: None,
        }),
        cpu: CpuKernels::Simd128Fma,
    }
}

fn token_view() -> TokenView {
    let span = Span {
        start: 0,
        end: 2,
        byte_start: 0,
        byte_end: 2,
    };
    TokenView {
        tokens: vec![TokenCell {
            piece: "##izer".into(),
            id: 17,
            segment: 1,
            position: 3,
            special: false,
            sequence: Some(1),
            chars: (5, 9),
            word: Some(0),
        }],
        max_len: 512,
        removed: [1, 0],
        kind: "WordPiece".into(),
        trace: Some(WordPieceTrace {
            word: "un".into(),
            steps: vec![TraceStep {
                span,
                candidate: "un".into(),
                id: Some(4895),
            }],
            outcome: TraceOutcome::NoMatch { at: 1 },
            pieces: vec![TracePiece {
                text: "[UNK]".into(),
                id: None,
                span,
            }],
        }),
    }
}

fn summary() -> ModelSummary {
    ModelSummary {
        name: "bertlab-minilm-mlm".into(),
        family: "bert".into(),
        layers: 6,
        hidden_size: 384,
        heads: 12,
        vocab_size: 30522,
        max_len: 512,
        parameters: 22_744_506,
        has_mlm_head: true,
        stored_bytes: Some(90_868_376),
    }
}

fn outcomes() -> Vec<Outcome> {
    let summary = summary();
    let counts = MaskCounts {
        tokens: 12,
        candidates: 10,
        selected: 2,
        masked: 1,
        randomized: 1,
        kept: 0,
    };
    vec![
        Outcome::Hello(WorkerInfo {
            version: "0.1.0".into(),
            backend: backend(),
        }),
        Outcome::SelfCheck {
            steps: 3,
            operations_per_second: 1.5e8,
        },
        Outcome::ModelLoaded(summary.clone()),
        Outcome::Tokenized(token_view()),
        Outcome::TokenizersCompared(vec![token_view(), token_view()]),
        Outcome::FilledMask(FillMaskView {
            pieces: vec!["[CLS]".into(), "[MASK]".into(), "[SEP]".into()],
            hidden: vec![false, false, true],
            side: ContextSide::LeftOnly,
            masks: vec![MaskPrediction {
                position: 1,
                candidates: vec![Candidate {
                    piece: "paris".into(),
                    id: 3000,
                    probability: 0.25,
                }],
            }],
            removed: 0,
        }),
        Outcome::Embedded(EmbeddingView {
            pieces: vec!["a".into()],
            segments: vec![0],
            token: vec![vec![0.5, -1.0]],
            segment: Vec::new(),
            position: vec![vec![0.25, 0.0]],
            sum: vec![vec![1.0, -1.0]],
            norms: vec![[1.0, 0.0, 0.25, 1.5]],
            position_similarity: vec![vec![1.0]],
            segment_choices: 2,
            removed: 3,
        }),
        Outcome::Attended(AttentionView {
            pieces: vec!["a".into(), "b".into()],
            special: vec![true, false],
            layers: 1,
            heads: 1,
            weights: vec![vec![vec![0.75, 0.25, 0.5, 0.5]]],
            removed: 0,
        }),
        Outcome::MaskedEpochs(MaskingGrid {
            pieces: vec!["[CLS]".into(), "cat".into(), "sat".into()],
            config: MaskingConfig::default(),
            rows: vec![vec![
                GridCell::Special,
                GridCell::Random("dog".into()),
                GridCell::Keep,
            ]],
            epochs: vec![EpochStats {
                epoch: 0,
                counts,
                distinct_targets: 2,
            }],
            candidates: 2,
        }),
        Outcome::Models {
            default: summary.name.clone(),
            models: vec![summary],
            storage: Some(StorageUse {
                usage: 91_000_000,
                quota: 10_000_000_000,
            }),
        },
        Outcome::ModelForgotten {
            name: "disk:mine".into(),
        },
        Outcome::LogitLens(LogitLensView {
            pieces: vec!["[CLS]".into(), "[MASK]".into(), "[SEP]".into()],
            position: 1,
            layers: vec![LensLayer {
                layer: 0,
                candidates: vec![Candidate {
                    piece: "cat".into(),
                    id: 4937,
                    probability: 0.25,
                }],
                final_guess_probability: 0.125,
            }],
        }),
        Outcome::Surprisal(SurprisalView {
            tokens: vec![TokenSurprisal {
                piece: "cat".into(),
                probability: 0.5,
                surprisal_bits: 1.0,
                best_guess: "dog".into(),
            }],
            pseudo_perplexity: 2.0,
            removed: 0,
        }),
        Outcome::FineTuned(SheetRow {
            approach: Approach::BagOfWords,
            model: String::new(),
            dataset: "support-intents".into(),
            segments: SegmentIds::PerText,
            train_examples: 600,
            accuracy: 0.9,
            macro_f1: 0.875,
            trainable_parameters: 1234,
            wall_seconds: 2.5,
            updates: 40,
            stopped_early: true,
            note: "the loss became NaN".into(),
            errors: vec![Misclassified {
                text: "where is my \"parcel\"?".into(),
                label: "shipping".into(),
                predicted: "refund".into(),
            }],
            trained_on: "WebGPU, then the CPU from update 12".into(),
        }),
        Outcome::Classified {
            labels: vec![("refund".into(), 0.75), ("shipping".into(), 0.25)],
        },
        Outcome::ClassifierReads { text_pairs: true },
        Outcome::LayerProbes(ProbeReport {
            task: ProbeTask::Intent,
            classes: vec!["refund".into(), "shipping".into()],
            train_items: 600,
            test_items: 200,
            baseline_name: "bag of words".into(),
            baseline: 0.85,
            majority: 0.125,
            curves: vec![ProbeCurve {
                encoder: "pretrained".into(),
                accuracy: vec![0.5, 0.75],
            }],
        }),
        Outcome::Interrupted(Vec::new()),
        Outcome::Interrupted(vec![InterruptedRun {
            request: SavedRequest::Finetune(FinetuneRequest {
                model: Some("disk:mine".into()),
                csv: None,
                dataset: ShippedSet::SupportIntents,
                approach: Approach::Full,
                segments: SegmentIds::PerText,
                train_examples: None,
                epochs: 3,
                seed: 7,
                watch_features: false,
            }),
            step: 40,
            total_steps: 114,
            points: Vec::new(),
            saved_at_ms: 1.5e12,
        }]),
        Outcome::Exported {
            file_name: "model.zip".into(),
            bytes: 45_000_000,
        },
        Outcome::Backend(backend()),
        Outcome::Benchmark {
            adapter: None,
            software: false,
            rows: vec![BenchRow {
                model: "m".into(),
                seq: 64,
                cpu_encoder_ms: 90.5,
                cpu_ms: 99.1,
                gpu_ms: Some(2399.0),
            }],
            training: Some(TrainingBenchRow {
                workload: "race".into(),
                batch: 8,
                seq: 64,
                steps: 3,
                cpu_updates_per_s: 12.5,
                gpu_updates_per_s: None,
                gpu_error: Some("lost".into()),
            }),
        },
        Outcome::Pretrained {
            steps: 150,
            tokens_seen: 70_000,
            held_out_accuracy: 0.073,
            held_out_perplexity: 812.5,
            parameters: 2_000_000,
            trained_on: "WebGPU (SwiftShader)".into(),
        },
    ]
}

#[test]
fn every_request_round_trips() {
    for (job, request) in requests().into_iter().enumerate() {
        round_trip(&ToWorker::Run {
            job: job as u32,
            request,
        });
    }
    for action in [Steer::Pause, Steer::Resume, Steer::Stop] {
        round_trip(&ToWorker::Steer { job: 1, action });
    }
    round_trip(&ToWorker::Cancel { job: 1 });
}

#[test]
fn every_answer_round_trips_with_its_view() {
    for (job, outcome) in outcomes().into_iter().enumerate() {
        round_trip(&FromWorker::Job {
            job: job as u32,
            reply: Reply::Done(outcome),
        });
    }
    let replies = [
        Reply::Progress(Progress {
            done: 1,
            total: 3,
            message: "step 1".into(),
        }),
        Reply::Point(TrainingPoint {
            step: 2,
            total_steps: 10,
            loss: 3.5,
            accuracy: 0.25,
            paused: true,
            held_out_accuracy: Some(0.125),
            new_mask_accuracy: Some(0.5),
            held_out_pair_accuracy: Some(0.75),
            pair_rule_accuracy: Some(0.625),
            probe: vec!["paris".into()],
            resumable_from: Some(1),
            feature_cloud: Some(FeatureCloud {
                encoder: "update 2".into(),
                layer: 6,
                layers: 6,
                pooling: Pooling::Cls,
                points: vec![[0.5, -1.0]],
                label_ids: vec![1],
                labels: vec!["a".into(), "b".into()],
                explained: [0.5, 0.25],
            }),
        }),
        Reply::Failed {
            message: "no [MASK] in the text".into(),
        },
        Reply::Cancelled,
    ];
    for reply in replies {
        round_trip(&FromWorker::Job { job: 1, reply });
    }
    round_trip(&FromWorker::Ready(WorkerInfo {
        version: "0.1.0".into(),
        backend: BackendStatus::default(),
    }));
    round_trip(&FromWorker::Backend(backend()));
    round_trip(&FromWorker::Crashed {
        message: "index out of bounds".into(),
    });
    let events = [
        ModelEvent::Downloading {
            name: "bertlab-minilm-mlm".into(),
            received: 1 << 20,
            total: Some(45 << 20),
        },
        ModelEvent::Downloading {
            name: "m".into(),
            received: 3,
            total: None,
        },
        ModelEvent::Loaded {
            summary: summary(),
            from_cache: true,
        },
        ModelEvent::Failed {
            name: "m".into(),
            message: "HTTP 404".into(),
        },
    ];
    for event in events {
        round_trip(&FromWorker::Model(event));
    }
}

#[test]
fn the_settings_a_url_carries_keep_their_spelling() {
    // Lesson presets and shared links spell these values; renaming a variant breaks them.
    assert_eq!(json(&ContextSide::LeftOnly), "\"left_only\"");
    assert_eq!(json(&PairTask::Nsp), "\"nsp\"");
    assert_eq!(json(&Approach::BagOfWords), "\"bag_of_words\"");
    assert_eq!(json(&ShippedSet::SpamAssassin), "\"spam_assassin\"");
    assert_eq!(
        json(&Strategy::Static { duplicates: 4 }),
        r#"{"kind":"static","duplicates":4}"#
    );
}
