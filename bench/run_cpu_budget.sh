#!/usr/bin/env bash
# Where the CPU goes per order: runs fixgw (bench config, simulator venue,
# PostgreSQL journal in a fresh schema) and one fix_loadgen run at W=100, and
# prints the CPU time the gateway process, the PostgreSQL server processes and
# the load generator used during the measured run, per order. On a 2-core
# machine the sum bounds throughput: 2 s of CPU per second / (sum per order).
#
#   bench/run_cpu_budget.sh [BUILD_DIR] [--orders N] [--ack async|durable]
#                           [--store append|file|memory] [--msglog database|none]
#                           [--detail]   (also CPU per order of each gateway thread and
#                                         each PostgreSQL process)
#
# Needs the local cluster (scripts/pg.sh) and nothing else running on it: the
# PostgreSQL figure is the sum over every server process of that cluster.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
BUILD="$ROOT/build"
ORDERS=100000
ACK=async
STORE=append
MSGLOG=database
DETAIL=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --orders) ORDERS="${2:?}"; shift 2 ;;
    --ack) ACK="${2:?}"; shift 2 ;;
    --store) STORE="${2:?}"; shift 2 ;;
    --msglog) MSGLOG="${2:?}"; shift 2 ;;
    --detail) DETAIL=1; shift ;;
    -*) echo "unknown option $1" >&2; exit 2 ;;
    *) BUILD="$(cd "$1" && pwd -P)"; shift ;;
  esac
done
PORT=${FIXGW_BENCH_PORT:-9911}

bash "$ROOT/scripts/pg.sh" ensure >/dev/null
BASE="$(bash "$ROOT/scripts/pg.sh" conninfo)"
SCHEMA="cpu_$(date +%Y%m%d_%H%M%S)"
psql "$BASE" -qc "create schema $SCHEMA"
WORK="$(mktemp -d)"
GW=""
cleanup() {
  [[ -n "$GW" ]] && kill -INT "$GW" 2>/dev/null && wait "$GW" 2>/dev/null || true
  psql "$BASE" -qc "drop schema if exists $SCHEMA cascade" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

export FIXGW_DB="$BASE options='-c search_path=$SCHEMA'"
export FIXGW_BENCH_STORE="$STORE" FIXGW_BENCH_STORE_PATH="$WORK/fixstore"
export FIXGW_BENCH_PORT="$PORT" FIXGW_BENCH_ACK="$ACK" FIXGW_BENCH_MSGLOG="$MSGLOG"
"$BUILD/apps/fixgw" run --config "$ROOT/bench/fixgw-bench.json" >"$WORK/gateway.log" 2>&1 &
GW=$!
for _ in $(seq 100); do (echo >"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.1; done

LOADGEN=("$BUILD/bench/fix_loadgen" --host 127.0.0.1 --port "$PORT" --version 4.4
         --sender LOAD44 --target FIXGW --window 100 --price 95.00)
"${LOADGEN[@]}" --orders 3000 >/dev/null  # warm-up

ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
# The processes of THIS cluster (its postmaster and children), not every postgres on the machine
# (a shared machine runs several clusters).
PGDATA_DIR="$(bash "$ROOT/scripts/pg.sh" status | sed -n 's/^running: data \([^,]*\),.*/\1/p')"
PM=$(head -n 1 "$PGDATA_DIR/postmaster.pid" 2>/dev/null || true)
pg_pids() { if [[ "$PM" =~ ^[0-9]+$ ]]; then echo "$PM"; pgrep -P "$PM"; else pgrep -u postgres postgres; fi; }
pg_ticks() {
  local s=0 p
  for p in $(pg_pids); do s=$((s + $(ticks "$p"))); done
  echo "$s"
}
# "name ticks" per gateway thread and per PostgreSQL process, for --detail.
per_proc() {
  local t
  for t in /proc/"$GW"/task/*; do
    echo "gateway:$(cat "$t/comm" 2>/dev/null)#${t##*/} $(ticks "$GW/task/${t##*/}")"
  done
  for t in $(pg_pids); do
    echo "pg:$(tr '\0' ' ' <"/proc/$t/cmdline" 2>/dev/null | awk '{print $2}')#$t $(ticks "$t")"
  done
}
HZ=$(getconf CLK_TCK)
[[ $DETAIL == 1 ]] && per_proc >"$WORK/detail0"
g0=$(ticks "$GW"); p0=$(pg_ticks)
out=$(/usr/bin/time -f "LOADGEN_CPU %U %S" "${LOADGEN[@]}" --orders "$ORDERS" 2>&1)
g1=$(ticks "$GW"); p1=$(pg_ticks)
[[ $DETAIL == 1 ]] && per_proc >"$WORK/detail1"
echo "$out" | grep -E "acked|throughput"
lg=$(echo "$out" | awk '/LOADGEN_CPU/ {print $2 + $3}')
awk -v g=$((g1 - g0)) -v p=$((p1 - p0)) -v l="$lg" -v hz="$HZ" -v n="$ORDERS" 'BEGIN {
  gu = g / hz * 1e6 / n; pu = p / hz * 1e6 / n; lu = l * 1e6 / n;
  printf "CPU per order (ack=%s): gateway %.1f us, PostgreSQL %.1f us, load generator %.1f us, total %.1f us\n",
         ENVIRON["FIXGW_BENCH_ACK"], gu, pu, lu, gu + pu + lu;
  printf "2-core bound: %.0f orders/s\n", 2e6 / (gu + pu + lu) }'
if [[ $DETAIL == 1 ]]; then
  # Threads and processes summed by name (the #id suffix dropped), busiest first.
  awk -v hz="$HZ" -v n="$ORDERS" 'NR == FNR { a[$1] = $2; next }
    { d = $2 - a[$1]; if (d < 0) d = $2; split($1, parts, "#"); sum[parts[1]] += d }
    END { for (k in sum) if (sum[k] > 0) printf "  %-32s %6.1f us/order\n", k, sum[k] / hz * 1e6 / n }' \
    "$WORK/detail0" "$WORK/detail1" | sort -k2 -nr
fi
