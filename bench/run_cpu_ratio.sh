#!/usr/bin/env bash
# Issue 15, the gateway side, in one run: the FileStore floor (bench/fix_floor)
# and fixgw (bench config, simulator venue, PostgreSQL journal in a fresh
# schema) back to back against the same loads from bench/fix_loadgen:
#   * W=100, N orders (default 100,000): throughput, and the CPU time of the
#     acceptor process per order, read from /proc (fixgw also per thread);
#   * W=1, 3,000 orders: ack p50.
# Prints the ratios fixgw/floor. With --allocs, fixgw is the
# fixgw_alloccount build (bench/alloc_count.cpp) and the script also prints
# heap allocations per order on each gateway thread during the W=100 run.
#
#   bench/run_cpu_ratio.sh [BUILD_DIR] [--orders N] [--ack async|durable]
#                          [--store append|file|memory] [--allocs]
#
# Needs the local cluster (scripts/pg.sh, FIXGW_PG_PORT/FIXGW_PGDATA for a
# private one). PostgreSQL's CPU is not in either figure: it is the acceptor
# process alone, as the issue's target is stated.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
BUILD="$ROOT/build"
ORDERS=100000
W1_ORDERS=3000
ACK=async
STORE=append
ALLOCS=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --orders) ORDERS="${2:?}"; shift 2 ;;
    --ack) ACK="${2:?}"; shift 2 ;;
    --store) STORE="${2:?}"; shift 2 ;;
    --allocs) ALLOCS=1; shift ;;
    -*) echo "unknown option $1" >&2; exit 2 ;;
    *) BUILD="$(cd "$1" && pwd -P)"; shift ;;
  esac
done
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

