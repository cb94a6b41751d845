#!/usr/bin/env bash
# Benchmarks FIX-in -> venue -> FIX-out round trips through each venue adapter
# of fixgw against its emulator: SIM (in-process simulator), IBKR (TWS API
# adapter -> tws_emulator) and IBFIX (FIX venue adapter, ibkr_ctci profile ->
# fix_broker_emulator). Orders are routed by ExDestination (100).
#
#   bench/run_venue_bench.sh [BUILD_DIR] [options]     (--help lists them)
#
# KRAKEN (--venues KRAKEN, not in the default set): the Kraken spot adapter ->
# kraken_emulator over HTTPS + WebSocket v2 on loopback (AAPL stands in for
# its XBTUSD at 100); fill latency is the executions stream's fill to FIX-out.
# COINBASE (--venues COINBASE, not in the default set either): the Coinbase
# Advanced Trade adapter -> coinbase_emulator over HTTPS + the user WebSocket
# channel (AAPL stands in for its BTC-USD at 100). The emulator enforces
# Coinbase's published 30 private requests/s, the adapter is held to 25
# (max_private_per_sec in the bench config): each filled order costs more than
# one private request (the create, the fills listing), so a burst at W=1 is
# paced by the adapter's local queue, and that wait is part of the latency.
# A fills listing held by that queue waits for the adapter's next poll (2 s),
# so COINBASE runs at ~6 orders/s at W=1: give 1000 + 100 orders
# --timeout-ms 400000 (the default 120000 ends the run after ~700).
#
# For every pass (an ack mode x a TWS pacing) it starts both emulators (auto
# fill on, AAPL at 100) and the gateway with bench/fixgw-venues-bench.json on
# free ports and a fresh PostgreSQL schema (scripts/pg.sh), waits until one
# probe order per venue is filled, then runs bench/fix_loadgen per venue at
# window W and prints one markdown table: ack latency (send -> 150=0) and,
# with marketable orders (the default), fill latency (send -> first fill
# report 150=F/1/2). Builds nothing. Every process it starts runs in its own
# process group and is stopped on exit (SIGTERM, SIGKILL after 5 s); every
# step is bounded in time. The schemas are left in place and named at the end.
set -u -o pipefail

usage() {
  cat <<'EOF'
usage: bench/run_venue_bench.sh [BUILD_DIR] [options]

  BUILD_DIR              build folder with apps/fixgw, bench/fix_loadgen,
                         venue_adapters/ibkr_tws/tws_emulator,
                         venue_adapters/fix/fix_broker_emulator (default: build)
  --venues "SIM IBKR IBFIX"  venues to measure (default: all three; KRAKEN also
                         available: needs venue_adapters/kraken/kraken_emulator;
                         COINBASE too: needs venue_adapters/coinbase/coinbase_emulator)
  --orders N             measured orders per venue (default 1000)
  --warmup K             warm-up orders per venue, not measured (default 100)
  --window W             orders in flight (default 1)
  --price P              limit price of the buys (default 101.00: marketable at every
                         venue, whose price is 100, so every order fills)
  --rest                 buy at 90.00 instead: orders rest, only ack latency is measured
  --ack-modes "durable async"  gateway database.ack_mode per pass (default "durable")
  --tws-pacing "50 10000"      IBKR pacing_msgs_per_s per pass (default "50", TWS's limit);
                         values after the first add passes that measure IBKR only. A value
                         written N:nodelay runs tws_emulator with TCP_NODELAY forced on its
                         accepted sockets (an LD_PRELOAD shim compiled with cc into the
                         temporary folder): the emulator writes each message separately and
                         does not set TCP_NODELAY, so Nagle + delayed ACK add ~40 ms to a
                         report that follows another one
  --version 4.4|4.2      client FIX version (default 4.4)
  --var-dir DIR          where the IBKR adapter's order-id file goes (it is fsynced before
                         every placeOrder; default: the temporary folder under /tmp)
  --floor                also measure bench/fix_floor (bare QuickFIX, one ack per order)
                         at the same W, if it was built
  --timeout-ms T         per loadgen run (default 120000)
  --start-s S            seconds to wait for the gateway and its venues (default 60)
EOF
}

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
BUILD="build"
VENUES="SIM IBKR IBFIX"
ORDERS=1000
WARMUP=100
WINDOW=1
PRICE="101.00"
REST=0
ACK_MODES="durable"
PACINGS="50"
VERSION="4.4"
VAR_DIR=""
FLOOR=0
TIMEOUT_MS=120000
START_S=60

