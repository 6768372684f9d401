#!/usr/bin/env bash
# Fuzzes every parser of outside input with cargo-fuzz (libFuzzer): the fuzz crate in fuzz/, one
# target per parser (fuzz/fuzz_targets/, each calling its check in fuzz/checks/). Seeds each
# target's corpus (fuzz/corpus/TARGET, git-ignored) from fuzz/seeds/TARGET and the project's own
# files, runs each target for FUZZ_SECONDS (default 120) or FUZZ_RUNS executions, and prints a
# table.
#
# A crash lands in fuzz/artifacts/TARGET. Once understood (and fixed), copy the input into
# fuzz/regressions/TARGET/: `make test` replays those through the same checks on stable
# (crates/core/tests/fuzz_regressions.rs, crates/app/tests/fuzz_regressions.rs).
#
#   FUZZ_SECONDS=600 make fuzz                    longer runs
#   FUZZ_RUNS=1000000 make fuzz                   a fixed number of executions per target
#   FUZZ_RUNS=1000000 FUZZ_SECONDS=1200 make fuzz  ... or 20 minutes, whichever comes first
#   FUZZ_TARGETS="tokenize url_state" make fuzz   some targets only
#   FUZZ_SANITIZER=address make fuzz              AddressSanitizer (slower; default none: the
#                                                 parsers are safe Rust, panics and OOMs are found
#                                                 without it, and 2 cores go further without it)
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="$HOME/.cargo/bin:$PATH"
# One-off instrumented builds gain nothing from incremental caches.
export CARGO_INCREMENTAL=${CARGO_INCREMENTAL:-0}

FUZZ_RUNS=${FUZZ_RUNS:-}
# With FUZZ_RUNS, a time limit only when FUZZ_SECONDS is given as well.
limit=()
[ -z "$FUZZ_RUNS" ] || limit+=(-runs="$FUZZ_RUNS")
[ -n "$FUZZ_RUNS" ] && [ -z "${FUZZ_SECONDS:-}" ] || limit+=(-max_total_time="${FUZZ_SECONDS:-120}")
FUZZ_SANITIZER=${FUZZ_SANITIZER:-none}

if ! rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
  echo "make fuzz needs a nightly Rust toolchain (cargo-fuzz builds with -Z flags)."
  echo "Install it with:"
  echo "  rustup toolchain install nightly"
  exit 1
fi
if ! command -v cargo-fuzz > /dev/null; then
  cargo install cargo-fuzz --version 0.13.1 --locked
fi
fuzz() { cargo +nightly fuzz "$@"; }

all_targets=$(fuzz list)
targets=${FUZZ_TARGETS:-$all_targets}

# Longest input per target: long enough for the parser's interesting cases (a text past the
# model's 512 tokens, a tiny checkpoint, a small tokenizer.json), short enough to stay fast.
max_len() {
  case $1 in
    checkpoint | tokenizer_json) echo 32768 ;;
    labelled_csv | stored_records | worker_messages | cloze_tsv | model_zip) echo 8192 ;;
    tokenize | vocab_txt) echo 4096 ;;
    *) echo 2048 ;;
  esac
}

