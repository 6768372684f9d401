#!/usr/bin/env bash
# Re-derives the shipped default model (models/bertlab-minilm-mlm) with the commands its card lists,
# into a scratch folder, and compares the result with what is committed: the same tensor names and
# shapes, and the card's cloze top-1 / top-5 and validation perplexity within a tolerance (PyTorch's
# CPU kernels are not bit-reproducible across machines and thread counts, so the weights are not
# compared byte for byte). Takes as long as the card's compute time (hours on 2 cores); every step can
# be interrupted and the script run again: the corpus is rebuilt identically and training resumes from
# its checkpoint.
#
#   scripts/reproduce-default-model.sh [SCRATCH]      (default: runs/reproduce)
set -euo pipefail
cd "$(dirname "$0")/.."
scratch=${1:-runs/reproduce}
shipped=models/bertlab-minilm-mlm
card=$shipped/card.md
mkdir -p "$scratch"

# the tools: the Rust CLI (the workspace's crates/cli, for `bertlab corpus`) and the trainer's
# Python environment
cargo build --release -p bertlab-cli
bertlab=${CARGO_TARGET_DIR:-target}/release/bertlab
if [ ! -x training/.venv/bin/python ]; then
  python3 -m venv training/.venv
fi
training/.venv/bin/pip install -q -r training/requirements.txt
py=training/.venv/bin/python

# the card's "Reproduce" block, with its folders moved under the scratch folder
sed -n '/^## Reproduce/,/^## Licence/p' "$card" | sed -n '/^```sh$/,/^```$/p' | sed '1d;$d' | grep -v '^#' >"$scratch/commands.txt"
while IFS= read -r line; do
  # the card's folders, relative to the repository root, moved under the scratch folder
  line=$(sed -E "s#(^| )(corpus-[a-z0-9-]+)#\\1$scratch/\\2#g; s#--(out|base) corpus( |\$)#--\\1 $scratch/corpus\\2#g; s#(^| )runs/#\\1$scratch/runs/#g; s#--out models/bertlab-minilm-mlm#--out $scratch/model#" <<<"$line")
  line=$(sed -E "s#^bertlab #$bertlab #; s#^python #$py #; s#^nice -n 19 python #nice -n 19 $py #" <<<"$line")
  echo "+ $line"
  eval "$line"
done <"$scratch/commands.txt"

status=0
"$py" - "$shipped" "$scratch/model" <<'PY' || status=1
import json, re, struct, sys
def header(p):
    raw = open(p, "rb").read(8); n = struct.unpack("<Q", raw)[0]
    h = json.loads(open(p, "rb").read(8 + n)[8:]); h.pop("__metadata__", None)
    return {k: (v["dtype"], v["shape"]) for k, v in h.items()}
a, b = sys.argv[1], sys.argv[2]
ok = header(a + "/model.safetensors") == header(b + "/model.safetensors")
print("tensors: same names, dtypes and shapes" if ok else "tensors: DIFFER")
def figures(p):
    t = open(p + "/card.md").read()
    c = re.search(r"top-1 \*\*([0-9.]+) %\*\*, top-5 \*\*([0-9.]+) %\*\*", t)
    v = re.search(r"perplexity \*\*([0-9.]+)\*\*", t)
    return float(c.group(1)), float(c.group(2)), float(v.group(1))
(s1, s5, sp), (r1, r5, rp) = figures(a), figures(b)
print(f"shipped: top-1 {s1} %, top-5 {s5} %, perplexity {sp}; reproduced: top-1 {r1} %, top-5 {r5} %, perplexity {rp}")
close = abs(s1 - r1) <= 3 and abs(s5 - r5) <= 3 and abs(sp - rp) / sp <= 0.05
print("figures: within tolerance (3 points, 5 % perplexity)" if close else "figures: OUTSIDE tolerance")
sys.exit(0 if ok and close else 1)
PY
exit $status
