#!/usr/bin/env bash
# Two fixgw nodes on disjoint FIX sessions against ONE PostgreSQL schema (issue 15, docs/scaling.md):
#
#   0. nodes A (bench/fixgw-node-a.json, sessions LOADA44/LOADA42) and B (bench/fixgw-node-b.json,
#      LOADB44/LOADB42) start on one schema and get a warm-up each;
#   1. node A alone (B idle), one fix_loadgen on LOADA44: the one-gateway throughput of this run;
#   2. two loadgens at once, LOADA44 -> A and LOADB44 -> B: the combined throughput (orders of
#      both over the wall time of both), and CPU per order of each node, of PostgreSQL and of the
#      loadgens;
#   3. node C (bench/fixgw-node-c.json: LOADB44, which B holds, and LOADC44) is started: it must
#      refuse to start, never listen on its FIX port, and take no lease (not even LOADC44's: all
#      or none); then B still serves LOADB44 (a short loadgen run), and each node's admin socket
#      lists its own sessions only;
#   4. both nodes stop (journals drained); every order each loadgen sent is in PostgreSQL under
#      its own session key, with its RECEIVED and NEW events, and no order under any other key.
#
#   bench/run_two_gateways.sh [BUILD_DIR] [--orders N] [--window W] [--ack durable|async]
#                             [--keep-schema]
#
# Each node: its own FIX port (a free one), append FIX store folder and admin socket (token made
# here at run time, never written to the repo). PostgreSQL: the scripts/pg.sh cluster
# (FIXGW_PG_PORT / FIXGW_PGDATA for a private one). Exit status 1 if a check fails. Nothing here
# asserts timings.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
BUILD="$ROOT/build"
N=50000
W=100
ACK=durable
KEEP=0
WARM=2000
N_AFTER=1000
while [[ $# -gt 0 ]]; do
  case "$1" in
    --orders) N="${2:?}"; shift 2 ;;
    --window) W="${2:?}"; shift 2 ;;
    --ack) ACK="${2:?}"; shift 2 ;;
    --keep-schema) KEEP=1; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "run_two_gateways: unknown option $1" >&2; exit 2 ;;
    *) BUILD="$(cd "$1" && pwd -P)"; shift ;;
  esac
done
for b in "$BUILD/bench/fix_loadgen" "$BUILD/apps/fixgw"; do
  [[ -x "$b" ]] || { echo "run_two_gateways: $b not built (scripts/build.sh fixgw fix_loadgen)" >&2; exit 2; }
done
HZ=$(getconf CLK_TCK)

