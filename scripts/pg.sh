#!/usr/bin/env bash
# Manages a project-local PostgreSQL 15 cluster for development, tests and the demo.
#
#   scripts/pg.sh ensure    initdb if needed, start if stopped, wait until ready, create role and
#                           database `fixgw` if missing. Idempotent: run it as often as you like.
#   scripts/pg.sh stop      stop the cluster (fast shutdown)
#   scripts/pg.sh status    say whether it runs, where its data lives, which port it listens on
#   scripts/pg.sh conninfo  print the libpq conninfo of the fixgw database
#
# Environment:
#   FIXGW_PG_PORT   TCP port on 127.0.0.1 (default 5433, so it never collides with a system 5432)
#   FIXGW_PGDATA    data directory (default <repo>/var/pgdata)
#
# This is a LOCAL DEVELOPMENT cluster: it listens on 127.0.0.1 only and trusts every local
# connection without a password. Never copy its pg_hba.conf to a shared or production server.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
PORT="${FIXGW_PG_PORT:-5433}"
VAR_DIR="$REPO/var"
LOG="$VAR_DIR/pg.log"

die() {
  echo "pg.sh: $*" >&2
  exit 1
}

if [[ ! "$PORT" =~ ^[0-9]+$ ]] || ((PORT < 1 || PORT > 65535)); then
  die "FIXGW_PG_PORT must be a TCP port number, got '$PORT'"
fi

if [[ -x /usr/lib/postgresql/15/bin/pg_ctl ]]; then
  BINDIR=/usr/lib/postgresql/15/bin
elif command -v pg_config >/dev/null 2>&1 && [[ -x "$(pg_config --bindir)/pg_ctl" ]]; then
  BINDIR="$(pg_config --bindir)"
else
  die "PostgreSQL server binaries not found (looked in /usr/lib/postgresql/15/bin and pg_config --bindir)"
fi
PSQL="$BINDIR/psql"

# PostgreSQL refuses to run as root, so as root the server runs as an unprivileged user.
RUN_USER=""
if [[ "$(id -u)" == 0 ]]; then
  if id -u postgres >/dev/null 2>&1; then
    RUN_USER=postgres
  else
    if ! id -u fixgw >/dev/null 2>&1; then
      useradd --system --no-create-home --shell /usr/sbin/nologin fixgw
    fi
    RUN_USER=fixgw
  fi
fi

as_server_user() {
  if [[ -n "$RUN_USER" ]]; then
    runuser -u "$RUN_USER" -- "$@"
  else
    "$@"
  fi
}

# Pick the data directory. The server user must be able to traverse every folder above it; a
# repo cloned under a private folder (mktemp -d makes mode 700) cannot be, so the default falls
# back to a folder under /var/tmp keyed by the repo path (stable across runs).
pick_data_dir() {
  if [[ -n "${FIXGW_PGDATA:-}" ]]; then
    PGDATA="$FIXGW_PGDATA"
    mkdir -p "$(dirname "$PGDATA")"
    if [[ -n "$RUN_USER" ]] && ! runuser -u "$RUN_USER" -- test -x "$(dirname "$PGDATA")"; then
      die "user $RUN_USER cannot reach $(dirname "$PGDATA") (FIXGW_PGDATA); pick another folder"
    fi
    return
  fi
  mkdir -p "$VAR_DIR"
  PGDATA="$VAR_DIR/pgdata"
  if [[ -n "$RUN_USER" ]] && ! runuser -u "$RUN_USER" -- test -x "$VAR_DIR"; then
    local hash
    hash="$(printf '%s' "$REPO" | sha1sum | cut -c1-10)"
    PGDATA="/var/tmp/fixgw-pg-$hash"
    echo "pg.sh: user $RUN_USER cannot traverse $VAR_DIR; using data dir $PGDATA" >&2
  fi
}

is_running() {
  [[ -f "$PGDATA/PG_VERSION" ]] && as_server_user "$BINDIR/pg_ctl" status -D "$PGDATA" >/dev/null 2>&1
}

psql_admin() {
  "$PSQL" "host=127.0.0.1 port=$PORT dbname=postgres user=postgres" -X -q -v ON_ERROR_STOP=1 "$@"
}

