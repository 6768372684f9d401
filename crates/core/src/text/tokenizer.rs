//! Tokenizer loading (`tokenizer.json`: WordPiece, BPE or Unigram) and the per-token view the
//! lessons draw: ids, pieces, offsets, segment and position ids, special-token mask, word ids,
//! and how much truncation to the model's length cut off.
//!
//! Offsets are given twice: in `char`s (Unicode scalar values, what the UI highlights) and in
//! bytes (for slicing a Rust `&str`). Both are relative to the sequence the token came from
//! (`sequence_ids` says which); special tokens have `(0, 0)`.

use thiserror::Error;
use tokenizers::{
    Encoding, ModelWrapper, TruncationDirection, TruncationParams, TruncationStrategy,
};

#[derive(Debug, Error)]
pub enum TokenizerError {
    #[error("invalid tokenizer.json: {0}")]
    Load(String),
    #[error("{path}: {message}")]
    Io { path: String, message: String },
    #[error("tokenization failed: {0}")]
    Encode(String),
    #[error(
        "max_len {max_len} is too short: the special tokens alone take {special} and each text needs at least one token"
    )]
    TooShort { max_len: usize, special: usize },
}

pub type Result<T> = std::result::Result<T, TokenizerError>;

/// The kind of subword model inside tokenizer.json.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenizerKind {
    WordPiece,
    Bpe,
    Unigram,
    WordLevel,
}

/// Options for [`Tokenizer::encode`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EncodeOptions {
    /// Add `[CLS]`/`[SEP]` (or `<s>`/`</s>`) as the tokenizer's post-processor says. Default true.
    pub add_special_tokens: bool,
    /// Truncate (longest sequence first) so the result, special tokens included, fits this many
    /// tokens: the model's `max_input_len()`. `None`: no truncation. Default `None`.
    pub max_len: Option<usize>,
    /// First position id: 0, or `pad_token_id + 1` for RoBERTa (`EncoderConfig::position_offset`).
    pub position_offset: u32,
}

impl Default for EncodeOptions {
    fn default() -> Self {
        EncodeOptions {
            add_special_tokens: true,
            max_len: None,
            position_offset: 0,
        }
    }
}

/// What truncation removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Truncation {
    pub max_len: usize,
    /// Length the encoding would have had, special tokens included.
    pub original_len: usize,
    /// Tokens cut from the first and the second sequence.
    pub removed: [usize; 2],
}

impl Truncation {
    pub fn total_removed(&self) -> usize {
        self.removed[0] + self.removed[1]
    }
}

/// One encoded sentence or sentence pair; every vector has one entry per token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Encoded {
    pub ids: Vec<u32>,
    /// The token strings (`##ing`, `Ġthe`, `▁the`, `[CLS]`).
    pub pieces: Vec<String>,
    /// `[start, end)` in chars of the token's own sequence.
    pub offsets: Vec<(usize, usize)>,
    /// `[start, end)` in bytes of the token's own sequence.
    pub byte_offsets: Vec<(usize, usize)>,
    /// Segment ids (0 for sentence A, 1 for B in BERT-style tokenizers).
    pub type_ids: Vec<u32>,
    pub position_ids: Vec<u32>,
    pub special_tokens_mask: Vec<bool>,
    /// Index of the word (pre-tokenizer split) inside its sequence; `None` for special tokens.
    pub word_ids: Vec<Option<u32>>,
    /// 0 or 1 for the sequence a token came from; `None` for special tokens.
    pub sequence_ids: Vec<Option<usize>>,
    /// `Some` when tokens were cut to fit `max_len`.
    pub truncation: Option<Truncation>,
}

