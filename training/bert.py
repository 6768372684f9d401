"""A small hand-written BERT for masked-language-model training in PyTorch.

The parameter names are the Hugging Face `BertForMaskedLM` names (`bert.embeddings...`,
`bert.encoder.layer.N...`, `cls.predictions...`), so a state dict saves straight into the shipped
`model.safetensors` layout. The MLM decoder is tied to the word embeddings, and the head is only run at
the positions asked for (never full T x 30,522 logits during training).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F


class Config:
    def __init__(self, d: dict):
        self.vocab_size = d["vocab_size"]
        self.hidden = d["hidden_size"]
        self.layers = d["num_hidden_layers"]
        self.heads = d["num_attention_heads"]
        self.intermediate = d["intermediate_size"]
        self.max_pos = d["max_position_embeddings"]
        self.type_vocab = d["type_vocab_size"]
        self.eps = d["layer_norm_eps"]
        self.raw = d

    @classmethod
    def load(cls, model_dir: Path) -> "Config":
        return cls(json.loads((Path(model_dir) / "config.json").read_text()))


class Embeddings(nn.Module):
    def __init__(self, c: Config):
        super().__init__()
        self.word_embeddings = nn.Embedding(c.vocab_size, c.hidden)
        self.position_embeddings = nn.Embedding(c.max_pos, c.hidden)
        self.token_type_embeddings = nn.Embedding(c.type_vocab, c.hidden)
        self.LayerNorm = nn.LayerNorm(c.hidden, eps=c.eps)

    def forward(self, ids):
        t = ids.shape[1]
        pos = torch.arange(t, device=ids.device)
        x = self.word_embeddings(ids) + self.position_embeddings(pos)[None] + self.token_type_embeddings.weight[0]
        return self.LayerNorm(x)


class SelfAttention(nn.Module):
    def __init__(self, c: Config):
        super().__init__()
        self.query = nn.Linear(c.hidden, c.hidden)
        self.key = nn.Linear(c.hidden, c.hidden)
        self.value = nn.Linear(c.hidden, c.hidden)


class AttentionOutput(nn.Module):
    def __init__(self, c: Config):
        super().__init__()
        self.dense = nn.Linear(c.hidden, c.hidden)
        self.LayerNorm = nn.LayerNorm(c.hidden, eps=c.eps)


class Attention(nn.Module):
    def __init__(self, c: Config):
        super().__init__()
        self.self = SelfAttention(c)
        self.output = AttentionOutput(c)


class Intermediate(nn.Module):
    def __init__(self, c: Config):
        super().__init__()
        self.dense = nn.Linear(c.hidden, c.intermediate)


class Output(nn.Module):
    def __init__(self, c: Config):
        super().__init__()
        self.dense = nn.Linear(c.intermediate, c.hidden)
        self.LayerNorm = nn.LayerNorm(c.hidden, eps=c.eps)


class Layer(nn.Module):
    def __init__(self, c: Config, dropout: float):
        super().__init__()
        self.attention = Attention(c)
        self.intermediate = Intermediate(c)
        self.output = Output(c)
        self.heads = c.heads
        self.dropout = dropout

    def forward(self, x, bias):
        b, t, h = x.shape
        a = self.attention.self
        q = a.query(x).view(b, t, self.heads, -1).transpose(1, 2)
        k = a.key(x).view(b, t, self.heads, -1).transpose(1, 2)
        v = a.value(x).view(b, t, self.heads, -1).transpose(1, 2)
        ctx = F.scaled_dot_product_attention(
            q, k, v, attn_mask=bias, dropout_p=self.dropout if self.training else 0.0
        )
        ctx = ctx.transpose(1, 2).reshape(b, t, h)
        o = self.attention.output
        x = o.LayerNorm(x + F.dropout(o.dense(ctx), self.dropout, self.training))
        m = F.gelu(self.intermediate.dense(x))
        o = self.output
        return o.LayerNorm(x + F.dropout(o.dense(m), self.dropout, self.training))


class Encoder(nn.Module):
    def __init__(self, c: Config, dropout: float):
        super().__init__()
        self.layer = nn.ModuleList([Layer(c, dropout) for _ in range(c.layers)])


class Bert(nn.Module):
    def __init__(self, c: Config, dropout: float):
        super().__init__()
        self.embeddings = Embeddings(c)
        self.encoder = Encoder(c, dropout)
        self.dropout = dropout

    def forward(self, ids, attention_mask):
        x = F.dropout(self.embeddings(ids), self.dropout, self.training)
        # additive mask: 0 where attended, -inf-ish where padding; shape [b, 1, 1, t]
        bias = torch.zeros(attention_mask.shape, dtype=x.dtype)
        bias = bias.masked_fill(attention_mask == 0, -1e9)[:, None, None, :]
        for layer in self.encoder.layer:
            x = layer(x, bias)
        return x


class Transform(nn.Module):
    def __init__(self, c: Config):
        super().__init__()
        self.dense = nn.Linear(c.hidden, c.hidden)
        self.LayerNorm = nn.LayerNorm(c.hidden, eps=c.eps)


class Predictions(nn.Module):
    def __init__(self, c: Config):
        super().__init__()
        self.transform = Transform(c)
        self.bias = nn.Parameter(torch.zeros(c.vocab_size))


class Cls(nn.Module):
    def __init__(self, c: Config):
        super().__init__()
        self.predictions = Predictions(c)


class BertForMaskedLM(nn.Module):
    def __init__(self, c: Config, dropout: float = 0.0):
        super().__init__()
        self.config = c
        self.bert = Bert(c, dropout)
        self.cls = Cls(c)
        for m in self.cls.modules():
            if isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, std=0.02)
                nn.init.zeros_(m.bias)

    def hidden(self, ids, attention_mask):
        return self.bert(ids, attention_mask)

    def logits_at(self, h):
        """MLM logits for hidden states `h` [n, hidden] (only the positions that are scored)."""
        t = self.cls.predictions.transform
        h = t.LayerNorm(F.gelu(t.dense(h)))
        return h @ self.bert.embeddings.word_embeddings.weight.t() + self.cls.predictions.bias

    def forward(self, ids, attention_mask, positions):
        """positions: (row, col) index tensors of the scored positions; returns [n, vocab] logits."""
        h = self.hidden(ids, attention_mask)
        return self.logits_at(h[positions])


def load_weights(model: BertForMaskedLM, model_dir: Path) -> list[str]:
    """Loads a HF BERT folder (BertModel names without `bert.` or BertForMaskedLM names). Returns the
    names of model parameters that were not found (left at their initialisation)."""
    from safetensors.torch import load_file

    sd = load_file(str(Path(model_dir) / "model.safetensors"))
    own = model.state_dict()
    found = {}
    for k, v in sd.items():
        name = k if k.startswith(("bert.", "cls.")) else "bert." + k
        if name in own:
            found[name] = v.to(torch.float32)
    missing = [k for k in own if k not in found]
    own.update(found)
    model.load_state_dict(own)
    return missing


def export_state(model: BertForMaskedLM) -> dict[str, torch.Tensor]:
    """The state dict in the shipped layout: f16, no decoder weight (tied), contiguous."""
    return {k: v.detach().to(torch.float16).contiguous() for k, v in model.state_dict().items()}


def param_groups(model: BertForMaskedLM, lr: float, head_lr: float, weight_decay: float):
    """AdamW groups: no decay on biases and LayerNorm weights; the fresh head transform gets head_lr."""
    groups = {}
    for n, p in model.named_parameters():
        head = n.startswith("cls.predictions.transform")
        decay = not (n.endswith(".bias") or "LayerNorm" in n or n == "cls.predictions.bias")
        key = (head, decay)
        groups.setdefault(key, []).append(p)
    out = []
    for (head, decay), ps in sorted(groups.items()):
        out.append({"params": ps, "lr": head_lr if head else lr, "weight_decay": weight_decay if decay else 0.0})
    return out


def gelu_check():
    # F.gelu is the exact erf form, as HF's "gelu".
    x = torch.tensor([1.0])
    assert abs(F.gelu(x).item() - 0.5 * (1 + math.erf(1 / math.sqrt(2)))) < 1e-6
