#!/usr/bin/env bash
# Lighthouse on the release build as a static host would serve it: gzip-compressed text and wasm
# (precompressed copies, as the README's hosting recipe asks), the page for deep links. Runs
# Lighthouse 12.2.3 (npm, pinned, into .tools/) in headless Chromium with its default mobile
# throttling on the start page and the fill-mask lab, and prints the four category scores, the
# largest contentful paint and the bytes transferred.
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="$PWD/.tools/node_modules/.bin:$HOME/.cargo/bin:$PATH"
LIGHTHOUSE_VERSION=12.2.3
HTTP_SERVER_VERSION=14.1.1
port=8095

if [ "$(lighthouse --version 2>/dev/null)" != "$LIGHTHOUSE_VERSION" ] || ! command -v http-server > /dev/null; then
  npm install --silent --no-audit --no-fund --prefix .tools "lighthouse@$LIGHTHOUSE_VERSION" "http-server@$HTTP_SERVER_VERSION"
fi
# A fresh release build (most of its time is wasm-opt on the worker) unless --no-build.
[ "${1:-}" = --no-build ] || make build > /dev/null

site=$(mktemp -d /tmp/bertlab-site.XXXXXX)
cp -r dist/. "$site/"
find "$site" -type f \( -name '*.wasm' -o -name '*.js' -o -name '*.css' -o -name '*.html' -o -name '*.json' \) \
  -exec gzip -k -9 {} \;
# Unknown paths (deep links) get the page with status 200, as a host with a single-page-app fallback
# answers; Lighthouse refuses to audit a page served with 404.
http-server "$site" -p "$port" -a 127.0.0.1 -g -s -c-1 --proxy "http://127.0.0.1:$port?" &
server=$!
trap 'kill $server 2> /dev/null; rm -rf "$site"' EXIT
until curl -sf "http://127.0.0.1:$port/" > /dev/null; do sleep 0.5; done

chrome=$(command -v chromium || command -v chromium-browser)
echo "| page | performance | accessibility | best practices | SEO | FCP | LCP | TBT | speed index | CLS | bytes transferred |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
for path in / /labs/fill-mask; do
  out=${LIGHTHOUSE_REPORTS:-$site}/report${path//\//-}.json
  CHROME_PATH=$chrome lighthouse "http://127.0.0.1:$port$path" --quiet --output=json --output-path="$out" \
    --chrome-flags="--headless=new --no-sandbox" > /dev/null 2>&1 || { echo "lighthouse failed on $path"; exit 1; }
  python3 - "$out" "$path" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
c, a = r["categories"], r["audits"]
score = lambda k: round(c[k]["score"] * 100)
seconds = lambda k: f'{a[k]["numericValue"] / 1000:.1f} s'
tbt = a["total-blocking-time"]["numericValue"]
cls = a["cumulative-layout-shift"]["numericValue"]
weight = a["total-byte-weight"]["numericValue"] / 1e6
print(f"| {sys.argv[2]} | {score('performance')} | {score('accessibility')} | {score('best-practices')} | {score('seo')} "
      f"| {seconds('first-contentful-paint')} | {seconds('largest-contentful-paint')} | {tbt:.0f} ms "
      f"| {seconds('speed-index')} | {cls:.3f} | {weight:.2f} MB |")
EOF
done
