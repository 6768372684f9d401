//! Native-only: turns each source's unpacked package into raw documents. Every extractor yields
//! documents whose text is paragraphs separated by blank lines; cleaning and sentence splitting
//! happen afterwards, the same for all sources. This module knows where each package keeps its
//! text; the file-format parsers (`text_formats`, `gcide`, `rdata`) are plain functions over
//! strings and bytes so they are tested on small inline inputs.

mod gcide;
mod rdata;
mod text_formats;

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

use self::gcide::gcide_entries;
use self::rdata::rdata_character_vectors;
use self::text_formats::{austen_chapters, brown_document, kjv_chapters, wordnet_glosses};
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
            one_document_per_file(&list(&root.join("package/data"), |n| n.ends_with(".txt"))?)
        }
        Extraction::MobyDickChapters => moby_dick(root),
        Extraction::BrownTagged => brown(root),
        Extraction::AustenRdata => austen(spec, root),
        Extraction::KjvVerses => kjv(spec, root, helpers),
        Extraction::WordnetGlosses => wordnet(root),
        Extraction::GcideEntries => gcide(spec, root),
    }
}

/// One document per chapter file, plus the front and back matter.
fn moby_dick(root: &Path) -> Result<Vec<RawDocument>, CorpusError> {
    let wanted = |n: &str| {
        n.starts_with("chapter_") || ["etymology.txt", "extracts.txt", "epilogue.txt"].contains(&n)
    };
    let files = list(&root.join("package/data"), |n| {
        n.ends_with(".txt") && wanted(n)
    })?;
    one_document_per_file(&files)
}

/// One document per tagged Brown file, tags stripped.
fn brown(root: &Path) -> Result<Vec<RawDocument>, CorpusError> {
    list(&root.join("package"), is_brown_file)?
        .iter()
        .map(|p| {
            Ok(RawDocument {
                id: stem(p),
                text: brown_document(&read_text(p)?),
            })
        })
        .collect()
}

/// janeaustenr's novels, stored as R character vectors (one line each), split into chapters.
fn austen(spec: &SourceSpec, root: &Path) -> Result<Vec<RawDocument>, CorpusError> {
    let data = root.join("usr/lib/R/site-library/janeaustenr/data");
    let rdx = read_bytes(&data.join("Rdata.rdx"))?;
    let rdb = read_bytes(&data.join("Rdata.rdb"))?;
    let books =
        rdata_character_vectors(&rdx, &rdb).map_err(|m| format_error(spec, "Rdata.rdb", m))?;
    Ok(books
        .iter()
        .flat_map(|(name, lines)| austen_chapters(name, lines))
        .collect())
}

/// The King James Bible, listed by the helper package's `bible` program (which decodes the text
/// package's data files), one document per chapter.
fn kjv(
    spec: &SourceSpec,
    root: &Path,
    helpers: &[Fetched],
) -> Result<Vec<RawDocument>, CorpusError> {
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
    // The Bible has 1,189 chapters: far fewer means the listing was not decoded.
    if docs.len() < 1000 {
        return Err(format_error(
            spec,
            "bible",
            format!("only {} chapters decoded", docs.len()),
        ));
    }
    Ok(docs)
}

/// The glosses of every WordNet synset, by part of speech.
fn wordnet(root: &Path) -> Result<Vec<RawDocument>, CorpusError> {
    let mut docs = Vec::new();
    for pos in ["noun", "verb", "adj", "adv"] {
        let text = read_text(&root.join(format!("usr/share/wordnet/data.{pos}")))?;
        docs.extend(chunk_documents(pos, wordnet_glosses(&text)));
    }
    Ok(docs)
}

/// GCIDE's definitions: the dictd index and the dictionary text, dictzip being gzip-readable.
fn gcide(spec: &SourceSpec, root: &Path) -> Result<Vec<RawDocument>, CorpusError> {
    let dir = root.join("usr/share/dictd");
    let index = read_text(&dir.join("gcide.index"))?;
    let mut dict = Vec::new();
    let dz = dir.join("gcide.dict.dz");
    let file = fs::File::open(&dz).map_err(|e| CorpusError::io(&dz, e))?;
    flate2::read::MultiGzDecoder::new(file)
        .read_to_end(&mut dict)
        .map_err(|e| CorpusError::io(&dz, e))?;
    let dict = String::from_utf8_lossy(&dict);
    let entries = gcide_entries(&index, &dict).map_err(|m| format_error(spec, "gcide.index", m))?;
    Ok(chunk_documents("gcide", entries))
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

    #[test]
    fn brown_files_are_recognised_by_name() {
        assert!(is_brown_file("ca01") && is_brown_file("cr09"));
        assert!(!is_brown_file("cats.txt") && !is_brown_file("cs01") && !is_brown_file("README"));
    }
}
