#!/usr/bin/env bash
# Runs fix_loadgen against the bare-QuickFIX floor (memory and file store) and,
# optionally, against the gateway, and prints one markdown table.
#
# Builds nothing: point it at a build folder that has bench/fix_floor and
# bench/fix_loadgen. Every process it starts is stopped on exit; every step is
# bounded in time. See bench/README.md.
set -u -o pipefail

usage() {
  cat <<'EOF'
usage: bench/run_fix_bench.sh [BUILD_DIR] [options]

  BUILD_DIR                build folder holding bench/fix_floor, bench/fix_loadgen (default: build)
  --gateway-cmd "CMD"      also benchmark the gateway: CMD (run with bash -c) must start fixgw
                           listening on the port given in env FIXGW_BENCH_PORT, in the foreground
  --gateway-start-s S      seconds to wait for the gateway to listen (default 30)
  --orders-w1 N            orders at window 1 (default 2000)
  --orders-w100 N          orders at window 100 (default 20000)
  --warmup K               warm-up orders before each measured run (default 500)
  --versions "4.4 4.2"     FIX versions to run (default "4.4")
  --spec-dir DIR           dictionaries for the floor (default: fix_acceptor/spec if present)
  --no-dict                run the floor without data dictionaries
  --timeout-ms T           per loadgen run (default 60000)
  --loadgen-args "ARGS"    extra arguments for every fix_loadgen run (e.g. "--market")
EOF
}

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="build"
GATEWAY_CMD=""
GATEWAY_START_S=30
N1=2000
N100=20000
WARMUP=500
VERSIONS="4.4"
SPEC_DIR=""
USE_DICT=1
TIMEOUT_MS=60000
EXTRA_ARGS=""

while [[ $# -gt 0 ]]; do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    --gateway-cmd) GATEWAY_CMD="${2:?--gateway-cmd needs a value}"; shift 2 ;;
    --gateway-start-s) GATEWAY_START_S="${2:?}"; shift 2 ;;
    --orders-w1) N1="${2:?}"; shift 2 ;;
    --orders-w100) N100="${2:?}"; shift 2 ;;
    --warmup) WARMUP="${2:?}"; shift 2 ;;
    --versions) VERSIONS="${2:?}"; shift 2 ;;
    --spec-dir) SPEC_DIR="${2:?}"; shift 2 ;;
    --no-dict) USE_DICT=0; shift ;;
    --timeout-ms) TIMEOUT_MS="${2:?}"; shift 2 ;;
    --loadgen-args) EXTRA_ARGS="${2:?}"; shift 2 ;;
    -*) echo "run_fix_bench: unknown option '$1'" >&2; usage >&2; exit 2 ;;
    *) BUILD="$1"; shift ;;
  esac
done

