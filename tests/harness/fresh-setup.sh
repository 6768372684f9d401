#!/usr/bin/env bash
# Times the two set-up commands as a newcomer meets them: a fresh clone, an empty HOME and CARGO_HOME
# (so Trunk, wasm-bindgen-cli, wasm-opt, every crate and the npm packages are fetched and built anew).
# Only the Rust toolchain (RUSTUP_HOME, reached through rustup's proxies) and Debian's packages are
# shared with this machine. Prints how long `make serve` took until the lab answered, and `make test`.
#
#   tests/harness/fresh-setup.sh            # both
#   tests/harness/fresh-setup.sh serve      # only `make serve`
set -uo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
which=${1:-both}
port=8080

toolchain_bin=$(dirname "$(command -v rustup || echo "$HOME/.cargo/bin/rustup")")
export RUSTUP_HOME=${RUSTUP_HOME:-$HOME/.rustup}
work=$(mktemp -d /tmp/bertlab-fresh.XXXXXX)
export HOME=$work/home
export CARGO_HOME=$HOME/.cargo
mkdir -p "$CARGO_HOME/bin"
# rustup's proxies only: anything else in the old ~/.cargo/bin (an installed trunk) would not be fresh.
proxies=$work/rustup-proxies
mkdir -p "$proxies"
for tool in rustup cargo rustc rustdoc rustfmt cargo-fmt cargo-clippy clippy-driver; do
  [ -e "$toolchain_bin/$tool" ] && ln -s "$toolchain_bin/$tool" "$proxies/$tool"
done
export PATH="$proxies:/usr/local/bin:/usr/bin:/bin"

echo "fresh clone and home under $work"
git clone -q "$repo" "$work/bertlab" || exit 1
cd "$work/bertlab" || exit 1

serve_s=-
if [ "$which" != test ]; then
  started=$SECONDS
  make serve > "$work/serve.log" 2>&1 &
  server=$!
  until curl -sf "http://127.0.0.1:$port/" > /dev/null; do
    if ! kill -0 "$server" 2> /dev/null; then
      echo "make serve stopped before serving; see $work/serve.log"; tail -20 "$work/serve.log"; exit 1
    fi
    sleep 5
  done
  serve_s=$((SECONDS - started))
  kill -- "$server" 2> /dev/null; pkill -f "trunk serve" 2> /dev/null
  wait "$server" 2> /dev/null
fi

test_s=-
status=0
if [ "$which" != serve ]; then
  started=$SECONDS
  make test > "$work/test.log" 2>&1 || status=$?
  test_s=$((SECONDS - started))
  tail -30 "$work/test.log"
fi

minutes() { [ "$1" = - ] && echo "not run" || printf '%d min %02d s' $(($1 / 60)) $(($1 % 60)); }
echo
echo "| command (fresh HOME and CARGO_HOME, $(nproc) cores) | wall time |"
echo "|---|---|"
echo "| make serve (until the lab answers) | $(minutes "$serve_s") |"
echo "| make test, after it | $(minutes "$test_s") |"
echo "logs: $work/serve.log, $work/test.log"
exit $status
