#!/usr/bin/env bash
# One command to run the gateway on its embedded default: installs packages,
# builds, starts a local PostgreSQL on 127.0.0.1:5433, and runs fixgw in the
# foreground with the simulator venue, listening for FIX on 127.0.0.1:9878.
# Ctrl-C stops it cleanly (the journal is drained first). Safe to re-run.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$REPO"
bash scripts/deps.sh
bash scripts/build.sh fixgw fixclient tws_emulator fix_broker_emulator
bash scripts/pg.sh ensure
export FIXGW_DB="${FIXGW_DB:-$(bash scripts/pg.sh conninfo)}"
mkdir -p var
exec "${FIXGW_BUILD_DIR:-$REPO/build}/apps/fixgw" run --config "${FIXGW_CONFIG:-config/fixgw.json}"