[[ "$BUILD" = /* ]] || BUILD="$ROOT/$BUILD"
FLOOR="$BUILD/bench/fix_floor"
LOADGEN="$BUILD/bench/fix_loadgen"
for b in "$FLOOR" "$LOADGEN"; do
  if [[ ! -x "$b" ]]; then
    echo "run_fix_bench: $b not found; build it first:" >&2
    echo "  cmake --build $BUILD --target fix_floor fix_loadgen -j2" >&2
    exit 2
  fi
done
if [[ $USE_DICT -eq 1 && -z "$SPEC_DIR" && -f "$ROOT/fix_acceptor/spec/FIX44.xml" \
      && -f "$ROOT/fix_acceptor/spec/FIX42.xml" ]]; then
  SPEC_DIR="$ROOT/fix_acceptor/spec"
fi
[[ $USE_DICT -eq 1 ]] || SPEC_DIR=""

WORK="$(mktemp -d /tmp/fix_bench.XXXXXX)"
SERVER_PID=""

stop_server() {
  [[ -n "$SERVER_PID" ]] || return 0
  # The server runs in its own process group (setsid), so the group id is its
  # pid: this reaches the gateway even when --gateway-cmd wraps it in a shell.
  kill -TERM -- "-$SERVER_PID" 2>/dev/null
  for _ in $(seq 1 50); do
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$SERVER_PID" 2>/dev/null; then
    echo "run_fix_bench: server $SERVER_PID ignored SIGTERM for 5 s, sending SIGKILL" >&2
    kill -KILL -- "-$SERVER_PID" 2>/dev/null
  fi
  wait "$SERVER_PID" 2>/dev/null
  SERVER_PID=""
}
cleanup() {
  stop_server
  rm -rf "$WORK"
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

# Waits until something listens on the port (without connecting to it, so the
# acceptor sees no stray connection) or the server died or the time is up.
wait_listening() {
  local port=$1 secs=$2 deadline=$((SECONDS + $2))
  while ((SECONDS < deadline)); do
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
      echo "run_fix_bench: server exited before listening on $port" >&2
      return 1
    fi
    if ss -ltnH "sport = :$port" 2>/dev/null | grep -q .; then return 0; fi
    sleep 0.1
  done
  echo "run_fix_bench: nothing listening on $port after ${secs}s" >&2
  return 1
}

json_num() {  # json_num KEY LINE
  sed -n "s/.*\"$1\":\([^,}]*\).*/\1/p" <<<"$2"
}

ROWS=()
add_row() {  # add_row TARGET STORE VERSION W JSON_LINE_OR_EMPTY
  local t=$1 s=$2 v=$3 w=$4 j=$5
  if [[ -z "$j" ]]; then
    ROWS+=("| $t | $s | $v | $w | - | - | - | - | - | - | - | - | FAILED (no result) |")
    return
  fi
  local ok; ok=$(json_num ok "$j")
  local status="ok"; [[ "$ok" == "true" ]] || status="FAILED"
  ROWS+=("| $t | $s | $v | $w | $(json_num orders "$j") | $(printf '%.0f' "$(json_num throughput_ops "$j")") \
| $(json_num p50_us "$j") | $(json_num p90_us "$j") | $(json_num p99_us "$j") | $(json_num max_us "$j") \
| $(json_num rejects "$j") | $(json_num timeouts "$j") | $status |")
}

run_loads() {  # run_loads TARGET STORE PORT
  local target=$1 store=$2 port=$3 v w n sender out
  for v in $VERSIONS; do
    if [[ "$v" == "4.4" ]]; then sender=LOAD44; else sender=LOAD42; fi
    for w in 1 100; do
      if [[ $w -eq 1 ]]; then n=$N1; else n=$N100; fi
      echo "run_fix_bench: $target/$store FIX.$v W=$w N=$n" >&2
      # shellcheck disable=SC2086  # EXTRA_ARGS is a list of words on purpose
      out=$(timeout $((TIMEOUT_MS / 1000 + 30)) "$LOADGEN" --host 127.0.0.1 --port "$port" \
        --version "$v" --sender "$sender" --target FIXGW --orders "$n" --window "$w" \
        --warmup "$WARMUP" --reset --timeout-ms "$TIMEOUT_MS" --json $EXTRA_ARGS \
        2>>"$WORK/loadgen.err" | tail -n 1)
      echo "$out" >&2
      add_row "$target" "$store" "$v" "$w" "$out"
    done
  done
}

bench_floor() {  # bench_floor memory|file
  local store=$1 port
  port=$(free_port) || { echo "run_fix_bench: no free port" >&2; return 1; }
  local args=(--port "$port" --sender FIXGW --targets LOAD44,LOAD42 --store "$store"
              --store-path "$WORK/floor_store_$store")
  [[ -n "$SPEC_DIR" ]] && args+=(--spec-dir "$SPEC_DIR")
  setsid "$FLOOR" "${args[@]}" >"$WORK/floor_$store.log" 2>&1 &
  SERVER_PID=$!
  if wait_listening "$port" 10; then
    run_loads "fix_floor" "$store" "$port"
  else
    cat "$WORK/floor_$store.log" >&2
  fi
  stop_server
}

bench_gateway() {
  local port
  port=$(free_port) || { echo "run_fix_bench: no free port" >&2; return 1; }
  FIXGW_BENCH_PORT=$port setsid bash -c "$GATEWAY_CMD" >"$WORK/gateway.log" 2>&1 &
  SERVER_PID=$!
  if wait_listening "$port" "$GATEWAY_START_S"; then
    run_loads "fixgw" "(gateway cmd)" "$port"
  else
    echo "run_fix_bench: gateway did not come up; its output:" >&2
    tail -n 40 "$WORK/gateway.log" >&2
    ROWS+=("| fixgw | (gateway cmd) | - | - | - | - | - | - | - | - | - | - | FAILED (did not listen) |")
  fi
  stop_server
}

bench_floor memory
bench_floor file
[[ -n "$GATEWAY_CMD" ]] && bench_gateway

if [[ -s "$WORK/loadgen.err" ]]; then
  echo "run_fix_bench: loadgen messages:" >&2
  grep -v '^$' "$WORK/loadgen.err" | tail -n 20 >&2
fi

echo
echo "FIX ack latency (send -> first ExecutionReport), loopback, $(nproc) CPUs, warm-up $WARMUP," \
  "floor dictionaries: ${SPEC_DIR:-off}"
echo
echo "| target | store | FIX | W | orders | orders/s | p50 us | p90 us | p99 us | max us | rejects | timeouts | result |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
printf '%s\n' "${ROWS[@]}"
