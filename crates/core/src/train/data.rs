//! Pretraining examples: the corpus text tokenized and packed into fixed-length sequences, either
//! single segments for MLM (sentences of one document packed greedily up to the length) or
//! sentence pairs for NSP / SOP, and the seeded order in which training visits them.
//!
//! Input is the corpus module's format: one sentence per line, a blank line between documents.

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::text::tokenizer::{EncodeOptions, Tokenizer};

use super::TrainError;

pub use bertlab_protocol::training::PairTask;

/// One packed sequence, special tokens included, unpadded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Example {
    pub ids: Vec<u32>,
    pub type_ids: Vec<u32>,
    pub special: Vec<bool>,
    /// Word index per token (for whole-word masking); `None` at special tokens.
    pub word_ids: Vec<Option<usize>>,
    /// NSP / SOP label (0 = is next / in order).
    pub pair_label: Option<u32>,
}

/// The special-token ids packing needs.
#[derive(Debug, Clone, Copy)]
pub struct Specials {
    pub cls: u32,
    pub sep: u32,
    pub pad: u32,
}

impl Specials {
    /// `[CLS]`/`[SEP]`/`[PAD]` (or `<s>`/`</s>`/`<pad>`) looked up in the tokenizer.
    pub fn of(tok: &Tokenizer) -> Result<Specials, TrainError> {
        let find = |names: &[&str]| {
            names
                .iter()
                .find_map(|n| tok.token_to_id(n))
                .ok_or_else(|| TrainError::Data(format!("the tokenizer has none of {names:?}")))
        };
        Ok(Specials {
            cls: find(&["[CLS]", "<s>"])?,
            sep: find(&["[SEP]", "</s>"])?,
            pad: find(&["[PAD]", "<pad>"])?,
        })
    }
}

/// A tokenized sentence: ids and the word index of each piece within the sentence.
#[derive(Debug, Clone)]
struct Sentence {
    ids: Vec<u32>,
    words: Vec<usize>,
}

/// Splits corpus text into documents of non-empty sentences.
pub fn documents(text: &str) -> Vec<Vec<&str>> {
    let mut docs = vec![Vec::new()];
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() {
            if docs.last().is_some_and(|d| !d.is_empty()) {
                docs.push(Vec::new());
            }
        } else if let Some(doc) = docs.last_mut() {
            doc.push(line);
        }
    }
    docs.retain(|d| !d.is_empty());
    docs
}

fn tokenize(tok: &Tokenizer, sentence: &str) -> Result<Sentence, TrainError> {
    let opts = EncodeOptions {
        add_special_tokens: false,
        ..EncodeOptions::default()
    };
    let enc = tok
        .encode(sentence, None, &opts)
        .map_err(|e| TrainError::Data(e.to_string()))?;
    let words = enc
        .word_ids
        .iter()
        .enumerate()
        .map(|(i, w)| w.map_or(i, |w| w as usize))
        .collect();
    Ok(Sentence {
        ids: enc.ids,
        words,
    })
}

/// Appends tokens of `s` to a segment being built, renumbering words after those already there.
fn extend(ids: &mut Vec<u32>, words: &mut Vec<usize>, s: &Sentence, max: usize) {
    let base = words.last().map_or(0, |w| w + 1);
    let first = s.words.first().copied().unwrap_or(0);
    for (&id, &w) in s
        .ids
        .iter()
        .zip(&s.words)
        .take(max.saturating_sub(ids.len()))
    {
        ids.push(id);
        words.push(base + w - first.min(w));
    }
}

/// `[CLS] a [SEP] (b [SEP])` with segment ids, special mask and word ids.
fn assemble(
    sp: Specials,
    a: (&[u32], &[usize]),
    b: Option<(&[u32], &[usize])>,
    label: Option<u32>,
) -> Example {
    let mut ex = Example {
        ids: vec![sp.cls],
        type_ids: vec![0],
        special: vec![true],
        word_ids: vec![None],
        pair_label: label,
    };
    let mut word_base = 0;
    for (segment, part) in std::iter::once(a).chain(b).enumerate() {
        for (&id, &w) in part.0.iter().zip(part.1) {
            ex.ids.push(id);
            ex.type_ids.push(segment as u32);
            ex.special.push(false);
            ex.word_ids.push(Some(word_base + w));
        }
        word_base += part.1.last().map_or(0, |w| w + 1);
        ex.ids.push(sp.sep);
        ex.type_ids.push(segment as u32);
        ex.special.push(true);
        ex.word_ids.push(None);
    }
    ex
}

