#!/usr/bin/env bash
# Release build, then the size of each wasm bundle raw and gzipped (the budget: <= 3 MB gzip, no weights).
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="$HOME/.cargo/bin:$PATH"
trunk build --release >/dev/null
mb() { awk -v b="$1" 'BEGIN { printf "%.2f MB", b / 1048576 }'; }
total_raw=0; total_gz=0
for f in dist/*.wasm; do
  raw=$(stat -c %s "$f"); gz=$(gzip -9c "$f" | wc -c)
  total_raw=$((total_raw + raw)); total_gz=$((total_gz + gz))
  printf '%-36s raw %10s   gzip %10s\n' "$(basename "$f")" "$(mb "$raw")" "$(mb "$gz")"
done
printf '%-36s raw %10s   gzip %10s\n' "total (app + worker)" "$(mb "$total_raw")" "$(mb "$total_gz")"
