#!/usr/bin/env bash
# Installs the web toolchain from crates.io when missing: the wasm32 target, Trunk, wasm-bindgen-cli
# (exactly Cargo.lock's wasm-bindgen, or Trunk would try to download one) and, with --release,
# wasm-opt 116 from npm's `binaryen` package (a node program, installed in seconds into .tools/;
# compiling binaryen with `cargo install wasm-opt` took 11-20 minutes, and Debian's binaryen 108
# miscompiles the app). The Makefile puts .tools/node_modules/.bin on PATH. Fast and
# silent when everything is present.
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="$HOME/.cargo/bin:$PATH"

TRUNK_VERSION=0.21.14
BINDGEN_VERSION=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
WASM_OPT_VERSION=116

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  echo "installing the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

if [ "$(trunk --version 2>/dev/null)" != "trunk $TRUNK_VERSION" ]; then
  echo "building trunk $TRUNK_VERSION from crates.io (first time: several minutes)"
  # Trunk's own release profile asks for fat LTO in one codegen unit, which doubles its build time
  # on 2 cores for a build tool that does not need it (measured in the README's set-up section).
  CARGO_PROFILE_RELEASE_LTO=off CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
    cargo install --locked trunk --version "$TRUNK_VERSION"
fi

# wasm-bindgen-cli's own lock file pins crates that no longer build, so it is installed unlocked.
if [ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $BINDGEN_VERSION" ]; then
  echo "building wasm-bindgen-cli $BINDGEN_VERSION from crates.io"
  cargo install --force wasm-bindgen-cli --version "$BINDGEN_VERSION"
fi

if [ "${1:-}" = "--release" ] && ! .tools/node_modules/.bin/wasm-opt --version 2>/dev/null | grep -q "version $WASM_OPT_VERSION"; then
  echo "installing wasm-opt (npm binaryen@$WASM_OPT_VERSION.0.0)"
  npm install --silent --no-audit --no-fund --prefix .tools "binaryen@$WASM_OPT_VERSION.0.0"
fi
