#!/usr/bin/env python3
"""No cloze sentence, with any of its answers filled in, is a sentence of the pretraining corpus.

The corpus is partly not redistributable, so the repository keeps only the hashes of its normalised
sentences (training/data/corpus-sentence-hashes.u64, written by training/build_corpus.py; see
tests/python/corpus_hash.py for the normalisation and the hash). This test fills every answer into
every sentence of tests/data/cloze.tsv, normalises and hashes it the same way, and fails if any hash
is in the file. With a 64-bit hash, a false alarm is practically impossible (about 1 in 4e13 per
filled-in sentence for half a million corpus sentences).

If a corpus folder is given (`--corpus DIR` with train.txt and valid.txt), the test also searches every
filled-in sentence exactly, as a word sequence anywhere inside any corpus line (the stronger check).

    python3 tests/python/cloze_contamination.py [--corpus corpus-everyday]

Needs only the Python standard library. Exit status 0 when clean, 1 otherwise.
"""

import argparse
import array
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(HERE))
from corpus_hash import normalise, sentence_hash, sentences  # noqa: E402


def filled(cloze: Path):
    lines = cloze.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "id\tcategory\tsentence\tanswers", lines[0]
    for l in lines[1:]:
        if not l.strip():
            continue
        cid, _, sent, answers = l.split("\t")
        assert sent.count("[MASK]") == 1, cid
        for a in answers.split("|"):
            yield cid, sent.replace("[MASK]", a)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--cloze", default=str(ROOT / "tests/data/cloze.tsv"))
    p.add_argument("--hashes", default=str(ROOT / "training/data/corpus-sentence-hashes.u64"))
    p.add_argument("--corpus", default=None)
    args = p.parse_args()

    hashes = array.array("Q")
    with open(args.hashes, "rb") as f:
        hashes.frombytes(f.read())
    if sys.byteorder != "little":
        hashes.byteswap()
    table = set(hashes)
    items = list(filled(Path(args.cloze)))
    failures = []
    for cid, s in items:
        for sent in sentences(s) or [normalise(s)]:
            if sentence_hash(sent) in table:
                failures.append(f"{cid}: '{s}' matches a corpus sentence hash")
    checked = f"{len(items)} filled-in cloze sentences against {len(table):,} corpus sentence hashes"
    if args.corpus:
        text = "\n".join(
            " " + normalise(l) + " "
            for name in ("train.txt", "valid.txt")
            for l in Path(args.corpus, name).read_text(encoding="utf-8").splitlines()
        )
        for cid, s in items:
            if " " + normalise(s) + " " in text:
                failures.append(f"{cid}: '{s}' occurs word for word in {args.corpus}")
        checked += f" and word for word against {args.corpus}"
    if failures:
        print("\n".join(failures))
        print(f"0 passed, 1 failed ({len(failures)} contaminated)")
        sys.exit(1)
    print(f"clean: {checked}")
    print("1 passed, 0 failed")


if __name__ == "__main__":
    main()