impl Encoded {
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// For a text that is `words` joined by single spaces: the positions of each word's tokens
    /// (its word pieces), in order; empty for a word truncation cut off. Found by character
    /// offsets, so it holds whatever the tokenizer's own idea of a word (BERT splits "don't"
    /// into three).
    pub fn word_positions(&self, words: &[String]) -> Vec<Vec<usize>> {
        let mut start = 0;
        words
            .iter()
            .map(|word| {
                let end = start + word.chars().count();
                let positions = (0..self.len())
                    .filter(|&i| {
                        let (s, e) = self.offsets[i];
                        !self.special_tokens_mask[i] && e > s && s >= start && s < end
                    })
                    .collect();
                start = end + 1;
                positions
            })
            .collect()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
}

#[derive(Clone)]
pub struct Tokenizer {
    /// Padding and truncation from tokenizer.json are switched off: the caller decides both.
    inner: tokenizers::Tokenizer,
}

impl std::fmt::Debug for Tokenizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokenizer")
            .field("kind", &self.kind())
            .field("vocab_size", &self.vocab_size())
            .finish()
    }
}

impl Tokenizer {
    pub fn from_bytes(json: &[u8]) -> Result<Tokenizer> {
        // tokenizers 0.22 panics (`expect("Helper")` in its decoder's deserializer) on malformed
        // JSON inside `"decoder"` (a syntax error, a byte that is not UTF-8, a lone surrogate)
        // instead of returning an error, and a panic ends the worker. Read as JSON values first
        // (which checks all three), every malformed file is an error (found by fuzzing).
        serde_json::from_slice::<serde_json::Value>(json)
            .map_err(|e| TokenizerError::Load(e.to_string()))?;
        let mut inner = tokenizers::Tokenizer::from_bytes(json)
            .map_err(|e| TokenizerError::Load(e.to_string()))?;
        inner.with_padding(None);
        inner
            .with_truncation(None)
            .map_err(|e| TokenizerError::Load(e.to_string()))?;
        // tokenizers 0.22 checks a template only when one is built in code; read from JSON, a
        // template naming a special token its `special_tokens` lack, or a single-sentence template
        // placing sequence B, panics at the first encoding (found by fuzzing). Refused here.
        if let Some(processor) = inner.get_post_processor() {
            let processor =
                serde_json::to_value(processor).map_err(|e| TokenizerError::Load(e.to_string()))?;
            if let Some(problem) = template_problem(&processor) {
                return Err(TokenizerError::Load(format!(
                    "the post-processor's template {problem}"
                )));
            }
        }
        Ok(Tokenizer { inner })
    }

    #[cfg(not(target_arch = "wasm32"))]
    pub fn from_file(path: impl AsRef<std::path::Path>) -> Result<Tokenizer> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|e| TokenizerError::Io {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        Tokenizer::from_bytes(&bytes).map_err(|e| match e {
            TokenizerError::Load(m) => TokenizerError::Load(format!("{}: {m}", path.display())),
            other => other,
        })
    }

    /// The tokenizer.json text (compact), as saved next to a model.
    pub fn to_json(&self) -> Result<String> {
        self.inner
            .to_string(false)
            .map_err(|e| TokenizerError::Encode(format!("cannot serialise the tokenizer: {e}")))
    }

    /// Ids of the special tokens (`[CLS]`, `[SEP]`, `[PAD]`, `[MASK]`, `[UNK]`, ...), ascending.
    pub fn special_ids(&self) -> Vec<u32> {
        let mut ids: Vec<u32> = self
            .inner
            .get_added_tokens_decoder()
            .into_iter()
            .filter(|(_, t)| t.special)
            .map(|(id, _)| id)
            .collect();
        ids.sort_unstable();
        ids
    }

    /// The wrapped `tokenizers` tokenizer (e.g. for the WordPiece trace).
    pub fn inner(&self) -> &tokenizers::Tokenizer {
        &self.inner
    }

    pub fn kind(&self) -> TokenizerKind {
        match self.inner.get_model() {
            ModelWrapper::WordPiece(_) => TokenizerKind::WordPiece,
            ModelWrapper::BPE(_) => TokenizerKind::Bpe,
            ModelWrapper::Unigram(_) => TokenizerKind::Unigram,
            ModelWrapper::WordLevel(_) => TokenizerKind::WordLevel,
        }
    }

    /// Vocabulary size including added tokens.
    pub fn vocab_size(&self) -> usize {
        self.inner.get_vocab_size(true)
    }

