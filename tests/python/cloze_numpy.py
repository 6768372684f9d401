#!/usr/bin/env python3
"""An independent check of the default model's cloze figures: BERT written out in numpy.

Nothing here shares code with the project's encoders (Rust/candle, WGSL) or with the PyTorch trainer
in training/: the safetensors header is parsed by hand, the weights are upcast from f16 to f32, and the
forward pass is spelled out (embeddings + LayerNorm, 6 post-LN layers of 12-head self-attention and a
GELU (erf) feed-forward, then the MLM head: dense, GELU, LayerNorm, the decoder tied to the word
embeddings, plus the output bias). Tokenization uses the folder's tokenizer.json through the
`tokenizers` package. The script scores tests/data/cloze.tsv (top-1: the best token is an answer;
top-5: one of the five best is), prints the per-topic table, checks the lesson demo sentences, and
asserts that top-1 and top-5 match the figures the model card states, within 0.5 points.

    python3 tests/python/cloze_numpy.py [--model models/bertlab-minilm-mlm] [--no-card-check]

Needs: numpy==2.4.6, tokenizers==0.23.3 (tests/python/requirements.txt).
"""

import argparse
import json
import re
import struct
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent.parent

# The lessons' fill-mask demos (crates/app or src/ui lessons and lab defaults) and a word the lesson
# expects among the five best guesses.
DEMOS = [
    ("The capital of France is [MASK].", {"paris"}),
    ("She put the [MASK] in the fridge to keep it cold.", {"milk", "food", "butter", "meat", "cheese", "juice", "fish", "beer", "wine", "water", "cake", "eggs"}),
    ("Yesterday she [MASK] to the market and bought some bread.", {"went", "walked", "ran", "drove", "came", "rode", "returned", "hurried", "headed"}),
    ("The [MASK] barked at the postman all morning.", {"dog", "dogs", "puppy", "hound"}),
    ("He opened the [MASK] and took out a cold drink.", {"fridge", "refrigerator", "cooler", "freezer", "door", "bag", "box", "cupboard", "bottle"}),
    ("The doctor wrote a [MASK] for the antibiotics.", {"prescription", "note", "letter", "script", "request", "recipe", "order"}),
    ("The doctor said that [MASK] would be back soon.", {"he", "she", "they", "i", "we", "it", "you"}),
    ("The king and the [MASK] lived in the castle.", {"queen", "prince", "princess", "knight", "knights", "lady", "king"}),
]



def lesson_demos() -> set[str]:
    """The one-[MASK] sentences the lessons open the fill-mask lab with (`text=` in a step's query) and the
    labs' default sentences, read from the app's sources so that a new demo cannot skip this check."""
    from urllib.parse import unquote_plus

    found = set()
    for path in sorted((ROOT / "crates/app/src/lessons").glob("*.rs")):
        for q in re.findall(r'query: "([^"]*)"', path.read_text(encoding="utf-8")):
            for pair in q.split("&"):
                if pair.startswith("text="):
                    found.add(unquote_plus(pair[len("text="):]))
    defaults = (ROOT / "crates/app/src/lab_state.rs").read_text(encoding="utf-8")
    found.update(re.findall(r'(?:text|probe): "([^"]*)"\.into\(\)', defaults))
    return {s for s in found if s.count("[MASK]") == 1}


DTYPES = {"F16": np.float16, "F32": np.float32, "BF16": None, "I64": np.int64}


def load_safetensors(path: Path) -> dict:
    raw = path.read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + n])
    base = 8 + n
    out = {}
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        a, b = meta["data_offsets"]
        buf = raw[base + a : base + b]
        if meta["dtype"] == "BF16":
            u = np.frombuffer(buf, dtype="<u2").astype(np.uint32) << 16
            arr = u.view(np.float32)
        else:
            arr = np.frombuffer(buf, dtype=np.dtype(DTYPES[meta["dtype"]]).newbyteorder("<"))
        out[name] = arr.reshape(meta["shape"]).astype(np.float32 if meta["dtype"] != "I64" else np.int64)
    return out


