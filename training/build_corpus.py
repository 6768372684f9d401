#!/usr/bin/env python3
"""Builds the everyday-English pretraining corpus: `bertlab corpus` output plus the sources it lacks.

The old sources (State of the Union, Moby-Dick, Brown, Austen, KJV, WordNet glosses and examples,
GCIDE) come from `bertlab corpus` unchanged, so that pipeline is not written twice; this script adds
the sources below, deduplicates them against the base corpus and against each other, holds out a
validation split, and writes a manifest with every source's package, version and licence.

    python training/build_corpus.py --base corpus --out corpus-everyday [--cache runs/package-cache]

Added sources (Debian packages, fetched with `apt-get download`, unpacked with `dpkg -x`):

- fortunes: `fortunes` and `fortunes-min` (fortune-mod data files; BSD-3-Clause per the package's
  copyright file). Quotations, proverbs, jokes and short dialogues: short, everyday sentences. The
  individual quotations keep their authors' rights, so the text is train only, never committed.
- ding: `trans-de-en` (Frank Richter's German-English dictionary for Ding; GPL-2+). Only the English
  example sentences of its entries ("Er öffnete das Fenster. :: He opened the window."): modern,
  everyday usage, the register the cloze benchmark asks about. GPL text: train only, never committed.

It also writes, beside the corpus, `sentence-hashes.u64`: the sorted, unique 64-bit hashes of every
normalised sentence of the training and validation text (see `normalise`/`sentences`), the file that
tests/python/cloze_contamination.py checks the cloze benchmark against, and it runs that check itself
exactly (every cloze sentence, with each answer filled in, searched as a word sequence in every line).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests/python"))
from corpus_hash import normalise, sentence_hash, sentences  # noqa: E402

FORTUNE_FILES_SKIPPED = {
    # pictures, programming and shell jargon, and nonsense strings: not sentences
    "art", "ascii-art", "computers", "debian", "linux", "linuxcookie", "perl", "zippy", "translate-me",
    "startrek", "knghtbrd",
}

EXTRA = [
    {
        "name": "fortunes",
        "registry": "debian",
        "packages": ["fortunes", "fortunes-min"],
        "licence": "BSD-3-Clause (fortune-mod data files, Debian copyright file); the quotations keep their "
                   "authors' rights: train only, never commit its text",
        "redistributable": False,
        "rule": "usr/share/games/fortunes/* (not *.dat/*.u8, not the offensive set, which these packages do not "
                "hold; files skipped: " + ", ".join(sorted(FORTUNE_FILES_SKIPPED)) + "): entries split at '%' "
                "lines, '-- author' attribution lines dropped, lines joined, entries with under 70 % letters "
                "or spaces dropped; one entry per line",
    },
    {
        "name": "ding",
        "registry": "debian",
        "packages": ["trans-de-en"],
        "licence": "GPL-2+ (Ding's de-en dictionary, (c) Frank Richter 1999-2022, Debian copyright file): train only, "
                   "never commit its text",
        "redistributable": False,
        "rule": "usr/share/trans/de-en: the English side of each entry (after ' :: '), split at '|' and ';', "
                "{...} and [...] annotations removed, curly quotes made straight; kept: pieces of 4 or more words "
                "that start with a capital or a quote, end with . ? ! or a quote, are over 80 % letters or spaces "
                "and hold no '/' or '~' (placeholders such as sth/sb stay); exact repeats dropped; one per line",
    },
]


def apt_fetch(pkg: str, cache: Path) -> tuple[Path, str]:
    cache.mkdir(parents=True, exist_ok=True)
    debs = sorted(cache.glob(f"{pkg}_*.deb"))
    if not debs:
        subprocess.run(["apt-get", "download", pkg], cwd=cache, check=True, capture_output=True)
        debs = sorted(cache.glob(f"{pkg}_*.deb"))
    deb = debs[-1]
    version = subprocess.run(["dpkg-deb", "-f", str(deb), "Version"], capture_output=True, text=True, check=True).stdout.strip()
    out = cache / f"{pkg}-x"
    if not out.exists():
        subprocess.run(["dpkg", "-x", str(deb), str(out)], check=True)
    return out, version


def fortunes(cache: Path) -> tuple[list[str], dict]:
    entries, versions = [], {}
    for pkg in ["fortunes", "fortunes-min"]:
        root, ver = apt_fetch(pkg, cache)
        versions[pkg] = ver
        for f in sorted((root / "usr/share/games/fortunes").iterdir()):
            if f.suffix in (".dat", ".u8") or f.is_dir() or f.is_symlink() or f.name in FORTUNE_FILES_SKIPPED:
                continue
            text = f.read_text(encoding="utf-8", errors="replace")
            for e in re.split(r"^%\s*$", text, flags=re.M):
                lines = [l.strip() for l in e.splitlines()]
                lines = [l for l in lines if l and not l.startswith("--") and not l.startswith("\u2014")]
                s = re.sub(r"\s+", " ", " ".join(lines)).strip()
                if len(s) < 15:
                    continue
                letters = sum(c.isalpha() or c == " " for c in s)
                if letters / len(s) < 0.7:
                    continue
                entries.append(s)
    return entries, versions


DING_SENTENCE = re.compile(r"^[\"'A-Z].*[.?!\"']$")


def ding(cache: Path) -> tuple[list[str], dict]:
    root, ver = apt_fetch("trans-de-en", cache)
    out, seen = [], set()
    for line in (root / "usr/share/trans/de-en").read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or " :: " not in line:
            continue
        for field in line.split(" :: ", 1)[1].split("|"):
            for piece in field.split(";"):
                s = re.sub(r"\{[^}]*\}|\[[^\]]*\]", "", piece)
                s = s.replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"').replace("\u201d", '"')
                s = re.sub(r"\s+", " ", s).strip()
                if len(s.split()) < 4 or not DING_SENTENCE.match(s) or "/" in s or "~" in s:
                    continue
                if sum(c.isalpha() or c == " " for c in s) / len(s) <= 0.8 or s in seen:
                    continue
                seen.add(s)
                out.append(s)
    return out, {"trans-de-en": ver}


READERS = {"fortunes": fortunes, "ding": ding}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--base", required=True, help="a `bertlab corpus` output folder (train.txt, valid.txt, manifest.json)")
    p.add_argument("--out", required=True)
    p.add_argument("--cache", default="runs/package-cache", help="where the .deb files are fetched and unpacked (runs/ is gitignored)")
    p.add_argument("--valid-fraction", type=float, default=0.05)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--cloze", default=str(ROOT / "tests/data/cloze.tsv"))
    p.add_argument("--hashes", default=None, help="where to write the sentence hashes (default OUT/sentence-hashes.u64)")
    p.add_argument("--added", action="append", choices=[e["name"] for e in EXTRA], default=None, metavar="SOURCE",
                   help="an added source to include (repeatable; default: all of " + ", ".join(e["name"] for e in EXTRA) + ")")
    p.add_argument("--weight", action="append", default=[], metavar="SOURCE=W",
                   help="sampling weight of a source's training documents (default 1): W < 1 keeps that fraction "
                        "of its documents (seeded), W > 1 repeats each document int(W) times plus one more with "
                        "probability W - int(W); the validation text is never weighted")
    args = p.parse_args(argv)
    base, out, cache = Path(args.base), Path(args.out), Path(args.cache)
    out.mkdir(parents=True, exist_ok=True)

    weights = {k: float(v) for k, v in (w.split("=") for w in args.weight)}
    base_train = base.joinpath("train.txt").read_text(encoding="utf-8")
    base_valid = base.joinpath("valid.txt").read_text(encoding="utf-8")
    seen = set()
    for l in (base_train + "\n" + base_valid).splitlines():
        k = normalise(l)
        if k:
            seen.add(k)

    manifest = json.loads(base.joinpath("manifest.json").read_text())
    added = []
    extra_valid = []
    extra_train = {}
    cloze_needles = {" " + f + " " for _, f in cloze_filled(Path(args.cloze))}
    chosen = [e for e in EXTRA if args.added is None or e["name"] in args.added]
    for spec in chosen:
        entries, versions = READERS[spec["name"]](cache)
        rng = random.Random(f"{args.seed}-{spec['name']}")
        tr, va, dup, overlaps = [], [], 0, 0
        for e in entries:
            k = normalise(e)
            if not k or k in seen:
                dup += 1
                continue
            # a benchmark sentence that happens to be in a source is dropped from it, never trained on
            if any(f in " " + k + " " for f in cloze_needles):
                overlaps += 1
                continue
            seen.add(k)
            (va if rng.random() < args.valid_fraction else tr).append(e)
        info = dict(spec, versions=versions, entries=len(entries), duplicates_dropped=dup, cloze_overlaps_dropped=overlaps,
                    train_words=sum(len(x.split()) for x in tr), valid_words=sum(len(x.split()) for x in va))
        added.append(info)
        print(f"{spec['name']}: {len(entries)} entries, {dup} duplicates and {overlaps} cloze sentences dropped, {info['train_words']} train words, "
              f"{info['valid_words']} valid words", flush=True)
        extra_train[spec["name"]] = tr
        extra_valid += va

    # split the base training text back into its sources' documents (bertlab corpus writes them in
    # manifest order, documents separated by one blank line)
    docs = [d for d in base_train.split("\n\n") if d.strip()]
    counts = [(src["name"], src["train"]["documents"]) for src in manifest["sources"]]
    assert sum(c for _, c in counts) == len(docs), (sum(c for _, c in counts), len(docs))
    by_source, i = {}, 0
    for name, c in counts:
        by_source[name] = docs[i : i + c]
        i += c
    # the added sources as documents of 200 entries
    for spec in chosen:
        tr = extra_train[spec["name"]]
        by_source[spec["name"]] = ["\n".join(tr[j : j + 200]) for j in range(0, len(tr), 200)]
    wrng = random.Random(f"{args.seed}-weights")
    out_docs, weighted = [], {}
    for name, ds in by_source.items():
        w = weights.get(name, 1.0)
        n_before = len(out_docs)
        for d in ds:
            reps = int(w) + (1 if wrng.random() < w - int(w) else 0)
            out_docs.extend([d] * reps)
        weighted[name] = {"weight": w, "documents": len(ds), "documents_written": len(out_docs) - n_before,
                          "words_written": sum(len(d.split()) for d in out_docs[n_before:])}
        print(f"{name}: weight {w}, {weighted[name]['documents_written']} of {len(ds)} documents written "
              f"({weighted[name]['words_written']} words)", flush=True)
    train = "\n\n".join(out_docs) + "\n"
    valid = base_valid.rstrip("\n") + "\n\n" + "\n".join(extra_valid) + "\n"
    out.joinpath("train.txt").write_text(train, encoding="utf-8")
    out.joinpath("valid.txt").write_text(valid, encoding="utf-8")
    out.joinpath("manifest.json").write_text(json.dumps({"base": manifest, "base_folder": str(base), "added": added,
                                                         "seed": args.seed, "valid_fraction": args.valid_fraction,
                                                         "weights": weighted}, indent=2))

    # contamination: exact search, then the committed hash file
    lines = [normalise(l) for l in (train + "\n" + valid).splitlines()]
    lines = [" " + l + " " for l in lines if l]
    from_cloze = cloze_filled(Path(args.cloze))
    hits = []
    joined = "\n".join(lines)
    for cid, filled in from_cloze:
        if " " + filled + " " in joined:
            hits.append((cid, filled))
    hashes = np.unique(np.array([sentence_hash(s) for l in (train + "\n" + valid).splitlines() for s in sentences(l)], dtype=np.uint64))
    hpath = Path(args.hashes) if args.hashes else out / "sentence-hashes.u64"
    hashes.astype("<u8").tofile(hpath)
    print(f"{len(hashes)} sentence hashes written to {hpath}")
    if hits:
        for cid, s in hits:
            print(f"CONTAMINATED: cloze {cid}: '{s}' occurs in the corpus")
        sys.exit(1)
    print(f"contamination check: none of {len(from_cloze)} filled-in cloze sentences occurs in the corpus")


def cloze_filled(path: Path) -> list[tuple[str, str]]:
    out = []
    for l in path.read_text(encoding="utf-8").splitlines()[1:]:
        if not l.strip():
            continue
        cid, _, sent, ans = l.split("\t")
        for a in ans.split("|"):
            out.append((cid, normalise(sent.replace("[MASK]", a))))
    return out


if __name__ == "__main__":
    main()