    /// Rows a word-embedding matrix needs for every id this tokenizer can produce: one more than
    /// the largest id of its vocabulary (added tokens included) and of the special tokens its
    /// post-processor inserts. Usually [`Tokenizer::vocab_size`], but ids can have gaps: a
    /// `vocab.txt` line repeated (it keeps its last line number), an added token or a template's
    /// special token numbered past the vocabulary.
    pub fn id_rows(&self) -> usize {
        let vocab = self.inner.get_vocab(true).into_values().max();
        let specials = [None, Some("")]
            .into_iter()
            .filter_map(|pair| Self::encode_with(&self.inner, "", pair, true).ok())
            .filter_map(|encoding| encoding.get_ids().iter().copied().max())
            .max();
        vocab.max(specials).map_or(0, |id| id as usize + 1)
    }

    pub fn token_to_id(&self, token: &str) -> Option<u32> {
        self.inner.token_to_id(token)
    }

    pub fn id_to_token(&self, id: u32) -> Option<String> {
        self.inner.id_to_token(id)
    }

    pub fn decode(&self, ids: &[u32], skip_special_tokens: bool) -> Result<String> {
        self.inner
            .decode(ids, skip_special_tokens)
            .map_err(|e| TokenizerError::Encode(e.to_string()))
    }

    /// The first special token named like `[MASK]`/`<mask>`, with its id.
    pub fn mask_token(&self) -> Option<(String, u32)> {
        self.special_token_like("mask")
    }

    /// The padding token (`[PAD]`/`<pad>`), with its id.
    pub fn pad_token(&self) -> Option<(String, u32)> {
        self.special_token_like("pad")
    }

    /// The first special token whose letters are `what` (`unk` finds `[UNK]` and `<unk>`), with its id.
    pub fn special_token_like(&self, what: &str) -> Option<(String, u32)> {
        let mut found: Vec<(u32, String)> = self
            .inner
            .get_added_tokens_decoder()
            .into_iter()
            .filter(|(_, t)| {
                t.special
                    && t.content
                        .trim_matches(|c: char| !c.is_alphanumeric())
                        .eq_ignore_ascii_case(what)
            })
            .map(|(id, t)| (id, t.content))
            .collect();
        found.sort();
        found.into_iter().next().map(|(id, c)| (c, id))
    }

    fn encode_with(
        tokenizer: &tokenizers::Tokenizer,
        text: &str,
        pair: Option<&str>,
        special: bool,
    ) -> Result<Encoding> {
        let result = match pair {
            Some(p) => tokenizer.encode((text, p), special),
            None => tokenizer.encode(text, special),
        };
        result.map_err(|e| TokenizerError::Encode(e.to_string()))
    }

    /// Tokens per sequence (0 and 1) in an encoding.
    fn per_sequence(encoding: &Encoding) -> [usize; 2] {
        let mut counts = [0; 2];
        for i in encoding.get_sequence_ids().into_iter().flatten() {
            counts[i.min(1)] += 1;
        }
        counts
    }

