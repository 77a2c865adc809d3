#!/usr/bin/env bash
# Bring up a local replica-3 GlusterFS volume for development, tests and CI.
#
# Idempotent: installs what is missing (Debian/Ubuntu, as root), starts glusterd if it is not
# running, creates three brick directories and a replica-3 volume if they do not exist, starts it,
# sets the options the gateway relies on, and waits until all three bricks are online.
#
# Environment:
#   GLUSTER_VOLUME      volume name                       (default: s3vol)
#   GLUSTER_BRICK_ROOT  directory holding the three bricks (default: /var/lib/glusters3/bricks)
#   GLUSTER_HOST        host name used in brick paths     (default: $(hostname))
#   GLUSTER_WAIT_SECS   how long to wait for the bricks   (default: 60)
set -euo pipefail

VOL=${GLUSTER_VOLUME:-s3vol}
ROOT=${GLUSTER_BRICK_ROOT:-/var/lib/glusters3/bricks}
HOST=${GLUSTER_HOST:-$(hostname)}
WAIT=${GLUSTER_WAIT_SECS:-60}

say() { printf 'gluster-up: %s\n' "$*"; }
die() { printf 'gluster-up: error: %s\n' "$*" >&2; exit 1; }
gl() { gluster --mode=script "$@"; }

[ "$(id -u)" = 0 ] || die "must run as root (glusterd and brick creation need it)"

# 1. Packages. Each is checked by what it provides, so a machine that has them does nothing.
need=()
command -v glusterd >/dev/null 2>&1 || need+=(glusterfs-server)
pkg-config --exists glusterfs-api 2>/dev/null || need+=(libglusterfs-dev)
command -v pkg-config >/dev/null 2>&1 || need+=(pkg-config)
ls /usr/lib/llvm-*/lib/libclang.so >/dev/null 2>&1 || need+=(libclang-dev)
if [ ${#need[@]} -gt 0 ]; then
  command -v apt-get >/dev/null 2>&1 || die "missing ${need[*]} and no apt-get to install them"
  say "installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq || die "apt-get update failed"
  # policy-rc.d stops the package scripts from trying to start services through an init system
  # that may not exist here; glusterd is started below, by us.
  printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null \
    || { rm -f /usr/sbin/policy-rc.d; die "apt-get install ${need[*]} failed"; }
  rm -f /usr/sbin/policy-rc.d
  pkg-config --exists glusterfs-api || die "glusterfs-api.pc still missing after install"
fi

# 2. glusterd. Only one in this network namespace counts: the namespace cluster of cluster-up.sh
#    runs glusterds of its own, which are not ours.
here_pids() { # process name -> its pids in this network namespace
  local p me
  me=$(readlink /proc/self/ns/net)
  for p in $(pgrep -x "$1"); do [ "$(readlink "/proc/$p/ns/net" 2>/dev/null)" = "$me" ] && echo "$p"; done
  return 0
}
getent hosts "$HOST" >/dev/null || die "host name '$HOST' does not resolve; set GLUSTER_HOST or fix /etc/hosts"
if [ -z "$(here_pids glusterd)" ]; then
  say "starting glusterd"
  mkdir -p /var/log/glusterfs /var/lib/glusterd
  glusterd -p /run/glusterd.pid || die "glusterd failed to start (see /var/log/glusterfs/glusterd.log)"
fi
for _ in $(seq 1 60); do gl volume list >/dev/null 2>&1 && break; sleep 0.5; done
gl volume list >/dev/null 2>&1 || die "glusterd does not answer (see /var/log/glusterfs/glusterd.log)"

# 3. The volume.
if ! gl volume info "$VOL" >/dev/null 2>&1; then
  bricks=()
  for i in 1 2 3; do
    b="$ROOT/$VOL-b$i"
    # A directory left by a deleted volume carries its volume-id and is refused: move it aside.
    if [ -e "$b" ]; then mv "$b" "$b.old.$(date +%s%N)"; fi
    mkdir -p "$b"
    bricks+=("$HOST:$b")
  done
  say "creating replica-3 volume $VOL on ${bricks[*]}"
  gl volume create "$VOL" replica 3 "${bricks[@]}" force >/dev/null || die "volume create $VOL failed"
fi
if ! gl volume info "$VOL" | grep -q '^Status: Started'; then
  say "starting volume $VOL"
  gl volume start "$VOL" >/dev/null || die "volume start $VOL failed"
fi

# 4. Options (DESIGN §4, research/gluster.md §4.3 and §6): cache invalidation so that another
#    client's cached dentry does not answer ESTALE after a rename-over, and a short ping-timeout so
#    a hung brick stalls I/O for ~17 s rather than ~81 s.
set_opt() {
  local cur
  cur=$(gl volume get "$VOL" "$1" 2>/dev/null | awk -v k="$1" '$1==k {print $2}')
  if [ "$cur" != "$2" ]; then
    say "setting $1 = $2"
    gl volume set "$VOL" "$1" "$2" >/dev/null || die "volume set $VOL $1 $2 failed"
  fi
}
set_opt features.cache-invalidation on
set_opt performance.cache-invalidation on
set_opt network.ping-timeout 10

# 5. Wait for all three bricks. A brick that died (or a glusterd restarted without its bricks)
#    is brought back with 'start force', which only starts what is down.
online() {
  # One line per <node>; brick nodes have an absolute <path>, the self-heal daemon does not.
  gl volume status "$VOL" --xml 2>/dev/null | tr -d '\n ' | sed 's#</node>#</node>\n#g' \
    | grep '<path>/' | grep -c '<status>1</status>' || true
}
forced=0
for i in $(seq 1 $((WAIT * 2))); do
  n=$(online)
  [ "$n" -ge 3 ] && break
  if [ $forced = 0 ] && [ "$i" -gt 6 ]; then
    say "only $n of 3 bricks online; volume start force"
    gl volume start "$VOL" force >/dev/null || true
    forced=1
  fi
  sleep 0.5
done
n=$(online)
[ "$n" -ge 3 ] || die "only $n of 3 bricks of $VOL online after ${WAIT}s (gluster volume status $VOL)"
say "volume $VOL is up: replica 3, 3 of 3 bricks online (server $HOST:24007)"
