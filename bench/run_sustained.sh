#!/usr/bin/env bash
# Sustained throughput, floor and fixgw back to back: N orders (default 100,000) at W=100 against
# the bare-QuickFIX floor with its FileStore, then against fixgw (bench config, async acks unless
# FIXGW_BENCH_ACK says otherwise) through bench/run_cpu_budget.sh, which also prints fixgw's CPU
# per order. Long enough that fixgw's journal must keep up inside the measured window.
#
#   bench/run_sustained.sh [BUILD_DIR] [--orders N]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
BUILD="$ROOT/build"
N=100000
while [[ $# -gt 0 ]]; do
  case "$1" in
    --orders) N="${2:?}"; shift 2 ;;
    -*) echo "unknown option $1" >&2; exit 2 ;;
    *) BUILD="$(cd "$1" && pwd -P)"; shift ;;
  esac
done
PORT=${FIXGW_BENCH_FLOOR_PORT:-9931}
WORK="$(mktemp -d)"
FLOOR=""
cleanup() {
  [[ -n "$FLOOR" ]] && kill -INT "$FLOOR" 2>/dev/null && wait "$FLOOR" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

"$BUILD/bench/fix_floor" --port "$PORT" --sender FIXGW --targets LOAD44,LOAD42 --store file \
  --store-path "$WORK/floor_store" --spec-dir "$ROOT/fix_acceptor/spec" >"$WORK/floor.log" 2>&1 &
FLOOR=$!
for _ in $(seq 100); do (echo >"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.1; done
loadgen() {
  "$BUILD/bench/fix_loadgen" --host 127.0.0.1 --port "$PORT" --version 4.4 --sender LOAD44 \
    --target FIXGW --window 100 --price 95.00 --orders "$1"
}
loadgen 3000 >/dev/null
echo "floor (FileStore): $(loadgen "$N" | grep -E '^acked')"
kill -INT "$FLOOR"; wait "$FLOOR" 2>/dev/null || true; FLOOR=""
echo "fixgw:"
bash "$ROOT/bench/run_cpu_budget.sh" "$BUILD" --orders "$N" --store append | grep -E "acked|CPU per"
