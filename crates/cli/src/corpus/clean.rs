//! Text cleaning shared by every source: character normalisation, boilerplate and heading removal,
//! Brown-corpus de-tagging, paragraph and sentence splitting. Pure string functions (wasm-safe);
//! [`clean_document`] applies them to one source document.

use serde::{Deserialize, Serialize};

/// Normalises one stretch of text: typographic quotes to ASCII, non-breaking and other odd spaces to
/// plain spaces, invisible characters, control characters and `_italic_` underscores dropped, whitespace runs collapsed to one
/// space, ends trimmed. Dashes and accented letters are kept: the tokenizer handles them.
pub fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending_space = false;
    for c in text.chars() {
        let mapped = match c {
            '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}' | '\u{2032}' | '`' => Some('\''),
            '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{201F}' | '\u{2033}' => Some('"'),
            // Soft hyphen, zero-width characters and the byte-order mark are invisible.
            '\u{00AD}' | '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{2060}' | '\u{FEFF}' => None,
            // Gutenberg-style `_italics_` markup.
            '_' => None,
            c if c.is_whitespace() => {
                pending_space = true;
                None
            }
            c if c.is_control() => None,
            c => Some(c),
        };
        if let Some(m) = mapped {
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            out.push(m);
        }
    }
    out
}

/// The text between Project Gutenberg's `*** START OF ...` and `*** END OF ...` marker lines, or the
/// whole text when it has no such markers. Licence headers and trailers are not prose to train on.
pub fn strip_gutenberg(text: &str) -> &str {
    let is_marker = |line: &str, word: &str| {
        let l = line.trim().to_ascii_uppercase();
        l.starts_with("***") && l.contains(word) && l.contains("GUTENBERG")
    };
    let mut start = 0;
    let mut end = text.len();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if start == 0 && is_marker(line, "START OF") {
            start = offset + line.len();
        } else if start > 0 && is_marker(line, "END OF") {
            end = offset;
            break;
        }
        offset += line.len();
    }
    &text[start..end.max(start)]
}

/// Whether a line is a heading rather than prose: `CHAPTER 12. The Ship.`, `VOLUME I`, `FINIS`,
/// or any short line without lowercase letters.
pub fn is_heading(line: &str) -> bool {
    let t = line.trim();
    let mut words = t.split_whitespace().map(|w| w.trim_end_matches(['.', ':']));
    let first = words.next().unwrap_or("");
    let numeral = words.next().is_some_and(|w| {
        !w.is_empty()
            && (w.chars().all(|c| c.is_ascii_digit())
                || w.chars().all(|c| "IVXLCivxlc".contains(c)))
    });
    let numbered =
        ["CHAPTER", "Chapter", "VOLUME", "Volume", "BOOK", "PART"].contains(&first) && numeral;
    let section = ["EPILOGUE", "ETYMOLOGY", "EXTRACTS"].contains(&first);
    let no_lowercase = !t.chars().any(char::is_lowercase) && t.split_whitespace().count() <= 8;
    numbered || section || no_lowercase
}

/// Splits text into paragraphs at blank lines; the lines of a paragraph are joined and normalised.
/// Empty paragraphs and headings are dropped.
pub fn paragraphs(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut flush = |current: &mut String| {
        let p = normalize(current);
        if !p.is_empty() && !is_heading(&p) {
            out.push(p);
        }
        current.clear();
    };
    for line in text.lines() {
        if line.trim().is_empty() {
            flush(&mut current);
        } else {
            current.push_str(line);
            current.push(' ');
        }
    }
    flush(&mut current);
    out
}

/// Abbreviations after which a full stop does not end a sentence (compared lowercase, without the dot).
const ABBREVIATIONS: &[&str] = &[
    "mr", "mrs", "ms", "dr", "st", "jr", "sr", "prof", "gen", "col", "capt", "lt", "sgt", "rev",
    "hon", "gov", "sen", "rep", "messrs", "mt", "ft", "no", "vol", "fig", "vs", "viz", "cf", "ch",
    "esq",
];

/// Characters that may close a sentence after its final punctuation (`."`, `?)`).
fn is_closer(c: char) -> bool {
    matches!(c, '"' | '\'' | ')' | ']' | '}')
}