bash "$ROOT/scripts/pg.sh" ensure >/dev/null
BASE="$(bash "$ROOT/scripts/pg.sh" conninfo)"
PGDATA_DIR="$(bash "$ROOT/scripts/pg.sh" status | sed -n 's/^running: data \([^,]*\),.*/\1/p')"
PM=$(head -n 1 "$PGDATA_DIR/postmaster.pid" 2>/dev/null || true)
SCHEMA="two_gw_$(date +%Y%m%d_%H%M%S)"
psql "$BASE" -X -qc "create schema $SCHEMA"
DB="$BASE options='-c search_path=$SCHEMA'"
WORK="$(mktemp -d /tmp/two_gateways.XXXXXX)"
declare -A PID PORT
FAILS=()
fail() { FAILS+=("$*"); echo "run_two_gateways: CHECK FAILED: $*" >&2; }
stop_node() {
  local p=${PID[$1]:-}
  [[ -n "$p" ]] || return 0
  kill -INT "$p" 2>/dev/null || true
  for _ in $(seq 600); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$p" 2>/dev/null || true
  wait "$p" 2>/dev/null || true
  PID[$1]=""
}
cleanup() {
  for n in a b c; do stop_node "$n"; done
  [[ $KEEP == 1 ]] || psql "$BASE" -X -qc "drop schema if exists $SCHEMA cascade" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
listening() { ss -ltnH "sport = :$1" 2>/dev/null | grep -q .; }
TOKEN="$(head -c 24 /dev/urandom | base64 | tr -d '/+=')"  # admin token of this run only

start_node() {  # node
  local n=$1
  PORT[$n]=$(free_port)
  FIXGW_DB="$DB" FIXGW_BENCH_PORT="${PORT[$n]}" FIXGW_BENCH_ACK="$ACK" FIXGW_BENCH_STORE=append \
    FIXGW_BENCH_STORE_PATH="$WORK/fixstore-$n" FIXGW_ADMIN_SOCKET="$WORK/admin-$n.sock" \
    FIXGW_ADMIN_TOKEN="$TOKEN" \
    "$BUILD/apps/fixgw" run --config "$ROOT/bench/fixgw-node-$n.json" >"$WORK/node-$n.log" 2>&1 &
  PID[$n]=$!
}
wait_listening() {  # node
  for _ in $(seq 300); do
    kill -0 "${PID[$1]}" 2>/dev/null || { echo "run_two_gateways: node $1 exited:" >&2; tail -n 5 "$WORK/node-$1.log" >&2; return 1; }
    listening "${PORT[$1]}" && return 0
    sleep 0.1
  done
  echo "run_two_gateways: node $1 does not listen" >&2
  return 1
}
loadgen() {  # node sender orders out
  "$BUILD/bench/fix_loadgen" --host 127.0.0.1 --port "${PORT[$1]}" --version 4.4 --sender "$2" \
    --target FIXGW --window "$W" --orders "$3" --price 95.00 --reset --timeout-ms 900000 --json \
    >"$4.out" 2>"$4.err" || { echo "run_two_gateways: loadgen $2 failed:" >&2; tail -n 3 "$4.err" >&2; return 1; }
  tail -n 1 "$4.out" >"$4.json"
}
jnum() { sed -n "s/.*\"$1\":\([^,}]*\).*/\1/p" "$2"; }
ticks() { sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | awk '{print $12 + $13}' || echo 0; }
pg_ticks() {  # the cluster's processes, with children the postmaster reaped
  local s p
  s=$(sed 's/^.*) //' "/proc/$PM/stat" | awk '{print $12 + $13 + $14 + $15}')
  for p in $(pgrep -P "$PM"); do s=$((s + $(ticks "$p"))); done
  echo "$s"
}
now() { date +%s.%N; }

# Both nodes start before the measured load (recovery leaves another live node's sessions
# alone, store::RecoveryScope, so the order of starts does not matter for correctness).
start_node a
start_node b
wait_listening a
wait_listening b
loadgen a LOADA44 "$WARM" "$WORK/a-warm"
loadgen b LOADB44 "$WARM" "$WORK/b-warm"

# 1. node A alone (B up and idle)
echo "run_two_gateways: node A alone ($ACK acks): $N orders at W=$W" >&2
loadgen a LOADA44 "$N" "$WORK/a-alone"
ALONE=$(printf '%.0f' "$(jnum throughput_ops "$WORK/a-alone.json")")

# 2. both loads at once
echo "run_two_gateways: nodes A and B at once: $N orders each" >&2
ga0=$(ticks "${PID[a]}"); gb0=$(ticks "${PID[b]}"); p0=$(pg_ticks)
t0=$(now)
TIMEFORMAT='%U %S'
{ time loadgen a LOADA44 "$N" "$WORK/a-both"; } 2>"$WORK/a-both.time" &
LA=$!
{ time loadgen b LOADB44 "$N" "$WORK/b-both"; } 2>"$WORK/b-both.time" &
LB=$!
wait "$LA" || fail "loadgen on node A (together) failed"
wait "$LB" || fail "loadgen on node B (together) failed"
t1=$(now)
ga1=$(ticks "${PID[a]}"); gb1=$(ticks "${PID[b]}"); p1=$(pg_ticks)
TA=$(printf '%.0f' "$(jnum throughput_ops "$WORK/a-both.json")")
TB=$(printf '%.0f' "$(jnum throughput_ops "$WORK/b-both.json")")
ACKED=$(( $(jnum acked "$WORK/a-both.json") + $(jnum acked "$WORK/b-both.json") ))
COMBINED=$(awk -v n="$ACKED" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", n / (b - a) }')
read -r CPU_A CPU_B CPU_PG CPU_LG < <(awk -v a=$((ga1 - ga0)) -v b=$((gb1 - gb0)) -v p=$((p1 - p0)) \
  -v hz="$HZ" -v n="$ACKED" -v la="$(tail -n 1 "$WORK/a-both.time")" -v lb="$(tail -n 1 "$WORK/b-both.time")" 'BEGIN {
    split(la, x, " "); split(lb, y, " ");
    printf "%.1f %.1f %.1f %.1f\n", a / hz * 1e6 / (n / 2), b / hz * 1e6 / (n / 2), p / hz * 1e6 / n,
           (x[1] + x[2] + y[1] + y[2]) * 1e6 / n }')

# 3. node C claims LOADB44 (held by B) and LOADC44
echo "run_two_gateways: node C (LOADB44 held by B, LOADC44 free) must be refused" >&2
start_node c
C_LISTENED=no
for _ in $(seq 150); do  # the lease waits up to 5 s for a holder that just died, then gives up
  kill -0 "${PID[c]}" 2>/dev/null || break
  listening "${PORT[c]}" && C_LISTENED=yes
  sleep 0.1
done
C_RC=0
if kill -0 "${PID[c]}" 2>/dev/null; then
  fail "node C is still running 15 s after its start (it should have refused)"
  stop_node c
else
  wait "${PID[c]}" || C_RC=$?
  PID[c]=""
fi
[[ $C_RC != 0 ]] || fail "node C exited 0"
[[ $C_LISTENED == no ]] || fail "node C listened on its FIX port"
C_WHY=$(grep -m1 -o "FIX session [^ ]* is already run by another gateway" "$WORK/node-c.log" || true)
[[ "$C_WHY" == *LOADB44* && "$C_WHY" == *"already run by another gateway"* ]] ||
  fail "node C's error does not name LOADB44 as held by another gateway: $(tail -n 2 "$WORK/node-c.log")"
# Held leases now: A's two and B's two, on two lease connections; none for LOADC44 (all or none).
LEASES=$(psql "$BASE" -X -Atc "select count(*) from pg_locks l join pg_stat_activity a on a.pid = l.pid
  where l.locktype = 'advisory' and l.granted and a.application_name = 'fixgw-session-lease'")
LEASE_CONNS=$(psql "$BASE" -X -Atc "select count(*) from pg_stat_activity where application_name = 'fixgw-session-lease'")
[[ "$LEASES" == 4 && "$LEASE_CONNS" == 2 ]] || fail "expected 4 leases on 2 connections, found $LEASES on $LEASE_CONNS"
loadgen b LOADB44 "$N_AFTER" "$WORK/b-after" || fail "node B no longer serves LOADB44 after node C's attempt"
B_AFTER=$(jnum acked "$WORK/b-after.json")
[[ "$B_AFTER" == "$N_AFTER" ]] || fail "node B acked $B_AFTER of $N_AFTER orders after node C's attempt"
admin_sessions() {  # node: the session keys its admin socket lists
  FIXGW_ADMIN_SOCKET="$WORK/admin-$1.sock" FIXGW_ADMIN_TOKEN="$TOKEN" \
    "$BUILD/apps/fixgw" admin sessions --config "$ROOT/bench/fixgw-node-$1.json" 2>&1 |
    grep -o 'FIX\.4\.[24]:FIXGW->LOAD[A-Z0-9]*' | sort -u | tr '\n' ' '
}
SESS_A=$(admin_sessions a); SESS_B=$(admin_sessions b)
[[ "$SESS_A" == "FIX.4.2:FIXGW->LOADA42 FIX.4.4:FIXGW->LOADA44 " ]] || fail "node A's admin socket lists: $SESS_A"
[[ "$SESS_B" == "FIX.4.2:FIXGW->LOADB42 FIX.4.4:FIXGW->LOADB44 " ]] || fail "node B's admin socket lists: $SESS_B"

# 4. stop both (each drains its journal), then every order under its own session
stop_node a
stop_node b
EXP_A=$((WARM + N + N)); EXP_B=$((WARM + N + N_AFTER))
psql "$DB" -X -Atc "
  select o.session_key, count(*),
         (select count(*) from order_events e where e.session_key = o.session_key and e.event_type = 'RECEIVED'),
         (select count(*) from order_events e where e.session_key = o.session_key and e.event_type = 'NEW')
  from orders o where o.parent_order_id is null group by o.session_key order by 1" | tr '|' ' ' >"$WORK/per_session"
declare -A CNT
while read -r k c r a; do CNT[$k]="$c $r $a"; done <"$WORK/per_session"
[[ "${CNT[FIX.4.4:FIXGW->LOADA44]:-}" == "$EXP_A $EXP_A $EXP_A" ]] ||
  fail "LOADA44: orders/RECEIVED/NEW = ${CNT[FIX.4.4:FIXGW->LOADA44]:-none}, expected $EXP_A each"
[[ "${CNT[FIX.4.4:FIXGW->LOADB44]:-}" == "$EXP_B $EXP_B $EXP_B" ]] ||
  fail "LOADB44: orders/RECEIVED/NEW = ${CNT[FIX.4.4:FIXGW->LOADB44]:-none}, expected $EXP_B each"
[[ $(wc -l <"$WORK/per_session") == 2 ]] || fail "orders under other session keys: $(cat "$WORK/per_session")"

echo
echo "Two gateways on disjoint sessions, one PostgreSQL schema ($SCHEMA), $ACK acks, W=$W, $(nproc) CPUs," \
     "$(date -u '+%Y-%m-%d %H:%M UTC'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| run | orders | orders/s |"
echo "|---|---|---|"
echo "| node A alone (LOADA44; B up, idle) | $N | $ALONE |"
echo "| node A, with B running (LOADA44) | $N | $TA |"
echo "| node B, with A running (LOADB44) | $N | $TB |"
echo "| **A + B combined** (both loads over the wall time of both) | $ACKED | **$COMBINED** ($(awk -v c="$COMBINED" -v a="$ALONE" 'BEGIN { printf "%.2f", c / a }')x node A alone) |"
echo
echo "CPU per order while both ran: node A $CPU_A us, node B $CPU_B us (each per order of its own)," \
     "PostgreSQL $CPU_PG us, load generators $CPU_LG us (per order of both)"
echo "Leases: node C (LOADB44 + LOADC44) refused, exit $C_RC, never listened: \"$C_WHY\";" \
     "$LEASES leases held on $LEASE_CONNS connections; B then acked $B_AFTER/$N_AFTER on LOADB44"
echo "Admin sockets: node A lists $SESS_A; node B lists $SESS_B"
echo "In PostgreSQL (orders RECEIVED NEW per session):"; sed 's/^/  /' "$WORK/per_session"
echo
echo "# machine-readable summary"
cat <<EOF
two_gw.ack=$ACK
two_gw.window=$W
two_gw.orders_per_loadgen=$N
two_gw.alone_orders_per_s=$ALONE
two_gw.node_a_together_orders_per_s=$TA
two_gw.node_b_together_orders_per_s=$TB
two_gw.combined_orders_per_s=$COMBINED
two_gw.node_a_cpu_us_per_order=$CPU_A
two_gw.node_b_cpu_us_per_order=$CPU_B
two_gw.pg_cpu_us_per_order=$CPU_PG
two_gw.loadgen_cpu_us_per_order=$CPU_LG
two_gw.node_c_refused=$([[ $C_RC != 0 && $C_LISTENED == no ]] && echo yes || echo no)
two_gw.leases_held=$LEASES
two_gw.every_order_under_its_session=$([[ ${#FAILS[@]} == 0 ]] && echo yes || echo no)
EOF
if [[ ${#FAILS[@]} -gt 0 ]]; then
  printf 'run_two_gateways: FAILED: %s\n' "${FAILS[@]}" >&2
  exit 1
fi
