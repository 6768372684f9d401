#!/usr/bin/env bash
# Forward latency, GPU path against CPU path, in one run: benches/gpu.rs natively (wgpu on the first
# Vulkan adapter against candle, then fine-tuning updates/s, train_step_gpu against train_step) and
# the benchmark page in headless Chromium (WebGPU against candle in wasm), driven by
# benches/gpu_page.rs on the release build. On a machine without a GPU the
# adapters are lavapipe and SwiftShader, CPU rasterisers: their timings show the path works, they
# are not GPU speed figures (both outputs say so).
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="$HOME/.cargo/bin:$PATH"
export CHROMEDRIVER=${CHROMEDRIVER:-/usr/bin/chromedriver}
mkdir -p target
{
  cargo bench -p bertlab-core --bench gpu
  trunk build --release
  cargo bench -p bertlab-app --features e2e --bench gpu_page
} 2>&1 | tee target/bench-gpu.log
