#!/usr/bin/env python3
"""Load the lab's exported classifier (tests/fixtures/export/bert-seq_cls) with Hugging Face transformers,
run it on a few texts and write what transformers computed to transformers_logits.json beside it.

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
from transformers import AutoModelForSequenceClassification, AutoTokenizer  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
EXPORT = ROOT / "tests/fixtures/export/bert-seq_cls"
TEXTS = ["the cat sat on the mat", "a café .", "the mat played", "cat cat cat", "on a café mat"]


def main() -> None:
    # Exactly what the export's README tells a user to run.
    model = AutoModelForSequenceClassification.from_pretrained(str(EXPORT))
    tokenizer = AutoTokenizer.from_pretrained(str(EXPORT))
    model.eval()
    cases = []
    with torch.no_grad():
        for text in TEXTS:
            enc = tokenizer(text, return_tensors="pt")
            logits = model(**enc).logits[0]
            cases.append(
                {
                    "text": text,
                    "input_ids": enc["input_ids"][0].tolist(),
                    "token_type_ids": enc["token_type_ids"][0].tolist(),
                    "logits": logits.tolist(),
                    "label": model.config.id2label[int(logits.argmax())],
                }
            )
    out = {
        "transformers": transformers.__version__,
        "torch": torch.__version__,
        "class": type(model).__name__,
        "cases": cases,
    }
    (EXPORT / "transformers_logits.json").write_text(json.dumps(out, indent=1) + "\n")
    for c in cases:
        print(f"{c['label']:>6}  {c['text']}")


if __name__ == "__main__":
    main()
