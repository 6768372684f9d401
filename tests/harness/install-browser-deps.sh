#!/usr/bin/env bash
# Debian's Chromium and ChromeDriver for the browser tests, lavapipe (mesa-vulkan-drivers) for
# native wgpu, python3-venv for the model checks' venv, and axe-core (npm, pinned) for the
# accessibility audit. Skips what is installed.
set -euo pipefail
cd "$(dirname "$0")/../.."
axe_version=4.11.0
if [ "$(node -p "require('./.tools/node_modules/axe-core/package.json').version" 2>/dev/null)" != "$axe_version" ]; then
  command -v npm >/dev/null || { sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"; $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm; }
  npm install --silent --no-audit --no-fund --prefix .tools "axe-core@$axe_version"
fi
packages=(chromium chromium-driver mesa-vulkan-drivers python3-venv)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing ${missing[*]} from Debian"
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
