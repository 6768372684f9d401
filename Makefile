# BERT Lab. Two set-up commands on a fresh Debian 12 machine: `make serve` and `make test`.
# Both install whatever is missing first (idempotent; a few seconds when everything is present).

# wasm-opt (npm binaryen) lives in .tools/; cargo-installed tools in ~/.cargo/bin.
export PATH := $(CURDIR)/.tools/node_modules/.bin:$(HOME)/.cargo/bin:$(PATH)

.PHONY: serve test size bench-train bench-gpu profile-wasm bench-peer tools release-tools browser-deps build fuzz

# Optimised code (the model is unusable without it) but no wasm-opt pass: on 2 cores wasm-opt -O3
# on the worker alone takes about 9 minutes, which a local server does not need. `make build` (what
# a host serves) runs it.
serve: tools
	trunk serve --cargo-profile release

test: tools browser-deps
	tests/harness/run-all.sh

# cargo-fuzz (libFuzzer, nightly) on every parser of outside input, FUZZ_SECONDS (default 120) per
# target or FUZZ_RUNS executions; a table of executions and crashes at the end. Crash inputs, once
# fixed, go to fuzz/regressions/, which `make test` replays on stable.
fuzz:
	tests/harness/fuzz.sh

size: release-tools
	tests/harness/size.sh

# Training throughput in headless Chromium (wasm) against the same code natively, as a ratio.
bench-train: tools browser-deps
	tests/harness/bench-train.sh

# Where the wasm forward's time goes: Chromium's sampling profiler, self time per function.
profile-wasm: tools browser-deps
	tests/harness/profile-wasm.sh

# Forward latency on the GPU path against the CPU path: natively (wgpu vs candle) and in headless
# Chromium (WebGPU vs wasm), through the benchmark page.
bench-gpu: release-tools browser-deps
	tests/harness/bench-gpu.sh

# Our encoder forward against transformers.js (onnxruntime-web) on the same model architecture,
# in one headless Chromium: latency by length, cold start and code size. Installs the peer (npm,
# a PyPI wheel, an ONNX export) into ignored folders first.
bench-peer: tools browser-deps
	tests/harness/bench-peer.sh

# The static site in dist/; PUBLIC_URL=/some/path/ for a host's sub-path (absolute, trailing slash).
# Every page is then prerendered in headless Chromium, so its text shows before the wasm has loaded.
PUBLIC_URL ?= /
build: release-tools browser-deps
	trunk build --release --public-url $(PUBLIC_URL)
	python3 scripts/prerender.py dist $(PUBLIC_URL)

# The tests build in dev mode, where Trunk never runs wasm-opt; release builds need it too.
tools:
	tests/harness/install-tools.sh

release-tools:
	tests/harness/install-tools.sh --release

browser-deps:
	tests/harness/install-browser-deps.sh
