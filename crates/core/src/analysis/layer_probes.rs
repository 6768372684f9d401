//! Layer-wise probes: a linear probe ([`super::probe`]) trained on each layer's frozen vectors and
//! scored on held-out data, for a word-level task (each word read at its first word piece) or a
//! sentence-level one (each text's mean-pooled vector). One forward pass per batch gives every
//! layer at once; training vectors are folded into each layer's sums as they come.

use candle_core::{Device, Tensor};

use super::features::{all_hidden_states, encode_options, sentence_features, LAB_MAX_LEN};
use super::probe::{ProbeFit, RIDGE};
use crate::model::Encoder;
use crate::text::tokenizer::Tokenizer;
use crate::train::baseline::{BagOfWords, BaselineConfig};
use crate::train::finetune::frozen::length_sorted_batches;
use crate::train::labelled::{parse_csv, LabelledSet};
use crate::train::tag_tasks::task_sets;
use crate::train::tagged::TaggedSet;
use bertlab_protocol::features::Pooling;
use bertlab_protocol::probes::{ProbeCurve, ProbeReport, ProbeTask};
use bertlab_protocol::tagging::TagTask;

/// Sentences or texts per forward pass.
const BATCH: usize = 32;

/// A probe task's training and test data, loaded from its shipped file.
#[derive(Debug, Clone)]
pub enum ProbeSets {
    Words {
        train: TaggedSet,
        test: TaggedSet,
    },
    Texts {
        train: LabelledSet,
        test: LabelledSet,
    },
}

impl ProbeSets {
    /// `task`'s data from the bytes of its file ([`ProbeTask::path`]); at most `train_limit`
    /// training sentences (the first ones) or messages (class-balanced) when given.
    pub fn load(
        task: ProbeTask,
        bytes: &[u8],
        train_limit: Option<usize>,
    ) -> Result<ProbeSets, String> {
        let limit = |n: usize| train_limit.map_or(n, |l| l.min(n));
        match task {
            ProbeTask::PartOfSpeech => {
                let text = std::str::from_utf8(bytes)
                    .map_err(|_| "the tag file is not UTF-8".to_string())?;
                let (train, test) = task_sets(TagTask::PartOfSpeech, text, train_limit)?;
                Ok(ProbeSets::Words { train, test })
            }
            ProbeTask::Intent => {
                let split = parse_csv(bytes, 0.2, 0).map_err(|e| e.to_string())?;
                if split.train.is_pairs() {
                    return Err("the intent probe reads single texts, not pairs".to_string());
                }
                let n = split.train.len();
                // A class-balanced subset when asked for fewer messages (seed 0, as the lab's).
                let train = if limit(n) < n {
                    split.train.balanced_subset(limit(n), 0)
                } else {
                    split.train
                };
                Ok(ProbeSets::Texts {
                    train,
                    test: split.test,
                })
            }
        }
    }