bash "$ROOT/scripts/pg.sh" ensure >/dev/null
BASE="$(bash "$ROOT/scripts/pg.sh" conninfo)"
SCHEMA="ratio_$(date +%Y%m%d_%H%M%S)"
psql "$BASE" -qc "create schema $SCHEMA"
WORK="$(mktemp -d)"
PID=""
cleanup() {
  [[ -n "$PID" ]] && kill -INT "$PID" 2>/dev/null && wait "$PID" 2>/dev/null || true
  psql "$BASE" -qc "drop schema if exists $SCHEMA cascade" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
HZ=$(getconf CLK_TCK)
ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
per_thread() {
  local t
  for t in /proc/"$PID"/task/*; do echo "$(cat "$t/comm" | tr ' ' _)#${t##*/} $(ticks "$PID/task/${t##*/}")"; done
}
wait_port() { for _ in $(seq 150); do (echo >"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done; return 1; }

# run_target NAME PORT: warm-up, W=100 with CPU, then W=1. Sets CPU_<NAME>, TPUT_<NAME>, P50_<NAME>.
run_target() {
  local name=$1 port=$2
  local lg=("$BUILD/bench/fix_loadgen" --host 127.0.0.1 --port "$port" --version 4.4
            --sender LOAD44 --target FIXGW --price 95.00 --json)
  "${lg[@]}" --window 100 --orders 3000 >/dev/null
  per_thread >"$WORK/$name.t0"
  [[ $ALLOCS == 1 && $name == fixgw ]] && { touch "$WORK/alloc.req"; while [[ -e "$WORK/alloc.req" ]]; do sleep 0.05; done; }
  local c0 c1 out
  c0=$(ticks "$PID")
  out=$("${lg[@]}" --window 100 --orders "$ORDERS")
  c1=$(ticks "$PID")
  [[ $ALLOCS == 1 && $name == fixgw ]] && { touch "$WORK/alloc.req"; while [[ -e "$WORK/alloc.req" ]]; do sleep 0.05; done; }
  per_thread >"$WORK/$name.t1"
  printf -v "CPU_$name" '%s' "$(awk -v d=$((c1 - c0)) -v hz="$HZ" -v n="$ORDERS" 'BEGIN{printf "%.1f", d/hz*1e6/n}')"
  printf -v "TPUT_$name" '%s' "$(echo "$out" | python3 -c 'import json,sys; print(round(json.load(sys.stdin)["throughput_ops"]))')"
  out=$("${lg[@]}" --window 1 --orders "$W1_ORDERS")
  printf -v "P50_$name" '%s' "$(echo "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["p50_us"])')"
}

# 1. The FileStore floor.
FPORT=$(free_port)
setsid "$BUILD/bench/fix_floor" --port "$FPORT" --sender FIXGW --targets LOAD44,LOAD42 \
  --store file --store-path "$WORK/floor_store" --spec-dir "$ROOT/fix_acceptor/spec" \
  >"$WORK/floor.log" 2>&1 &
PID=$!
wait_port "$FPORT"
run_target floor "$FPORT"
kill -INT "$PID"; wait "$PID" 2>/dev/null || true; PID=""

# 2. fixgw.
GPORT=$(free_port)
BIN="$BUILD/apps/fixgw"
[[ $ALLOCS == 1 ]] && { BIN="$BUILD/bench/fixgw_alloccount"; export FIXGW_ALLOC_DUMP="$WORK/alloc"; }
export FIXGW_DB="$BASE options='-c search_path=$SCHEMA'"
export FIXGW_BENCH_STORE="$STORE" FIXGW_BENCH_STORE_PATH="$WORK/fixstore"
export FIXGW_BENCH_PORT="$GPORT" FIXGW_BENCH_ACK="$ACK"
"$BIN" run --config "$ROOT/bench/fixgw-bench.json" >"$WORK/gateway.log" 2>&1 &
PID=$!
wait_port "$GPORT" || { cat "$WORK/gateway.log" >&2; exit 1; }
run_target fixgw "$GPORT"
kill -INT "$PID"; wait "$PID" 2>/dev/null || true; PID=""
n=$(psql "$FIXGW_DB" -Atc "select count(*) from orders where parent_order_id is null")

echo "one run, $(date -u +%FT%TZ), load average $(cut -d' ' -f1-3 /proc/loadavg); ack=$ACK, fixgw FIX store $STORE, floor FileStore"
echo "| target | W=100 orders/s | process CPU us/order (W=100, $ORDERS orders) | W=1 p50 us |"
echo "|---|---|---|---|"
echo "| fix_floor (file) | $TPUT_floor | $CPU_floor | $P50_floor |"
echo "| fixgw ($STORE, $ACK) | $TPUT_fixgw | $CPU_fixgw | $P50_fixgw |"
awk -v a="$CPU_fixgw" -v b="$CPU_floor" -v ta="$TPUT_fixgw" -v tb="$TPUT_floor" -v pa="$P50_fixgw" -v pb="$P50_floor" \
  'BEGIN { printf "ratios fixgw/floor: CPU per order %.2f, W=100 throughput %.2f, W=1 p50 %.2f\n", a/b, ta/tb, pa/pb }'
echo "fixgw threads, CPU us/order during the W=100 run:"
awk -v hz="$HZ" -v n="$ORDERS" 'NR == FNR { a[$1] = $2; next }
  { d = $2 - a[$1]; split($1, p, "#"); s[p[1]] += d }
  END { for (k in s) if (s[k] > 0) printf "  %-20s %6.1f\n", k, s[k] / hz * 1e6 / n }' \
  "$WORK/fixgw.t0" "$WORK/fixgw.t1" | sort -k2 -nr
if [[ $ALLOCS == 1 ]]; then
  echo "fixgw heap allocations per order during the W=100 run, by thread:"
  awk -v n="$ORDERS" 'NR == FNR { a[$2] = $3; next }
    { s[$1] += $3 - a[$2] } END { for (k in s) if (s[k] > 0) printf "  %-20s %8.2f\n", k, s[k] / n }' \
    "$WORK/alloc.0" "$WORK/alloc.1" | sort -k2 -nr
fi
echo "parent orders journaled: $n (expected $((ORDERS + 3000 + W1_ORDERS)))"
