#!/usr/bin/env bash
# The cost per order, side by side with the floor, in ONE run (issue 15): the bare-QuickFIX floor
# (bench/fix_floor, FileStore and MemoryStore) and fixgw (bench/fixgw-bench.json, append FIX
# store, simulator venue, PostgreSQL journal in a fresh schema each) with async and with durable
# acknowledgements, all under the same fix_loadgen load:
#
#   * W=100, N orders (default 100,000) after a warm-up: throughput, and CPU per order from /proc
#     of the floor process, of the fixgw process and each of its threads (fix-io = FIX session and
#     transport, engine = engine + simulator venue, jrnl-writer, jrnl-notify = after-commit
#     reports, ...), of every PostgreSQL process of the cluster, and of the load generator;
#   * W=1, a few thousand orders: ack latency p50/p99 (send -> first ExecutionReport);
#   * per order through fixgw: WAL bytes (pg_current_wal_lsn difference), rows inserted /
#     updated (HOT and non-HOT) / deleted (pg_stat_all_tables), index entries written;
#   * afterwards every order the load generator sent, and its RECEIVED and NEW events, must be in
#     PostgreSQL (the run fails otherwise).
#
# It prints a readable table, then a machine-readable summary (key=value lines, and JSON with
# --json FILE) where each ratio is set against issue 15's targets and marked met / not met.
#
#   bench/run_cost_per_order.sh [BUILD_DIR] [--orders N] [--orders-w1 N] [--warmup K]
#                               [--modes "async durable"] [--json FILE] [--keep-schemas]
#                               [--no-floors]
#
# --no-floors skips the floor runs (for back-to-back A/B pairs of fixgw alone; the ratios are then
# "not measured").
#
# PostgreSQL: the cluster of scripts/pg.sh (FIXGW_PG_PORT / FIXGW_PGDATA pick a private one; do
# that for measurements: the PostgreSQL CPU is the sum over THIS cluster's processes, so anyone
# else's load on it is counted). Nothing here asserts timings; numbers go to docs/performance.md.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
BUILD="$ROOT/build"
N=100000
N1=3000
WARM=3000
MODES="async durable"
JSON_OUT=""
KEEP=0
FLOORS=1
usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//'; }
while [[ $# -gt 0 ]]; do
  case "$1" in
    --orders) N="${2:?}"; shift 2 ;;
    --orders-w1) N1="${2:?}"; shift 2 ;;
    --warmup) WARM="${2:?}"; shift 2 ;;
    --modes) MODES="${2:?}"; shift 2 ;;
    --json) JSON_OUT="${2:?}"; shift 2 ;;
    --keep-schemas) KEEP=1; shift ;;
    --no-floors) FLOORS=0; shift ;;
    -h|--help) usage; exit 0 ;;
    -*) echo "run_cost_per_order: unknown option $1" >&2; exit 2 ;;
    *) BUILD="$(cd "$1" && pwd -P)"; shift ;;
  esac
done
for b in "$BUILD/bench/fix_floor" "$BUILD/bench/fix_loadgen" "$BUILD/apps/fixgw"; do
  [[ -x "$b" ]] || { echo "run_cost_per_order: $b not built (scripts/build.sh fixgw fix_floor fix_loadgen)" >&2; exit 2; }
done
W1_WARM=200
SPEC="$ROOT/fix_acceptor/spec"
HZ=$(getconf CLK_TCK)

bash "$ROOT/scripts/pg.sh" ensure >/dev/null
BASE="$(bash "$ROOT/scripts/pg.sh" conninfo)"
PGDATA_DIR="$(bash "$ROOT/scripts/pg.sh" status | sed -n 's/^running: data \([^,]*\),.*/\1/p')"
PM=$(head -n 1 "$PGDATA_DIR/postmaster.pid" 2>/dev/null || true)
[[ "$PM" =~ ^[0-9]+$ ]] || { echo "run_cost_per_order: no postmaster pid in $PGDATA_DIR" >&2; exit 1; }
PGPORT_USED=$(sed -n 's/.*port=\([0-9]*\).*/\1/p' <<<"$BASE")
if [[ "$PGPORT_USED" == 5433 ]]; then
  echo "run_cost_per_order: WARNING: the default cluster (5433) may be shared; set FIXGW_PG_PORT and" \
       "FIXGW_PGDATA for a private one, or others' load is counted as PostgreSQL CPU" >&2
