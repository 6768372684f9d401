#!/usr/bin/env bash
# Release build, then the size of each wasm bundle raw and gzipped (the budget: <= 3 MB gzip, no weights).
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="$HOME/.cargo/bin:$PATH"
trunk build --release >/dev/null
mb() { awk -v b="$1" 'BEGIN { printf "%.2f MB", b / 1048576 }'; }
total_raw=0; total_gz=0
# A browser loads the page and one of the two worker builds (with or without relaxed SIMD), so the
# total counts the larger worker once.
worker_raw=0; worker_gz=0
for f in dist/*.wasm; do
  raw=$(stat -c %s "$f"); gz=$(gzip -9c "$f" | wc -c)
  case "$(basename "$f")" in
    bertlab-worker*)
      if [ "$gz" -gt "$worker_gz" ]; then worker_raw=$raw; worker_gz=$gz; fi ;;
    *) total_raw=$((total_raw + raw)); total_gz=$((total_gz + gz)) ;;
  esac
  printf '%-36s raw %10s   gzip %10s\n' "$(basename "$f")" "$(mb "$raw")" "$(mb "$gz")"
done
total_raw=$((total_raw + worker_raw)); total_gz=$((total_gz + worker_gz))
printf '%-36s raw %10s   gzip %10s\n' "total (app + one worker)" "$(mb "$total_raw")" "$(mb "$total_gz")"
