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
#                           [--pg-stats] (also, per order of the measured run: WAL bytes, rows
#                                         inserted / updated / HOT-updated per table; per order
#                                         over the whole schema: B-tree index entries per index;
#                                         and the journal's batch count)
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
PGSTATS=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --orders) ORDERS="${2:?}"; shift 2 ;;
    --ack) ACK="${2:?}"; shift 2 ;;
    --store) STORE="${2:?}"; shift 2 ;;
    --msglog) MSGLOG="${2:?}"; shift 2 ;;
    --detail) DETAIL=1; shift ;;
    --pg-stats) PGSTATS=1; shift ;;
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
# --pg-stats: table counters per order. The statistics collector publishes a backend's counters
# up to a second after its transaction, hence the pauses (outside the measured window).
pg_tab_stats() {
  psql "$BASE" -XAtF' ' -c "select relname, n_tup_ins, n_tup_upd, n_tup_hot_upd
    from pg_stat_user_tables where schemaname = '$SCHEMA' order by relname"
}
if [[ $PGSTATS == 1 ]]; then
  sleep 1.5
  lsn0=$(psql "$BASE" -XAtc "select pg_current_wal_lsn()")
  pg_tab_stats >"$WORK/tab0"
fi
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
if [[ $PGSTATS == 1 ]]; then
  # Async acks: the journal may still be writing; wait until the event count stops moving.
  prev=-1
  for _ in $(seq 120); do
    cur=$(psql "$BASE" -XAtc "select count(*) from $SCHEMA.order_events")
    [[ $cur == "$prev" ]] && break
    prev=$cur
    sleep 1
  done
  sleep 1.5
  # With async acks PostgreSQL is still writing when the last ack arrives: its CPU up to here.
  p2=$(pg_ticks)
  awk -v p=$((p2 - p0)) -v hz="$HZ" -v n="$ORDERS" 'BEGIN {
    printf "PostgreSQL CPU per order including the journal catch-up: %.1f us\n", p / hz * 1e6 / n }'
  lsn1=$(psql "$BASE" -XAtc "select pg_current_wal_lsn()")
  psql "$BASE" -XAtc "select 'WAL bytes per order (cluster-wide, measured run + catch-up): ' ||
    round(pg_wal_lsn_diff('$lsn1', '$lsn0') / $ORDERS, 1)"
  pg_tab_stats >"$WORK/tab1"
  echo "rows per order of the measured run: table inserted updated hot_updated"
  awk -v n="$ORDERS" 'NR == FNR { i[$1] = $2; u[$1] = $3; h[$1] = $4; next }
    { di = $2 - i[$1]; du = $3 - u[$1]; dh = $4 - h[$1]
      if (di + du > 0) printf "  %-22s %6.3f %6.3f %6.3f\n", $1, di / n, du / n, dh / n }' \
    "$WORK/tab0" "$WORK/tab1"
  # Index entries: per B-tree index, the heap rows its predicate covers, over every parent order
  # in the schema (warm-up included). Non-HOT updates add entries this does not count; the
  # updated / hot_updated columns above show whether there were any.
  total=$(psql "$BASE" -XAtc "select count(*) from $SCHEMA.orders where parent_order_id is null")
  echo "B-tree entries per parent order over the schema ($total parent orders):"
  psql "$BASE" -XAtF' ' -c "select c.relname, i.relname, coalesce(pg_get_expr(x.indpred, x.indrelid), 'true')
      from pg_index x join pg_class i on i.oid = x.indexrelid join pg_class c on c.oid = x.indrelid
      join pg_am a on a.oid = i.relam join pg_namespace n on n.oid = c.relnamespace
     where n.nspname = '$SCHEMA' and a.amname = 'btree' order by 1, 2" |
    while read -r tab idx pred; do
      cnt=$(psql "$BASE" -XAtc "select count(*) from $SCHEMA.$tab where $pred")
      if [[ $cnt -gt 0 ]]; then
        awk -v t="$tab" -v i="$idx" -v c="$cnt" -v n="$total" \
          'BEGIN { printf "  %-22s %-36s %6.3f\n", t, i, c / n }'
      fi
    done | tee "$WORK/idx"
  awk '{ s += $3 } END { printf "  total %.2f B-tree entries per parent order\n", s }' "$WORK/idx"
  kill -INT "$GW" 2>/dev/null && wait "$GW" 2>/dev/null || true
  GW=""
  grep -o "journal: stopped.*" "$WORK/gateway.log" || true
fi
if [[ $DETAIL == 1 ]]; then
  # Threads and processes summed by name (the #id suffix dropped), busiest first.
  awk -v hz="$HZ" -v n="$ORDERS" 'NR == FNR { a[$1] = $2; next }
    { d = $2 - a[$1]; if (d < 0) d = $2; split($1, parts, "#"); sum[parts[1]] += d }
    END { for (k in sum) if (sum[k] > 0) printf "  %-32s %6.1f us/order\n", k, sum[k] / hz * 1e6 / n }' \
    "$WORK/detail0" "$WORK/detail1" | sort -k2 -nr
fi