    pub fn train(&self) -> ProbeData<'_> {
        match self {
            ProbeSets::Words { train, .. } => ProbeData::Words(train),
            ProbeSets::Texts { train, .. } => ProbeData::Texts(train),
        }
    }

    pub fn test(&self) -> ProbeData<'_> {
        match self {
            ProbeSets::Words { test, .. } => ProbeData::Words(test),
            ProbeSets::Texts { test, .. } => ProbeData::Texts(test),
        }
    }

    pub fn classes(&self) -> Vec<String> {
        match self {
            ProbeSets::Words { train, .. } => train.tags.clone(),
            ProbeSets::Texts { train, .. } => train.labels.clone(),
        }
    }

    /// A baseline that reads no encoder, by name, and its held-out accuracy: each word's most
    /// frequent training tag, or the bag-of-words classifier.
    pub fn baseline(&self) -> Result<(String, f32), String> {
        match self {
            ProbeSets::Words { train, test } => Ok((
                "each word's commonest tag in training".to_string(),
                train.lookup_tagger().accuracy(test),
            )),
            ProbeSets::Texts { train, test } => {
                let model = BagOfWords::train(train, &BaselineConfig::default())
                    .map_err(|e| e.to_string())?;
                Ok((
                    "bag of words".to_string(),
                    model.evaluate(test).accuracy as f32,
                ))
            }
        }
    }

    /// `task`'s report with its classes and floors, before any encoder's curve.
    pub fn empty_report(&self, task: ProbeTask) -> Result<ProbeReport, String> {
        let (baseline_name, baseline) = self.baseline()?;
        Ok(ProbeReport {
            task,
            classes: self.classes(),
            train_items: 0,
            test_items: 0,
            baseline_name,
            baseline,
            majority: self.majority(),
            curves: Vec::new(),
        })
    }

    /// Probes every layer of `encoder` (named `who` in the report) and adds its curve to
    /// `report`; `progress(done, total)` counts its batches.
    pub fn add_curve(
        &self,
        report: &mut ProbeReport,
        encoder: &Encoder,
        tokenizer: &Tokenizer,
        who: &str,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<(), String> {
        let scores = probe_each_layer(
            encoder,
            tokenizer,
            self.train(),
            self.test(),
            LAB_MAX_LEN,
            progress,
        )?;
        report.train_items = scores.train_vectors;
        report.test_items = scores.test_vectors;
        report.curves.push(ProbeCurve {
            encoder: who.to_string(),
            accuracy: scores.accuracy,
        });
        Ok(())
    }

    /// Held-out accuracy of always answering the training set's commonest class.
    pub fn majority(&self) -> f32 {
        let (train_ids, test_ids, classes): (Vec<usize>, Vec<usize>, usize) = match self {
            ProbeSets::Words { train, test } => (
                train.tag_ids.concat(),
                test.tag_ids.concat(),
                train.tags.len(),
            ),
            ProbeSets::Texts { train, test } => (
                train.label_ids.clone(),
                test.label_ids.clone(),
                train.labels.len(),
            ),
        };
        let mut counts = vec![0usize; classes];
        for &c in &train_ids {
            counts[c] += 1;
        }
        let common =
            (0..classes).fold(0, |best, c| if counts[c] > counts[best] { c } else { best });
        test_ids.iter().filter(|&&c| c == common).count() as f32 / test_ids.len().max(1) as f32
    }
}

/// What a probe reads: tagged words, or labelled texts.
#[derive(Debug, Clone, Copy)]
pub enum ProbeData<'a> {
    Words(&'a TaggedSet),
    Texts(&'a LabelledSet),
}

impl ProbeData<'_> {
    pub fn classes(&self) -> usize {
        match self {
            ProbeData::Words(set) => set.tags.len(),
            ProbeData::Texts(set) => set.labels.len(),
        }
    }
}

/// Each layer's held-out accuracy (0 = the embedding output), and how many vectors trained and
/// scored the probes.
#[derive(Debug, Clone, PartialEq)]
pub struct LayerAccuracy {
    pub accuracy: Vec<f32>,
    pub train_vectors: usize,
    pub test_vectors: usize,
}

