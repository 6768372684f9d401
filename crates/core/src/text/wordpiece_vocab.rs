//! A BERT tokenizer from the older layout: `vocab.txt` (one WordPiece per line, the line number is
//! its id) and optionally `tokenizer_config.json` (casing and special tokens). It becomes the
//! `tokenizer.json` that transformers' converter writes for `BertTokenizerFast`, so both layouts
//! tokenize identically.

use serde_json::{json, Map, Value};

use super::tokenizer::{Result, Tokenizer, TokenizerError};

/// What `tokenizer_config.json` may set for a BERT tokenizer, with transformers' defaults.
struct BertSettings {
    lowercase: bool,
    /// `None`: follow `lowercase`, as transformers does.
    strip_accents: Option<bool>,
    chinese_chars: bool,
    unk: String,
    sep: String,
    pad: String,
    cls: String,
    mask: String,
}

impl BertSettings {
    fn from_config(config: Option<&[u8]>) -> Result<BertSettings> {
        let config: Map<String, Value> = match config {
            Some(bytes) => serde_json::from_slice(bytes).map_err(|e| {
                TokenizerError::Load(format!("tokenizer_config.json is not a JSON object: {e}"))
            })?,
            None => Map::new(),
        };
        let flag = |key: &str| config.get(key).and_then(Value::as_bool);
        // A special token is a string or an AddedToken object with its text in "content".
        let token = |key: &str, default: &str| {
            config
                .get(key)
                .and_then(|v| v.as_str().or_else(|| v.get("content")?.as_str()))
                .unwrap_or(default)
                .to_string()
        };
        Ok(BertSettings {
            lowercase: flag("do_lower_case").unwrap_or(true),
            strip_accents: flag("strip_accents"),
            chinese_chars: flag("tokenize_chinese_chars").unwrap_or(true),
            unk: token("unk_token", "[UNK]"),
            sep: token("sep_token", "[SEP]"),
            pad: token("pad_token", "[PAD]"),
            cls: token("cls_token", "[CLS]"),
            mask: token("mask_token", "[MASK]"),
        })
    }
}

/// The ids of `vocab.txt`'s pieces; a repeated line keeps its last id, as transformers' loader does.
fn read_vocab(vocab_txt: &[u8]) -> Result<Map<String, Value>> {
    let text = std::str::from_utf8(vocab_txt)
        .map_err(|e| TokenizerError::Load(format!("vocab.txt is not UTF-8 text: {e}")))?;
    let mut vocab = Map::new();
    for (id, line) in text.lines().enumerate() {
        vocab.insert(line.trim_end_matches('\r').to_string(), json!(id));
    }
    if vocab.is_empty() {
        return Err(TokenizerError::Load("vocab.txt is empty".into()));
    }
    Ok(vocab)
}

/// The `tokenizer.json` text equivalent to `vocab.txt` (+ `tokenizer_config.json`).
pub fn tokenizer_json_from_vocab(
    vocab_txt: &[u8],
    tokenizer_config: Option<&[u8]>,
) -> Result<String> {
    let settings = BertSettings::from_config(tokenizer_config)?;
    let vocab = read_vocab(vocab_txt)?;
    let id_of = |token: &str| {
        vocab.get(token).cloned().ok_or_else(|| {
            TokenizerError::Load(format!(
                "vocab.txt has no {token} line, which tokenizer_config.json (or BERT's default) names as a special token"
            ))
        })
    };
    let specials = [
        &settings.pad,
        &settings.unk,
        &settings.cls,
        &settings.sep,
        &settings.mask,
    ];
    let mut added_tokens = Vec::new();
    for token in specials {
        added_tokens.push(json!({
            "id": id_of(token)?, "content": token, "single_word": false, "lstrip": false,
            "rstrip": false, "normalized": false, "special": true
        }));
    }
    let special =
        |token: &str, type_id: u32| json!({"SpecialToken": {"id": token, "type_id": type_id}});
    let sequence = |id: &str, type_id: u32| json!({"Sequence": {"id": id, "type_id": type_id}});
    let (cls, sep) = (settings.cls.as_str(), settings.sep.as_str());
    let tokenizer = json!({
        "version": "1.0",
        "truncation": null,
        "padding": null,
        "added_tokens": added_tokens,
        "normalizer": {
            "type": "BertNormalizer",
            "clean_text": true,
            "handle_chinese_chars": settings.chinese_chars,
            "strip_accents": settings.strip_accents,
            "lowercase": settings.lowercase
        },
        "pre_tokenizer": {"type": "BertPreTokenizer"},
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [special(cls, 0), sequence("A", 0), special(sep, 0)],
            "pair": [special(cls, 0), sequence("A", 0), special(sep, 0), sequence("B", 1), special(sep, 1)],
            "special_tokens": {
                cls: {"id": cls, "ids": [id_of(cls)?], "tokens": [cls]},
                sep: {"id": sep, "ids": [id_of(sep)?], "tokens": [sep]}
            }
        },
        "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": true},
        "model": {
            "type": "WordPiece",
            "unk_token": settings.unk,
            "continuing_subword_prefix": "##",
            "max_input_chars_per_word": 100,
            "vocab": vocab
        }
    });
    serde_json::to_string(&tokenizer).map_err(|e| TokenizerError::Load(e.to_string()))
}

