#!/usr/bin/env bash
# System calls per order in the fixgw process (issue 15): fixgw (bench/fixgw-bench.json, append
# FIX store, simulator venue, PostgreSQL journal in a fresh schema) under one fix_loadgen run at
# W=100, with `strace -c -f` attached to the gateway for the measured run only. Prints the calls
# per order by name (futex = thread wakes and waits, sendto/write = socket and store writes) and
# the total. strace slows the process a lot: read the COUNTS, not the throughput it prints.
#
#   bench/run_syscalls_per_order.sh [BUILD_DIR] [--ack async|durable] [--orders N]
#
# The gateway's environment passes through (FIXGW_BENCH_CORK_TASKS=0 turns corked output off,
# FIXGW_BENCH_SPIN_US sets the engine loop's poll), so two runs compare settings.
# PostgreSQL: the cluster of scripts/pg.sh (FIXGW_PG_PORT / FIXGW_PGDATA pick a private one).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
BUILD="$ROOT/build"
N=20000
ACK=async
while [[ $# -gt 0 ]]; do
  case "$1" in
    --orders) N="${2:?}"; shift 2 ;;
    --ack) ACK="${2:?}"; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "run_syscalls_per_order: unknown option $1" >&2; exit 2 ;;
    *) BUILD="$(cd "$1" && pwd -P)"; shift ;;
  esac
done
command -v strace >/dev/null || { echo "run_syscalls_per_order: strace is not installed" >&2; exit 2; }
bash "$ROOT/scripts/pg.sh" ensure >/dev/null
BASE="$(bash "$ROOT/scripts/pg.sh" conninfo)"
WORK="$(mktemp -d /tmp/syscalls_per_order.XXXXXX)"
SERVER="" TRACER=""
SCHEMA="sys_${ACK}_$(date +%Y%m%d_%H%M%S)"
cleanup() {
  [[ -n "$TRACER" ]] && kill -INT "$TRACER" 2>/dev/null || true
  if [[ -n "$SERVER" ]]; then
    kill -INT "$SERVER" 2>/dev/null || true
    for _ in $(seq 300); do kill -0 "$SERVER" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$SERVER" 2>/dev/null || true
  fi
  psql "$BASE" -qc "drop schema if exists $SCHEMA cascade" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
psql "$BASE" -qc "create schema $SCHEMA" >/dev/null
FIXGW_DB="$BASE options='-c search_path=$SCHEMA'" FIXGW_BENCH_PORT="$port" FIXGW_BENCH_ACK="$ACK" \
  FIXGW_BENCH_STORE=append FIXGW_BENCH_STORE_PATH="$WORK/fixstore" FIXGW_BENCH_MSGLOG=database \
  "$BUILD/apps/fixgw" run --config "$ROOT/bench/fixgw-bench.json" >"$WORK/gateway.log" 2>&1 &
SERVER=$!
for _ in $(seq 300); do ss -ltnH "sport = :$port" 2>/dev/null | grep -q . && break; sleep 0.1; done
lg() {  # orders warmup
  "$BUILD/bench/fix_loadgen" --host 127.0.0.1 --port "$port" --version 4.4 --sender LOAD44 \
    --target FIXGW --window 100 --orders "$1" --warmup "$2" --price 95.00 --reset \
    --timeout-ms 900000 --json 2>"$WORK/lg.err" | tail -n 1
}
lg 2000 0 >/dev/null
strace -c -f -qq -p "$SERVER" -o "$WORK/strace.txt" &
TRACER=$!
sleep 1
lg "$N" 0 >"$WORK/lg.json"
sleep 1
kill -INT "$TRACER"; wait "$TRACER" 2>/dev/null || true; TRACER=""
echo "syscalls per order in fixgw ($ACK acks, W=100, $N orders, corked output" \
  "${FIXGW_BENCH_CORK_TASKS:-16} tasks (0 = off), engine spin ${FIXGW_BENCH_SPIN_US:-0} us):"
# strace -c columns: % time, seconds, usecs/call, calls, [errors], syscall.
awk -v n="$N" '$1 ~ /^[0-9.]+$/ && $4 ~ /^[0-9]+$/ {
    if ($NF == "total") { total = $4; next }
    printf "  %-16s %8.3f\n", $NF, $4 / n }
  END { printf "  %-16s %8.3f\n", "TOTAL", total / n }' "$WORK/strace.txt" | sort -k2 -nr
