//! The plain-text layouts: tagged Brown files, Austen novels as lines, the `bible` program's
//! listing and WordNet's data files, each turned into paragraphs separated by blank lines.

use super::RawDocument;
use crate::corpus::clean::strip_brown_tags;

/// A tagged Brown file (one sentence per indented line) as plain text, one sentence per paragraph.
/// A line ending in `;` is a sentence Brown split in two: it is joined with the next line.
pub fn brown_document(tagged: &str) -> String {
    let mut out = String::new();
    for s in tagged
        .lines()
        .map(strip_brown_tags)
        .filter(|s| !s.is_empty())
    {
        if !out.is_empty() {
            out.push_str(if out.ends_with(';') { " " } else { "\n\n" });
        }
        out.push_str(&s);
    }
    out
}

/// Splits one Austen novel (its lines, blank lines between paragraphs) into chapters at `CHAPTER`
/// lines; the title page before the first chapter is dropped.
pub fn austen_chapters(book: &str, lines: &[String]) -> Vec<RawDocument> {
    let mut docs = Vec::new();
    let mut current: Option<String> = None;
    for line in lines {
        if line
            .trim_start()
            .to_ascii_uppercase()
            .starts_with("CHAPTER")
        {
            if let Some(text) = current.take() {
                docs.push(RawDocument {
                    id: format!("{book}/{:03}", docs.len() + 1),
                    text,
                });
            }
            current = Some(String::new());
        } else if let Some(text) = current.as_mut() {
            text.push_str(line);
            text.push('\n');
        }
    }
    if let Some(text) = current {
        docs.push(RawDocument {
            id: format!("{book}/{:03}", docs.len() + 1),
            text,
        });
    }
    docs
}

/// Groups the `bible -f` listing (`Ge1:1 In the beginning ...`, one verse per line) into one document
/// per chapter (`Ge1`), one verse per paragraph.
pub fn kjv_chapters(listing: &str) -> Vec<RawDocument> {
    let mut docs: Vec<RawDocument> = Vec::new();
    for line in listing.lines() {
        let Some((reference, verse)) = line.split_once(' ') else {
            continue;
        };
        let Some((chapter, _)) = reference.split_once(':') else {
            continue;
        };
        match docs.last_mut() {
            Some(d) if d.id == chapter => {
                d.text.push_str("\n\n");
                d.text.push_str(verse);
            }
            _ => docs.push(RawDocument {
                id: chapter.to_string(),
                text: verse.to_string(),
            }),
        }
    }
    docs
}

/// The glosses of a WordNet `data.POS` file: for each synset line (license lines start with two
/// spaces), the text after ` | ` split at `; ` into the definition and its quoted examples, one
/// paragraph per synset with each part on its own paragraph line.
pub fn wordnet_glosses(data: &str) -> Vec<String> {
    data.lines()
        .filter(|l| !l.starts_with("  "))
        .filter_map(|l| l.split_once(" | ").map(|(_, gloss)| gloss))
        .map(|gloss| {
            gloss
                .split("; ")
                .map(|part| part.trim().trim_matches('"').trim())
                .filter(|part| !part.is_empty())
                .collect::<Vec<_>>()
                .join("\n\n")
        })
        .filter(|g| !g.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn brown_document_has_one_sentence_per_paragraph() {
        let tagged = "\n\n\tThe/at jury/nn said/vbd ;/. ;/.\n\n\tit/pps agreed/vbd ./.\n\n\n\tIt/pps rained/vbd ./.\n";
        assert_eq!(
            brown_document(tagged),
            "The jury said; it agreed.\n\nIt rained."
        );
    }

    #[test]
    fn austen_novels_split_at_chapters_without_title_page() {
        let lines: Vec<String> = [
            "EMMA",
            "",
            "By Jane Austen",
            "",
            "CHAPTER I",
            "",
            "Emma Woodhouse,",
            "handsome.",
            "",
            "CHAPTER II",
            "Mr. Weston.",
        ]
        .map(String::from)
        .to_vec();
        let docs = austen_chapters("emma", &lines);
        assert_eq!(docs.len(), 2);
        assert_eq!(
            docs[0],
            RawDocument {
                id: "emma/001".into(),
                text: "\nEmma Woodhouse,\nhandsome.\n\n".into()
            }
        );
        assert_eq!(docs[1].id, "emma/002");
    }

    #[test]
    fn kjv_listing_groups_verses_by_chapter() {
        let listing = "Ge1:1 In the beginning God created the heaven and the earth.\nGe1:2 And the earth was \
                       without form.\nGe2:1 Thus the heavens were finished.\nnoise\n";
        let docs = kjv_chapters(listing);
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[0].id, "Ge1");
        assert!(docs[0]
            .text
            .ends_with("\n\nAnd the earth was without form."));
        assert_eq!(docs[1].text, "Thus the heavens were finished.");
    }

    #[test]
    fn wordnet_glosses_split_definition_and_examples() {
        let data = "  1 This software and database is being provided\n\
                    02084071 05 n 03 dog 0 domestic_dog 0 Canis_familiaris 0 000 | a member of the genus Canis; \
                    \"the dog barked all night\"  \n\
                    00001740 03 n 01 entity 0 003 ~ 00001930 n 0000 | \n";
        assert_eq!(
            wordnet_glosses(data),
            vec!["a member of the genus Canis\n\nthe dog barked all night"]
        );
    }
}