fi

WORK="$(mktemp -d /tmp/cost_per_order.XXXXXX)"
SERVER=""
SCHEMAS=()
stop_server() {
  [[ -n "$SERVER" ]] || return 0
  kill -INT "$SERVER" 2>/dev/null || true
  for _ in $(seq 600); do kill -0 "$SERVER" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$SERVER" 2>/dev/null || true
  wait "$SERVER" 2>/dev/null || true
  SERVER=""
}
cleanup() {
  stop_server
  if [[ $KEEP == 0 ]]; then
    for s in "${SCHEMAS[@]}"; do psql "$BASE" -qc "drop schema if exists $s cascade" >/dev/null 2>&1 || true; done
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
wait_listening() {  # port: without connecting, so the acceptor sees no stray connection
  for _ in $(seq 300); do
    kill -0 "$SERVER" 2>/dev/null || { echo "run_cost_per_order: server exited" >&2; return 1; }
    ss -ltnH "sport = :$1" 2>/dev/null | grep -q . && return 0
    sleep 0.1
  done
  echo "run_cost_per_order: nothing listens on $1" >&2
  return 1
}

# utime+stime of a process or thread ("PID" or "PID/task/TID"), in clock ticks. The fields are
# counted after the ")" that closes the command name, which may contain spaces.
ticks() { sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | awk '{print $12 + $13}' || echo 0; }
# "name#id ticks" per thread of a process.
thread_ticks() {
  local t
  for t in /proc/"$1"/task/*; do
    echo "$(cat "$t/comm" 2>/dev/null | tr ' ' '_')#${t##*/} $(ticks "$1/task/${t##*/}")"
  done
}
# Minor page faults (minflt, field 10 of stat) of a process or thread, and "name#id minflt" per
# thread: a first touch of fresh memory costs one each (issue 15, session 9).
minflt() { sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | awk '{print $8}' || echo 0; }
thread_minflt() {
  local t
  for t in /proc/"$1"/task/*; do
    echo "$(cat "$t/comm" 2>/dev/null | tr ' ' '_')#${t##*/} $(minflt "$1/task/${t##*/}")"
  done
}
# Per name: the count of file 2 minus file 1, per order.
per_name_per_order() {  # before after n
  awk -v n="$3" 'NR == FNR { a[$1] = $2; next }
    { d = $2 - ($1 in a ? a[$1] : 0); split($1, p, "#"); s[p[1]] += d }
    END { for (k in s) printf "%s %.3f\n", k, s[k] / n }' "$1" "$2" | sort -k2 -nr
}
# "name#pid ticks" per process of the cluster: the postmaster with the CPU of children it already
# reaped (cutime+cstime: autovacuum workers and backends that ended inside the window), and each
# live child, named by its role (backend = a client connection).
pg_proc_ticks() {
  echo "postmaster(+ended children)#$PM $(sed 's/^.*) //' "/proc/$PM/stat" | awk '{print $12 + $13 + $14 + $15}')"
  local p role
  for p in $(pgrep -P "$PM"); do
    # A child may end between pgrep and here (a short-lived backend): skip it, never fail the run.
    role=$({ tr '\0' ' ' <"/proc/$p/cmdline"; } 2>/dev/null | sed 's/^postgres: //' | awk '{print $1}') || continue
    [[ -n "$role" ]] || continue
    [[ "$role" == fixgw || "$role" == postgres ]] && role="backend"
    echo "$role#$p $(ticks "$p")"
  done
}
# Per name (the #id dropped): ticks of file 2 minus file 1 (a thread or process new in file 2
# counts from zero), as µs per order.
per_name_us() {  # before after n
  awk -v hz="$HZ" -v n="$3" 'NR == FNR { a[$1] = $2; next }
    { d = $2 - ($1 in a ? a[$1] : 0); split($1, p, "#"); s[p[1]] += d }
    END { for (k in s) printf "%s %.2f\n", k, s[k] / hz * 1e6 / n }' "$1" "$2" | sort -k2 -nr
}
sum_us() {  # before after n
  awk -v hz="$HZ" -v n="$3" 'NR == FNR { a[$1] = $2; next }
    { t += $2 - ($1 in a ? a[$1] : 0) } END { printf "%.2f\n", t / hz * 1e6 / n }' "$1" "$2"
}