/// Trains one probe per layer of `encoder` on `train` and scores it on `test` (same classes).
/// `progress(done, total)` counts batches of both passes.
pub fn probe_each_layer(
    encoder: &Encoder,
    tokenizer: &Tokenizer,
    train: ProbeData,
    test: ProbeData,
    max_len: usize,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<LayerAccuracy, String> {
    let config = encoder.config();
    let (layers, dim, classes) = (
        config.num_hidden_layers + 1,
        config.hidden_size,
        train.classes(),
    );
    let total = batches(train) + batches(test);
    let mut done = 0;
    let mut fits = vec![ProbeFit::new(dim, classes); layers];
    for_each_batch(
        encoder,
        tokenizer,
        train,
        max_len,
        &mut |layer, rows, labels| fits[layer].add(rows, labels).map_err(|e| e.to_string()),
        &mut |_| {
            done += 1;
            progress(done, total)
        },
    )?;
    let probes = fits
        .iter()
        .map(|fit| fit.solve(RIDGE))
        .collect::<Result<Vec<_>, _>>()?;
    let mut right = vec![0usize; layers];
    let mut scored = 0;
    for_each_batch(
        encoder,
        tokenizer,
        test,
        max_len,
        &mut |layer, rows, labels| {
            let predicted = probes[layer].predict(rows);
            right[layer] += predicted.iter().zip(labels).filter(|(p, l)| p == l).count();
            if layer == 0 {
                scored += labels.len();
            }
            Ok(())
        },
        &mut |_| {
            done += 1;
            progress(done, total)
        },
    )?;
    Ok(LayerAccuracy {
        accuracy: right
            .iter()
            .map(|&r| r as f32 / scored.max(1) as f32)
            .collect(),
        train_vectors: fits[0].count(),
        test_vectors: scored,
    })
}

fn batches(data: ProbeData) -> usize {
    let n = match data {
        ProbeData::Words(set) => set.len(),
        ProbeData::Texts(set) => set.texts.len(),
    };
    n.div_ceil(BATCH)
}

/// Receives one layer's vectors of one batch: `(layer, rows one after another, their labels)`.
type VisitBatch<'a> = dyn FnMut(usize, &[f32], &[usize]) -> Result<(), String> + 'a;

/// `visit(layer, rows, labels)` for every layer of every batch, then `batch_done(())`.
fn for_each_batch(
    encoder: &Encoder,
    tokenizer: &Tokenizer,
    data: ProbeData,
    max_len: usize,
    visit: &mut VisitBatch,
    batch_done: &mut dyn FnMut(()),
) -> Result<(), String> {
    // Batches of similar length: random lengths would spend about a third of the forward passes
    // on padding. The probes' sums and scores do not depend on the order.
    match data {
        ProbeData::Texts(set) => {
            let lengths: Vec<usize> = set.texts.iter().map(String::len).collect();
            for batch in length_sorted_batches(&lengths, BATCH) {
                let texts: Vec<String> = batch.iter().map(|&i| set.texts[i].clone()).collect();
                let labels: Vec<usize> = batch.iter().map(|&i| set.label_ids[i]).collect();
                let layers = sentence_features(encoder, tokenizer, &texts, Pooling::Mean, max_len)?;
                for (layer, rows) in layers.iter().enumerate() {
                    visit(layer, &rows.concat(), &labels)?;
                }
                batch_done(());
            }
        }
        ProbeData::Words(set) => {
            let lengths: Vec<usize> = set
                .sentences
                .iter()
                .map(|w| w.iter().map(String::len).sum())
                .collect();
            for batch in length_sorted_batches(&lengths, BATCH) {
                let sentences: Vec<Vec<String>> =
                    batch.iter().map(|&i| set.sentences[i].clone()).collect();
                let tags: Vec<Vec<usize>> = batch.iter().map(|&i| set.tag_ids[i].clone()).collect();
                let (layers, labels) =
                    word_features(encoder, tokenizer, &sentences, &tags, max_len)?;
                for (layer, rows) in layers.iter().enumerate() {
                    visit(layer, rows, &labels)?;
                }
                batch_done(());
            }
        }
    }
    Ok(())
}

/// Each word's vector at its first word piece, at every layer (`[layer][word × hidden]`), and the
/// words' tags. A word cut off by `max_len` is left out.
pub fn word_features(
    encoder: &Encoder,
    tokenizer: &Tokenizer,
    sentences: &[Vec<String>],
    tags: &[Vec<usize>],
    max_len: usize,
) -> Result<(Vec<Vec<f32>>, Vec<usize>), String> {
    let message = |e: &dyn std::fmt::Display| e.to_string();
    let options = encode_options(encoder.config(), max_len);
    let mut ids = Vec::new();
    let mut types = Vec::new();
    // (row, token position, tag) of each kept word.
    let mut picks = Vec::new();
    for (row, (words, word_tags)) in sentences.iter().zip(tags).enumerate() {
        let text = words.join(" ");
        let encoded = tokenizer
            .encode(&text, None, &options)
            .map_err(|e| format!("{text:?}: {e}"))?;
        for (pieces, &tag) in encoded.word_positions(words).iter().zip(word_tags) {
            if let Some(&first) = pieces.first() {
                picks.push((row, first, tag));
            }
        }
        ids.push(encoded.ids);
        types.push(encoded.type_ids);
    }
    let (_, states) = all_hidden_states(encoder, &ids, &types)?;
    let seq = ids.iter().map(Vec::len).max().unwrap_or(0);
    let flat: Vec<u32> = picks
        .iter()
        .map(|&(r, p, _)| (r * seq + p) as u32)
        .collect();
    let index = Tensor::new(flat.as_slice(), &Device::Cpu).map_err(|e| message(&e))?;
    let layers = states
        .iter()
        .map(|h| {
            let (b, t, d) = h.dims3()?;
            h.reshape((b * t, d))?
                .index_select(&index, 0)?
                .flatten_all()?
                .to_vec1::<f32>()
        })
        .collect::<candle_core::Result<Vec<_>>>()
        .map_err(|e| message(&e))?;
    Ok((layers, picks.iter().map(|&(_, _, tag)| tag).collect()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{EncoderConfig, EncoderInput, Family, Internals, Loaded};
    use crate::text::tokenizer::EncodeOptions;

    fn tokenizer() -> Tokenizer {
        Tokenizer::from_bytes(include_bytes!(
            "../../../../tests/model_data/wordpiece-tokenizer.json"
        ))
        .expect("test tokenizer")
    }

    fn tiny_encoder(tok: &Tokenizer) -> Encoder {
        let mut cfg = EncoderConfig::tiny(Family::Bert);
        cfg.vocab_size = tok.vocab_size();
        Loaded::<Encoder>::random(&cfg, 3, &Device::Cpu)
            .unwrap()
            .model
    }

    #[test]
    fn word_vectors_are_the_hidden_states_at_each_words_first_piece() {
        let tok = tokenizer();
        let encoder = tiny_encoder(&tok);
        let words: Vec<String> = ["the", "cats", "were", "playing"]
            .map(String::from)
            .to_vec();
        let (layers, tags) = word_features(
            &encoder,
            &tok,
            std::slice::from_ref(&words),
            &[vec![0, 1, 2, 3]],
            64,
        )
        .unwrap();
        assert_eq!(tags, [0, 1, 2, 3]);
        let enc = tok
            .encode(&words.join(" "), None, &EncodeOptions::default())
            .unwrap();
        let firsts: Vec<usize> = (0..enc.len())
            .filter(|&i| {
                enc.word_ids[i].is_some() && (i == 0 || enc.word_ids[i] != enc.word_ids[i - 1])
            })
            .collect();
        assert_eq!(firsts.len(), 4, "{:?}", enc.pieces);
        let input =
            EncoderInput::from_rows(std::slice::from_ref(&enc.ids), None, 0, &Device::Cpu).unwrap();
        let want = Internals {
            hidden_states: true,
            ..Internals::none()
        };
        let states = encoder
            .forward(&input, &want)
            .unwrap()
            .hidden_states
            .unwrap();
        let d = encoder.config().hidden_size;
        for (layer, h) in states.iter().enumerate() {
            let h = h.squeeze(0).unwrap().to_vec2::<f32>().unwrap();
            for (w, &p) in firsts.iter().enumerate() {
                let got = &layers[layer][w * d..(w + 1) * d];
                let worst = got
                    .iter()
                    .zip(&h[p])
                    .map(|(a, b)| (a - b).abs())
                    .fold(0f32, f32::max);
                assert!(worst < 1e-5, "layer {layer} word {w}: {worst}");
            }
        }
    }

    #[test]
    fn a_probe_reads_a_words_identity_at_the_embedding_layer() {
        // Tag = which of three words it is: the embedding layer holds that exactly, so the layer-0
        // probe is right on every held-out word whatever the random weights.
        let tok = tokenizer();
        let encoder = tiny_encoder(&tok);
        let vocab = ["cat", "dog", "mat"];
        let mut lines = String::new();
        for i in 0..60 {
            let words: Vec<&str> = (0..4).map(|j| vocab[(i * 7 + j * 5) % 3]).collect();
            let tags: Vec<String> = words.iter().map(|w| w.to_uppercase()).collect();
            lines += &format!("{}\t{}\n", words.join(" "), tags.join(" "));
        }
        let set = TaggedSet::parse(&lines).unwrap();
        let (train, test) = (set.slice(0..40), set.slice(40..60));
        let mut calls = 0;
        let scores = probe_each_layer(
            &encoder,
            &tok,
            ProbeData::Words(&train),
            ProbeData::Words(&test),
            64,
            &mut |_, _| calls += 1,
        )
        .unwrap();
        assert_eq!(
            scores.accuracy.len(),
            encoder.config().num_hidden_layers + 1
        );
        assert_eq!((scores.train_vectors, scores.test_vectors), (160, 80));
        assert_eq!(scores.accuracy[0], 1.0, "{:?}", scores.accuracy);
        assert_eq!(calls, 2 + 1);
    }
}