    /// Encodes one text, or a pair when `pair` is given.
    pub fn encode<'t>(
        &self,
        text: &'t str,
        pair: Option<&'t str>,
        opts: &EncodeOptions,
    ) -> Result<Encoded> {
        let special = opts.add_special_tokens;
        let full = Self::encode_with(&self.inner, text, pair, special)?;
        let (encoding, truncation) = match opts.max_len {
            Some(max_len) if full.len() > max_len => {
                let specials = full
                    .get_special_tokens_mask()
                    .iter()
                    .filter(|&&m| m == 1)
                    .count();
                if max_len < specials + 1 + usize::from(pair.is_some()) {
                    return Err(TokenizerError::TooShort {
                        max_len,
                        special: specials,
                    });
                }
                // Rare path (text longer than the model allows): a truncating copy, so the
                // post-processor sees the cut sequences exactly as transformers would.
                // tokenizers keeps what it cuts as "overflowing" pieces and pairs up both sides'
                // pieces: a long pair cut to a few tokens made a million encodings and 2 GB (found
                // by fuzzing). No side can keep more than `max_len` tokens, so each text is first
                // cut after its first `max_len`; what is kept, and the counts, stay the same.
                let keep = |sequence: usize, text: &'t str| -> &'t str {
                    let ends: Vec<usize> = full
                        .get_offsets()
                        .iter()
                        .zip(full.get_sequence_ids())
                        .filter(|(_, id)| *id == Some(sequence))
                        .map(|(&(_, end), _)| end)
                        .collect();
                    match ends.get(max_len) {
                        Some(_) if text.is_char_boundary(ends[max_len - 1]) => {
                            &text[..ends[max_len - 1]]
                        }
                        _ => text,
                    }
                };
                let (text, pair) = (keep(0, text), pair.map(|p| keep(1, p)));
                let mut truncating = self.inner.clone();
                truncating
                    .with_truncation(Some(TruncationParams {
                        direction: TruncationDirection::Right,
                        max_length: max_len,
                        strategy: TruncationStrategy::LongestFirst,
                        stride: 0,
                    }))
                    .map_err(|e| TokenizerError::Encode(e.to_string()))?;
                let mut encoding = Self::encode_with(&truncating, text, pair, special)?;
                // The cut tokens are kept as "overflowing"; the caller only needs counts.
                encoding.get_overflowing_mut().clear();
                let (before, after) = (Self::per_sequence(&full), Self::per_sequence(&encoding));
                let truncation = Truncation {
                    max_len,
                    original_len: full.len(),
                    removed: [before[0] - after[0], before[1] - after[1]],
                };
                (encoding, Some(truncation))
            }
            _ => (full, None),
        };
        let tables = [char_table(text), char_table(pair.unwrap_or(""))];
        let sequence_ids = encoding.get_sequence_ids();
        let byte_offsets = encoding.get_offsets().to_vec();
        let offsets = byte_offsets
            .iter()
            .zip(&sequence_ids)
            .map(|(&(s, e), seq)| match seq {
                Some(i) => {
                    let t = &tables[*i];
                    (t[s.min(t.len() - 1)], t[e.min(t.len() - 1)])
                }
                None => (s, e),
            })
            .collect();
        let n = encoding.len() as u32;
        Ok(Encoded {
            ids: encoding.get_ids().to_vec(),
            pieces: encoding.get_tokens().to_vec(),
            offsets,
            byte_offsets,
            type_ids: encoding.get_type_ids().to_vec(),
            position_ids: (opts.position_offset..opts.position_offset + n).collect(),
            special_tokens_mask: encoding
                .get_special_tokens_mask()
                .iter()
                .map(|&m| m == 1)
                .collect(),
            word_ids: encoding.get_word_ids().to_vec(),
            sequence_ids,
            truncation,
        })
    }
}

/// What makes a `TemplateProcessing` (possibly inside a `Sequence` of post-processors, as
/// `tokenizers` serialises them) unusable: a special token its templates place but its
/// `special_tokens` do not define (or define with as many ids as tokens), or sequence B in the
/// single-sentence template.
fn template_problem(processor: &serde_json::Value) -> Option<String> {
    match processor.get("type")?.as_str()? {
        "TemplateProcessing" => {
            let pieces = |template: &str| {
                let pieces = processor.get(template).and_then(|t| t.as_array());
                pieces.into_iter().flatten()
            };
            // `{"Sequence": {"id": "A"}}` or `{"SpecialToken": {"id": "[CLS]"}}`.
            fn id<'v>(piece: &'v serde_json::Value, kind: &str) -> Option<&'v str> {
                piece.get(kind)?.get("id")?.as_str()
            }
            if pieces("single").any(|piece| id(piece, "Sequence") == Some("B")) {
                return Some("for a single sentence uses sequence B".into());
            }
            let defined = processor.get("special_tokens")?.as_object()?;
            let usable = |id: &str| {
                let count = |key: &str| defined.get(id)?.get(key)?.as_array().map(Vec::len);
                count("ids").is_some() && count("ids") == count("tokens")
            };
            let missing = pieces("single")
                .chain(pieces("pair"))
                .filter_map(|piece| id(piece, "SpecialToken"))
                .find(|id| !usable(id))?;
            Some(format!(
                "uses the special token {missing:?}, which its special_tokens do not define \
                 (one id per token)"
            ))
        }
        "Sequence" => processor
            .get("processors")?
            .as_array()?
            .iter()
            .find_map(template_problem),
        _ => None,
    }
}