# One fix_loadgen run; its --json line to $2, its CPU (user+sys seconds) to $2.cpu.
loadgen() {  # port out_prefix window orders warmup
  local TIMEFORMAT='%U %S'
  { time "$BUILD/bench/fix_loadgen" --host 127.0.0.1 --port "$1" --version 4.4 --sender LOAD44 \
      --target FIXGW --window "$3" --orders "$4" --warmup "$5" --price 95.00 --reset \
      --timeout-ms 900000 --json >"$2.out" 2>"$2.err"; } 2>"$2.time" || {
    echo "run_cost_per_order: loadgen failed ($2):" >&2; tail -n 5 "$2.err" >&2; return 1; }
  tail -n 1 "$2.out" >"$2.json"
  awk '{print $1 + $2}' "$2.time" >"$2.cpu"
}
jnum() { sed -n "s/.*\"$1\":\([^,}]*\).*/\1/p" "$2"; }

declare -A R  # every result, by key; printed as key=value and JSON at the end
declare -a ORDER_KEYS
put() { [[ -v "R[$1]" ]] || ORDER_KEYS+=("$1"); R[$1]="$2"; }

# ---------------------------------------------------------------- the floor
run_floor() {  # file|memory
  local store=$1 port key="floor_$1" d="$WORK/floor_$1"
  mkdir -p "$d"
  port=$(free_port)
  "$BUILD/bench/fix_floor" --port "$port" --sender FIXGW --targets LOAD44,LOAD42 --store "$store" \
    --store-path "$d/store" --spec-dir "$SPEC" >"$d/floor.log" 2>&1 &
  SERVER=$!
  wait_listening "$port"
  echo "run_cost_per_order: floor ($store store): W=100 warm-up $WARM, then $N orders" >&2
  loadgen "$port" "$d/warm" 100 "$WARM" 0
  local f0 f1
  local m0 m1
  f0=$(ticks "$SERVER"); thread_ticks "$SERVER" >"$d/t0"; m0=$(minflt "$SERVER")
  loadgen "$port" "$d/w100" 100 "$N" 0
  f1=$(ticks "$SERVER"); thread_ticks "$SERVER" >"$d/t1"; m1=$(minflt "$SERVER")
  echo "run_cost_per_order: floor ($store store): W=1, $N1 orders" >&2
  loadgen "$port" "$d/w1" 1 "$N1" "$W1_WARM"
  stop_server
  put "${key}.w100_orders_per_s" "$(printf '%.0f' "$(jnum throughput_ops "$d/w100.json")")"
  put "${key}.w100_acked" "$(jnum acked "$d/w100.json")"
  put "${key}.cpu_us_per_order" "$(awk -v a="$f0" -v b="$f1" -v hz="$HZ" -v n="$N" 'BEGIN { printf "%.2f", (b - a) / hz * 1e6 / n }')"
  put "${key}.loadgen_cpu_us_per_order" "$(awk -v c="$(cat "$d/w100.cpu")" -v n="$N" 'BEGIN { printf "%.2f", c * 1e6 / n }')"
  put "${key}.w1_p50_us" "$(jnum p50_us "$d/w1.json")"
  put "${key}.w1_p99_us" "$(jnum p99_us "$d/w1.json")"
  per_name_us "$d/t0" "$d/t1" "$N" >"$d/threads"
  put "${key}.minflt_per_order" "$(awk -v a="$m0" -v b="$m1" -v n="$N" 'BEGIN { printf "%.3f", (b - a) / n }')"
}

