#!/usr/bin/env bash
# Configures and builds fixgw (Release) into build/.
#   scripts/build.sh [TARGET...]   (no target: everything, tests included)
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
BUILD_DIR="${FIXGW_BUILD_DIR:-$REPO/build}"
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$REPO}"  # cache hits across checkouts (CI clones elsewhere)
JOBS="${FIXGW_JOBS:-$(nproc)}"
cmake -S "$REPO" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release -DFIXGW_BUILD_TESTS=ON >/dev/null
if (($# > 0)); then
  cmake --build "$BUILD_DIR" -j"$JOBS" --target "$@"
else
  cmake --build "$BUILD_DIR" -j"$JOBS"
fi
