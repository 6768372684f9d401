#!/usr/bin/env bash
# The wasm forward under Chromium's profiler: builds crates/core/tests/forward_speed_wasm.rs (release,
# the relaxed-SIMD kernels Chromium's worker runs; PROFILE_FEATURES= for the SIMD128 build), serves it
# with wasm-bindgen-test-runner in its interactive mode and prints the functions with the most samples
# (scripts/profile-wasm.mjs). The model's random initialisation (rand, log, cos) shows up too: it is
# not part of a forward. PROFILE_TEST=train_speed_wasm profiles the training benchmark instead.
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="$PWD/.tools/node_modules/.bin:$HOME/.cargo/bin:$PATH"
PUPPETEER_VERSION=23.11.1
if [ ! -d .tools/profiler/node_modules/puppeteer-core ]; then
  echo "installing puppeteer-core $PUPPETEER_VERSION (npm) into .tools/profiler"
  PUPPETEER_SKIP_DOWNLOAD=1 npm install --silent --no-audit --no-fund --prefix .tools/profiler \
    "puppeteer-core@$PUPPETEER_VERSION"
fi
features=${PROFILE_FEATURES---features relaxed-simd}
test=${PROFILE_TEST:-forward_speed_wasm}
# shellcheck disable=SC2086
cargo test --release --target wasm32-unknown-unknown -p bertlab-core $features --test "$test" --no-run
log=$(mktemp)
# shellcheck disable=SC2086
NO_HEADLESS=1 cargo test --release --target wasm32-unknown-unknown -p bertlab-core $features \
  --test "$test" > "$log" 2>&1 &
runner=$!
trap 'kill $runner 2> /dev/null; pkill -f "wasm-bindgen-test-runner.*$test" || true; rm -f "$log"' EXIT
for _ in $(seq 120); do
  url=$(grep -Eo 'http://127\.0\.0\.1:[0-9]+' "$log" | head -1 || true)
  [ -n "$url" ] && break
  sleep 1
done
[ -n "${url:-}" ] || { cat "$log"; echo "the test server did not start"; exit 1; }
PUPPETEER_CORE=$PWD/.tools/profiler/node_modules/puppeteer-core node scripts/profile-wasm.mjs "$url" "${PROFILE_ROWS:-30}"