# ---------------------------------------------------------------- fixgw
psql_q() { psql "$1" -X -Atq -v ON_ERROR_STOP=1 -c "$2"; }
# Waits until the journal has written everything: the last event id stops moving.
wait_drained() {  # db
  local last=-1 cur same=0
  for _ in $(seq 1200); do
    cur=$(psql_q "$1" "select coalesce(max(event_id), 0) from order_events")
    if [[ "$cur" == "$last" ]]; then same=$((same + 1)); [[ $same -ge 2 ]] && return 0; else same=0; fi
    last=$cur
    sleep 0.5
  done
  echo "run_cost_per_order: the journal did not settle" >&2
  return 1
}
# Table statistics of the schema and of the journal's temporary staging tables (pg_temp_N, one
# per journal connection; summed under "temp."), with each table's index counts:
# "table ins upd hot_upd del n_index n_btree n_brin n_partial".
table_stats() {  # db schema
  psql_q "$1" "
    select case when s.schemaname like 'pg_temp%' then 'temp.' else '' end || s.relname,
           s.n_tup_ins, s.n_tup_upd, s.n_tup_hot_upd, s.n_tup_del,
           (select count(*) from pg_index i where i.indrelid = s.relid),
           (select count(*) from pg_index i join pg_class ic on ic.oid = i.indexrelid
              join pg_am a on a.oid = ic.relam where i.indrelid = s.relid and a.amname = 'btree'),
           (select count(*) from pg_index i join pg_class ic on ic.oid = i.indexrelid
              join pg_am a on a.oid = ic.relam where i.indrelid = s.relid and a.amname = 'brin'),
           (select count(*) from pg_index i where i.indrelid = s.relid and i.indpred is not null)
    from pg_stat_all_tables s
    where s.schemaname = '$2' or s.schemaname like 'pg_temp%'" | tr '|' ' ' |
    awk '{ k = $1; for (i = 2; i <= 5; i++) v[k, i] += $i; for (i = 6; i <= 9; i++) x[k, i] = $i; keys[k] = 1 }
         END { for (k in keys) print k, v[k,2], v[k,3], v[k,4], v[k,5], x[k,6], x[k,7], x[k,8], x[k,9] }' |
    LC_ALL=C sort
}
# PostgreSQL's cumulative statistics reach the shared view when a backend flushes them: at the
# end of a transaction at most once a second, or after 10 s idle. Waiting 11 s after the journal
# went quiet makes the counters complete.
STATS_SETTLE_S=11