/// `table[b]` = number of chars that start before byte `b`, for every `b` in `0..=text.len()`
/// (a byte inside a multi-byte char maps to that char).
fn char_table(text: &str) -> Vec<usize> {
    let mut table = Vec::with_capacity(text.len() + 1);
    for (chars, c) in text.chars().enumerate() {
        table.extend(std::iter::repeat_n(chars, c.len_utf8()));
    }
    table.push(text.chars().count());
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    fn added(tokens: &[(&str, u32)]) -> String {
        let items: Vec<String> = tokens
            .iter()
            .map(|(t, id)| {
                format!(
                    r#"{{"id":{id},"content":"{t}","single_word":false,"lstrip":false,"rstrip":false,"normalized":false,"special":true}}"#
                )
            })
            .collect();
        format!("[{}]", items.join(","))
    }

    fn template(cls: (&str, u32), sep: (&str, u32)) -> String {
        let s = |t: &str, ty: u32| format!(r#"{{"SpecialToken":{{"id":"{t}","type_id":{ty}}}}}"#);
        let q = |id: &str, ty: u32| format!(r#"{{"Sequence":{{"id":"{id}","type_id":{ty}}}}}"#);
        format!(
            r#"{{"type":"TemplateProcessing","single":[{},{},{}],"pair":[{},{},{},{},{}],
              "special_tokens":{{"{c}":{{"id":"{c}","ids":[{ci}],"tokens":["{c}"]}},"{p}":{{"id":"{p}","ids":[{si}],"tokens":["{p}"]}}}}}}"#,
            s(cls.0, 0),
            q("A", 0),
            s(sep.0, 0),
            s(cls.0, 0),
            q("A", 0),
            s(sep.0, 0),
            q("B", 1),
            s(sep.0, 1),
            c = cls.0,
            ci = cls.1,
            p = sep.0,
            si = sep.1
        )
    }

    fn wordpiece() -> Tokenizer {
        Tokenizer::from_bytes(include_bytes!(
            "../../../../tests/model_data/wordpiece-tokenizer.json"
        ))
        .unwrap()
    }

    fn bpe() -> Tokenizer {
        let mut vocab = vec!["<s>", "<pad>", "</s>", "<unk>", "<mask>"];
        let letters = [
            "h", "e", "l", "o", "w", "r", "d", "Ġ", "he", "ll", "hell", "hello", "Ġw", "Ġwo", "or",
            "Ġwor", "Ġworl", "Ġworld",
        ];
        vocab.extend(letters);
        let vocab: Vec<String> = vocab
            .iter()
            .enumerate()
            .map(|(i, t)| format!(r#""{t}":{i}"#))
            .collect();
        let merges = r#"["h e","l l","he ll","hell o","Ġ w","Ġw o","Ġwo r","Ġwor l","Ġworl d"]"#;
        let json = format!(
            r#"{{"version":"1.0","truncation":null,"padding":null,"added_tokens":{},"normalizer":null,
            "pre_tokenizer":{{"type":"ByteLevel","add_prefix_space":false,"trim_offsets":true,"use_regex":true}},
            "post_processor":{{"type":"RobertaProcessing","sep":["</s>",2],"cls":["<s>",0],"trim_offsets":true,"add_prefix_space":false}},
            "decoder":{{"type":"ByteLevel","add_prefix_space":true,"trim_offsets":true,"use_regex":true}},
            "model":{{"type":"BPE","dropout":null,"unk_token":null,"continuing_subword_prefix":null,"end_of_word_suffix":null,"fuse_unk":false,"byte_fallback":false,"vocab":{{{}}},"merges":{merges}}}}}"#,
            added(&[
                ("<s>", 0),
                ("<pad>", 1),
                ("</s>", 2),
                ("<unk>", 3),
                ("<mask>", 4)
            ]),
            vocab.join(",")
        );
        Tokenizer::from_bytes(json.as_bytes()).unwrap()
    }

    fn unigram() -> Tokenizer {
        let pieces = [
            ("<pad>", 0.0),
            ("<unk>", 0.0),
            ("[CLS]", 0.0),
            ("[SEP]", 0.0),
            ("[MASK]", 0.0),
            ("▁hello", -1.0),
            ("▁world", -1.5),
            ("▁", -2.0),
            ("h", -4.0),
            ("e", -4.0),
            ("l", -4.0),
            ("o", -4.0),
            ("▁wor", -2.5),
            ("ld", -2.5),
        ];
        let vocab: Vec<String> = pieces
            .iter()
            .map(|(p, s)| format!(r#"["{p}",{s}]"#))
            .collect();
        let json = format!(
            r#"{{"version":"1.0","truncation":null,"padding":null,"added_tokens":{},"normalizer":null,
            "pre_tokenizer":{{"type":"Metaspace","replacement":"▁","prepend_scheme":"always","split":true}},
            "post_processor":{},
            "decoder":{{"type":"Metaspace","replacement":"▁","prepend_scheme":"always","split":true}},
            "model":{{"type":"Unigram","unk_id":1,"vocab":[{}],"byte_fallback":false}}}}"#,
            added(&[
                ("<pad>", 0),
                ("<unk>", 1),
                ("[CLS]", 2),
                ("[SEP]", 3),
                ("[MASK]", 4)
            ]),
            template(("[CLS]", 2), ("[SEP]", 3)),
            vocab.join(",")
        );
        Tokenizer::from_bytes(json.as_bytes()).unwrap()
    }

    #[test]
    fn wordpiece_pair_has_segments_offsets_and_words() {
        let tok = wordpiece();
        assert_eq!(tok.kind(), TokenizerKind::WordPiece);
        assert_eq!(tok.mask_token(), Some(("[MASK]".into(), 4)));
        // tokenizer.json asks for truncation at 4; the wrapper ignores it unless max_len is set.
        let e = tok
            .encode("The café sat", Some("playing"), &EncodeOptions::default())
            .unwrap();
        assert_eq!(
            e.pieces,
            ["[CLS]", "the", "caf", "##é", "sat", "[SEP]", "play", "##ing", "[SEP]"]
        );
        assert_eq!(e.type_ids, [0, 0, 0, 0, 0, 0, 1, 1, 1]);
        assert_eq!(
            e.word_ids,
            [
                None,
                Some(0),
                Some(1),
                Some(1),
                Some(2),
                None,
                Some(0),
                Some(0),
                None
            ]
        );
        assert_eq!(e.sequence_ids[6], Some(1));
        // "é" is one char but two bytes: char and byte offsets part ways after it.
        assert_eq!(e.offsets[3], (7, 8));
        assert_eq!(e.byte_offsets[3], (7, 9));
        assert_eq!(e.offsets[4], (9, 12));
        assert_eq!(e.byte_offsets[4], (10, 13));
        assert_eq!(e.offsets[7], (4, 7));
        assert_eq!(
            e.special_tokens_mask,
            [true, false, false, false, false, true, false, false, true]
        );
        assert_eq!(e.position_ids, (0..9).collect::<Vec<u32>>());
        assert!(e.truncation.is_none());
        assert_eq!(tok.decode(&e.ids, true).unwrap(), "the café sat playing");
    }

    #[test]
    fn truncation_is_reported() {
        let tok = wordpiece();
        let opts = EncodeOptions {
            max_len: Some(7),
            ..EncodeOptions::default()
        };
        let e = tok
            .encode("the cat sat on the mat", Some("a cat"), &opts)
            .unwrap();
        assert_eq!(e.len(), 7);
        let t = e.truncation.unwrap();
        assert_eq!(t.original_len, 11);
        // Longest first: the 6-token sentence gives up all 4 cut tokens.
        assert_eq!(t.removed, [4, 0]);
        assert_eq!(
            e.pieces,
            ["[CLS]", "the", "cat", "[SEP]", "a", "cat", "[SEP]"]
        );
        let err = tok
            .encode(
                "the cat",
                Some("a cat"),
                &EncodeOptions {
                    max_len: Some(4),
                    ..opts
                },
            )
            .unwrap_err();
        assert!(
            matches!(err, TokenizerError::TooShort { special: 3, .. }),
            "{err}"
        );
    }

    /// The shipped tokenizers on pairs long and short, cut to budgets large and small: the same
    /// encoding as tokenizers' own truncation of the whole texts; and a long pair cut to a few
    /// tokens, which made tokenizers pair up a million overflowing pieces, takes no such detour.
    #[test]
    fn cutting_a_pair_keeps_what_the_whole_texts_truncated_keep() {
        let repo = |path: &str| {
            std::fs::read(format!("{}/../../{path}", env!("CARGO_MANIFEST_DIR"))).unwrap()
        };
        let tokenizers = [
            Tokenizer::from_bytes(&repo("models/bertlab-minilm-mlm/tokenizer.json")).unwrap(),
            Tokenizer::from_bytes(&repo("assets/tokenizers/bpe/tokenizer.json")).unwrap(),
        ];
        let long = "The unaffable cat sat on the mat, playing with ünïcode strings. ".repeat(6);
        let short = "A dog barked.";
        for tok in &tokenizers {
            for (a, b) in [
                (long.as_str(), long.as_str()),
                (long.as_str(), short),
                (short, long.as_str()),
            ] {
                for max_len in [6, 9, 20, 57] {
                    let opts = EncodeOptions {
                        max_len: Some(max_len),
                        ..EncodeOptions::default()
                    };
                    let ours = tok.encode(a, Some(b), &opts).unwrap();
                    let mut whole = tok.inner.clone();
                    whole
                        .with_truncation(Some(TruncationParams {
                            direction: TruncationDirection::Right,
                            max_length: max_len,
                            strategy: TruncationStrategy::LongestFirst,
                            stride: 0,
                        }))
                        .unwrap();
                    let theirs = whole.encode((a, b), true).unwrap();
                    assert_eq!(ours.ids, theirs.get_ids(), "{max_len}: {a:.20} / {b:.20}");
                    assert_eq!(ours.byte_offsets, theirs.get_offsets(), "{max_len}");
                }
            }
        }
        let huge = "word ".repeat(3000);
        let opts = EncodeOptions {
            max_len: Some(6),
            ..EncodeOptions::default()
        };
        let e = tokenizers[1].encode(&huge, Some(&huge), &opts).unwrap();
        assert_eq!(e.len(), 6);
        let whole = tokenizers[1]
            .encode(&huge, Some(&huge), &EncodeOptions::default())
            .unwrap();
        assert_eq!(e.truncation.unwrap().original_len, whole.len());
    }

    #[test]
    fn bpe_offsets_and_roberta_positions() {
        let tok = bpe();
        assert_eq!(tok.kind(), TokenizerKind::Bpe);
        assert_eq!(tok.mask_token(), Some(("<mask>".into(), 4)));
        let opts = EncodeOptions {
            position_offset: 2,
            ..EncodeOptions::default()
        };
        let e = tok.encode("hello world", None, &opts).unwrap();
        assert_eq!(e.pieces, ["<s>", "hello", "Ġworld", "</s>"]);
        assert_eq!(e.offsets[1..3], [(0, 5), (6, 11)]);
        assert_eq!(e.position_ids, [2, 3, 4, 5]);
        assert_eq!(tok.decode(&e.ids, true).unwrap().trim(), "hello world");
        let masked = tok.encode("hello<mask>", None, &opts).unwrap();
        assert!(masked.ids.contains(&4));
    }

    #[test]
    fn unigram_pieces() {
        let tok = unigram();
        assert_eq!(tok.kind(), TokenizerKind::Unigram);
        let e = tok
            .encode("hello world", Some("hello"), &EncodeOptions::default())
            .unwrap();
        assert_eq!(
            e.pieces,
            ["[CLS]", "▁hello", "▁world", "[SEP]", "▁hello", "[SEP]"]
        );
        assert_eq!(e.type_ids, [0, 0, 0, 0, 1, 1]);
        assert_eq!(tok.pad_token(), Some(("<pad>".into(), 0)));
        assert_eq!(tok.token_to_id("▁world"), Some(6));
        assert_eq!(tok.id_to_token(5).as_deref(), Some("▁hello"));
    }

    #[test]
    fn bad_json_is_an_error() {
        let err = Tokenizer::from_bytes(b"{\"version\":").unwrap_err();
        assert!(
            err.to_string().starts_with("invalid tokenizer.json"),
            "{err}"
        );
    }
}
