#!/usr/bin/env python3
"""Load the lab's exported models (tests/fixtures/export/bert-seq_cls for single texts, bert-pair_cls for
sentence pairs, bert-tok_cls for a tagger, bert-qa for span QA) with Hugging Face transformers, run each on a few examples and write
what transformers computed to transformers_logits.json beside it. A pair goes in as text and text_pair, so
transformers' own tokenizer packs it as [CLS] A [SEP] B [SEP] with segment ids 0 and 1 (a question and its text
the same way); the tagger's logits are every token's, span QA's the start logits then the end logits.

tests/export_parity.rs then checks that the lab gives the same token ids and logits (within 1e-4).
Run by a developer after regenerating the export fixture, never in CI (see README.md beside this file):

    BERTLAB_WRITE_EXPORT_FIXTURE=1 cargo test --test export_parity
    python3 scripts/parity/check_export.py
    cargo test --test export_parity
"""

from __future__ import annotations

import json
import os
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import torch  # noqa: E402
import transformers  # noqa: E402
from transformers import (  # noqa: E402
    AutoModelForQuestionAnswering,
    AutoModelForSequenceClassification,
    AutoModelForTokenClassification,
    AutoTokenizer,
)

ROOT = Path(__file__).resolve().parents[2]
EXPORTS = {
    "bert-seq_cls": [("the cat sat on the mat", None), ("a café .", None), ("the mat played", None),
                     ("cat cat cat", None), ("on a café mat", None)],
    "bert-pair_cls": [("the cat sat", "the mat"), ("the mat", "a cat played"), ("a café", "café cat"),
                      ("café cat", "on the mat"), ("cat", "cat mat")],
    "bert-tok_cls": [("the cat sat on a mat", None), ("a café played .", None), ("the mat sat", None),
                     ("cat cat played on the café", None)],
    "bert-qa": [("which cat ?", "the cat sat on a mat"), ("which mat ?", "a café mat played"),
                ("which cat ?", "the mat sat"), ("which mat ?", "cat cat on the café mat")],
}


def check(name: str, examples: list[tuple[str, str | None]]) -> None:
    export = ROOT / "tests/fixtures/export" / name
    # Exactly what the export's README tells a user to run.
    loader = {"tok_cls": AutoModelForTokenClassification, "qa": AutoModelForQuestionAnswering}.get(
        name.split("-")[-1], AutoModelForSequenceClassification)
    model = loader.from_pretrained(str(export))
    tokenizer = AutoTokenizer.from_pretrained(str(export))
    model.eval()
    cases = []
    with torch.no_grad():
        for text, text_pair in examples:
            enc = tokenizer(text, text_pair, return_tensors="pt")
            out = model(**enc)
            if loader is AutoModelForQuestionAnswering:
                logits = torch.stack([out.start_logits[0], out.end_logits[0]])
                best = f"{int(logits[0].argmax())}-{int(logits[1].argmax())}"
            else:
                logits = out.logits[0]
                best = " ".join(model.config.id2label[int(i)] for i in logits.argmax(-1).reshape(-1))
            cases.append(
                {
                    "text": text,
                    **({"text_pair": text_pair} if text_pair is not None else {}),
                    "input_ids": enc["input_ids"][0].tolist(),
                    "token_type_ids": enc["token_type_ids"][0].tolist(),
                    "logits": logits.tolist(),
                    "label": best,
                }
            )
    out = {
        "transformers": transformers.__version__,
        "torch": torch.__version__,
        "class": type(model).__name__,
        "cases": cases,
    }
    (export / "transformers_logits.json").write_text(json.dumps(out, indent=1) + "\n")
    for c in cases:
        print(f"{name}: {c['label']:>6}  {c['text']}  {c.get('text_pair', '')}")


def main() -> None:
    for name, examples in EXPORTS.items():
        check(name, examples)


if __name__ == "__main__":
    main()