/// Tokenizes `text` and builds examples of at most `seq_len` tokens. Pair examples (NSP/SOP) are
/// drawn once, from `seed`, as BERT's data preparation does; 50 % are negatives.
pub fn build_examples(
    text: &str,
    tok: &Tokenizer,
    seq_len: usize,
    task: PairTask,
    seed: u64,
) -> Result<Vec<Example>, TrainError> {
    build(text, tok, seq_len, task, seed, Pairing::Drawn)
}

/// Held-out pairs for scoring a sentence objective: each A comes twice, first with the B that
/// follows it (label 0), then as the objective's negative (label 1: B from another document for
/// NSP, the same two segments swapped for SOP). The classes are balanced in every couple, so a
/// judge that ignores order scores exactly 50 % on SOP, and a constant guess 50 % on either.
/// For [`PairTask::None`] this is [`build_examples`].
pub fn build_contrast_pairs(
    text: &str,
    tok: &Tokenizer,
    seq_len: usize,
    task: PairTask,
    seed: u64,
) -> Result<Vec<Example>, TrainError> {
    build(text, tok, seq_len, task, seed, Pairing::Contrast)
}

/// Whether each A gets one B, negative or not by a coin (training), or both (held-out scoring).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pairing {
    Drawn,
    Contrast,
}

fn build(
    text: &str,
    tok: &Tokenizer,
    seq_len: usize,
    task: PairTask,
    seed: u64,
    pairing: Pairing,
) -> Result<Vec<Example>, TrainError> {
    if seq_len < 8 {
        return Err(TrainError::Data(format!(
            "sequence length {seq_len} is too short (at least 8)"
        )));
    }
    let sp = Specials::of(tok)?;
    let docs: Vec<Vec<Sentence>> = documents(text)
        .into_iter()
        .map(|d| {
            d.into_iter()
                .map(|s| tokenize(tok, s))
                .filter(|s| !matches!(s, Ok(s) if s.ids.is_empty()))
                .collect()
        })
        .collect::<Result<_, _>>()?;
    let examples = match task {
        PairTask::None => pack_single(&docs, sp, seq_len - 2),
        PairTask::Nsp | PairTask::Sop => pack_pairs(&docs, sp, seq_len - 3, task, seed, pairing),
    };
    if examples.is_empty() {
        return Err(TrainError::Data(match task {
            PairTask::None => "the text holds no sentences".into(),
            _ => "the text holds no document with two sentences (pairs need them)".into(),
        }));
    }
    Ok(examples)
}

/// Greedy packing of whole sentences of one document; a sentence longer than a sequence is split.
fn pack_single(docs: &[Vec<Sentence>], sp: Specials, max: usize) -> Vec<Example> {
    let mut out = Vec::new();
    for doc in docs {
        let (mut ids, mut words) = (Vec::new(), Vec::new());
        for s in doc {
            if !ids.is_empty() && ids.len() + s.ids.len() > max {
                out.push(assemble(sp, (&ids, &words), None, None));
                ids.clear();
                words.clear();
            }
            for chunk in 0..s.ids.len().div_ceil(max) {
                let range = chunk * max..((chunk + 1) * max).min(s.ids.len());
                let part = Sentence {
                    ids: s.ids[range.clone()].to_vec(),
                    words: s.words[range].to_vec(),
                };
                if !ids.is_empty() && ids.len() + part.ids.len() > max {
                    out.push(assemble(sp, (&ids, &words), None, None));
                    ids.clear();
                    words.clear();
                }
                extend(&mut ids, &mut words, &part, max);
            }
        }
        if !ids.is_empty() {
            out.push(assemble(sp, (&ids, &words), None, None));
        }
    }
    out
}

