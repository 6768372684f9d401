#!/usr/bin/env bash
# Debian's Chromium and ChromeDriver for the browser tests, and lavapipe (mesa-vulkan-drivers) for
# native wgpu. Skips apt entirely when all are installed.
set -euo pipefail
packages=(chromium chromium-driver mesa-vulkan-drivers)
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
