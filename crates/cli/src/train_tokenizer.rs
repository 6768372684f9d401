//! Training a tokenizer from text, for the three kinds the tokenizer lab compares and for pretraining a
//! model from scratch on a corpus of one's own. Native only: the lab ships the trained files.
//!
//! Each kind is set up as the model family that made it famous, so its pieces look like the real thing:
//! - WordPiece as BERT: lowercasing BERT normaliser, BERT pre-tokenizer, `##` continuations,
//!   `[PAD] [UNK] [CLS] [SEP] [MASK]` (ids 0–4), `[CLS] A [SEP] (B [SEP])`.
//! - BPE as RoBERTa: byte-level (`Ġ` marks a leading space, no unknown bytes),
//!   `<s> <pad> </s> <unk> <mask>` (ids 0–4), `<s> A </s> (</s> B </s>)`.
//! - Unigram as ALBERT: NFKD, accents stripped, lowercased, `▁` marks a leading space (Metaspace),
//!   `<pad> <unk> [CLS] [SEP] [MASK]` (ids 0–4), `[CLS] A [SEP] (B [SEP])`.

use tokenizers::decoders::byte_level::ByteLevel as ByteLevelDecoder;
use tokenizers::decoders::metaspace::Metaspace as MetaspaceDecoder;
use tokenizers::decoders::wordpiece::WordPiece as WordPieceDecoder;
use tokenizers::models::bpe::{BpeTrainerBuilder, BPE};
use tokenizers::models::unigram::{Unigram, UnigramTrainerBuilder};
use tokenizers::models::wordpiece::{WordPiece, WordPieceTrainerBuilder};
use tokenizers::models::TrainerWrapper;
use tokenizers::normalizers::{BertNormalizer, Lowercase, Sequence, StripAccents, NFKD};
use tokenizers::pre_tokenizers::bert::BertPreTokenizer;
use tokenizers::pre_tokenizers::byte_level::ByteLevel;
use tokenizers::pre_tokenizers::metaspace::{Metaspace, PrependScheme};
use tokenizers::processors::roberta::RobertaProcessing;
use tokenizers::processors::template::TemplateProcessing;
use tokenizers::processors::PostProcessorWrapper;
use tokenizers::{AddedToken, NormalizerWrapper};

use bertlab_core::text::tokenizer::{Tokenizer, TokenizerError, TokenizerKind};

/// Smallest vocabulary worth training: the specials plus room for an alphabet.
pub const MIN_VOCAB_SIZE: usize = 50;

fn special(content: &str) -> AddedToken {
    AddedToken::from(content.to_string(), true)
}

fn failed(kind: TokenizerKind, e: impl std::fmt::Display) -> TokenizerError {
    TokenizerError::Load(format!("training a {kind:?} tokenizer failed: {e}"))
}

/// Trains a `kind` tokenizer of at most `vocab_size` entries (specials included) on `lines`
/// (one sentence or paragraph each; blank lines are skipped).
pub fn train_tokenizer<'a>(
    kind: TokenizerKind,
    vocab_size: usize,
    lines: impl Iterator<Item = &'a str> + Send,
) -> Result<Tokenizer, TokenizerError> {
    if vocab_size < MIN_VOCAB_SIZE {
        return Err(failed(
            kind,
            format!("a vocabulary of {vocab_size} is too small (at least {MIN_VOCAB_SIZE})"),
        ));
    }
    let (mut tok, mut trainer) = match kind {
        TokenizerKind::WordPiece => wordpiece(vocab_size),
        TokenizerKind::Bpe => bpe(vocab_size),
        TokenizerKind::Unigram => unigram(vocab_size).map_err(|e| failed(kind, e))?,
        TokenizerKind::WordLevel => {
            return Err(failed(
                kind,
                "only WordPiece, BPE and Unigram can be trained here",
            ))
        }
    };
    tok.train(&mut trainer, lines.filter(|l| !l.trim().is_empty()))
        .map_err(|e| failed(kind, e))?;
    // The template needs the ids training gave the special tokens.
    let processor = post_processor(kind, &tok)?;
    tok.with_post_processor(Some(processor));
    // Through JSON: the result is exactly what the saved tokenizer.json loads as.
    Tokenizer::from_bytes(
        tok.to_string(false)
            .map_err(|e| failed(kind, e))?
            .as_bytes(),
    )
}

/// WordPiece as BERT: an untrained tokenizer and its trainer.
fn wordpiece(vocab_size: usize) -> (tokenizers::Tokenizer, TrainerWrapper) {
    let specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"].map(special);
    let mut tok = tokenizers::Tokenizer::new(WordPiece::default());
    tok.with_normalizer(Some(BertNormalizer::default()));
    tok.with_pre_tokenizer(Some(BertPreTokenizer));
    tok.with_decoder(Some(WordPieceDecoder::default()));
    let trainer = WordPieceTrainerBuilder::new()
        .vocab_size(vocab_size)
        .special_tokens(specials.to_vec())
        .show_progress(false)
        .build();
    (tok, TrainerWrapper::WordPieceTrainer(trainer))
}

/// Byte-level BPE as RoBERTa: an untrained tokenizer and its trainer.
fn bpe(vocab_size: usize) -> (tokenizers::Tokenizer, TrainerWrapper) {
    let mut specials = ["<s>", "<pad>", "</s>", "<unk>"].map(special).to_vec();
    // RoBERTa's `<mask>` swallows the space before it, so "a <mask>." reads as "a" + mask.
    specials.push(special("<mask>").lstrip(true));
    let mut tok = tokenizers::Tokenizer::new(BPE::default());
    tok.with_pre_tokenizer(Some(ByteLevel::new(false, true, true)));
    tok.with_decoder(Some(ByteLevelDecoder::default()));
    let trainer = BpeTrainerBuilder::new()
        .vocab_size(vocab_size)
        .min_frequency(2)
        .special_tokens(specials)
        .initial_alphabet(ByteLevel::alphabet().into_iter().collect())
        .show_progress(false)
        .build();
    (tok, TrainerWrapper::BpeTrainer(trainer))
}