/// Whether the word ending at a full stop is an abbreviation or an initial (`J.`, `U.S.`, `e.g.`).
fn is_abbreviation(word: &str) -> bool {
    let w = word
        .trim_start_matches(|c: char| !c.is_alphanumeric())
        .trim_end_matches('.');
    let lower = w.to_lowercase();
    let single_letter = w.chars().count() == 1 && w.chars().all(char::is_alphabetic);
    ABBREVIATIONS.contains(&lower.as_str()) || single_letter || (w.contains('.') && w.len() <= 6)
}

/// Splits a normalised paragraph into sentences: after `.`, `?`, `!` or `…` (and any closing quotes
/// or brackets), when the next word starts with an uppercase letter, a digit or an opening quote, and
/// the full stop does not end an abbreviation or an initial.
pub fn split_sentences(paragraph: &str) -> Vec<String> {
    let chars: Vec<(usize, char)> = paragraph.char_indices().collect();
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < chars.len() {
        let (_, c) = chars[i];
        if matches!(c, '.' | '?' | '!' | '…') {
            let mut j = i + 1;
            while j < chars.len()
                && (is_closer(chars[j].1) || matches!(chars[j].1, '.' | '?' | '!'))
            {
                j += 1;
            }
            let at_space = j < chars.len() && chars[j].1 == ' ';
            let next = chars.get(j + 1).map(|&(_, n)| n);
            let starts_sentence = next.is_some_and(|n| {
                n.is_uppercase() || n.is_ascii_digit() || matches!(n, '"' | '\'' | '(')
            });
            let end_byte = chars.get(j).map_or(paragraph.len(), |&(b, _)| b);
            let word_start = paragraph[..chars[i].0].rfind(' ').map_or(0, |p| p + 1);
            let abbreviation = c == '.' && is_abbreviation(&paragraph[word_start..=chars[i].0]);
            if at_space && starts_sentence && !abbreviation {
                let s = paragraph[start..end_byte].trim();
                if !s.is_empty() {
                    out.push(s.to_string());
                }
                start = end_byte;
            }
            i = j;
        } else {
            i += 1;
        }
    }
    let rest = paragraph[start..].trim();
    if !rest.is_empty() {
        out.push(rest.to_string());
    }
    out
}

/// Turns one line of the tagged Brown corpus (`The/at jury/nn said/vbd ./.`) back into plain text
/// (`The jury said.`): tags dropped, `` `` `` and `''` turned into `"`, punctuation re-attached.
pub fn strip_brown_tags(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut glue_next = true; // no space before the first word
    let mut open_quote = false;
    let mut previous = "";
    for token in line.split_whitespace() {
        let word = token.rsplit_once('/').map_or(token, |(w, _)| w);
        // Brown doubles the semicolon where it splits a sentence in two: `;/. ;/.`.
        if word.is_empty() || (word == previous && word.chars().all(|c| c.is_ascii_punctuation())) {
            continue;
        }
        previous = word;
        let (text, attach_left, attach_right) = match word {
            "``" => {
                open_quote = true;
                ("\"", false, true)
            }
            "''" => {
                let was_open = open_quote;
                open_quote = false;
                ("\"", was_open, false)
            }
            "(" | "[" | "{" => (word, false, true),
            "." | "," | ";" | ":" | "?" | "!" | ")" | "]" | "}" | "%" => (word, true, false),
            w if w.starts_with('\'') && w.len() <= 3 && w[1..].chars().all(char::is_alphabetic) => {
                (w, true, false)
            }
            w => (w, false, false),
        };
        if !(glue_next || attach_left) {
            out.push(' ');
        }
        out.push_str(text);
        glue_next = attach_right;
    }
    out
}

/// A cleaned document: its sentences, in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Document {
    pub source: String,
    pub id: String,
    pub sentences: Vec<String>,
}

/// Cleaning thresholds. Defaults: sentences of 3 to 200 words, at least one lowercase letter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CleanOptions {
    /// Shorter sentences (in whitespace-separated words) are dropped: fragments, headings, "Amen."
    pub min_words: usize,
    /// Longer "sentences" are dropped: tables, lists and run-ons the splitter could not break.
    pub max_words: usize,
}

impl Default for CleanOptions {
    fn default() -> Self {
        CleanOptions {
            min_words: 3,
            max_words: 200,
        }
    }
}

