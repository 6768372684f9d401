#!/usr/bin/env bash
# Training throughput in one run, four ways: benches/train.rs (native, release; on all cores, then
# on one thread as a browser worker has) and tests/train_speed_wasm.rs (wasm32, release, through
# wasm-bindgen-test-runner) time the same workloads of crates/core/src/train/bench.rs, and
# training/bench_step.py trains the default encoder's shape in PyTorch (CPU, from PyPI into
# training/.venv) with the same batch and optimizer. Then the training labs themselves are timed in
# headless Chromium on the optimised build (crates/app/benches/training_labs.rs). Prints each figure
# and the ratios (ours against PyTorch on the same cores; wasm against native on one thread).
# Figures from a loaded or shared machine vary: compare ratios from one run.
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="$HOME/.cargo/bin:$PATH"
export CHROMEDRIVER=${CHROMEDRIVER:-/usr/bin/chromedriver}
export WASM_BINDGEN_TEST_WEBDRIVER_JSON=$PWD/tests/harness/webdriver.json
export WASM_BINDGEN_TEST_TIMEOUT=600
log=target/bench-train.log
mkdir -p target
if ! training/.venv/bin/python3 -c "import torch" 2> /dev/null; then
  echo "setting up training/.venv (PyTorch for CPU, from PyPI)"
  python3 -m venv training/.venv
  training/.venv/bin/pip install --quiet -r training/requirements.txt
fi
{
  training/.venv/bin/python3 training/bench_step.py models/bertlab-minilm-mlm
  cargo bench -p bertlab-core --bench train
  # the same on one thread: what a browser worker has
  RAYON_NUM_THREADS=1 CANDLE_NUM_THREADS=1 cargo bench -p bertlab-core --bench train | sed 's/^native /native-1-thread /'
  # the kernels of the worker build Chromium loads (relaxed SIMD's fused multiply-add)
  cargo test --release --target wasm32-unknown-unknown -p bertlab-core --features relaxed-simd --test train_speed_wasm -- --nocapture
  # the fine-tuning lab itself, on the optimised build `make serve` serves (no wasm-opt pass)
  trunk build --cargo-profile release
  cargo bench -p bertlab-app --features e2e --bench training_labs
} 2>&1 | tee "$log"
figure() { grep -Eo "$1 [0-9.]+" "$log" | tail -1 | awk '{ print $NF }'; }
echo
pytorch=$(figure "pytorch default-encoder pretraining tokens/s")
ours=$(figure "native default-encoder pretraining tokens/s")
awk -v o="$ours" -v p="$pytorch" 'BEGIN { printf "%-24s ours %10.1f   PyTorch %7.1f   ours/PyTorch %.2f\n", "default encoder 16x64", o, p, o / p }'
for what in "pretraining tokens/s" "fine-tuning examples/s" "default-encoder pretraining tokens/s" "default-encoder fine-tuning examples/s"; do
  native=$(figure "native-1-thread $what")
  wasm=$(figure "wasm $what")
  awk -v w="$wasm" -v n="$native" -v what="$what" \
    'BEGIN { printf "%-40s native, 1 thread %8.1f   wasm %8.1f   wasm/native %.2f\n", what, n, w, w / n }'
done
grep -Eo "wasm linear .*" "$log"
grep -Eo "a run at the lab's defaults: [^)]*" "$log" | tail -1 | sed 's/^/wasm full fine-tuning of the default encoder, /'
grep -E "^tab (frozen|full) fine-tuning seconds" "$log" | sed 's/ (default model.*//'
grep -E "^tab pretrain race seconds" "$log" | sed 's/ (.*//'
