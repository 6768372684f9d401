//! What every encoding must satisfy, whichever tokenizer made it: shared by the `tokenize`,
//! `tokenizer_json` and `vocab_txt` checks. Included (`#[path]`) by the fuzz targets and by
//! `crates/core/tests/fuzz_regressions.rs`, so the fuzzer and `make test` assert the same contract.

#![allow(dead_code)]

use bertlab_core::folder::check_tokenizer_fits;
use bertlab_core::model::{EncoderConfig, Family};
use bertlab_core::text::tokenizer::{EncodeOptions, Encoded, Tokenizer, TokenizerError};

/// The fewest word embeddings a model may have and still be accepted with this tokenizer
/// (`folder::check_tokenizer_fits`, which `ModelFolder::open` runs): every id the tokenizer
/// produces must be below it.
pub fn accepted_rows(tok: &Tokenizer) -> usize {
    let fits = |rows: usize| {
        let config = EncoderConfig {
            vocab_size: rows,
            ..EncoderConfig::tiny(Family::Bert)
        };
        check_tokenizer_fits(tok, "tokenizer.json", &config).is_ok()
    };
    // Usually the vocabulary size: try it and one less before searching.
    let size = tok.vocab_size();
    if fits(size) && (size == 0 || !fits(size - 1)) {
        return size;
    }
    let (mut lo, mut hi) = (0usize, 1usize << 33);
    assert!(fits(hi));
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if fits(mid) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    lo
}

/// `table[b]` = chars before byte `b` for every char boundary `b` of `text` (others: `usize::MAX`).
fn char_index(text: &str) -> Vec<usize> {
    let mut table = vec![usize::MAX; text.len() + 1];
    for (chars, (b, _)) in text.char_indices().enumerate() {
        table[b] = chars;
    }
    table[text.len()] = text.chars().count();
    table
}

/// Encodes `text` (and `pair`) with `opts` and checks the result against the contract of
/// [`Tokenizer::encode`]: one entry per token in every vector, offsets inside the token's own
/// sequence and on its char boundaries (char offsets counting the same chars), special tokens at
/// `(0, 0)`, consecutive position ids, ids below `rows` (see [`accepted_rows`]: a model accepted
/// with this tokenizer has a word embedding for each), and truncation that fits
/// `max_len` and says what it cut. An error is allowed only where the contract names one: a budget
/// too short for the special tokens (always) or, when `may_fail`, a tokenizer that cannot encode.
pub fn encode_and_check(
    tok: &Tokenizer,
    text: &str,
    pair: Option<&str>,
    opts: &EncodeOptions,
    rows: usize,
    may_fail: bool,
) -> Option<Encoded> {
    let enc = match tok.encode(text, pair, opts) {
        Ok(enc) => enc,
        Err(TokenizerError::TooShort { max_len, special }) => {
            assert_eq!(Some(max_len), opts.max_len, "TooShort without a max_len");
            assert!(
                max_len < special + 1 + usize::from(pair.is_some()),
                "TooShort although {max_len} tokens hold {special} special tokens and the text"
            );
            return None;
        }
        Err(e) => {
            assert!(may_fail, "encoding {text:?} / {pair:?} failed: {e}");
            return None;
        }
    };
    let n = enc.ids.len();
    assert_eq!(enc.pieces.len(), n);
    assert_eq!(enc.offsets.len(), n);
    assert_eq!(enc.byte_offsets.len(), n);
    assert_eq!(enc.type_ids.len(), n);
    assert_eq!(enc.special_tokens_mask.len(), n);
    assert_eq!(enc.word_ids.len(), n);
    assert_eq!(enc.sequence_ids.len(), n);
    let first = opts.position_offset;
    assert!(enc.position_ids.iter().copied().eq(first..first + n as u32));

    // Every id needs a word embedding in any model the tokenizer is accepted with.
    for (&id, piece) in enc.ids.iter().zip(&enc.pieces) {
        assert!(
            (id as usize) < rows,
            "token {piece:?} has id {id}, but a model with {rows} word embeddings is accepted"
        );
    }

    let texts = [text, pair.unwrap_or("")];
    let tables = [char_index(texts[0]), char_index(texts[1])];
    for i in 0..n {
        let (bs, be) = enc.byte_offsets[i];
        let (cs, ce) = enc.offsets[i];
        match enc.sequence_ids[i] {
            Some(s) => {
                assert!(s == 0 || (s == 1 && pair.is_some()), "sequence id {s}");
                let seq = texts[s];
                assert!(
                    bs <= be && be <= seq.len(),
                    "token {i} {:?}: bytes {bs}..{be} outside a {}-byte text",
                    enc.pieces[i],
                    seq.len()
                );
                assert!(
                    seq.is_char_boundary(bs) && seq.is_char_boundary(be),
                    "token {i} {:?}: bytes {bs}..{be} split a char of {seq:?}",
                    enc.pieces[i]
                );
                assert_eq!(
                    (cs, ce),
                    (tables[s][bs], tables[s][be]),
                    "token {i} {:?}: char offsets disagree with byte offsets {bs}..{be}",
                    enc.pieces[i]
                );
            }
            None => {
                assert!(
                    enc.special_tokens_mask[i],
                    "token {i} {:?} belongs to no sequence but is not special",
                    enc.pieces[i]
                );
                assert_eq!((bs, be, cs, ce), (0, 0, 0, 0), "special token {i} offsets");
                assert_eq!(enc.word_ids[i], None);
            }
        }
    }

    match (opts.max_len, enc.truncation) {
        (None, t) => assert!(t.is_none(), "truncated without a max_len: {t:?}"),
        (Some(max_len), t) => {
            assert!(n <= max_len, "{n} tokens exceed max_len {max_len}");
            if let Some(t) = t {
                assert_eq!(t.max_len, max_len);
                assert!(t.original_len > max_len);
                assert_eq!(
                    t.original_len - n,
                    t.total_removed(),
                    "the truncation report does not add up: {t:?}, {n} tokens kept"
                );
            }
        }
    }
    // Decoding what was encoded never panics (the lab shows decoded predictions).
    let _ = tok.decode(&enc.ids, true);
    Some(enc)
}