run_fixgw() {  # async|durable
  local ack=$1 port key="fixgw_$1" d="$WORK/fixgw_$1" schema db
  mkdir -p "$d"
  schema="cost_${ack}_$(date +%Y%m%d_%H%M%S)"
  SCHEMAS+=("$schema")
  psql_q "$BASE" "create schema $schema"
  db="$BASE options='-c search_path=$schema'"
  port=$(free_port)
  FIXGW_DB="$db" FIXGW_BENCH_PORT="$port" FIXGW_BENCH_ACK="$ack" FIXGW_BENCH_STORE=append \
    FIXGW_BENCH_STORE_PATH="$d/fixstore" FIXGW_BENCH_MSGLOG=database \
    "$BUILD/apps/fixgw" run --config "$ROOT/bench/fixgw-bench.json" >"$d/gateway.log" 2>&1 &
  SERVER=$!
  wait_listening "$port"
  echo "run_cost_per_order: fixgw ($ack acks): W=100 warm-up $WARM, then $N orders" >&2
  loadgen "$port" "$d/warm" 100 "$WARM" 0
  wait_drained "$db"
  sleep "$STATS_SETTLE_S"
  table_stats "$db" "$schema" >"$d/stats0"
  local wal0 wal1
  wal0=$(psql_q "$BASE" "select pg_current_wal_insert_lsn()")
  thread_ticks "$SERVER" >"$d/t0"; pg_proc_ticks >"$d/p0"; thread_minflt "$SERVER" >"$d/f0"
  loadgen "$port" "$d/w100" 100 "$N" 0
  wait_drained "$db"  # async: the journal may still be writing when the last ack arrives
  thread_ticks "$SERVER" >"$d/t1"; pg_proc_ticks >"$d/p1"; thread_minflt "$SERVER" >"$d/f1"
  wal1=$(psql_q "$BASE" "select pg_current_wal_insert_lsn()")
  sleep "$STATS_SETTLE_S"
  table_stats "$db" "$schema" >"$d/stats1"
  echo "run_cost_per_order: fixgw ($ack acks): W=1, $N1 orders" >&2
  loadgen "$port" "$d/w1" 1 "$N1" "$W1_WARM"
  stop_server  # SIGINT: the gateway drains its journal before it exits

  # Every order the load generator sent, with its RECEIVED and NEW events, is in PostgreSQL.
  local expect=$((WARM + N + W1_WARM + N1)) orders received acked events
  read -r orders received acked events < <(psql_q "$db" "
    select (select count(*) from orders where parent_order_id is null),
           (select count(*) from order_events where event_type = 'RECEIVED'),
           (select count(*) from order_events where event_type = 'NEW'),
           (select count(*) from order_events)" | tr '|' ' ')
  put "${key}.orders_expected" "$expect"
  # What the schema holds on disk per order (heap, indexes, TOAST), for sizing.
  put "${key}.storage_bytes_per_order" "$(psql_q "$db" "select round(sum(pg_total_relation_size(c.oid)) / $expect)
    from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = '$schema' and c.relkind = 'r'")"
  put "${key}.orders_in_pg" "$orders"
  put "${key}.received_events" "$received"
  put "${key}.new_events" "$acked"
  put "${key}.events_in_pg" "$events"
  if [[ "$orders" == "$expect" && "$received" == "$expect" && "$acked" == "$expect" ]]; then
    put "${key}.all_in_pg" yes
  else
    put "${key}.all_in_pg" no
  fi

  put "${key}.w100_orders_per_s" "$(printf '%.0f' "$(jnum throughput_ops "$d/w100.json")")"
  put "${key}.w100_acked" "$(jnum acked "$d/w100.json")"
  put "${key}.w1_p50_us" "$(jnum p50_us "$d/w1.json")"
  put "${key}.w1_p99_us" "$(jnum p99_us "$d/w1.json")"
  put "${key}.cpu_us_per_order" "$(sum_us "$d/t0" "$d/t1" "$N")"
  per_name_us "$d/t0" "$d/t1" "$N" >"$d/threads"
  while read -r name us; do
    [[ "$us" == 0.00 ]] && continue
    put "${key}.thread.${name}_us_per_order" "$us"
  done <"$d/threads"
  per_name_per_order "$d/f0" "$d/f1" "$N" >"$d/faults"
  put "${key}.minflt_per_order" "$(awk '{ s += $2 } END { printf "%.3f", s }' "$d/faults")"
  while read -r name f; do
    [[ "$f" == 0.000 ]] && continue
    put "${key}.thread.${name}_minflt_per_order" "$f"
  done <"$d/faults"
  put "${key}.pg_cpu_us_per_order" "$(sum_us "$d/p0" "$d/p1" "$N")"
  per_name_us "$d/p0" "$d/p1" "$N" >"$d/pgprocs"
  while read -r name us; do
    [[ "$us" == 0.00 ]] && continue
    put "${key}.pg.${name}_us_per_order" "$us"
  done <"$d/pgprocs"
  put "${key}.loadgen_cpu_us_per_order" "$(awk -v c="$(cat "$d/w100.cpu")" -v n="$N" 'BEGIN { printf "%.2f", c * 1e6 / n }')"
  put "${key}.wal_bytes_per_order" "$(psql_q "$BASE" "select round(pg_wal_lsn_diff('$wal1', '$wal0') / $N, 1)")"
  # Rows and index entries per order, from the statistics' difference over the measured run.
  # An insert adds one entry to every index of its table; a non-HOT update writes a new tuple
  # version and so a new entry in every index; a HOT update (no indexed column changed, room on
  # the page) adds none. Entries = inserts x indexes + non-HOT updates x indexes. That counts
  # a partial index for every row (an upper bound) and a BRIN index too, which only adds work
  # when a page range is summarised: the B-tree-only figure is the closer one.
  LC_ALL=C join -a 2 "$d/stats0" "$d/stats1" | awk -v n="$N" '
    NF == 9  { t = $1; i = $2; u = $3; h = $4; x = $5; ni = $6; nb = $7; nr = $8; np = $9 }
    NF == 17 { t = $1; i = $10 - $2; u = $11 - $3; h = $12 - $4; x = $13 - $5; ni = $14; nb = $15; nr = $16; np = $17 }
    { if (i + u + x == 0) next
      printf "%s %.3f %.3f %.3f %.3f %d %d %d %d %.3f %.3f\n", t, i / n, u / n, h / n, (u - h) / n, x / n,
             ni, nb, np, (i + u - h) * ni / n, (i + u - h) * nb / n }' >"$d/rows"
  # columns: table ins upd hot nonhot del n_index n_btree n_partial entries entries_btree
  awk '{ ins += $2; upd += $3; hot += $4; nh += $5; del += $6; e += $10; eb += $11 }
       END { printf "%.3f %.3f %.3f %.3f %.3f %.2f %.2f\n", ins, upd, hot, nh, del, e, eb }' "$d/rows" >"$d/rows_total"
  read -r ins upd hot nh del e eb <"$d/rows_total"
  put "${key}.rows_inserted_per_order" "$ins"
  put "${key}.rows_updated_per_order" "$upd"
  put "${key}.rows_hot_updated_per_order" "$hot"
  put "${key}.rows_nonhot_updated_per_order" "$nh"
  put "${key}.rows_deleted_per_order" "$del"
  put "${key}.index_entries_per_order" "$e"
  put "${key}.btree_entries_per_order" "$eb"
  while read -r t i u h nh2 x _ _ _ e2 _; do
    put "${key}.table.${t}" "ins=$i upd=$u hot=$h nonhot=$nh2 del=$x entries=$e2"
  done <"$d/rows"
  # B-tree entries counted, not bounded: for every B-tree index of the schema, the rows its
  # predicate covers (a partial index holds only those), per parent order in the schema (warm-up
  # included: the same shape), plus the run's non-HOT updates of that table (a new entry each).
  local parents
  parents=$(psql_q "$db" "select count(*) from orders where parent_order_id is null")
  psql_q "$BASE" "select c.relname, coalesce(pg_get_expr(x.indpred, x.indrelid), 'true')
      from pg_index x join pg_class i on i.oid = x.indexrelid join pg_class c on c.oid = x.indrelid
      join pg_am a on a.oid = i.relam join pg_namespace n on n.oid = c.relnamespace
     where n.nspname = '$schema' and a.amname = 'btree' order by 1" | tr '|' '\t' |
    while IFS=$'\t' read -r tab pred; do
      cov=$(psql_q "$db" "select count(*) from $tab where $pred")
      nonhot=$(awk -v t="$tab" '$1 == t { print $5 }' "$d/rows")
      awk -v c="$cov" -v n="$parents" -v u="${nonhot:-0}" 'BEGIN { printf "%.4f\n", c / n + u }'
    done | awk '{ s += $1 } END { printf "%.2f", s }' >"$d/btree_exact"
  put "${key}.btree_entries_counted_per_order" "$(cat "$d/btree_exact")"
}

START_DATE="$(date -u '+%Y-%m-%d %H:%M UTC')"
LOAD0="$(cut -d' ' -f1-3 /proc/loadavg)"
if [[ $FLOORS == 1 ]]; then
  run_floor file
  run_floor memory
fi
for m in $MODES; do run_fixgw "$m"; done
LOAD1="$(cut -d' ' -f1-3 /proc/loadavg)"
put run.date "$START_DATE"
put run.orders_w100 "$N"
put run.orders_w1 "$N1"
put run.warmup "$WARM"
put run.cpus "$(nproc)"
put run.loadavg_start "$LOAD0"
put run.loadavg_end "$LOAD1"
put run.pg_port "$PGPORT_USED"

# ---------------------------------------------------------------- targets
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == "" || b == 0 || a == "") print "nan"; else printf "%.3f", a / b }'; }
mark() {  # value op threshold
  awk -v v="$1" -v op="$2" -v t="$3" 'BEGIN { if (v == "nan") { print "not measured"; exit }
    ok = (op == "<=") ? (v <= t) : (v >= t); print ok ? "met" : "not met" }'
}
target() {  # key value op threshold
  put "target.$1" "$2"
  put "target.$1.goal" "$3 $4"
  put "target.$1.status" "$(mark "$2" "$3" "$4")"
}
FF=floor_file
for m in $MODES; do
  g="fixgw_$m"
  target "${m}_cpu_vs_floor_file" "$(ratio "${R[$g.cpu_us_per_order]}" "${R[$FF.cpu_us_per_order]:-}")" "<=" 1.2
  put "info.${m}_cpu_vs_floor_memory" "$(ratio "${R[$g.cpu_us_per_order]}" "${R[floor_memory.cpu_us_per_order]:-}")"
  put "info.${m}_throughput_vs_floor_memory" "$(ratio "${R[$g.w100_orders_per_s]}" "${R[floor_memory.w100_orders_per_s]:-}")"
  put "info.${m}_w1_p50_vs_floor_memory" "$(ratio "${R[$g.w1_p50_us]}" "${R[floor_memory.w1_p50_us]:-}")"
