#!/usr/bin/env bash
# Training throughput, wasm in headless Chromium against the same code natively, in one run:
# benches/train.rs (native, release) and tests/train_speed_wasm.rs (wasm32, release, through
# wasm-bindgen-test-runner) time the same workloads of crates/core/src/train/bench.rs; this prints both and
# the ratio. Figures from a loaded or shared machine vary: compare ratios from one run.
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="$HOME/.cargo/bin:$PATH"
export CHROMEDRIVER=${CHROMEDRIVER:-/usr/bin/chromedriver}
export WASM_BINDGEN_TEST_WEBDRIVER_JSON=$PWD/tests/harness/webdriver.json
export WASM_BINDGEN_TEST_TIMEOUT=600
log=target/bench-train.log
mkdir -p target
{
  cargo bench -p bertlab-core --bench train
  cargo test --release --target wasm32-unknown-unknown -p bertlab-core --test train_speed_wasm -- --nocapture
} 2>&1 | tee "$log"
figure() { grep -Eo "$1 [0-9.]+" "$log" | tail -1 | awk '{ print $NF }'; }
echo
for what in "pretraining tokens/s" "fine-tuning examples/s"; do
  native=$(figure "native $what")
  wasm=$(figure "wasm $what")
  awk -v w="$wasm" -v n="$native" -v what="$what" \
    'BEGIN { printf "%-24s native %10.1f   wasm %10.1f   wasm/native %.2f\n", what, n, w, w / n }'
done
