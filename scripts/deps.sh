#!/usr/bin/env bash
# Installs the Debian packages fixgw needs to build, test and run. Skips the
# package manager entirely when everything is already installed.
set -euo pipefail

PACKAGES=(
  build-essential cmake ccache pkg-config
  libquickfix-dev libpqxx-dev rapidjson-dev libspdlog-dev libfmt-dev
  libboost-dev libssl-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  postgresql-15 postgresql-client-15
  python3  # tools/fixdict: regenerates the FIX dictionaries in the dictionary checks
  chromium nodejs  # tests/blotter: the web blotter end to end in headless Chromium (playwright-core)
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
# Debian's nodejs ships npm as a package of its own; some nodejs builds bundle it.
if ! command -v npm >/dev/null 2>&1; then
  missing+=(npm)
fi
if ((${#missing[@]} == 0)); then
  echo "deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

SUDO=""
if [[ "$(id -u)" != 0 ]]; then
  command -v sudo >/dev/null 2>&1 || { echo "deps: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
  SUDO="sudo"
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "${missing[@]}"