while [[ $# -gt 0 ]]; do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    --venues) VENUES="${2:?}"; shift 2 ;;
    --orders) ORDERS="${2:?}"; shift 2 ;;
    --warmup) WARMUP="${2:?}"; shift 2 ;;
    --window) WINDOW="${2:?}"; shift 2 ;;
    --price) PRICE="${2:?}"; shift 2 ;;
    --rest) REST=1; PRICE="90.00"; shift ;;
    --ack-modes) ACK_MODES="${2:?}"; shift 2 ;;
    --tws-pacing) PACINGS="${2:?}"; shift 2 ;;
    --version) VERSION="${2:?}"; shift 2 ;;
    --var-dir) VAR_DIR="${2:?}"; shift 2 ;;
    --floor) FLOOR=1; shift ;;
    --timeout-ms) TIMEOUT_MS="${2:?}"; shift 2 ;;
    --start-s) START_S="${2:?}"; shift 2 ;;
    -*) echo "run_venue_bench: unknown option '$1'" >&2; usage >&2; exit 2 ;;
    *) BUILD="$1"; shift ;;
  esac
done
for n in ORDERS WARMUP WINDOW TIMEOUT_MS START_S; do
  [[ "${!n}" =~ ^[0-9]+$ ]] || { echo "run_venue_bench: ${n,,} must be a number" >&2; exit 2; }
done
for p in $PACINGS; do
  [[ "$p" =~ ^[0-9]+(:nodelay)?$ ]] ||
    { echo "run_venue_bench: --tws-pacing: '$p' is not N or N:nodelay" >&2; exit 2; }
done
for m in $ACK_MODES; do
  [[ "$m" == durable || "$m" == async ]] ||
    { echo "run_venue_bench: --ack-modes: '$m' is not durable or async" >&2; exit 2; }
done
for v in $VENUES; do
  [[ "$v" == SIM || "$v" == IBKR || "$v" == IBFIX || "$v" == KRAKEN || "$v" == COINBASE ]] ||
    { echo "run_venue_bench: --venues: '$v' is not SIM, IBKR, IBFIX, KRAKEN or COINBASE" >&2
      exit 2; }
done
if [[ "$VERSION" == 4.4 ]]; then SENDER=LOAD44; elif [[ "$VERSION" == 4.2 ]]; then SENDER=LOAD42;
else echo "run_venue_bench: --version must be 4.4 or 4.2" >&2; exit 2; fi

