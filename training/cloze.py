"""The project's cloze benchmark (tests/data/cloze.tsv) scored with the PyTorch model in bert.py.

Same rules as the Rust scorer (src/train/cloze.rs, src/train/eval.rs): the sentence is encoded with
[CLS]/[SEP], the five highest-scoring tokens at the [MASK] position are taken as they are (a `##` piece
never matches), top-1 counts when the best is an answer, top-5 when any of the five is. Items are also
grouped by topic, the middle part of the id (`k-food-03` is food) (objects, animals, food, ...).
"""

from __future__ import annotations

from pathlib import Path

import torch


def load_cloze(path: Path) -> list[dict]:
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    assert lines[0].split("\t") == ["id", "category", "sentence", "answers"], lines[0]
    items = []
    for l in lines[1:]:
        if not l.strip():
            continue
        id_, cat, sent, ans = l.split("\t")
        items.append({"id": id_, "category": cat, "topic": id_.split("-")[1], "sentence": sent.strip(), "answers": ans.split("|")})
    return items


@torch.no_grad()
def predict(model, tok, sentences: list[str], k: int = 5) -> list[list[str]]:
    mask_id = tok.token_to_id("[MASK]")
    out = []
    for i in range(0, len(sentences), 64):
        encs = [tok.encode(s).ids for s in sentences[i : i + 64]]
        t = max(map(len, encs))
        ids = torch.zeros((len(encs), t), dtype=torch.long)
        att = torch.zeros((len(encs), t), dtype=torch.long)
        pos = []
        for r, e in enumerate(encs):
            ids[r, : len(e)] = torch.tensor(e)
            att[r, : len(e)] = 1
            pos.append(e.index(mask_id))
        rows = torch.arange(len(encs))
        logits = model(ids, att, (rows, torch.tensor(pos)))
        top = logits.topk(k, dim=-1).indices
        for r in range(len(encs)):
            out.append([tok.id_to_token(int(j)) for j in top[r]])
    return out


def score_cloze(model, tok, items: list[dict]) -> dict:
    preds = predict(model, tok, [it["sentence"] for it in items])
    res = {"items": len(items), "by_topic": {}, "predictions": preds}
    t1 = t5 = 0
    for it, p in zip(items, preds):
        a1 = p[0] in it["answers"]
        a5 = any(x in it["answers"] for x in p[:5])
        t1 += a1
        t5 += a5
        d = res["by_topic"].setdefault(it["topic"], [0, 0, 0])
        d[0] += 1
        d[1] += a1
        d[2] += a5
    res["top1"] = t1 / len(items)
    res["top5"] = t5 / len(items)
    return res