/// Cleans one raw document: Gutenberg boilerplate cut, paragraphs normalised (headings dropped),
/// sentences split and filtered by length and for having some lowercase prose.
pub fn clean_document(source: &str, id: &str, raw: &str, opts: &CleanOptions) -> Document {
    let sentences = paragraphs(strip_gutenberg(raw))
        .iter()
        .flat_map(|p| split_sentences(p))
        .filter(|s| {
            let words = s.split_whitespace().count();
            words >= opts.min_words && words <= opts.max_words && s.chars().any(char::is_lowercase)
        })
        .collect();
    Document {
        source: source.to_string(),
        id: id.to_string(),
        sentences,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_document_splits_and_filters_sentences() {
        let raw =
            "CHAPTER 1. Loomings.\n\nCall me Ishmael. Some years ago\u{2014}never mind how long\n\
                   precisely\u{2014}I went to sea. Amen.\n\nTHE END OF ALL THINGS\n";
        let doc = clean_document("moby-dick", "chapter_1", raw, &CleanOptions::default());
        assert_eq!(
            doc.sentences,
            vec![
                "Call me Ishmael.",
                "Some years ago\u{2014}never mind how long precisely\u{2014}I went to sea."
            ]
        );
    }

    #[test]
    fn normalize_fixes_quotes_spaces_and_invisibles() {
        let raw = "\u{201C}Call me\u{00A0}Ishmael,\u{201D}  he said\u{2019}s\u{00AD}\n\t_thing_\u{200B}.\u{0007} ";
        assert_eq!(normalize(raw), "\"Call me Ishmael,\" he said's thing.");
        assert_eq!(normalize("  \n "), "");
        assert_eq!(normalize("ago\u{2014}never"), "ago\u{2014}never");
    }

    #[test]
    fn gutenberg_markers_are_cut_away() {
        let text = "The Project Gutenberg eBook of X\nLicence blah\n\
                    *** START OF THE PROJECT GUTENBERG EBOOK X ***\nIt was a dark night.\n\
                    *** END OF THE PROJECT GUTENBERG EBOOK X ***\nMore licence\n";
        assert_eq!(strip_gutenberg(text), "It was a dark night.\n");
        assert_eq!(strip_gutenberg("No markers here.\n"), "No markers here.\n");
    }

    #[test]
    fn headings_are_recognised_and_prose_is_not() {
        for h in [
            "CHAPTER 1. Loomings.",
            "VOLUME I",
            "FINIS",
            "Chapter 3",
            "EMMA",
            "Chapter XII: The Ball",
        ] {
            assert!(is_heading(h), "{h}");
        }
        for p in [
            "Call me Ishmael.",
            "Chapter and verse were quoted.",
            "Part I was better than part II.",
        ] {
            assert!(!is_heading(p), "{p}");
        }
    }

    #[test]
    fn paragraphs_join_lines_and_drop_headings() {
        let text =
            "CHAPTER 1. Loomings.\n\nCall me\nIshmael.  Some years ago.\n\n\n\nSecond one.\n";
        assert_eq!(
            paragraphs(text),
            vec!["Call me Ishmael. Some years ago.", "Second one."]
        );
    }

    #[test]
    fn sentences_split_at_real_boundaries_only() {
        let p = "Mr. Smith went to Washington. He met Dr. J. Watson at 5 p.m. \"Is it you?\" he asked. \
                 Yes! 1790 was a year. The U.S. Senate met. (It rained.) The end";
        assert_eq!(
            split_sentences(p),
            vec![
                "Mr. Smith went to Washington.",
                "He met Dr. J. Watson at 5 p.m. \"Is it you?\" he asked.",
                "Yes!",
                "1790 was a year.",
                "The U.S. Senate met.",
                "(It rained.)",
                "The end",
            ]
        );
        assert_eq!(
            split_sentences("no capital. after this"),
            vec!["no capital. after this"]
        );
    }

    #[test]
    fn brown_tags_are_stripped_and_punctuation_reattached() {
        let line =
            "\tThe/at jury/nn said/vbd ``/`` no/at evidence/nn ''/'' ,/, that/cs Atlanta's/np$ \
                    ratio/nn (/( 1/2/cd )/) was/bedz 5/cd %/% ./.";
        assert_eq!(
            strip_brown_tags(line),
            "The jury said \"no evidence\", that Atlanta's ratio (1/2) was 5%."
        );
        assert_eq!(
            strip_brown_tags("He/pps 'll/md go/vb --/-- now/rb ;/. ;/."),
            "He'll go -- now;"
        );
        assert_eq!(strip_brown_tags(""), "");
    }
}
