#!/usr/bin/env bash
# Benchmarks fixgw (journal on, simulator venue) side by side with the
# bare-QuickFIX floor in one run (bench/run_fix_bench.sh), then checks that
# every order the load generator sent, and its events, are in PostgreSQL.
#
#   bench/run_gateway_bench.sh [BUILD_DIR] [--store memory|file] [run_fix_bench options...]
#
# The gateway journals into a fresh schema of the local cluster
# (scripts/pg.sh), which is left in place for inspection and named at the end.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
BUILD="$ROOT/build"
STORE=memory
PASS=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --store) STORE="${2:?}"; shift 2 ;;
    -*) PASS+=("$1"); [[ $# -gt 1 && "$2" != -* ]] && { PASS+=("$2"); shift; }; shift ;;
    *) BUILD="$(cd "$1" && pwd -P)"; shift ;;
  esac
done

bash "$ROOT/scripts/pg.sh" ensure >/dev/null
BASE="$(bash "$ROOT/scripts/pg.sh" conninfo)"
SCHEMA="bench_$(date +%Y%m%d_%H%M%S)"
psql "$BASE" -qc "create schema $SCHEMA"
export FIXGW_DB="$BASE options='-c search_path=$SCHEMA'"
export FIXGW_BENCH_STORE="$STORE"
export FIXGW_BENCH_STORE_PATH="$(mktemp -d)/fixstore"

bash "$ROOT/bench/run_fix_bench.sh" "$BUILD" --loadgen-args "--price 95.00" "${PASS[@]}" \
  --gateway-cmd "exec '$BUILD/apps/fixgw' run --config '$ROOT/bench/fixgw-bench.json'"

# The gateway drained its journal when the bench stopped it (SIGTERM).
read -r orders events received routed acked < <(psql "$FIXGW_DB" -Atc "
  select (select count(*) from orders where parent_order_id is null),
         (select count(*) from order_events),
         (select count(*) from order_events where event_type = 'RECEIVED'),
         (select count(*) from v_order_lifecycle where event_type = 'ROUTED'),  -- with 0021's lines
         (select count(*) from order_events where event_type = 'NEW')" | tr '|' ' ')
echo
echo "PostgreSQL schema $SCHEMA: $orders parent orders, $events order events" \
     "(RECEIVED $received, ROUTED $routed, NEW $acked)"
if [[ "$orders" != "$received" || "$received" != "$acked" ]]; then
  echo "MISMATCH: every order received should be journaled with its acknowledgement" >&2
  exit 1
fi
