#!/usr/bin/env bash
# Stop and delete the local volume made by gluster-up.sh and remove its bricks.
# glusterd and the packages stay. Set GLUSTERD_STOP=1 to stop glusterd and its bricks too.
set -euo pipefail
VOL=${GLUSTER_VOLUME:-s3vol}
ROOT=${GLUSTER_BRICK_ROOT:-/var/lib/glusters3/bricks}
say() { printf 'gluster-down: %s\n' "$*"; }
gl() { gluster --mode=script "$@"; }
# Processes of this network namespace only (the namespace cluster of cluster-up.sh has its own).
here_pids() {
  local p me
  me=$(readlink /proc/self/ns/net)
  for p in $(pgrep -x "$1"); do [ "$(readlink "/proc/$p/ns/net" 2>/dev/null)" = "$me" ] && echo "$p"; done
  return 0
}
[ "$(id -u)" = 0 ] || { echo "gluster-down: must run as root" >&2; exit 1; }
if command -v gluster >/dev/null && [ -n "$(here_pids glusterd)" ]; then
  if gl volume info "$VOL" >/dev/null 2>&1; then
    gl volume stop "$VOL" force >/dev/null 2>&1 || true
    gl volume delete "$VOL" >/dev/null && say "deleted volume $VOL"
  fi
fi
rm -rf "$ROOT/$VOL"-b1* "$ROOT/$VOL"-b2* "$ROOT/$VOL"-b3*
if [ "${GLUSTERD_STOP:-0}" = 1 ]; then
  for n in glusterfsd glusterfs glusterd; do for p in $(here_pids $n); do kill "$p" 2>/dev/null || true; done; done
  say "stopped glusterd and brick processes"
fi