done
if [[ -v "R[fixgw_async.cpu_us_per_order]" ]]; then
  target async_throughput_vs_floor_file "$(ratio "${R[fixgw_async.w100_orders_per_s]}" "${R[$FF.w100_orders_per_s]:-}")" ">=" 0.8
  target async_w1_p50_vs_floor_file "$(ratio "${R[fixgw_async.w1_p50_us]}" "${R[$FF.w1_p50_us]:-}")" "<=" 1.0
fi
if [[ -v "R[fixgw_durable.cpu_us_per_order]" ]]; then
  target durable_throughput_vs_floor_file "$(ratio "${R[fixgw_durable.w100_orders_per_s]}" "${R[$FF.w100_orders_per_s]:-}")" ">=" 0.5
  target durable_pg_cpu_us_per_order "${R[fixgw_durable.pg_cpu_us_per_order]}" "<=" 20
fi
ALL=yes
for m in $MODES; do [[ "${R[fixgw_$m.all_in_pg]}" == yes ]] || ALL=no; done
put target.every_order_and_event_in_pg "$ALL"
put target.every_order_and_event_in_pg.status "$([[ $ALL == yes ]] && echo met || echo "not met")"

# ---------------------------------------------------------------- output
v() { echo "${R[$1]:--}"; }
echo
echo "Cost per order, side by side (one run, $START_DATE, $(nproc) CPUs, load average $LOAD0 -> $LOAD1)"
echo "W=100: $N orders after $WARM warm-up; W=1: $N1 orders after $W1_WARM warm-up; FIX 4.4; CPU in us per order"
echo
echo "| target | W=100 orders/s | W=1 p50 us | W=1 p99 us | server process CPU | PostgreSQL CPU | load generator CPU | WAL bytes | rows ins/upd(HOT)/del | index entries (B-tree; B-tree counted) |"
echo "|---|---|---|---|---|---|---|---|---|---|"
for s in file memory; do
  k="floor_$s"
  echo "| floor, ${s} store | $(v $k.w100_orders_per_s) | $(v $k.w1_p50_us) | $(v $k.w1_p99_us) | $(v $k.cpu_us_per_order) | - | $(v $k.loadgen_cpu_us_per_order) | - | - | - |"
