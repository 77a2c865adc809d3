#!/usr/bin/env bash
# A real three-node GlusterFS cluster on this one machine, for fault tests (`make faults`) and the
# cluster smoke test: three Gluster peers, each in its own network namespace with its own glusterd
# (own /var/lib/glusterd, /run and logs through a private mount namespace), joined by veth pairs
# on a bridge, plus a fourth namespace for the gateway and its clients.
#
#   namespace  address        role
#   gs3br      -              the bridge (br0)
#   gs3n1..3   10.77.0.1..3   Gluster peers: glusterd, bricks, self-heal daemon
#   gs3gw      10.77.0.10     the gateway (volfile servers 10.77.0.1,10.77.0.2,10.77.0.3)
#
# Volumes: `c3` (replica 3, one brick per node) and `c6` (2 x 3 distributed-replicated, two bricks
# per node, each replica set spread over the three nodes), with the options gluster-up.sh sets.
#
# Idempotent: a running cluster is checked and left as it is; anything half-built is torn down
# first (cluster-down.sh). Runs as root; needs glusterfs-server (scripts/gluster-up.sh installs it),
# iproute2 and util-linux (unshare, nsenter). The host's own glusterd and volumes are untouched.
#
# Helpers for other scripts and tests: `source scripts/cluster-lib.sh` (cl_gluster N ..., cl_node_pids N, ...).
#
# Environment: GS3_CLUSTER_DIR (default /var/lib/glusters3-cluster), GS3_CLUSTER_WAIT_SECS (120).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=cluster-lib.sh
source "$HERE/cluster-lib.sh"
WAIT=${GS3_CLUSTER_WAIT_SECS:-120}

say() { printf 'cluster-up: %s\n' "$*"; }
die() { printf 'cluster-up: error: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root (namespaces, glusterd)"
command -v glusterd >/dev/null || bash "$HERE/gluster-up.sh" >/dev/null || die "glusterfs-server is missing and gluster-up.sh could not install it"
for c in ip unshare nsenter; do command -v $c >/dev/null || die "$c is missing (iproute2, util-linux)"; done

if cl_healthy; then
  say "cluster already up: volumes c3 and c6, 3 peers connected"
  exit 0
fi
if ip netns list 2>/dev/null | grep -q '^gs3' || [ -d "$CL_DIR" ]; then
  say "tearing down a half-built cluster first"
  bash "$HERE/cluster-down.sh" >/dev/null
fi

# 1. Network: one bridge namespace, veth pairs into each node namespace.
ip netns add gs3br
ip -n gs3br link add br0 type bridge
ip -n gs3br link set br0 up
ip -n gs3br link set lo up
for ns in "${CL_NODES[@]}" gs3gw; do
  addr=$(cl_addr "$ns")
  ip netns add "$ns"
  ip link add "v-$ns" type veth peer name eth0 netns "$ns"
  ip link set "v-$ns" netns gs3br
  ip -n gs3br link set "v-$ns" master br0 up
  ip -n "$ns" addr add "$addr/24" dev eth0
  ip -n "$ns" link set eth0 up
  ip -n "$ns" link set lo up
done
say "network up: ${CL_NODES[*]} and gs3gw on 10.77.0.0/24"

# 2. One glusterd per node, each with its own state directories (a fresh UUID each).
for i in 1 2 3; do
  d="$CL_DIR/n$i"
  mkdir -p "$d/lib" "$d/run" "$d/log" "$d/bricks"
  cp -a /var/lib/glusterd/groups "$d/lib/" 2>/dev/null || true
  ip netns exec "gs3n$i" unshare -m --propagation private sh -c "
    mount --bind '$d/lib' /var/lib/glusterd &&
    mount --bind '$d/run' /run &&
    mount --bind '$d/log' /var/log/glusterfs &&
    exec glusterd -p /run/glusterd.pid" || die "glusterd on gs3n$i failed (see $d/log/glusterd.log)"
done
for i in 1 2 3; do
  cl_wait "$WAIT" cl_gluster "$i" volume list || die "glusterd on gs3n$i does not answer (see $CL_DIR/n$i/log/glusterd.log)"
done
say "glusterd running on 10.77.0.1-3"

# 3. Trusted pool.
cl_gluster 1 peer probe 10.77.0.2 >/dev/null || die "peer probe 10.77.0.2 failed"
cl_gluster 1 peer probe 10.77.0.3 >/dev/null || die "peer probe 10.77.0.3 failed"
cl_wait "$WAIT" cl_peers_connected || die "peers not connected: $(cl_gluster 1 peer status)"
say "pool: 3 peers connected"

# 4. Volumes: bricks named by address, so any node's glusterd resolves them.
create() { # name brick-dir-names...
  local vol=$1 bricks=() b i
  shift
  for b in "$@"; do
    for i in 1 2 3; do
      mkdir -p "$CL_DIR/n$i/bricks/$b"
      bricks+=("10.77.0.$i:$CL_DIR/n$i/bricks/$b")
    done
  done
  cl_gluster 1 volume create "$vol" replica 3 "${bricks[@]}" force >/dev/null || die "volume create $vol failed"
  cl_gluster 1 volume set "$vol" features.cache-invalidation on >/dev/null
  cl_gluster 1 volume set "$vol" performance.cache-invalidation on >/dev/null
  cl_gluster 1 volume set "$vol" network.ping-timeout 10 >/dev/null
  cl_gluster 1 volume start "$vol" >/dev/null || die "volume start $vol failed"
}
create c3 c3
create c6 c6a c6b
cl_wait "$WAIT" cl_all_bricks_online || die "bricks not online: $(cl_gluster 1 volume status)"
say "volumes c3 (1 x 3) and c6 (2 x 3) started, all bricks online"
say "gateway: ip netns exec gs3gw <gateway> --volfile-server 10.77.0.1,10.77.0.2,10.77.0.3 --volume c3"