[[ "$BUILD" = /* ]] || BUILD="$ROOT/$BUILD"
FIXGW="$BUILD/apps/fixgw"
LOADGEN="$BUILD/bench/fix_loadgen"
TWS_EMU="$BUILD/venue_adapters/ibkr_tws/tws_emulator"
FIX_EMU="$BUILD/venue_adapters/fix/fix_broker_emulator"
FLOOR_BIN="$BUILD/bench/fix_floor"
KRAKEN_EMU="$BUILD/venue_adapters/kraken/kraken_emulator"
if [[ " $VENUES " == *" KRAKEN "* && ! -x "$KRAKEN_EMU" ]]; then
  echo "run_venue_bench: $KRAKEN_EMU not found; build it first:" >&2
  echo "  cmake --build $BUILD --target kraken_emulator -j2" >&2
  exit 2
fi
# The KRAKEN venue is always configured: it needs credentials even when not
# measured (made up per run; the emulator is given the same).
FIXGW_BENCH_KRAKEN_KEY="bench-$RANDOM$RANDOM"
FIXGW_BENCH_KRAKEN_SECRET="$(head -c 32 /dev/urandom | base64)"
export FIXGW_BENCH_KRAKEN_KEY FIXGW_BENCH_KRAKEN_SECRET
COINBASE_EMU="$BUILD/venue_adapters/coinbase/coinbase_emulator"
if [[ " $VENUES " == *" COINBASE "* && ! -x "$COINBASE_EMU" ]]; then
  echo "run_venue_bench: $COINBASE_EMU not found; build it first:" >&2
  echo "  cmake --build $BUILD --target coinbase_emulator -j2" >&2
  exit 2
fi
# The COINBASE venue is always configured too, so it always needs an API key
# name and an EC P-256 private key: a throwaway key made here for the passes
# that do not measure it; a measured pass uses the key coinbase_emulator makes
# at its start (its fixed demo key name). Neither is ever written to the repo.
FIXGW_BENCH_COINBASE_KEY_NAME="organizations/emulator/apiKeys/demo"
FIXGW_BENCH_COINBASE_PRIVATE_KEY="$(openssl ecparam -name prime256v1 -genkey -noout 2>/dev/null)" ||
  { echo "run_venue_bench: openssl cannot make a throwaway EC key for the COINBASE venue" >&2
    exit 2; }
export FIXGW_BENCH_COINBASE_KEY_NAME FIXGW_BENCH_COINBASE_PRIVATE_KEY
for b in "$FIXGW" "$LOADGEN" "$TWS_EMU" "$FIX_EMU"; do
  if [[ ! -x "$b" ]]; then
    echo "run_venue_bench: $b not found; build it first:" >&2
    echo "  cmake --build $BUILD --target fixgw fix_loadgen tws_emulator fix_broker_emulator -j2" >&2
    exit 2
  fi
done
if [[ $FLOOR -eq 1 && ! -x "$FLOOR_BIN" ]]; then
  echo "run_venue_bench: --floor: $FLOOR_BIN not built; skipping the floor row" >&2
  FLOOR=0
fi

WORK="$(mktemp -d /tmp/venue_bench.XXXXXX)"
PIDS=()  # process-group leaders we started (setsid)

stop_all() {
  local p
  for p in "${PIDS[@]}"; do kill -TERM -- "-$p" 2>/dev/null; done
  for p in "${PIDS[@]}"; do
    for _ in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$p" 2>/dev/null; then
      echo "run_venue_bench: process $p ignored SIGTERM for 5 s, sending SIGKILL" >&2
      kill -KILL -- "-$p" 2>/dev/null
    fi
    wait "$p" 2>/dev/null
  done
  PIDS=()
}
cleanup() {
  stop_all
  rm -rf "$WORK"
  [[ -n "$VAR_DIR" ]] && rm -rf "$VAR_DIR"/var_vbench_* 2>/dev/null
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' \
    2>/dev/null && return 0
  local p
  for _ in $(seq 1 100); do
    p=$((20000 + RANDOM % 40000))
    if ! ss -ltnH "sport = :$p" 2>/dev/null | grep -q .; then echo "$p"; return 0; fi
  done
  return 1
}

# start NAME CMD... : runs CMD in a new process group, output in $WORK/NAME.log
start() {
  local name=$1; shift
  setsid "$@" >"$WORK/$name.log" 2>&1 &
  PIDS+=($!)
  LAST_PID=$!
}

wait_listening() {  # wait_listening PID PORT SECS NAME
  local pid=$1 port=$2 deadline=$((SECONDS + $3)) name=$4
  while ((SECONDS < deadline)); do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "run_venue_bench: $name exited before listening on $port; its output:" >&2
      tail -n 30 "$WORK/$name.log" >&2
      return 1
    fi
    if ss -ltnH "sport = :$port" 2>/dev/null | grep -q .; then return 0; fi
    sleep 0.1
  done
  echo "run_venue_bench: $name: nothing listening on $port after $3 s" >&2
  return 1
}

json_num() {  # json_num KEY LINE
  sed -n "s/.*\"$1\":\([^,}]*\).*/\1/p" <<<"$2"
}

LOADGEN_ARGS=(--version "$VERSION" --sender "$SENDER" --target FIXGW --symbol AAPL --side buy
              --qty 1 --price "$PRICE" --reset)
[[ $REST -eq 0 ]] && LOADGEN_ARGS+=(--until-fill)

loadgen() {  # loadgen PORT TIMEOUT_MS ARGS... ; prints the JSON line
  local port=$1 tmo=$2; shift 2
  timeout $((tmo / 1000 + 30)) "$LOADGEN" --host 127.0.0.1 --port "$port" "${LOADGEN_ARGS[@]}" \
    --timeout-ms "$tmo" --json "$@" 2>>"$WORK/loadgen.err" | tail -n 1
}

# Sends one order at a time to VENUE until one is answered without a reject
# (and filled, with marketable orders): the venue session is up end to end.
probe_venue() {  # probe_venue PORT VENUE DEADLINE_SECONDS
  local port=$1 venue=$2 deadline=$((SECONDS + $3)) out
  while ((SECONDS < deadline)); do
    out=$(loadgen "$port" 5000 --orders 1 --window 1 --tag "100=$venue")
    if [[ "$(json_num ok "$out")" == true && "$(json_num rejects "$out")" == 0 &&
          "$(json_num unfilled "$out")" != [1-9]* ]]; then
      return 0
    fi
    sleep 0.5
  done
  echo "run_venue_bench: venue $venue never answered a probe order without a reject" \
       "within $3 s; last loadgen result: ${out:-none}" >&2
  grep -v '^$' "$WORK/loadgen.err" | tail -n 3 >&2
  return 1
}

ROWS=()
add_row() {  # add_row VENUE ACK PACING JSON
  local v=$1 a=$2 p=$3 j=$4
  if [[ -z "$j" ]]; then
    ROWS+=("| $v | $a | $p | $WINDOW | $ORDERS | - | - | - | - | - | FAILED (no result) |")
    return
  fi
  local status=ok fp50=- fp99=- extra=""
  [[ "$(json_num ok "$j")" == true ]] || status=FAILED
  if [[ -n "$(json_num fill_p50_us "$j")" ]]; then
    fp50=$(json_num fill_p50_us "$j"); fp99=$(json_num fill_p99_us "$j")
    [[ "$(json_num unfilled "$j")" == 0 ]] || extra=" unfilled $(json_num unfilled "$j")"
  fi
  [[ "$(json_num rejects "$j")" == 0 ]] || extra+=" rejects $(json_num rejects "$j")"
  [[ "$(json_num timeouts "$j")" == 0 ]] || extra+=" timeouts $(json_num timeouts "$j")"
  ROWS+=("| $v | $a | $p | $WINDOW | $(json_num acked "$j") | $(json_num p50_us "$j") \
| $(json_num p99_us "$j") | $fp50 | $fp99 | $(printf '%.0f' "$(json_num throughput_ops "$j")") \
| $status$extra |")
}

bash "$ROOT/scripts/pg.sh" ensure >/dev/null 2>"$WORK/pg.err" ||
  { cat "$WORK/pg.err" >&2; exit 1; }
BASE="$(bash "$ROOT/scripts/pg.sh" conninfo)"
SCHEMAS=()

run_floor() {
  local port; port=$(free_port) || return 1
  start floor "$FLOOR_BIN" --port "$port" --sender FIXGW --targets LOAD44,LOAD42 \
    --spec-dir "$ROOT/fix_acceptor/spec" --store memory
  local pid=$LAST_PID
  if wait_listening "$pid" "$port" 10 floor; then
    echo "run_venue_bench: fix_floor W=$WINDOW N=$ORDERS" >&2
    # The floor never fills: ack latency only.
    local out
    out=$(timeout $((TIMEOUT_MS / 1000 + 30)) "$LOADGEN" --host 127.0.0.1 --port "$port" \
      --version "$VERSION" --sender "$SENDER" --target FIXGW --price "$PRICE" --reset \
      --orders "$ORDERS" --warmup "$WARMUP" --window "$WINDOW" --timeout-ms "$TIMEOUT_MS" \
      --json 2>>"$WORK/loadgen.err" | tail -n 1)
    echo "$out" >&2
    add_row "fix_floor (no venue)" "-" "-" "$out"
  fi
  stop_all
}

# An LD_PRELOAD library that sets TCP_NODELAY on every accepted socket.
nodelay_shim() {
  local so="$WORK/nodelay.so"
  [[ -f "$so" ]] && { echo "$so"; return 0; }
  cat >"$WORK/nodelay.c" <<'EOF'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
static void nodelay(int fd) {
  int one = 1;
  if (fd >= 0) setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}
int accept(int s, struct sockaddr* a, socklen_t* l) {
  static int (*real)(int, struct sockaddr*, socklen_t*);
  if (!real) real = (int (*)(int, struct sockaddr*, socklen_t*))dlsym(RTLD_NEXT, "accept");
  int fd = real(s, a, l);
  nodelay(fd);
  return fd;
}
int accept4(int s, struct sockaddr* a, socklen_t* l, int f) {
  static int (*real)(int, struct sockaddr*, socklen_t*, int);
  if (!real) real = (int (*)(int, struct sockaddr*, socklen_t*, int))dlsym(RTLD_NEXT, "accept4");
  int fd = real(s, a, l, f);
  nodelay(fd);
  return fd;
}
EOF
  cc -O2 -shared -fPIC -o "$so" "$WORK/nodelay.c" -ldl >&2 || return 1
  echo "$so"
}

run_pass() {  # run_pass ACK_MODE PACING[:nodelay] VENUES...
  local ack=$1 pacing=${2%%:*} pconf=$2; shift 2
  local venues=("$@")
  local preload="" plabel="$pacing/s"
  if [[ "$pconf" == *:nodelay ]]; then
    preload=$(nodelay_shim) || { echo "run_venue_bench: cannot build the TCP_NODELAY shim" >&2; return 1; }
    plabel="$pacing/s, emulator TCP_NODELAY"
  fi
  local gw_port tws_port fix_port
  gw_port=$(free_port) && tws_port=$(free_port) && fix_port=$(free_port) ||
    { echo "run_venue_bench: no free port" >&2; return 1; }
  local schema="vbench_$(date +%Y%m%d_%H%M%S)_${ack}_${pacing}${preload:+_nodelay}"
  psql "$BASE" -qc "create schema $schema" || return 1
  SCHEMAS+=("$schema")
  local var="${VAR_DIR:-$WORK}/var_${schema}"
  mkdir -p "$var"

  if [[ -n "$preload" ]]; then
    LD_PRELOAD="$preload" start tws_emulator "$TWS_EMU" --port "$tws_port" --price AAPL=100
  else
    start tws_emulator "$TWS_EMU" --port "$tws_port" --price AAPL=100
  fi
  local tws_pid=$LAST_PID
  start fix_broker_emulator "$FIX_EMU" --port "$fix_port" --begin-string FIX.4.2 --sender IB \
    --target FIXGW_IB --price AAPL=100
  local fix_pid=$LAST_PID
  wait_listening "$tws_pid" "$tws_port" 10 tws_emulator || { stop_all; return 1; }
  wait_listening "$fix_pid" "$fix_port" 10 fix_broker_emulator || { stop_all; return 1; }
  local kraken_port="" kraken_ca=""
  if [[ " ${venues[*]} " == *" KRAKEN "* ]]; then
    kraken_port=$(free_port) || { echo "run_venue_bench: no free port" >&2; return 1; }
    kraken_ca="$var/kraken-ca.pem"
    KRAKEN_EMULATOR_KEY="$FIXGW_BENCH_KRAKEN_KEY" KRAKEN_EMULATOR_SECRET="$FIXGW_BENCH_KRAKEN_SECRET" \
      start kraken_emulator "$KRAKEN_EMU" --port "$kraken_port" --ca-out "$kraken_ca" \
      --pairs "$ROOT/venue_adapters/kraken/test_data/asset_pairs.json" --price XBTUSD=100 \
      --counter-max 1000000 --trading-max 1000000
    wait_listening "$LAST_PID" "$kraken_port" 10 kraken_emulator || { stop_all; return 1; }
  fi

  local coinbase_port="" coinbase_ca="" coinbase_key="$FIXGW_BENCH_COINBASE_PRIVATE_KEY"
  if [[ " ${venues[*]} " == *" COINBASE "* ]]; then
    coinbase_port=$(free_port) || { echo "run_venue_bench: no free port" >&2; return 1; }
    mkdir -p "$var/coinbase"
    start coinbase_emulator "$COINBASE_EMU" --port "$coinbase_port" --dir "$var/coinbase" \
      --products "$ROOT/venue_adapters/coinbase/test_data/products.json" --price BTC-USD=100
    local cb_pid=$LAST_PID
    wait_listening "$cb_pid" "$coinbase_port" 10 coinbase_emulator || { stop_all; return 1; }
    # Its key and certificate are written before it prints "listening".
    for _ in $(seq 1 100); do
      grep -q listening "$WORK/coinbase_emulator.log" && break
      sleep 0.1
    done
    coinbase_ca="$var/coinbase/emulator-ca.pem"
    coinbase_key="$(cat "$var/coinbase/cdp-key.pem")" ||
      { echo "run_venue_bench: coinbase_emulator wrote no key" >&2; stop_all; return 1; }
  fi

  # The gateway resolves ../schema and ../fix_acceptor/spec from bench/.
  FIXGW_DB="$BASE options='-c search_path=$schema'" FIXGW_BENCH_PORT=$gw_port \
  FIXGW_BENCH_ACK=$ack FIXGW_BENCH_TWS_PACING=$pacing FIXGW_BENCH_VAR="$var" \
  FIXGW_BENCH_STORE=memory FIXGW_BENCH_STORE_PATH="$var/fixstore" \
  FIXGW_TWS_PORT=$tws_port FIXGW_IBFIX_PORT=$fix_port \
  FIXGW_KRAKEN_PORT=${kraken_port:-443} FIXGW_KRAKEN_CA=$kraken_ca \
  FIXGW_COINBASE_PORT=${coinbase_port:-443} FIXGW_COINBASE_CA=$coinbase_ca \
  FIXGW_BENCH_COINBASE_PRIVATE_KEY="$coinbase_key" \
    start fixgw "$FIXGW" run --config "$ROOT/bench/fixgw-venues-bench.json"
  local gw_pid=$LAST_PID
  if ! wait_listening "$gw_pid" "$gw_port" "$START_S" fixgw; then
    for v in "${venues[@]}"; do add_row "$v" "$ack" "$pacing" ""; done
    stop_all
    return 1
  fi
  local v out pc
  for v in "${venues[@]}"; do
    if [[ "$v" == IBKR ]]; then pc="$plabel"; else pc="-"; fi
    if ! probe_venue "$gw_port" "$v" "$START_S"; then
      add_row "$v" "$ack" "$pc" ""
      continue
    fi
    echo "run_venue_bench: $v acks=$ack W=$WINDOW N=$ORDERS warm-up $WARMUP" >&2
    out=$(loadgen "$gw_port" "$TIMEOUT_MS" --orders "$ORDERS" --warmup "$WARMUP" \
      --window "$WINDOW" --tag "100=$v")
    echo "$out" >&2
    add_row "$v" "$ack" "$pc" "$out"
  done
  if grep -qiE '\[(error|critical)\]' "$WORK/fixgw.log"; then
    echo "run_venue_bench: gateway errors (pass $ack/$pacing):" >&2
    grep -iE '\[(error|critical)\]' "$WORK/fixgw.log" | tail -n 5 >&2
  fi
  stop_all
}

[[ $FLOOR -eq 1 ]] && run_floor
for ack in $ACK_MODES; do
  first=1
  for pacing in $PACINGS; do
    if [[ $first -eq 1 ]]; then
      # shellcheck disable=SC2086  # VENUES is a list of words on purpose
      run_pass "$ack" "$pacing" $VENUES
      first=0
    elif [[ " $VENUES " == *" IBKR "* ]]; then
      run_pass "$ack" "$pacing" IBKR
    fi
  done
done

if [[ -s "$WORK/loadgen.err" ]]; then
  echo "run_venue_bench: loadgen messages:" >&2
  grep -v '^$' "$WORK/loadgen.err" | sort | uniq -c | sort -rn | head -n 10 >&2
fi

echo
if [[ $REST -eq 0 ]]; then
  what="marketable limit buys at $PRICE (venue price 100): ack = send -> 150=0, fill = send -> first fill report"
else
  what="resting limit buys at $PRICE (venue price 100): ack = send -> 150=0, no fills"
fi
echo "FIX-in -> venue -> FIX-out, FIX.$VERSION over loopback, $(nproc) CPUs," \
  "load average $(cut -d' ' -f1-3 /proc/loadavg), warm-up $WARMUP per row; $what"
echo
echo "| venue | acks | TWS pacing | W | orders | ack p50 us | ack p99 us | fill p50 us | fill p99 us | orders/s | result |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
printf '%s\n' "${ROWS[@]}"
echo
echo "PostgreSQL schemas left for inspection: ${SCHEMAS[*]:-none}"