# The corpus: committed seeds plus samples of the real files each parser reads.
seed() {
  local t=$1 dir=fuzz/corpus/$1
  mkdir -p "$dir"
  if [ -d "fuzz/seeds/$t" ]; then cp -f fuzz/seeds/"$t"/* "$dir"/ 2> /dev/null || true; fi
  python3 - "$t" "$dir" << 'EOF'
import glob, json, os, re, struct, sys

target, out = sys.argv[1], sys.argv[2]

def put(name, data):
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)

def read(path):
    with open(path, "rb") as f:
        return f.read()

cloze = read("tests/data/cloze.tsv").decode().splitlines()
if target == "tokenize":
    # Control bytes (tokenizer, pair split), then a sentence or a long passage.
    for i, line in enumerate(cloze[1:40]):
        put(f"cloze-{i}", bytes([i % 18, (i * 37) % 256]) + line.split("\t")[2].encode())
    text = read("assets/corpus/valid.txt")[:4000]
    for i in range(3):
        put(f"corpus-{i}", bytes([i * 7, 128]) + text)
elif target == "checkpoint":
    configs = glob.glob("models/*/config.json") + glob.glob("tests/fixtures/parity/*/config.json")
    for path in configs:
        config = read(path)
        put("config-" + path.replace("/", "_"), struct.pack("<H", len(config)) + config)
elif target == "tokenizer_json":
    put("wordpiece", read("tests/model_data/wordpiece-tokenizer.json"))
elif target == "vocab_txt":
    tok = json.loads(read("models/bertlab-minilm-mlm/tokenizer.json"))
    vocab = sorted(tok["model"]["vocab"].items(), key=lambda kv: kv[1])
    lines = "\n".join(t for t, _ in vocab[:130]) + "\n"
    put("minilm-head", lines)
    config = read("tests/fixtures/export/bert-seq_cls/tokenizer_config.json")
    put("minilm-head-config", lines.encode() + b"\xff" + config)
elif target == "labelled_csv":
    for path in glob.glob("assets/datasets/*.csv"):
        put(os.path.basename(path), b"\n".join(read(path).split(b"\n")[:60]) + b"\n")
elif target == "url_state":
    for path in glob.glob("crates/app/content/**/*.toml", recursive=True):
        for i, q in enumerate(re.findall(r'^query = "(.*)"$', read(path).decode(), re.M)):
            put(f"{os.path.basename(path)}-{i}", q)
elif target == "model_key":
    index = json.loads(read("models/index.json"))
    for i, m in enumerate(index if isinstance(index, list) else index.get("models", [])):
        name = m.get("name") if isinstance(m, dict) else m
        if isinstance(name, str):
            put(f"shipped-{i}", name)
elif target == "cloze_tsv":
    put("cloze-head", "\n".join(cloze[:40]) + "\n")
elif target in ("folder_plan", "folder_pick"):
    for path in glob.glob("models/*/"):
        names = sorted(os.listdir(path))
        prefix = "" if target == "folder_plan" else os.path.basename(path.rstrip("/")) + "/"
        put("model-" + os.path.basename(path.rstrip("/")), "\n".join(prefix + n for n in names))
EOF
}

# Executions from libFuzzer's log: its final statistics, else its "Done N runs" line.
executions() {
  local n
  n=$(grep -aEo 'stat::number_of_executed_units: [0-9]+' "$1" | tail -1 | awk '{print $2}')
  [ -n "$n" ] || n=$(grep -aEo 'Done [0-9]+ runs' "$1" | tail -1 | awk '{print $2}')
  echo "${n:-0}"
}

# Seconds spent fuzzing ("Done N runs in S second(s)"), else $2 (wall time, start-up included).
fuzz_seconds() {
  local s
  s=$(grep -aEo 'Done [0-9]+ runs in [0-9]+ second' "$1" | tail -1 | awk '{print $5}')
  echo "${s:-$2}"
}

echo "==> building the fuzz targets (nightly, sanitizer: $FUZZ_SANITIZER)"
fuzz build -s "$FUZZ_SANITIZER"
logs=fuzz/target/logs
mkdir -p "$logs"
rows=()
status=0
for t in $targets; do
  seed "$t"
  mkdir -p "fuzz/artifacts/$t"
  echo "==> $t (${limit[*]}, max_len $(max_len "$t"))"
  started=$SECONDS
  if fuzz run -s "$FUZZ_SANITIZER" "$t" "fuzz/corpus/$t" -- "${limit[@]}" \
    -max_len="$(max_len "$t")" -rss_limit_mb=2048 -malloc_limit_mb=2048 -timeout=60 \
    -print_final_stats=1 > "$logs/$t.log" 2>&1; then :; else
    echo "!! $t stopped with a failure: see $logs/$t.log and fuzz/artifacts/$t/"
    grep -aE '^(==[0-9]+== ERROR|thread .* panicked|SUMMARY)' "$logs/$t.log" | head -5 || true
    status=1
  fi
  seconds=$(fuzz_seconds "$logs/$t.log" $((SECONDS - started)))
  runs=$(executions "$logs/$t.log")
  crashes=$(find "fuzz/artifacts/$t" -type f | wc -l)
  rate=$((runs / (seconds > 0 ? seconds : 1)))
  rows+=("$(printf '%-16s %12s %8s %9s %8s' "$t" "$runs" "$seconds" "$rate" "$crashes")")
done

echo
printf '%-16s %12s %8s %9s %8s\n' target executions seconds "exec/s" crashes
printf '%s\n' "${rows[@]}"
echo "Crash inputs: fuzz/artifacts/TARGET/"
echo "(reproduce: cargo +nightly fuzz run -s $FUZZ_SANITIZER TARGET FILE);"
echo "keep each, once fixed, in fuzz/regressions/TARGET/ so that make test replays it."
exit $status