impl Tokenizer {
    /// A WordPiece tokenizer from `vocab.txt` and, when the folder has it, `tokenizer_config.json`.
    pub fn from_vocab_txt(vocab_txt: &[u8], tokenizer_config: Option<&[u8]>) -> Result<Tokenizer> {
        let json = tokenizer_json_from_vocab(vocab_txt, tokenizer_config)?;
        Tokenizer::from_bytes(json.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::tokenizer::EncodeOptions;

    fn repo_file(path: &str) -> Vec<u8> {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../");
        std::fs::read(format!("{root}{path}")).expect("the embedded model is committed")
    }

    /// The embedded MiniLM tokenizer's WordPiece vocabulary as the `vocab.txt` it came from.
    fn minilm_vocab_txt() -> (Tokenizer, Vec<u8>) {
        let tokenizer = Tokenizer::from_bytes(&repo_file("models/all-minilm-l6-v2/tokenizer.json"))
            .expect("the embedded tokenizer loads");
        let lines: Vec<String> = (0..tokenizer.vocab_size() as u32)
            .map(|id| tokenizer.id_to_token(id).expect("ids are dense"))
            .collect();
        (tokenizer, (lines.join("\n") + "\n").into_bytes())
    }

    #[test]
    fn vocab_txt_tokenizes_exactly_as_the_tokenizer_json_it_came_from() {
        let (reference, vocab) = minilm_vocab_txt();
        let from_vocab = Tokenizer::from_vocab_txt(&vocab, None).expect("vocab.txt loads");
        assert_eq!(from_vocab.vocab_size(), reference.vocab_size());
        let opts = EncodeOptions::default();
        for (text, pair) in [
            ("The Café served unbelievably good crêpes!", None),
            ("Hello, world.", Some("It's 9:30 — time for 東京 trips.")),
            ("  tabs\tand\u{0}control chars  ", None),
        ] {
            let a = reference.encode(text, pair, &opts).expect("encodes");
            let b = from_vocab.encode(text, pair, &opts).expect("encodes");
            assert_eq!(a.pieces, b.pieces, "{text:?}");
            assert_eq!(a.ids, b.ids);
            assert_eq!(a.type_ids, b.type_ids);
            assert_eq!(a.offsets, b.offsets);
        }
        assert!(from_vocab.mask_token().is_some());
    }

    #[test]
    fn tokenizer_config_sets_casing_and_special_tokens() {
        let (_, vocab) = minilm_vocab_txt();
        let cased = Tokenizer::from_vocab_txt(
            &vocab,
            Some(br#"{"do_lower_case": false, "mask_token": {"content": "[MASK]"}}"#),
        )
        .expect("loads");
        let pieces = cased
            .encode("Paris", None, &EncodeOptions::default())
            .expect("encodes")
            .pieces;
        // The uncased vocabulary has no capitalised "Paris": cased input falls apart.
        assert_ne!(pieces[1], "paris", "{pieces:?}");
    }

    #[test]
    fn bad_files_say_which_file_and_what_is_wrong() {
        let (_, vocab) = minilm_vocab_txt();
        let message = |r: Result<Tokenizer>| r.expect_err("must fail").to_string();
        assert!(message(Tokenizer::from_vocab_txt(b"", None)).contains("vocab.txt is empty"));
        assert!(message(Tokenizer::from_vocab_txt(&[0xff, 0xfe], None)).contains("UTF-8"));
        assert!(message(Tokenizer::from_vocab_txt(b"a\nb\n", None)).contains("no [PAD] line"));
        assert!(message(Tokenizer::from_vocab_txt(&vocab, Some(b"[1]")))
            .contains("tokenizer_config.json"));
    }
}