/// BERT-style pairs: A = one or more consecutive sentences, B = the sentences after them (or, for a
/// NSP negative, sentences of another document; for a SOP negative, A and B swapped). Both are cut
/// to fit `max` tokens together, the longer one first.
fn pack_pairs(
    docs: &[Vec<Sentence>],
    sp: Specials,
    max: usize,
    task: PairTask,
    seed: u64,
    pairing: Pairing,
) -> Vec<Example> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5041_4952);
    let mut out = Vec::new();
    for (d, doc) in docs.iter().enumerate() {
        if doc.len() < 2 {
            continue;
        }
        let mut i = 0;
        while i + 1 < doc.len() {
            // A: sentences up to about half the budget, at least one, leaving one for B.
            let (mut a, mut aw) = (Vec::new(), Vec::new());
            let mut j = i;
            while j + 1 < doc.len() && (a.is_empty() || a.len() + doc[j].ids.len() <= max / 2) {
                extend(&mut a, &mut aw, &doc[j], usize::MAX);
                j += 1;
            }
            let kinds: &[bool] = match pairing {
                Pairing::Contrast => &[false, true],
                Pairing::Drawn if rng.random_bool(0.5) => &[true],
                Pairing::Drawn => &[false],
            };
            // Where the next A starts: after the B this document gave, or right after A when the
            // only B came from another document (a NSP negative).
            let mut next = j;
            for &negative in kinds {
                let other = (task == PairTask::Nsp && negative && docs.len() > 1).then(|| {
                    let mut o = rng.random_range(0..docs.len() - 1);
                    if o >= d {
                        o += 1;
                    }
                    o
                });
                let (bdoc, bstart) = match other {
                    Some(o) => (&docs[o], rng.random_range(0..docs[o].len())),
                    None => (doc, j),
                };
                let (mut a, mut aw) = (a.clone(), aw.clone());
                let (mut b, mut bw) = (Vec::new(), Vec::new());
                let mut k = bstart;
                while k < bdoc.len()
                    && (b.is_empty() || a.len() + b.len() + bdoc[k].ids.len() <= max)
                {
                    extend(&mut b, &mut bw, &bdoc[k], usize::MAX);
                    k += 1;
                }
                // Trim the longer segment until both fit.
                while a.len() + b.len() > max {
                    if a.len() >= b.len() {
                        a.pop();
                        aw.pop();
                    } else {
                        b.pop();
                        bw.pop();
                    }
                }
                let label = match task {
                    PairTask::Nsp => u32::from(other.is_some()),
                    _ => u32::from(negative),
                };
                let ex = if task == PairTask::Sop && negative {
                    assemble(sp, (&b, &bw), Some((&a, &aw)), Some(label))
                } else {
                    assemble(sp, (&a, &aw), Some((&b, &bw)), Some(label))
                };
                out.push(ex);
                if other.is_none() {
                    next = k.max(j + 1);
                }
            }
            i = next;
        }
    }
    out
}

/// The order training visits examples: a fresh seeded shuffle each epoch, a pure function of
/// (seed, epoch), so a resumed run sees the same sequence as an uninterrupted one.
#[derive(Debug, Clone)]
pub struct Order {
    seed: u64,
    len: usize,
    cached: Option<(u64, Vec<usize>)>,
}

impl Order {
    pub fn new(len: usize, seed: u64) -> Order {
        Order {
            seed,
            len,
            cached: None,
        }
    }

    /// (epoch, example index) of global position `pos` (0, 1, 2, ... over the whole run).
    pub fn at(&mut self, pos: u64) -> (u64, usize) {
        let epoch = pos / self.len as u64;
        let in_epoch = (pos % self.len as u64) as usize;
        if self.cached.as_ref().is_none_or(|(e, _)| *e != epoch) {
            let mut perm: Vec<usize> = (0..self.len).collect();
            perm.shuffle(&mut ChaCha8Rng::seed_from_u64(
                self.seed ^ epoch.wrapping_mul(0x9E37_79B9_7F4A_7C15),
            ));
            self.cached = Some((epoch, perm));
        }
        let perm = self
            .cached
            .as_ref()
            .map(|(_, p)| p[in_epoch])
            .unwrap_or(in_epoch);
        (epoch, perm)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_split_on_blank_lines() {
        let docs = documents("a b.\nc d.\n\n\ne f.\n  \ng.\n");
        assert_eq!(docs, vec![vec!["a b.", "c d."], vec!["e f."], vec!["g."]]);
    }

    #[test]
    fn order_is_a_permutation_per_epoch_and_reproducible() {
        let mut o = Order::new(10, 3);
        let first: Vec<usize> = (0..10).map(|p| o.at(p).1).collect();
        let second: Vec<usize> = (10..20).map(|p| o.at(p).1).collect();
        let mut sorted = first.clone();
        sorted.sort();
        assert_eq!(sorted, (0..10).collect::<Vec<_>>());
        assert_ne!(first, second);
        let mut again = Order::new(10, 3);
        assert_eq!(again.at(13), (1, second[3]));
    }
}