done
for m in $MODES; do
  k="fixgw_$m"
  echo "| fixgw, $m acks, append store | $(v $k.w100_orders_per_s) | $(v $k.w1_p50_us) | $(v $k.w1_p99_us) | $(v $k.cpu_us_per_order) | $(v $k.pg_cpu_us_per_order) | $(v $k.loadgen_cpu_us_per_order) | $(v $k.wal_bytes_per_order) | $(v $k.rows_inserted_per_order)/$(v $k.rows_updated_per_order)($(v $k.rows_hot_updated_per_order))/$(v $k.rows_deleted_per_order) | $(v $k.index_entries_per_order) ($(v $k.btree_entries_per_order); $(v $k.btree_entries_counted_per_order)) |"
done
for m in $MODES; do
  d="$WORK/fixgw_$m"
  echo
  echo "fixgw ($m acks), CPU per order by gateway thread:"
  awk '$2 > 0 { printf "  %-28s %8.2f us\n", $1, $2 }' "$d/threads"
  echo "fixgw ($m acks), minor page faults per order by gateway thread (process $(v fixgw_$m.minflt_per_order)):"
  awk '$2 > 0 { printf "  %-28s %8.3f\n", $1, $2 }' "$d/faults"
  echo "PostgreSQL, CPU per order by process:"
  awk '$2 > 0 { printf "  %-28s %8.2f us\n", $1, $2 }' "$d/pgprocs"
  echo "rows and index entries per order, by table (ins upd hot nonhot del | indexes btree partial | entries entries-btree):"
  awk '{ printf "  %-34s %6.3f %6.3f %6.3f %6.3f %6.3f | %d %d %d | %6.2f %6.2f\n", $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11 }' "$d/rows"
  echo "in PostgreSQL afterwards: $(v fixgw_$m.orders_in_pg) of $(v fixgw_$m.orders_expected) orders," \
       "$(v fixgw_$m.received_events) RECEIVED, $(v fixgw_$m.new_events) NEW, $(v fixgw_$m.events_in_pg) events in all;" \
       "$(v fixgw_$m.storage_bytes_per_order) bytes on disk per order (tables, indexes, TOAST)"
