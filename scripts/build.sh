#!/usr/bin/env bash
# Configures and builds fixgw (Release) into build/. Extra args go to cmake.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
BUILD_DIR="${FIXGW_BUILD_DIR:-$REPO/build}"
JOBS="${FIXGW_JOBS:-$(nproc)}"
cmake -S "$REPO" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
cmake --build "$BUILD_DIR" -j"$JOBS"