/// Unigram as ALBERT: an untrained tokenizer and its trainer.
fn unigram(vocab_size: usize) -> Result<(tokenizers::Tokenizer, TrainerWrapper), String> {
    let specials = ["<pad>", "<unk>", "[CLS]", "[SEP]", "[MASK]"].map(special);
    let mut tok = tokenizers::Tokenizer::new(Unigram::default());
    let normalizer: Vec<NormalizerWrapper> =
        vec![NFKD.into(), StripAccents.into(), Lowercase.into()];
    tok.with_normalizer(Some(Sequence::new(normalizer)));
    tok.with_pre_tokenizer(Some(Metaspace::new('▁', PrependScheme::Always, true)));
    tok.with_decoder(Some(MetaspaceDecoder::new(
        '▁',
        PrependScheme::Always,
        true,
    )));
    let trainer = UnigramTrainerBuilder::default()
        .vocab_size(vocab_size as u32)
        .special_tokens(specials.to_vec())
        .unk_token(Some("<unk>".into()))
        .show_progress(false)
        .build()
        .map_err(|e| e.to_string())?;
    Ok((tok, TrainerWrapper::UnigramTrainer(trainer)))
}

/// The family's special-token layout: RoBERTa's `<s> A </s> (</s> B </s>)` for BPE, else BERT's
/// `[CLS] A [SEP] (B [SEP])` with segment ids 0 and 1.
fn post_processor(
    kind: TokenizerKind,
    tok: &tokenizers::Tokenizer,
) -> Result<PostProcessorWrapper, TokenizerError> {
    let id = |t: &str| {
        tok.token_to_id(t)
            .ok_or_else(|| failed(kind, format!("{t} is missing after training")))
    };
    if kind == TokenizerKind::Bpe {
        let roberta =
            RobertaProcessing::new(("</s>".into(), id("</s>")?), ("<s>".into(), id("<s>")?))
                .add_prefix_space(false);
        return Ok(roberta.into());
    }
    let (cls, sep) = (id("[CLS]")?, id("[SEP]")?);
    let template = TemplateProcessing::builder()
        .try_single("[CLS] $A [SEP]")
        .and_then(|b| b.try_pair("[CLS] $A:0 [SEP]:0 $B:1 [SEP]:1"))
        .map_err(|e| failed(kind, e))?
        .special_tokens(vec![("[CLS]", cls), ("[SEP]", sep)])
        .build()
        .map_err(|e| failed(kind, e))?;
    Ok(template.into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use bertlab_core::text::tokenizer::EncodeOptions;

    /// A few kilobytes of the committed public-domain corpus: enough for small vocabularies.
    fn sample() -> String {
        let text = std::fs::read_to_string(concat!(
            concat!(env!("CARGO_MANIFEST_DIR"), "/../.."),
            "/assets/corpus/valid.txt"
        ))
        .expect("the corpus sample is committed");
        text.lines().take(300).collect::<Vec<_>>().join("\n")
    }

    #[test]
    fn each_kind_trains_with_its_family_conventions() {
        let text = sample();
        let expect = [
            (TokenizerKind::WordPiece, "[CLS]", "[SEP]", "[MASK]"),
            (TokenizerKind::Bpe, "<s>", "</s>", "<mask>"),
            (TokenizerKind::Unigram, "[CLS]", "[SEP]", "[MASK]"),
        ];
        for (kind, cls, sep, mask) in expect {
            let tok = train_tokenizer(kind, 400, text.lines()).expect("trains");
            assert_eq!(tok.kind(), kind);
            assert!(tok.vocab_size() <= 400, "{kind:?}: {}", tok.vocab_size());
            assert!(tok.vocab_size() > 100, "{kind:?}: {}", tok.vocab_size());
            assert_eq!(tok.mask_token().map(|m| m.0).as_deref(), Some(mask));
            let e = tok
                .encode(
                    "The whale swam away.",
                    Some("Emma smiled."),
                    &EncodeOptions::default(),
                )
                .expect("encodes");
            assert_eq!(e.pieces.first().map(String::as_str), Some(cls), "{kind:?}");
            assert_eq!(e.pieces.last().map(String::as_str), Some(sep), "{kind:?}");
            assert!(e.special_tokens_mask[0] && !e.special_tokens_mask[1]);
            let words = tok.decode(&e.ids, true).expect("decodes");
            assert!(words.to_lowercase().contains("whale"), "{kind:?}: {words}");
            let masked = tok
                .encode(&format!("a {mask} b"), None, &EncodeOptions::default())
                .expect("encodes");
            assert_eq!(
                // RoBERTa's `<mask>` keeps the space it absorbed: " <mask>".
                masked.pieces.iter().filter(|p| p.trim() == mask).count(),
                1,
                "{kind:?}: {:?}",
                masked.pieces
            );
        }
    }

    #[test]
    fn a_tiny_vocabulary_or_word_level_is_refused() {
        let err = train_tokenizer(TokenizerKind::Bpe, 10, ["a b"].into_iter()).unwrap_err();
        assert!(err.to_string().contains("too small"), "{err}");
        let err = train_tokenizer(TokenizerKind::WordLevel, 100, ["a b"].into_iter()).unwrap_err();
        assert!(err.to_string().contains("only WordPiece"), "{err}");
    }
}
