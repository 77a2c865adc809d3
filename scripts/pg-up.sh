#!/usr/bin/env bash
# Bring up a throwaway PostgreSQL for the registry's PostgreSQL backend tests (make test).
#
# Idempotent: installs Debian's `postgresql` if no server binaries are found (apt-get, as root),
# creates the project's own cluster with initdb if its directory holds none, and starts it with
# pg_ctl if it is not running, then waits until it accepts connections. The cluster listens on
# 127.0.0.1 only, with trust authentication: for local tests, never for anything else. It is not
# the distribution's cluster (no pg_ctlcluster, no systemd): scripts/pg-down.sh stops it.
#
# Environment:
#   GLUSTERS3_PG_DIR   cluster directory             (default: /var/tmp/glusters3-pg)
#   GLUSTERS3_PG_PORT  TCP port on 127.0.0.1         (default: 55432)
#   GLUSTERS3_PG_WAIT  seconds to wait for the start (default: 30)
#
# Prints the base URL the tests take as GLUSTERS3_TEST_POSTGRES.
set -euo pipefail

DIR=${GLUSTERS3_PG_DIR:-/var/tmp/glusters3-pg}
PORT=${GLUSTERS3_PG_PORT:-55432}
WAIT=${GLUSTERS3_PG_WAIT:-30}

say() { printf 'pg-up: %s\n' "$*" >&2; }
die() { printf 'pg-up: error: %s\n' "$*" >&2; exit 1; }

bindir() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

# 1. Packages: the server binaries, found by path (Debian installs them per major version).
if [ -z "$(bindir)" ] || [ ! -x "$(bindir)/initdb" ]; then
  [ "$(id -u)" = 0 ] || die "PostgreSQL is not installed and installing it needs root"
  command -v apt-get >/dev/null 2>&1 || die "PostgreSQL is not installed and there is no apt-get"
  say "installing postgresql"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq || die "apt-get update failed"
  # policy-rc.d keeps the package scripts from starting the distribution's own cluster.
  had_policy=0; [ -e /usr/sbin/policy-rc.d ] && had_policy=1
  [ $had_policy = 1 ] || { printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d; }
  apt-get install -y -qq --no-install-recommends postgresql >/dev/null || die "apt-get install postgresql failed"
  [ $had_policy = 1 ] || rm -f /usr/sbin/policy-rc.d
fi
BIN=$(bindir)
[ -x "$BIN/pg_ctl" ] || die "no pg_ctl in $BIN"

# initdb and the server refuse to run as root: as root, they run as the `postgres` user that the
# package created.
as_owner() {
  if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || die "no postgres user (is the postgresql package installed?)"
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

# 2. The cluster.
if [ ! -s "$DIR/data/PG_VERSION" ]; then
  say "creating a cluster in $DIR"
  mkdir -p "$DIR/data"
  [ "$(id -u)" = 0 ] && chown -R postgres:postgres "$DIR"
  chmod 700 "$DIR/data"
  as_owner "$BIN/initdb" -D "$DIR/data" -U postgres --auth=trust --encoding=UTF8 --locale=C >"$DIR/initdb.log" 2>&1 \
    || die "initdb failed: $(tail -n 5 "$DIR/initdb.log")"
  cat >>"$DIR/data/postgresql.conf" <<CONF
# glusters3 test cluster (scripts/pg-up.sh)
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$DIR'
max_connections = 200
shared_buffers = 128MB
fsync = on
# A test cluster: a crash may lose the last commits, which no test relies on; commits then cost
# no WAL flush each, which keeps the registry suite's 100,000-put listing test short.
synchronous_commit = off
CONF
fi

# 3. Running?
if ! as_owner "$BIN/pg_ctl" -D "$DIR/data" status >/dev/null 2>&1; then
  say "starting PostgreSQL on 127.0.0.1:$PORT"
  as_owner "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w -t "$WAIT" start >/dev/null \
    || die "pg_ctl start failed: $(tail -n 5 "$DIR/server.log")"
fi
for _ in $(seq 1 "$((WAIT * 10))"); do
  "$BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT" && break
  sleep 0.1
done
"$BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT" || die "PostgreSQL does not accept connections on port $PORT"
echo "postgres://postgres@127.0.0.1:$PORT/postgres"
