#!/usr/bin/env bash
# Installs the web toolchain from crates.io when missing: the wasm32 target, Trunk, wasm-bindgen-cli
# (exactly Cargo.lock's wasm-bindgen, or Trunk would try to download one) and, with --release,
# wasm-opt (binaryen 116; Debian's binaryen 108 miscompiles the app). Trunk runs wasm-opt only for
# release builds, so the tests (dev builds) skip its ~16-minute first build. Fast and silent when
# everything is present.
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
  cargo install --locked trunk --version "$TRUNK_VERSION"
fi

# wasm-bindgen-cli's own lock file pins crates that no longer build, so it is installed unlocked.
if [ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $BINDGEN_VERSION" ]; then
  echo "building wasm-bindgen-cli $BINDGEN_VERSION from crates.io"
  cargo install --force wasm-bindgen-cli --version "$BINDGEN_VERSION"
fi

if [ "${1:-}" = "--release" ] && ! wasm-opt --version 2>/dev/null | grep -q "version $WASM_OPT_VERSION"; then
  echo "building wasm-opt (binaryen $WASM_OPT_VERSION) from crates.io"
  cargo install --locked wasm-opt
fi
