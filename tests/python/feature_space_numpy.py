#!/usr/bin/env python3
"""An independent check of the feature-space view: sentence features and their 2-D PCA in numpy.

`bertlab feature-space` reads the default model's sentence features (mean of the token vectors, or the
[CLS] vector) at one layer for the support messages' test split and projects them onto their first two
principal axes. This script recomputes both from scratch: the numpy BERT of cloze_numpy.py (its own
safetensors reader and forward pass) gives the hidden states, numpy pools them, and the principal axes
come from numpy.linalg.eigh of the covariance matrix, each axis's sign fixed so that its largest
component is positive (the lab's convention). It asserts that the features agree within 1e-4 of their
largest value, the explained-variance shares within 1e-4, and every projected coordinate within 1e-3 of
the cloud's spread.

    python3 tests/python/feature_space_numpy.py [--bertlab target/debug/bertlab]

Needs: numpy==2.4.6, tokenizers==0.23.3 (tests/python/requirements.txt), and a built `bertlab`.
"""

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from tokenizers import Tokenizer

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cloze_numpy import ROOT, NumpyBert, padded  # noqa: E402

MODEL = ROOT / "models/bertlab-minilm-mlm"
CASES = [(3, "mean"), (6, "cls"), (0, "mean")]


def reference(model: NumpyBert, tok: Tokenizer, texts: list[str], layer: int, pooling: str):
    rows = []
    for i in range(0, len(texts), 32):
        ids, att = padded([tok.encode(t).ids[:128] for t in texts[i : i + 32]])
        h = model.encode(ids, att, layers=layer)
        if pooling == "cls":
            rows.append(h[:, 0])
        else:
            rows.append((h * att[:, :, None]).sum(1) / att.sum(1, keepdims=True))
    x = np.concatenate(rows).astype(np.float64)
    centred = x - x.mean(0)
    values, vectors = np.linalg.eigh(np.cov(centred, rowvar=False))
    order = np.argsort(values)[::-1][:2]
    axes = vectors[:, order]
    for k in range(2):
        if axes[np.argmax(np.abs(axes[:, k])), k] < 0:
            axes[:, k] = -axes[:, k]
    return centred @ axes, values[order] / values.sum(), x


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bertlab", default=str(ROOT / "target/debug/bertlab"))
    args = parser.parse_args()
    model = NumpyBert(MODEL)
    tok = Tokenizer.from_file(str(MODEL / "tokenizer.json"))
    # The file pads every text to a fixed length; the lab pads a batch only to its longest text.
    tok.no_padding()
    failures = 0
    for layer, pooling in CASES:
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "cloud.json"
            subprocess.run(
                [args.bertlab, "feature-space", "--model", str(MODEL), "--split", "test",
                 "--layer", str(layer), "--pooling", pooling, "--out", str(out)],
                check=True, stdout=subprocess.DEVNULL,
            )
            ours = json.loads(out.read_text())
        points, explained, features = reference(model, tok, ours["texts"], layer, pooling)
        feature_gap = np.abs(np.array(ours["features"]) - features).max() / np.abs(features).max()
        got = np.array(ours["points"], dtype=np.float64)
        spread = np.abs(points).max()
        worst = np.abs(got - points).max() / spread
        share_gap = np.abs(np.array(ours["explained"]) - explained).max()
        ok = feature_gap <= 1e-4 and worst <= 1e-3 and share_gap <= 1e-4
        failures += not ok
        print(f"layer {layer} {pooling:>4}: {len(got)} texts, shares {explained[0]:.4f} {explained[1]:.4f}; "
              f"feature gap {feature_gap:.1e}, point gap {worst:.1e} (of the spread), share gap {share_gap:.1e}: "
              f"{'ok' if ok else 'FAIL'}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
