#!/usr/bin/env bash
# Tear down the namespace cluster of cluster-up.sh: every process in its namespaces (glusterd,
# bricks, self-heal daemons, a gateway in gs3gw), the namespaces and veths, and its state and
# bricks under GS3_CLUSTER_DIR. Idempotent; the host's own glusterd and volumes are untouched.
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=cluster-lib.sh
source "$HERE/cluster-lib.sh"
[ "$(id -u)" = 0 ] || { echo "cluster-down: must run as root" >&2; exit 1; }

for ns in gs3gw "${CL_NODES[@]}"; do
  for p in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$p" 2>/dev/null || true; done
done
# Wait for the killed processes to be gone before their namespaces and files go.
for _ in $(seq 1 40); do
  left=0
  for ns in gs3gw "${CL_NODES[@]}"; do [ -n "$(ip netns pids "$ns" 2>/dev/null)" ] && left=1; done
  [ $left = 0 ] && break
  sleep 0.25
done
for ns in gs3gw "${CL_NODES[@]}" gs3br; do ip netns del "$ns" 2>/dev/null || true; done
rm -rf "$CL_DIR"
echo "cluster-down: namespaces gs3* and $CL_DIR removed"