done
echo
echo "Against issue 15's targets (ratios from this run; floor = FileStore floor):"
for k in "${ORDER_KEYS[@]}"; do
  [[ "$k" == target.*.status ]] || continue
  b="${k%.status}"
  printf '  %-42s %-8s goal %-8s %s\n' "${b#target.}" "${R[$b]}" "${R[$b.goal]:-}" "${R[$k]}"
done
echo
echo "# machine-readable summary"
for k in "${ORDER_KEYS[@]}"; do echo "$k=${R[$k]}"; done
if [[ -n "$JSON_OUT" ]]; then
  {
    echo "{"
    n=${#ORDER_KEYS[@]}; i=0
    for k in "${ORDER_KEYS[@]}"; do
      i=$((i + 1)); val="${R[$k]}"
      if [[ "$val" =~ ^-?[0-9]+(\.[0-9]+)?$ ]]; then q="$val"; else q="\"${val//\"/\\\"}\""; fi
      printf '  "%s": %s%s\n' "$k" "$q" "$([[ $i -lt $n ]] && echo ,)"
    done
    echo "}"
  } >"$JSON_OUT"
  echo "(JSON: $JSON_OUT)"
fi
[[ $ALL == yes ]] || { echo "run_cost_per_order: MISMATCH: not every order/event reached PostgreSQL" >&2; exit 1; }
