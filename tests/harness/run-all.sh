#!/usr/bin/env bash
# Runs every test: native (cargo test), wasm in headless Chromium (wasm-bindgen-test), and end-to-end
# (the built app driven through chromedriver). Prints how many tests of each kind ran.
set -uo pipefail
cd "$(dirname "$0")/../.."
export PATH="$HOME/.cargo/bin:$PATH"
# A one-off build gains nothing from incremental caches, which would add gigabytes to target/.
export CARGO_INCREMENTAL=${CARGO_INCREMENTAL:-0}
logs=target/test-logs
mkdir -p "$logs"

# Sum the "N passed" of every libtest summary line in a log (0 when the log is missing).
count() { cat "$1" 2>/dev/null | grep -Eo 'test result: [A-Za-z]+\. [0-9]+ passed' | awk '{ s += $4 } END { print s + 0 }'; }

status=0
phases=()
run() {
  local kind=$1; shift
  echo "==> $kind: $*"
  local started=$SECONDS
  if "$@" 2>&1 | tee "$logs/$kind.log"; then :; else
    echo "!! $kind tests failed"
    status=1
  fi
  phases+=("$(printf '%-22s %5d s' "$kind" $((SECONDS - started)))")
}

# The architecture: no module imports another that imports it back, and the page never compiles
# against the core (it talks to the worker in the protocol's messages only).
architecture() {
  python3 scripts/module-cycles.py || return 1
  for target in "" "--target wasm32-unknown-unknown"; do
    # shellcheck disable=SC2086
    if cargo tree -p bertlab-app -e normal,build $target --prefix none | grep -q '^bertlab-core '; then
      echo "bertlab-app depends on bertlab-core${target:+ ($target)}"; return 1
    fi
  done
  echo "bertlab-app does not depend on bertlab-core"
}
run architecture architecture

# The shipped default model, checked outside the project's own code: a numpy BERT scores the cloze
# benchmark and the lessons' demo sentences and compares with the model card; no cloze sentence is in
# the pretraining corpus (its sentence hashes).
model_checks() {
  local venv=tests/python/.venv
  if ! "$venv/bin/python" -c "import numpy, tokenizers" 2> /dev/null; then
    python3 -m venv "$venv" && "$venv/bin/pip" install -q -r tests/python/requirements.txt || return 1
  fi
  "$venv/bin/python" tests/python/cloze_contamination.py &&
    "$venv/bin/python" tests/python/cloze_numpy.py
}
run model model_checks

# Every crate's unit and integration tests; this also builds target/debug/bertlab, which the
# browser tests run on a model exported from the page.
run native cargo test --workspace

# The feature-space view checked outside the project's code: the numpy BERT recomputes the sentence
# features and their 2-D PCA that `bertlab feature-space` (built by the native phase) reports.
run feature-space tests/python/.venv/bin/python tests/python/feature_space_numpy.py
# The layer probes checked the same way: numpy recomputes every layer's features and fits the ridge
# probes in float64; each layer's held-out accuracy must match `bertlab probe`'s.
run probes tests/python/.venv/bin/python tests/python/probes_numpy.py

# wasm-bindgen tests in headless Chromium: each crate's tests/wasm_*.rs.
export CHROMEDRIVER=${CHROMEDRIVER:-/usr/bin/chromedriver}
export WASM_BINDGEN_TEST_WEBDRIVER_JSON=$PWD/tests/harness/webdriver.json
export WASM_BINDGEN_TEST_TIMEOUT=300
: > "$logs/wasm.log"
found=0
for crate in crates/*/; do
  wasm_tests=$(ls "$crate"tests/wasm_*.rs 2>/dev/null | xargs -rn1 basename | sed 's/\.rs$//' | sed 's/^/--test /' | tr '\n' ' ')
  [ -n "$wasm_tests" ] || continue
  found=1
  # shellcheck disable=SC2086
  run "wasm-$(basename "$crate")" cargo test --target wasm32-unknown-unknown --manifest-path "${crate}Cargo.toml" $wasm_tests
  cat "$logs/wasm-$(basename "$crate").log" >> "$logs/wasm.log"
done
[ "$found" = 1 ] || { echo "!! no wasm tests found under crates/*/tests/wasm_*.rs"; status=1; }
# The kernels and the forward again as the fused multiply-add worker build runs them (relaxed SIMD).
run wasm-core-relaxed-simd cargo test --target wasm32-unknown-unknown -p bertlab-core \
  --features relaxed-simd --test wasm_kernels --test wasm_forward
cat "$logs/wasm-core-relaxed-simd.log" >> "$logs/wasm.log"

run e2e-build trunk build
# The same app for an instructor's sub-path, prerendered as `make build` does (the e2e hosting check
# serves it on a plain host).
subpath_build() {
  trunk build --public-url /courses/nlp/bertlab/ --dist target/dist-subpath &&
    python3 scripts/prerender.py target/dist-subpath /courses/nlp/bertlab/
}
run e2e-build-subpath subpath_build
export BERTLAB_BIN=$PWD/target/debug/bertlab
run e2e cargo test -p bertlab-app --features e2e --test e2e

native=$(count "$logs/native.log")
wasm=$(count "$logs/wasm.log")
e2e=$(count "$logs/e2e.log")
model=$(grep -Eo '^[0-9]+ passed' "$logs/model.log" 2>/dev/null | awk '{ s += $1 } END { print s + 0 }')
echo
echo "Wall time per phase:"
printf '  %s\n' "${phases[@]}"
echo "Slowest native test binaries:"
# Pair each "Running <binary>" line with the "finished in Ns" of its summary.
awk '/^ *(Running|Doc-tests)/ { name = ($2 == "unittests") ? $3 " " $4 : $2 } /test result:.*finished in/ { sub(/s$/, "", $NF); printf "  %8.1f s  %s\n", $NF, name }' "$logs/native.log" | sort -rn | head -5
echo "Slowest end-to-end checks:"
grep -h '^timing:' "$logs/e2e.log" 2>/dev/null | awk '{ printf "  %8.1f s  %s\n", $2, $4 }' | sort -rn | head -5
echo "Tests run: native $native, wasm-in-browser $wasm, end-to-end $e2e, model checks (Python) $model"
echo "Screenshots: target/screenshots/"
[ "$native" -gt 0 ] && [ "$wasm" -gt 0 ] && [ "$e2e" -gt 0 ] && [ "$model" -gt 0 ] || { echo "!! a kind of test ran nothing"; status=1; }
exit $status
