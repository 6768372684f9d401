//! Short definitions of the course's terms, from content/glossary.toml (compiled in by build.rs).

/// One term and its definition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Term {
    pub term: &'static str,
    /// Other forms that count as a use of the term.
    pub also: &'static [&'static str],
    pub definition: &'static str,
}

include!(concat!(env!("OUT_DIR"), "/glossary.rs"));

/// A piece of a paragraph: plain text, or the first use of a glossary term.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Segment<'a> {
    Text(&'a str),
    Term(&'a str, &'static Term),
}

/// Splits `paragraph` at the first use of each term not in `seen` (case-insensitive, whole words:
/// "token" does not match inside "tokenizer"), and adds those terms to `seen`, so that a lesson's
/// paragraphs, passed in order with one `seen`, mark each term once.
pub fn mark_first_uses<'a>(paragraph: &'a str, seen: &mut Vec<&'static str>) -> Vec<Segment<'a>> {
    let lower = paragraph.to_lowercase();
    // Lowercasing can change byte lengths outside ASCII; match only where offsets agree.
    let comparable = lower.len() == paragraph.len();
    let mut found: Vec<(usize, usize, &'static Term)> = Vec::new();
    if comparable {
        for term in GLOSSARY {
            if seen.contains(&term.term) {
                continue;
            }
            let first = std::iter::once(term.term)
                .chain(term.also.iter().copied())
                .filter_map(|form| {
                    find_word(&lower, &form.to_lowercase()).map(|at| (at, form.len()))
                })
                .min();
            if let Some((at, len)) = first {
                found.push((at, at + len, term));
            }
        }
    }
    // Earliest first; at one place the longest form wins; overlapping uses are left unmarked.
    found.sort_by_key(|&(start, end, _)| (start, std::cmp::Reverse(end)));
    let mut segments = Vec::new();
    let mut at = 0;
    for (start, end, term) in found {
        if start < at {
            continue;
        }
        if start > at {
            segments.push(Segment::Text(&paragraph[at..start]));
        }
        segments.push(Segment::Term(&paragraph[start..end], term));
        seen.push(term.term);
        at = end;
    }
    if at < paragraph.len() {
        segments.push(Segment::Text(&paragraph[at..]));
    }
    segments
}

/// The first place `word` occurs in `text` with no letter or digit right before or after it.
fn find_word(text: &str, word: &str) -> Option<usize> {
    if word.is_empty() {
        return None;
    }
    let is_word_char = |c: Option<char>| c.is_some_and(char::is_alphanumeric);
    text.match_indices(word).map(|(i, _)| i).find(|&i| {
        !is_word_char(text[..i].chars().next_back())
            && !is_word_char(text[i + word.len()..].chars().next())
    })
}

/// The anchor of a term on the glossary page: `#term-attention-head`.
pub fn anchor(term: &Term) -> String {
    let slug: String = term
        .term
        .chars()
        .filter_map(|c| match c {
            c if c.is_alphanumeric() => Some(c.to_ascii_lowercase()),
            ' ' | '-' => Some('-'),
            _ => None,
        })
        .collect();
    format!("term-{slug}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Track;
    use crate::lessons::steps;

    #[test]
    fn terms_and_their_forms_are_unique_and_defined() {
        let mut forms = std::collections::HashSet::new();
        let mut anchors = std::collections::HashSet::new();
        assert!(
            GLOSSARY.len() >= 20,
            "a glossary of {} terms",
            GLOSSARY.len()
        );
        for term in GLOSSARY {
            for form in std::iter::once(term.term).chain(term.also.iter().copied()) {
                assert!(
                    forms.insert(form.to_lowercase()),
                    "'{form}' is listed twice"
                );
            }
            assert!(
                anchors.insert(anchor(term)),
                "two terms share the anchor of '{}'",
                term.term
            );
            let d = term.definition;
            assert!(
                !d.is_empty() && d.chars().count() <= 240,
                "'{}': definition of {} characters",
                term.term,
                d.len()
            );
        }
    }

    #[test]
    fn every_term_is_used_by_some_lesson() {
        let text: Vec<&str> = Track::ALL
            .into_iter()
            .flat_map(|t| t.lessons())
            .flat_map(|l| steps(l.slug))
            .flat_map(|s| s.text.iter().copied())
            .collect();
        for term in GLOSSARY {
            let used = text.iter().any(|p| {
                let mut seen = Vec::new();
                mark_first_uses(p, &mut seen)
                    .iter()
                    .any(|s| matches!(s, Segment::Term(_, t) if t.term == term.term))
            });
            assert!(
                used,
                "no lesson text uses the glossary term '{}'",
                term.term
            );
        }
    }

    /// The page shows `backticked` text as code, split outside glossary marks: backticks must pair up
    /// within a paragraph, and no term may be marked inside them.
    #[test]
    fn code_spans_pair_up_and_hold_no_marked_term() {
        for lesson in Track::ALL.into_iter().flat_map(|t| t.lessons()) {
            let mut seen = Vec::new();
            for p in steps(lesson.slug).iter().flat_map(|s| s.text.iter()) {
                assert_eq!(
                    p.matches('`').count() % 2,
                    0,
                    "{}: unpaired backtick in {p:?}",
                    lesson.slug
                );
                for segment in mark_first_uses(p, &mut seen) {
                    if let Segment::Text(t) = segment {
                        assert_eq!(
                            t.matches('`').count() % 2,
                            0,
                            "{}: a term is marked inside code in {p:?}",
                            lesson.slug
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn marks_whole_words_once_and_keeps_the_text() {
        let term = GLOSSARY[0];
        let word = term.term;
        let paragraph = format!("Before {word}s? No: {word}, then {word} again, and x{word}.");
        let mut seen = Vec::new();
        let segments = mark_first_uses(&paragraph, &mut seen);
        let rebuilt: String = segments
            .iter()
            .map(|s| match s {
                Segment::Text(t) | Segment::Term(t, _) => *t,
            })
            .collect();
        assert_eq!(rebuilt, paragraph);
        let marked: Vec<&str> = segments
            .iter()
            .filter_map(|s| match s {
                Segment::Term(t, g) if g.term == word => Some(*t),
                _ => None,
            })
            .collect();
        assert_eq!(marked.len(), 1, "{segments:?}");
        assert!(seen.contains(&word));
        // a second paragraph of the same lesson does not mark it again
        let again = mark_first_uses(&paragraph, &mut seen);
        assert!(!again
            .iter()
            .any(|s| matches!(s, Segment::Term(_, g) if g.term == word)));
    }
}
