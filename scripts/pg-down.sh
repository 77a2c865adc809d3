#!/usr/bin/env bash
# Stop the test PostgreSQL that scripts/pg-up.sh started (its data stays; remove
# GLUSTERS3_PG_DIR to start from scratch). Does nothing if it is not running.
set -euo pipefail
DIR=${GLUSTERS3_PG_DIR:-/var/tmp/glusters3-pg}
BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -n "$BIN" ] && [ -s "$DIR/data/PG_VERSION" ] || exit 0
if [ "$(id -u)" = 0 ]; then run=(runuser -u postgres --); else run=(); fi
if "${run[@]}" "$BIN/pg_ctl" -D "$DIR/data" status >/dev/null 2>&1; then
  "${run[@]}" "$BIN/pg_ctl" -D "$DIR/data" -m fast -w stop >/dev/null
  printf 'pg-down: stopped\n' >&2
fi
