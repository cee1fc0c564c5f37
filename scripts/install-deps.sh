#!/usr/bin/env bash
# Installs the Debian packages pyrometer builds against (and headless Chromium, which the
# HTML report's tests drive), when any is missing.
set -euo pipefail
packages=(g++ pkg-config libunwind-dev libdw-dev libelf-dev libjemalloc-dev libfmt-dev libgtest-dev chromium)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "pyrometer: installing Debian packages: ${missing[*]}" >&2
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
fi
