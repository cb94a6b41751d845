#!/usr/bin/env bash
# One command to set up and run the whole test suite: installs packages,
# builds with tests, starts the local PostgreSQL cluster, and runs ctest.
# Every test works in a PostgreSQL schema of its own (FIXGW_TEST_DB names the
# database), so tests do not depend on order or leftover state.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$REPO"
bash scripts/deps.sh
bash scripts/build.sh
bash scripts/pg.sh ensure
export FIXGW_TEST_DB="${FIXGW_TEST_DB:-$(bash scripts/pg.sh conninfo)}"
export FIXGW_SOURCE_DIR="$REPO"
cd "${FIXGW_BUILD_DIR:-$REPO/build}"
ctest --output-on-failure --timeout 300 -j"${FIXGW_TEST_JOBS:-2}" "$@"
