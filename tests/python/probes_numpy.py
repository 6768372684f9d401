#!/usr/bin/env python3
"""An independent check of the layer probes: features and ridge probes recomputed in numpy.

`bertlab probe` trains a linear probe on each layer of the default model (each feature standardised
with the training mean and standard deviation, one weight vector per class by ridge regression onto
the one-hot labels with penalty 1e-2, the class of highest score wins) and reports held-out accuracy
per layer. This script recomputes the same from scratch: the numpy BERT of cloze_numpy.py gives every
layer's hidden states, each word is read at its first word piece (part of speech) or each message
by the mean of its token vectors (intent), and numpy.linalg.solve fits the probes in float64. It
asserts that every layer's accuracy agrees within 0.35 points for part of speech (about 10 of 2,907
words) and 1.0 point for intent (2 of 200 messages): the lab sums its features in float32 batches,
which may tip a word that sits on a class boundary.

    python3 tests/python/probes_numpy.py [--bertlab target/debug/bertlab]

Needs: numpy==2.4.6, tokenizers==0.23.3 (tests/python/requirements.txt), and a built `bertlab`.
"""

import argparse
import csv
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
RIDGE = 1e-2
MAX_LEN = 64
POS_TEST = 200
POS_TRAIN = 150
TOLERANCE = {"pos": 0.35, "intent": 1.0}


def batches(rows, size=32):
    for i in range(0, len(rows), size):
        yield rows[i : i + size]


def word_features(model, tok, sentences):
    """Per layer, each word's vector at its first word piece; and the words' tags."""
    layers, tags = None, []
    for batch in batches(sentences):
        encodings = [tok.encode(" ".join(words)) for words, _ in batch]
        ids, att = padded([e.ids for e in encodings])
        states = model.hidden_states(ids, att)
        layers = layers or [[] for _ in states]
        for row, ((words, word_tags), enc) in enumerate(zip(batch, encodings)):
            start = 0
            for word, tag in zip(words, word_tags):
                end = start + len(word)
                for pos, ((s, e), special) in enumerate(zip(enc.offsets, enc.special_tokens_mask)):
                    if not special and e > s and start <= s < end:
                        for layer, h in zip(layers, states):
                            layer.append(h[row, pos])
                        tags.append(tag)
                        break
                start = end + 1
    return [np.array(layer, dtype=np.float64) for layer in layers], np.array(tags)


def text_features(model, tok, texts):
    """Per layer, each text's mean token vector."""
    layers = None
    for batch in batches(texts):
        ids, att = padded([tok.encode(t).ids for t in batch])
        states = model.hidden_states(ids, att)
        layers = layers or [[] for _ in states]
        for layer, h in zip(layers, states):
            layer.extend((h * att[:, :, None]).sum(1) / att.sum(1, keepdims=True))
    return [np.array(layer, dtype=np.float64) for layer in layers]


def probe_accuracy(train_x, train_y, test_x, test_y):
    classes = sorted(set(train_y) | set(test_y))
    y = np.array([[c == label for c in classes] for label in train_y], dtype=np.float64)
    mean, sd = train_x.mean(0), train_x.std(0)
    scale = np.where(sd > 1e-12, 1.0 / np.where(sd > 1e-12, sd, 1.0), 0.0)
    z = (train_x - mean) * scale
    prior = y.mean(0)
    n = len(z)
    w = np.linalg.solve(z.T @ z / n + RIDGE * np.eye(z.shape[1]), z.T @ (y - prior) / n)
    scores = ((test_x - mean) * scale) @ w + prior
    predicted = np.array(classes)[scores.argmax(1)]
    return float((predicted == test_y).mean())


def pos_data():
    lines = [l for l in (ROOT / "assets/datasets/brown-pos.tsv").read_text().splitlines() if l.strip() and not l.startswith("# ")]
    sentences = [(w.split(" "), t.split(" ")) for w, t in (l.split("\t") for l in lines)]
    cut = len(sentences) - POS_TEST
    return sentences[: min(POS_TRAIN, cut)], sentences[cut:]


def intent_data():
    with open(ROOT / "assets/datasets/support-intents.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    pick = lambda split: ([r["text"] for r in rows if r["split"] == split], np.array([r["label"] for r in rows if r["split"] == split]))
    return pick("train"), pick("test")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bertlab", default=str(ROOT / "target/debug/bertlab"))
    args = parser.parse_args()
    model = NumpyBert(MODEL)
    tok = Tokenizer.from_file(str(MODEL / "tokenizer.json"))
    tok.no_padding()
    tok.enable_truncation(MAX_LEN)
    failures = 0
    for task in ["pos", "intent"]:
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "probes.json"
            command = [args.bertlab, "probe", "--model", str(MODEL), "--task", task, "--out", str(out)]
            if task == "pos":
                command += ["--train-limit", str(POS_TRAIN)]
            subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
            ours = next(c["accuracy"] for c in json.loads(out.read_text())["curves"] if c["encoder"] == "pretrained")
        if task == "pos":
            train, test = pos_data()
            train_x, train_y = word_features(model, tok, train)
            test_x, test_y = word_features(model, tok, test)
        else:
            (train_texts, train_y), (test_texts, test_y) = intent_data()
            train_x, test_x = text_features(model, tok, train_texts), text_features(model, tok, test_texts)
        reference = [probe_accuracy(a, train_y, b, test_y) for a, b in zip(train_x, test_x)]
        gaps = [abs(a - b) * 100 for a, b in zip(ours, reference)]
        ok = len(ours) == len(reference) and max(gaps) <= TOLERANCE[task]
        failures += not ok
        print(f"{task:>6}: {len(test_y)} held-out items; ours "
              f"{' '.join(f'{a * 100:5.1f}' for a in ours)}; numpy {' '.join(f'{a * 100:5.1f}' for a in reference)}; "
              f"largest gap {max(gaps):.2f} points (tolerance {TOLERANCE[task]}): {'ok' if ok else 'FAIL'}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
