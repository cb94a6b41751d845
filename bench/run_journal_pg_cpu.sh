#!/usr/bin/env bash
# PostgreSQL CPU per order of the journal alone (issue 15, session 8): bench_journal (fixed batch
# size, the gateway's record mix with --fix-log) against the cluster of scripts/pg.sh, and the
# journal's backend CPU (bench_journal's own count) as µs per order and per transaction, and the
# cluster's whole CPU (postmaster, reaped children, live children; includes the fresh schema's
# migrations). Batch size is fixed (--max-batch), so the number does
# not depend on the machine's load the way the gateway's group commit does. Not a test.
#
#   bench/run_journal_pg_cpu.sh [BUILD_DIR] [--orders N] [--max-batch N] [--rate R] [--runs K]
#                               [--shape direct-no-routed|direct|child-row|new-only]
#
# --shape picks bench_journal's record mix (default: the engine's, direct-no-routed; direct is the
# engine before schema 0021, with a ROUTED event per order).
#
# FIXGW_PG_PORT / FIXGW_PGDATA pick a private cluster (anyone else's load on it is counted).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
BUILD="$ROOT/build"
N=20000
MAXB=280
RATE=0
RUNS=1
SHAPE=direct-no-routed
while [[ $# -gt 0 ]]; do
  case "$1" in
    --orders) N="${2:?}"; shift 2 ;;
    --max-batch) MAXB="${2:?}"; shift 2 ;;
    --rate) RATE="${2:?}"; shift 2 ;;
    --runs) RUNS="${2:?}"; shift 2 ;;
    --shape) SHAPE="${2:?}"; shift 2 ;;
    -*) echo "run_journal_pg_cpu: unknown option $1" >&2; exit 2 ;;
    *) BUILD="$(cd "$1" && pwd -P)"; shift ;;
  esac
done
[[ -x "$BUILD/bench/bench_journal" ]] || { echo "build bench_journal first" >&2; exit 2; }
bash "$ROOT/scripts/pg.sh" ensure >/dev/null
DB="$(bash "$ROOT/scripts/pg.sh" conninfo)"
PGDATA_DIR="$(bash "$ROOT/scripts/pg.sh" status | sed -n 's/^running: data \([^,]*\),.*/\1/p')"
PM=$(head -n 1 "$PGDATA_DIR/postmaster.pid")
HZ=$(getconf CLK_TCK)
cluster_ticks() {
  local t p
  t=$(sed 's/^.*) //' "/proc/$PM/stat" | awk '{print $12 + $13 + $14 + $15}')
  for p in $(pgrep -P "$PM"); do
    t=$((t + $(sed 's/^.*) //' "/proc/$p/stat" 2>/dev/null | awk '{print $12 + $13}' || echo 0)))
  done
  echo "$t"
}
for ((i = 1; i <= RUNS; i++)); do
  a=$(cluster_ticks)
  out=$("$BUILD/bench/bench_journal" --db "$DB" --orders "$N" --max-batch "$MAXB" --rate "$RATE" \
        --fix-log --shape "$SHAPE" --schema-dir "$ROOT/schema" 2>&1)
  sleep 1
  b=$(cluster_ticks)
  batches=$(echo "$out" | awk '$1 == "batches" {print $2; exit}')
  server=$(echo "$out" | awk '$1 == "server" && $2 == "backend" {print $3; exit}')
  awk -v s="${server:-0}" -v n="$N" -v nb="${batches:-0}" -v d=$((b - a)) -v hz="$HZ" \
    -v up="$(cut -d' ' -f1-3 /proc/loadavg)" \
    -v shape="$SHAPE" \
    'BEGIN { printf "run: shape=" shape " backend_us_per_order=%.2f backend_us_per_batch=%.0f batches=%s cluster_us_per_order(incl. migrations)=%.2f load=%s\n",
             s * 1e6 / n, (nb > 0 ? s * 1e6 / nb : 0), nb, d / hz * 1e6 / n, up }'
  echo "$out" | grep -iE '^(batches|round|server|records/s)' | sed 's/^/  /'
done
