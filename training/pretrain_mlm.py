#!/usr/bin/env python3
"""Continued MLM pretraining of a BERT folder (whole encoder + tied MLM head) in PyTorch on the CPU.

    python training/pretrain_mlm.py --train corpus/train.txt --valid corpus/valid.txt \
        --init models/all-minilm-l6-v2 --out runs/everyday --steps 6000 ...

Resumes exactly: run the same command again and it continues from `OUT/ckpt.pt` (model, optimizer,
schedule, every RNG, the data position). A checkpoint is written every --save-minutes, at the end, and on
SIGTERM/SIGINT (after the update in progress), so `kill PID` loses nothing. Metrics go to `OUT/metrics.csv`, the command
lines of every session to `OUT/run.json`. Heavy work belongs under `nice -n 19`.

Data: each non-empty line of the text file is a unit (a sentence or paragraph); consecutive units are
packed into sequences of at most seq_len - 2 tokens ([CLS] ... [SEP]), a blank line starts a new sequence,
a unit longer than a sequence is cut into pieces. Masking is dynamic (a fresh mask each time a sequence is
seen): 15 % of the tokens, whole words by default, 80/10/10 [MASK]/random/kept.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import math
import os
import random
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bert import BertForMaskedLM, Config, export_state, load_weights, param_groups  # noqa: E402
from cloze import load_cloze, score_cloze  # noqa: E402


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--train", required=True)
    p.add_argument("--valid", required=True)
    p.add_argument("--init", required=True, help="model folder to start from (config.json, model.safetensors, tokenizer.json)")
    p.add_argument("--out", required=True)
    p.add_argument("--init-run", default=None, help="a finished run folder whose weights (ckpt.pt) this run starts from instead of "
                   "--init's; --init still gives the config and tokenizer. A second stage: fresh optimizer, schedule and data order")
    p.add_argument("--steps", type=int, required=True, help="total updates (the schedule's length)")
    p.add_argument("--warmup", type=int, default=300)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--seq-len", type=int, default=64)
    p.add_argument("--lr", type=float, default=2e-4)
    p.add_argument("--head-lr", type=float, default=1e-3, help="lr of the freshly initialised head transform")
    p.add_argument("--weight-decay", type=float, default=0.01)
    p.add_argument("--dropout", type=float, default=0.0)
    p.add_argument("--mask-rate", type=float, default=0.15)
    p.add_argument("--whole-word", type=int, default=1, help="1: whole-word masking, 0: token masking")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--save-minutes", type=float, default=5.0, help="checkpoint at least this often")
    p.add_argument("--eval-every", type=int, default=250)
    p.add_argument("--valid-sequences", type=int, default=512)
    p.add_argument("--log-every", type=int, default=10)
    p.add_argument("--cloze", default="tests/data/cloze.tsv")
    p.add_argument("--max-minutes", type=float, default=0, help="stop (after a checkpoint) after this many minutes of this session; 0: no limit")
    p.add_argument("--stop-at", type=int, default=0, help="end this session (after a checkpoint) at this update; 0: run to --steps. "
                   "Replays an interrupted run's sessions exactly")
    p.add_argument("--autocast", choices=["none", "bf16"], default="none",
                   help="bf16: the training forward and backward in bfloat16 autocast (weights, optimizer and loss stay f32); "
                   "1.4x faster on CPUs with AVX512-BF16")
    p.add_argument("--bias-from-unigram", type=int, default=1, help="initialise the MLM output bias from log unigram frequencies when the init folder has none")
    return p.parse_args(argv)


# ---------------------------------------------------------------- data


def pack(path: Path, tok, seq_len: int) -> np.ndarray:
    """Sequences [n, seq_len] of token ids (uint16), 0-padded, each [CLS] ... [SEP]."""
    body = seq_len - 2
    cls_id, sep_id = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    lines = path.read_text(encoding="utf-8").split("\n")
    seqs: list[list[int]] = []
    cur: list[int] = []

    def flush():
        nonlocal cur
        if cur:
            seqs.append([cls_id] + cur + [sep_id])
        cur = []

    batch = 20000
    for start in range(0, len(lines), batch):
        chunk = lines[start : start + batch]
        encs = tok.encode_batch([l for l in chunk if l.strip()], add_special_tokens=False)
        it = iter(encs)
        for l in chunk:
            if not l.strip():
                flush()
                continue
            ids = next(it).ids
            if len(cur) + len(ids) > body:
                flush()
            while len(ids) > body:
                seqs.append([cls_id] + ids[:body] + [sep_id])
                ids = ids[body:]
            cur.extend(ids)
    flush()
    arr = np.zeros((len(seqs), seq_len), dtype=np.uint16)
    for i, s in enumerate(seqs):
        arr[i, : len(s)] = s
    return arr


def load_packed(path: Path, tok, seq_len: int, cache_dir: Path) -> np.ndarray:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    key = f"{path.stem}-{seq_len}-{h.hexdigest()[:16]}.npy"
    cache = cache_dir / key
    if cache.exists():
        return np.load(cache)
    arr = pack(path, tok, seq_len)
    tmp = cache.with_suffix(".tmp.npy")
    np.save(tmp, arr)
    os.replace(tmp, cache)
    return arr


class Masker:
    """Dynamic 80/10/10 masking, optionally by whole words, from a numpy Generator."""

    def __init__(self, tok, rate: float, whole_word: bool):
        vocab = tok.get_vocab()
        self.vocab_size = tok.get_vocab_size()
        self.mask_id = vocab["[MASK]"]
        self.special = np.zeros(self.vocab_size, dtype=bool)
        for t in ("[PAD]", "[CLS]", "[SEP]", "[MASK]", "[UNK]"):
            self.special[vocab[t]] = True
        self.cont = np.zeros(self.vocab_size, dtype=bool)
        for t, i in vocab.items():
            if t.startswith("##"):
                self.cont[i] = True
        # random replacements are drawn from ordinary tokens only
        # sorted: get_vocab() comes from a hash map whose order changes from process to process
        self.normal_ids = np.array(sorted(i for t, i in vocab.items() if not (t.startswith("[") and t.endswith("]"))))
        self.rate = rate
        self.whole_word = whole_word

    def __call__(self, ids: np.ndarray, rng: np.random.Generator):
        ids = ids.astype(np.int64)
        real = ~self.special[ids]
        if self.whole_word:
            start = real & ~self.cont[ids]
            # a continuation piece after a special token starts a word too
            word = np.cumsum(start, axis=1)
            # word id per token, unique per row; pick words with probability rate
            nwords = word.max() + 1
            pick = rng.random((ids.shape[0], nwords)) < self.rate
            sel = np.take_along_axis(pick, word, axis=1) & real
        else:
            sel = (rng.random(ids.shape) < self.rate) & real
        # at least one target per row that has real tokens
        for r in np.where(~sel.any(axis=1) & real.any(axis=1))[0]:
            cand = np.where(real[r])[0]
            sel[r, cand[rng.integers(len(cand))]] = True
        u = rng.random(ids.shape)
        inp = ids.copy()
        inp[sel & (u < 0.8)] = self.mask_id
        rnd = sel & (u >= 0.8) & (u < 0.9)
        inp[rnd] = self.normal_ids[rng.integers(len(self.normal_ids), size=int(rnd.sum()))]
        return inp, sel, ids


# ---------------------------------------------------------------- training


def lr_factor(step: int, warmup: int, total: int) -> float:
    if step < warmup:
        return (step + 1) / warmup
    return max(0.0, (total - step) / max(1, total - warmup))


def mlm_loss(model, inp, sel, target, bf16=False):
    ids = torch.from_numpy(inp)
    att = torch.from_numpy((target != 0).astype(np.int64))
    rows, cols = np.nonzero(sel)
    pos = (torch.from_numpy(rows), torch.from_numpy(cols))
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
        logits = model(ids, att, pos)
    logits = logits.float()
    tgt = torch.from_numpy(target[rows, cols])
    loss = F.cross_entropy(logits, tgt)
    correct = (logits.argmax(-1) == tgt).sum().item()
    return loss, len(rows), correct


@torch.no_grad()
def evaluate(model, valid_batches):
    model.eval()
    tot, n, correct = 0.0, 0, 0
    for inp, sel, target in valid_batches:
        loss, k, c = mlm_loss(model, inp, sel, target)
        tot += loss.item() * k
        n += k
        correct += c
    model.train()
    return tot / n, correct / n, n


def save_checkpoint(out: Path, model, opt, state: dict):
    tmp = out / "ckpt.pt.tmp"
    torch.save(
        {
            "model": model.state_dict(),
            "optimizer": opt.state_dict(),
            "state": state,
            "torch_rng": torch.get_rng_state(),
            "python_rng": random.getstate(),
        },
        tmp,
    )
    os.replace(tmp, out / "ckpt.pt")
    # a small f16 copy of the weights for evaluation while training goes on
    from safetensors.torch import save_file

    save_file(export_state(model), str(out / "latest.safetensors.tmp"))
    os.replace(out / "latest.safetensors.tmp", out / "latest.safetensors")


def unigram_bias(train: np.ndarray, vocab_size: int) -> torch.Tensor:
    counts = np.bincount(train.reshape(-1).astype(np.int64), minlength=vocab_size).astype(np.float64)
    counts[0] = 0
    logp = np.log((counts + 1.0) / (counts.sum() + vocab_size))
    return torch.from_numpy((logp - logp.mean()).astype(np.float32))


def main(argv=None):
    args = parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(args.threads)
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(Path(args.init) / "tokenizer.json"))
    tok.no_truncation()
    tok.no_padding()
    cfg = Config.load(Path(args.init))

    t0 = time.time()
    train = load_packed(Path(args.train), tok, args.seq_len, out)
    valid = load_packed(Path(args.valid), tok, args.seq_len, out)
    print(f"data: {len(train)} train sequences, {len(valid)} valid sequences ({time.time() - t0:.0f} s)", flush=True)
    masker = Masker(tok, args.mask_rate, bool(args.whole_word))

    # fixed validation masks (seeded apart from training)
    vrng = np.random.default_rng(12345)
    vidx = vrng.permutation(len(valid))[: args.valid_sequences]
    valid_batches = []
    for i in range(0, len(vidx), 64):
        valid_batches.append(masker(valid[np.sort(vidx[i : i + 64])], vrng))

    cloze_items = load_cloze(Path(args.cloze)) if args.cloze and Path(args.cloze).exists() else []

    # seed before the model is built: the fresh head's initialisation draws from torch's RNG
    random.seed(args.seed)
    torch.manual_seed(args.seed)
    model = BertForMaskedLM(cfg, args.dropout)
    opt = torch.optim.AdamW(param_groups(model, args.lr, args.head_lr, args.weight_decay), betas=(0.9, 0.999), eps=1e-6)
    base_lrs = [g["lr"] for g in opt.param_groups]

    ckpt_path = out / "ckpt.pt"
    run_json = out / "run.json"
    runinfo = json.loads(run_json.read_text()) if run_json.exists() else {"sessions": []}
    if ckpt_path.exists():
        ck = torch.load(ckpt_path, weights_only=False)
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["optimizer"])
        state = ck["state"]
        torch.set_rng_state(ck["torch_rng"])
        random.setstate(ck["python_rng"])
        rng = np.random.default_rng()
        rng.bit_generator.state = state["np_rng"]
        print(f"resumed at update {state['step']} (epoch {state['epoch']}, position {state['pos']})", flush=True)
    else:
        if args.init_run:
            model.load_state_dict(torch.load(Path(args.init_run) / "ckpt.pt", weights_only=False, map_location="cpu")["model"])
            missing = []
            print(f"initialised from the run {args.init_run}", flush=True)
        else:
            missing = load_weights(model, Path(args.init))
            print(f"initialised from {args.init}; not in the folder (fresh): {missing}", flush=True)
        if "cls.predictions.bias" in missing and args.bias_from_unigram:
            with torch.no_grad():
                model.cls.predictions.bias.copy_(unigram_bias(train, cfg.vocab_size))
        rng = np.random.default_rng(args.seed)
        state = {"step": 0, "epoch": 0, "pos": 0, "tokens": 0, "seconds": 0.0,
                 "perm_seed": int(rng.integers(1 << 62))}
    runinfo["sessions"].append({"argv": sys.argv, "start_step": state["step"], "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                                "torch": torch.__version__, "threads": args.threads, "autocast": args.autocast})
    run_json.write_text(json.dumps(runinfo, indent=2))

    # metrics: drop rows past the checkpoint so a resumed run's CSV equals an uninterrupted one's
    metrics = out / "metrics.csv"
    fields = ["step", "tokens", "seconds", "lr", "train_loss", "valid_loss", "valid_ppl", "valid_acc", "cloze_top1", "cloze_top5"]
    rows = []
    if metrics.exists():
        with open(metrics) as f:
            rows = [r for r in csv.DictReader(f) if int(r["step"]) <= state["step"]]
    with open(metrics, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields)
        w.writeheader()
        w.writerows(rows)

    def log_row(**kw):
        with open(metrics, "a", newline="") as f:
            csv.DictWriter(f, fieldnames=fields).writerow({k: kw.get(k, "") for k in fields})

    def perm(epoch):
        return np.random.default_rng(state["perm_seed"] + epoch).permutation(len(train))

    # SIGTERM/SIGINT: finish the current update, save a checkpoint, exit (resume by running again)
    import signal

    stop = {"now": False}

    def on_signal(signum, frame):
        stop["now"] = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    order = perm(state["epoch"])
    model.train()
    session_start = time.time()
    last_save = time.time()
    run_loss, run_n = 0.0, 0
    while state["step"] < args.steps:
        step = state["step"]
        if state["pos"] + args.batch_size > len(order):
            state["epoch"] += 1
            state["pos"] = 0
            order = perm(state["epoch"])
        idx = order[state["pos"] : state["pos"] + args.batch_size]
        batch = train[np.sort(idx)]
        inp, sel, target = masker(batch, rng)
        f = lr_factor(step, args.warmup, args.steps)
        for g, base in zip(opt.param_groups, base_lrs):
            g["lr"] = base * f
        t_step = time.time()
        loss, k, _ = mlm_loss(model, inp, sel, target, bf16=args.autocast == "bf16")
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        state["step"] += 1
        state["pos"] += args.batch_size
        state["tokens"] += int((target != 0).sum())
        state["seconds"] += time.time() - t_step
        state["np_rng"] = rng.bit_generator.state
        run_loss += loss.item()
        run_n += 1
        s = state["step"]
        if s % args.log_every == 0:
            log_row(step=s, tokens=state["tokens"], seconds=f"{state['seconds']:.1f}", lr=f"{base_lrs[0] * f:.3e}", train_loss=f"{run_loss / run_n:.4f}")
            print(f"update {s}/{args.steps} loss {run_loss / run_n:.4f} tokens {state['tokens']} "
                  f"{state['tokens'] / max(state['seconds'], 1e-9):.0f} tok/s", flush=True)
            run_loss, run_n = 0.0, 0
        if s % args.eval_every == 0 or s == args.steps:
            vl, va, vn = evaluate(model, valid_batches)
            row = dict(step=s, tokens=state["tokens"], seconds=f"{state['seconds']:.1f}", valid_loss=f"{vl:.4f}", valid_ppl=f"{math.exp(vl):.2f}", valid_acc=f"{va:.4f}")
            if cloze_items:
                model.eval()
                sc = score_cloze(model, tok, cloze_items)
                model.train()
                row.update(cloze_top1=f"{sc['top1']:.4f}", cloze_top5=f"{sc['top5']:.4f}")
            log_row(**row)
            print("eval", row, flush=True)
        done = s == args.steps
        over = (args.max_minutes and (time.time() - session_start) > args.max_minutes * 60) or (args.stop_at and s >= args.stop_at) or stop["now"]
        if done or over or time.time() - last_save > args.save_minutes * 60:
            save_checkpoint(out, model, opt, state)
            last_save = time.time()
        if over and not done:
            print(f"session ends at update {s} (--max-minutes, --stop-at or a signal); checkpoint saved", flush=True)
            break
    if state["step"] >= args.steps:
        save_checkpoint(out, model, opt, state)
        (out / "DONE").write_text(json.dumps(state | {"np_rng": None}, indent=2))
        print("done", flush=True)


if __name__ == "__main__":
    main()