def padded(rows: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    """Token id rows padded to the longest (id 0), and their 0/1 attention mask."""
    t = max(map(len, rows))
    ids = np.zeros((len(rows), t), dtype=np.int64)
    att = np.zeros((len(rows), t), dtype=np.float32)
    for r, row in enumerate(rows):
        ids[r, : len(row)] = row
        att[r, : len(row)] = 1
    return ids, att


def gelu(x):
    # erf form, as the config's "gelu"
    from math import sqrt

    return 0.5 * x * (1.0 + erf(x / sqrt(2.0)))


def erf(x):
    """erf by Abramowitz & Stegun 7.1.26 in float64 (absolute error below 1.5e-7, far under f16 weights'
    resolution), so the GELU is the exact-erf form the config names, not the tanh approximation."""
    x = x.astype(np.float64)
    s = np.sign(x)
    a = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * a)
    y = 1.0 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * np.exp(-a * a)
    return (s * y).astype(np.float32)


def layer_norm(x, w, b, eps):
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * w + b


class NumpyBert:
    def __init__(self, folder: Path):
        self.cfg = json.loads((folder / "config.json").read_text())
        w = load_safetensors(folder / "model.safetensors")
        self.w = {k[5:] if k.startswith("bert.") else k: v for k, v in w.items()}
        self.eps = float(self.cfg["layer_norm_eps"])
        self.heads = int(self.cfg["num_attention_heads"])
        self.layers = int(self.cfg["num_hidden_layers"])
        assert self.cfg.get("hidden_act", "gelu") == "gelu", self.cfg.get("hidden_act")

    def lin(self, x, name):
        return x @ self.w[name + ".weight"].T + self.w[name + ".bias"]

    def encode(self, ids: np.ndarray, mask: np.ndarray, layers: int | None = None) -> np.ndarray:
        """The hidden state after `layers` layers (0: the embedding output; default: all)."""
        return self.hidden_states(ids, mask, layers)[-1]

    def hidden_states(self, ids: np.ndarray, mask: np.ndarray, layers: int | None = None) -> list[np.ndarray]:
        """The embedding output and the hidden state after each of the first `layers` layers."""
        w, eps = self.w, self.eps
        b, t = ids.shape
        x = w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][:t][None] + w["embeddings.token_type_embeddings.weight"][0]
        x = layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], eps)
        h = x.shape[-1]
        d = h // self.heads
        neg = np.where(mask[:, None, None, :] > 0, 0.0, -1e9).astype(np.float32)
        states = [x]
        for i in range(self.layers if layers is None else layers):
            p = f"encoder.layer.{i}."
            q = self.lin(x, p + "attention.self.query").reshape(b, t, self.heads, d).transpose(0, 2, 1, 3)
            k = self.lin(x, p + "attention.self.key").reshape(b, t, self.heads, d).transpose(0, 2, 1, 3)
            v = self.lin(x, p + "attention.self.value").reshape(b, t, self.heads, d).transpose(0, 2, 1, 3)
            s = q @ k.transpose(0, 1, 3, 2) / np.sqrt(d) + neg
            s = s - s.max(-1, keepdims=True)
            a = np.exp(s)
            a = a / a.sum(-1, keepdims=True)
            ctx = (a @ v).transpose(0, 2, 1, 3).reshape(b, t, h)
            x = layer_norm(x + self.lin(ctx, p + "attention.output.dense"), w[p + "attention.output.LayerNorm.weight"], w[p + "attention.output.LayerNorm.bias"], eps)
            m = gelu(self.lin(x, p + "intermediate.dense"))
            x = layer_norm(x + self.lin(m, p + "output.dense"), w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"], eps)
            states.append(x)
        return states

    def mlm_logits(self, hs: np.ndarray) -> np.ndarray:
        w = self.w
        y = gelu(self.lin(hs, "cls.predictions.transform.dense"))
        y = layer_norm(y, w["cls.predictions.transform.LayerNorm.weight"], w["cls.predictions.transform.LayerNorm.bias"], self.eps)
        dec = w.get("cls.predictions.decoder.weight", w["embeddings.word_embeddings.weight"])
        return y @ dec.T + w["cls.predictions.bias"]


def top5(model: NumpyBert, tok, sentences: list[str]) -> list[list[str]]:
    mask_id = tok.token_to_id("[MASK]")
    out = []
    for i in range(0, len(sentences), 32):
        encs = [tok.encode(s).ids for s in sentences[i : i + 32]]
        t = max(map(len, encs))
        ids = np.zeros((len(encs), t), dtype=np.int64)
        att = np.zeros((len(encs), t), dtype=np.int64)
        for r, e in enumerate(encs):
            ids[r, : len(e)] = e
            att[r, : len(e)] = 1
        h = model.encode(ids, att)
        rows = np.array([h[r, e.index(mask_id)] for r, e in enumerate(encs)])
        logits = model.mlm_logits(rows)
        for l in logits:
            best = np.argsort(-l, kind="stable")[:5]
            out.append([tok.id_to_token(int(j)) for j in best])
    return out


def card_figures(card: Path):
    text = card.read_text(encoding="utf-8")
    m = re.search(r"top-1 \*\*([0-9.]+) %\*\*, top-5 \*\*([0-9.]+) %\*\*", text)
    assert m, f"{card}: no 'top-1 **x %**, top-5 **y %**' line"
    return float(m.group(1)), float(m.group(2))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=str(ROOT / "models/bertlab-minilm-mlm"))
    ap.add_argument("--cloze", default=str(ROOT / "tests/data/cloze.tsv"))
    ap.add_argument("--no-card-check", action="store_true")
    ap.add_argument("--no-demo-check", action="store_true")
    args = ap.parse_args()
    from tokenizers import Tokenizer

    folder = Path(args.model)
    tok = Tokenizer.from_file(str(folder / "tokenizer.json"))
    tok.no_truncation()
    tok.no_padding()
    model = NumpyBert(folder)

    lines = Path(args.cloze).read_text(encoding="utf-8").splitlines()
    items = [l.split("\t") for l in lines[1:] if l.strip()]
    preds = top5(model, tok, [s for _, _, s, _ in items])
    table, t1, t5 = {}, 0, 0
    for (cid, _, _, ans), p in zip(items, preds):
        answers = set(ans.split("|"))
        a1, a5 = p[0] in answers, any(x in answers for x in p)
        t1 += a1
        t5 += a5
        row = table.setdefault(cid.split("-")[1], [0, 0, 0])
        row[0] += 1
        row[1] += a1
        row[2] += a5
    n = len(items)
    top1, top5_ = 100 * t1 / n, 100 * t5 / n
    print(f"{folder}: {n} items, top-1 {top1:.1f} %, top-5 {top5_:.1f} %")
    print("| topic | items | top-1 | top-5 |")
    print("|---|---:|---:|---:|")
    for k, (c, a1, a5) in table.items():
        print(f"| {k} | {c} | {100 * a1 / c:.1f} % | {100 * a5 / c:.1f} % |")

    failed = 0
    unchecked = lesson_demos() - {s for s, _ in DEMOS}
    for s in sorted(unchecked):
        print(f"demo MISSING from DEMOS (give it the words the lesson expects): {s}")
    failed += len(unchecked)
    demo_preds = top5(model, tok, [s for s, _ in DEMOS])
    for (s, want), p in zip(DEMOS, demo_preds):
        ok = bool(want & set(p))
        print(f"demo {'ok  ' if ok else 'MISS'} {s} -> {', '.join(p)}")
        if not ok and not args.no_demo_check:
            failed += 1
    if not args.no_card_check:
        c1, c5 = card_figures(folder / "card.md")
        ok = abs(c1 - top1) <= 0.5 and abs(c5 - top5_) <= 0.5
        print(f"card states top-1 {c1} %, top-5 {c5} %: {'match' if ok else 'MISMATCH'} (tolerance 0.5 points)")
        failed += not ok
    print(f"{1 if failed == 0 else 0} passed, {1 if failed else 0} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
