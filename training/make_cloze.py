#!/usr/bin/env python3
"""Writes tests/data/cloze.tsv from training/data/cloze_src.txt and checks every item.

Each source line is `topic|coarse category|sentence with one [MASK]|answer|answer|...`. The id is
`<first letter of the coarse category>-<topic>-<nn>`, numbered in order within the topic (the Rust
test `committed_benchmark_is_well_formed` wants the letter, and at least 40 items in each category). Checks (the script fails on any): exactly one
[MASK]; the coarse category is one the Rust parser accepts (knowledge, collocation, grammar,
right-context); every answer is lowercase letters only; answers that are not a single whole-word token of the
model's vocabulary (models/all-minilm-l6-v2/tokenizer.json) are left out of the TSV, since a model
cannot produce them in one position, but the first (main) answer must be one; no duplicate sentence.

    python training/make_cloze.py [--check]    (--check: only verify that the TSV is up to date)
"""
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "training/data/cloze_src.txt"
OUT = ROOT / "tests/data/cloze.tsv"
COARSE = {"knowledge", "collocation", "grammar", "right-context"}
TOPICS = ["objects", "animals", "food", "places", "family", "weather", "time", "verbs", "grammar", "facts"]


def build() -> str:
    vocab = json.loads((ROOT / "models/all-minilm-l6-v2/tokenizer.json").read_text())["model"]["vocab"]
    rows, counts, seen, errors = [], {}, set(), []
    for n, line in enumerate(SRC.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        topic, coarse, sentence, *answers = line.split("|")
        if topic not in TOPICS:
            errors.append(f"line {n}: unknown topic {topic}")
        if coarse not in COARSE:
            errors.append(f"line {n}: coarse category {coarse} is not one the Rust parser accepts")
        if sentence.count("[MASK]") != 1:
            errors.append(f"line {n}: needs exactly one [MASK]")
        if sentence.lower() in seen:
            errors.append(f"line {n}: duplicate sentence")
        seen.add(sentence.lower())
        if "\t" in sentence:
            errors.append(f"line {n}: tab in sentence")
        for a in answers:
            if not (a.isalpha() and a.islower()):
                errors.append(f"line {n}: answer {a!r} is not one lowercase word")
        kept = [a for a in answers if a in vocab]
        dropped = [a for a in answers if a not in vocab]
        if dropped and answers[0] not in vocab:
            errors.append(f"line {n}: the first (main) answer {answers[0]!r} is not a single token of the vocabulary")
        answers = list(dict.fromkeys(kept))  # the Rust test refuses a repeated answer
        if not answers:
            errors.append(f"line {n}: no answers")
        counts[topic] = counts.get(topic, 0) + 1
        # the Rust test wants each id to start with its category's first letter
        rows.append(f"{coarse[0]}-{topic}-{counts[topic]:02d}\t{coarse}\t{sentence}\t{'|'.join(answers)}")
    per = {c: sum(1 for r in rows if r.split("\t")[1] == c) for c in COARSE}
    for c, k in per.items():
        if k < 40:
            errors.append(f"category {c} has only {k} items (the Rust test wants 40)")
    if len(rows) < 200:
        errors.append(f"only {len(rows)} items")
    if errors:
        sys.exit("\n".join(errors))
    return "id\tcategory\tsentence\tanswers\n" + "\n".join(rows) + "\n"


def main():
    text = build()
    if "--check" in sys.argv:
        if OUT.read_text(encoding="utf-8") != text:
            sys.exit(f"{OUT} is not up to date with {SRC}: run training/make_cloze.py")
        print(f"{OUT}: up to date")
        return
    OUT.write_text(text, encoding="utf-8")
    n = text.count("\n") - 1
    print(f"wrote {OUT}: {n} items")


if __name__ == "__main__":
    main()