write_config() {
  # The unix socket lives in the data dir so nothing needs /var/run/postgresql. Socket paths are
  # limited to ~107 bytes; past that, TCP on 127.0.0.1 only.
  local sockdir="$PGDATA"
  if ((${#PGDATA} + 20 > 100)); then
    echo "pg.sh: data dir path too long for a unix socket; TCP only" >&2
    sockdir=""
  fi
  cat >"$PGDATA/fixgw.conf" <<EOF
# Written by scripts/pg.sh on every 'ensure'; edit the script, not this file.
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$sockdir'
max_connections = 200
# Light tuning for a test cluster. fsync and synchronous_commit stay ON: the journal's
# durability is a product feature and tests must exercise the real commit path.
shared_buffers = 128MB
fsync = on
synchronous_commit = on
log_min_messages = warning
log_line_prefix = '%m [%p] %q%u@%d '
EOF
  if ! grep -q "^include_if_exists 'fixgw.conf'" "$PGDATA/postgresql.conf"; then
    echo "include_if_exists 'fixgw.conf'" >>"$PGDATA/postgresql.conf"
  fi
  # Local development cluster: trust every connection from this machine, no passwords.
  cat >"$PGDATA/pg_hba.conf" <<EOF
# Written by scripts/pg.sh. LOCAL DEVELOPMENT CLUSTER ONLY: trust auth on loopback.
local all all trust
host  all all 127.0.0.1/32 trust
EOF
  if [[ -n "$RUN_USER" ]]; then
    chown "$RUN_USER" "$PGDATA/fixgw.conf" "$PGDATA/pg_hba.conf"
  fi
}

cmd_ensure() {
  pick_data_dir
  # Serialise concurrent 'ensure' runs (parallel test jobs, several shells).
  exec 9>"${TMPDIR:-/tmp}/fixgw-pg-$PORT.lock"
  flock 9

  if [[ ! -f "$PGDATA/PG_VERSION" ]]; then
    echo "pg.sh: initialising cluster in $PGDATA" >&2
    mkdir -p "$PGDATA"
    chmod 700 "$PGDATA"
    [[ -n "$RUN_USER" ]] && chown "$RUN_USER" "$PGDATA"
    as_server_user "$BINDIR/initdb" -D "$PGDATA" --username=postgres --auth=trust \
      --encoding=UTF8 --locale=C --no-instructions >/dev/null
  elif [[ -n "$RUN_USER" ]]; then
    chown -R "$RUN_USER" "$PGDATA"
  fi
  write_config

  if ! is_running; then
    if "$BINDIR/pg_isready" -q -h 127.0.0.1 -p "$PORT" -U postgres -d postgres >/dev/null 2>&1; then
      die "something else already listens on 127.0.0.1:$PORT; set FIXGW_PG_PORT"
    fi
    mkdir -p "$VAR_DIR"
    # The log is opened here (as the invoking user), so the server user needs no access to it.
    # fd 9 (the lock) is closed for the server, or the postmaster would hold the lock forever.
    echo "pg.sh: starting PostgreSQL on 127.0.0.1:$PORT (data $PGDATA, log $LOG)" >&2
    if ! as_server_user "$BINDIR/pg_ctl" start -D "$PGDATA" -w -t 60 >>"$LOG" 2>&1 9>&-; then
      tail -n 20 "$LOG" >&2 || true
      die "PostgreSQL did not start; see $LOG"
    fi
  fi

  local i
  for ((i = 0; i < 120; i++)); do
    "$BINDIR/pg_isready" -q -h 127.0.0.1 -p "$PORT" -U postgres -d postgres && break
    sleep 0.5
  done
  "$BINDIR/pg_isready" -q -h 127.0.0.1 -p "$PORT" -U postgres -d postgres ||
    die "PostgreSQL on 127.0.0.1:$PORT is not ready after 60s; see $LOG"

  if [[ "$(psql_admin -tAc "select 1 from pg_roles where rolname = 'fixgw'")" != 1 ]]; then
    psql_admin -c "create role fixgw login createdb"
  fi
  if [[ "$(psql_admin -tAc "select 1 from pg_database where datname = 'fixgw'")" != 1 ]]; then
    psql_admin -c "create database fixgw owner fixgw"
  fi
  echo "pg.sh: ready: $(cmd_conninfo)" >&2
}

cmd_stop() {
  pick_data_dir
  if is_running; then
    as_server_user "$BINDIR/pg_ctl" stop -D "$PGDATA" -m fast -w >/dev/null
    echo "pg.sh: stopped ($PGDATA)"
  else
    echo "pg.sh: not running ($PGDATA)"
  fi
}

cmd_status() {
  pick_data_dir
  if is_running; then
    echo "running: data $PGDATA, 127.0.0.1:$PORT, log $LOG"
  elif [[ -f "$PGDATA/PG_VERSION" ]]; then
    echo "stopped: data $PGDATA"
    return 3
  else
    echo "not initialised: data dir would be $PGDATA"
    return 3
  fi
}

cmd_conninfo() {
  echo "host=127.0.0.1 port=$PORT dbname=fixgw user=fixgw"
}

case "${1:-}" in
  ensure) cmd_ensure ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  conninfo) cmd_conninfo ;;
  *)
    echo "usage: $0 {ensure|stop|status|conninfo}" >&2
    exit 2
    ;;
esac
