#!/usr/bin/env bash
# Re-derives the shipped default model (models/bertlab-minilm-mlm) with the commands its card lists,
# into a scratch folder, and compares the result with what is committed: the weights byte for byte
# and every line of the card except the wall time and the folder names. About an hour on 2 cores.
#
#   scripts/reproduce-default-model.sh [SCRATCH]      (default: runs/reproduce)
set -euo pipefail
cd "$(dirname "$0")/.."
scratch=${1:-runs/reproduce}
shipped=models/bertlab-minilm-mlm
cargo build --release --bin bertlab
bertlab=target/release/bertlab
mkdir -p "$scratch"
"$bertlab" corpus --out "$scratch/corpus" --seed 42 --valid-fraction 0.05 --source sotu --source moby-dick \
  --source brown --source austen --source kjv --source wordnet --source gcide
"$bertlab" pretrain --train "$scratch/corpus/train.txt" --valid "$scratch/corpus/valid.txt" \
  --from models/all-minilm-l6-v2 --out "$scratch/run" --seed 42 --steps 700 --warmup 40 --batch-size 16 \
  --seq-len 64 --lr 1e-4 --head-lr 1e-3 --eval-every 200 --eval-batches 10 --save-every 50 --log-every 10 \
  --cloze tests/data/cloze.tsv --save-f16 --max-minutes 140
"$bertlab" card --run "$scratch/run" --out "$scratch/model" --name bertlab-minilm-mlm
status=0
if cmp -s "$shipped/model.safetensors" "$scratch/model/model.safetensors"; then
  echo "weights: identical to $shipped/model.safetensors"
else
  echo "weights: DIFFER from $shipped/model.safetensors"; status=1
fi
# Folder names and the wall time depend on where and how fast it ran, and the licence section was
# added by hand; every other line must match.
normalise() {
  sed -e "s#$scratch/corpus/#corpus/#g; s#$scratch/run#runs/default#g; s#$scratch/model#$shipped#g" \
    -e '/^## Licence/,$d' "$1" | grep -v "wall time\|session 1 ("
}
if diff <(normalise "$shipped/card.md") <(normalise "$scratch/model/card.md"); then
  echo "card: every number matches"
else
  echo "card: the lines above differ"; status=1
fi
exit $status
