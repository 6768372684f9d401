"""The PyTorch peer of `make bench-train`: MLM updates of an encoder of the default model's shape.

Same work per update as `bertlab_core::train::bench::pretraining` with `PretrainWorkload::sixteen_by_64`:
16 sequences of 64 tokens, 15% of positions scored, the MLM head (transform, tied decoder) run only
at those positions, dropout 0.1, AdamW (weight decay 0.01), the global gradient norm clipped to 1.0,
a fresh random init. transformers' `BertForMaskedLM` with `labels` scores every position, about twice
the head's work, so the peer is `bert.py`, this folder's BERT with the same parameter names.

    python3 training/bench_step.py models/bertlab-minilm-mlm [STEPS]

Prints `pytorch default-encoder pretraining tokens/s N (S s per update)` after one warm-up update.
"""
import os
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bert import BertForMaskedLM, Config  # noqa: E402

BATCH, SEQ, RATE = 16, 64, 0.15
MASK_ID, CLS_ID, SEP_ID = 103, 101, 102


def main():
    model_dir = Path(sys.argv[1])
    steps = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    torch.manual_seed(0)
    torch.set_num_threads(os.cpu_count() or 1)
    config = Config.load(model_dir)
    model = BertForMaskedLM(config, dropout=0.1).train()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4, betas=(0.9, 0.999), eps=1e-6, weight_decay=0.01)
    scored = int(round(RATE * (SEQ - 2)))

    def update():
        ids = torch.randint(1000, config.vocab_size, (BATCH, SEQ))
        ids[:, 0], ids[:, -1] = CLS_ID, SEP_ID
        cols = torch.stack([torch.randperm(SEQ - 2)[:scored] + 1 for _ in range(BATCH)])
        rows = torch.arange(BATCH)[:, None].expand_as(cols)
        targets = ids[rows, cols].reshape(-1)
        inputs = ids.clone()
        inputs[rows, cols] = MASK_ID
        logits = model(inputs, torch.ones(BATCH, SEQ, dtype=torch.long), (rows.reshape(-1), cols.reshape(-1)))
        loss = F.cross_entropy(logits, targets)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()

    update()
    started = time.perf_counter()
    for _ in range(steps):
        update()
    seconds = time.perf_counter() - started
    print(f"pytorch default-encoder pretraining tokens/s {BATCH * SEQ * steps / seconds:.1f} "
          f"({seconds / steps:.2f} s per update, torch {torch.__version__}, {torch.get_num_threads()} threads)")


if __name__ == "__main__":
    main()
