#!/usr/bin/env bash
# Stops and removes what ha-up.sh started: the three Patroni/PostgreSQL members and the three etcd
# members, and their data under HA_DIR. Leaves the packages installed. Idempotent.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=ha-lib.sh
source "$HERE/ha-lib.sh"

stop_pid() { # pid file: TERM, then KILL after 20 s
  local pid i
  pid=$(cat "$1" 2>/dev/null) || return 0
  [ -n "$pid" ] || return 0
  kill "$pid" 2>/dev/null || return 0
  for ((i = 0; i < 40; i++)); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.5; done
  kill -9 "$pid" 2>/dev/null || true
}

for i in 1 2 3; do
  pid=$(ha_patroni_pid "$i")
  [ -z "$pid" ] || { echo "$pid" >"$HA_DIR/patroni$i.pid" && stop_pid "$HA_DIR/patroni$i.pid"; }
done
for i in 1 2 3; do # a postmaster Patroni left behind (Patroni killed with -9)
  pid=$(head -1 "$HA_DIR/pg$i/postmaster.pid" 2>/dev/null) || continue
  [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null || true
done
for i in 1 2 3; do stop_pid "$HA_DIR/etcd$i.pid"; done
rm -rf "$HA_DIR"
echo "ha-down: stopped and removed $HA_DIR"
