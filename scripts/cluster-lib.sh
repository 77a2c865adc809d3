# shellcheck shell=bash
# Functions for the namespace cluster of cluster-up.sh, sourced by cluster-up.sh, cluster-down.sh,
# the fault scenarios and tests. Defines nothing else and runs nothing when sourced.
#
#   cl_gluster N ARGS...   the gluster CLI in node N's namespaces (mount + network), --mode=script
#   cl_glusterd_pid N      pid of node N's glusterd (empty when it is not running)
#   cl_node_pids N         every process in node N's network namespace (glusterd, bricks, shd)
#   cl_kill_node N         SIGKILL all of them (a node lost: power cut, kernel panic)
#   cl_start_node N        start node N's glusterd again (it restarts its bricks itself)
#   cl_link N up|down      node N's link to the bridge
#   cl_wait SECS CMD...    run CMD every 0.5 s until it succeeds, at most SECS seconds

CL_DIR=${GS3_CLUSTER_DIR:-/var/lib/glusters3-cluster}
CL_NODES=(gs3n1 gs3n2 gs3n3)

cl_addr() { # namespace -> address
  case $1 in
    gs3n1) echo 10.77.0.1 ;;
    gs3n2) echo 10.77.0.2 ;;
    gs3n3) echo 10.77.0.3 ;;
    gs3gw) echo 10.77.0.10 ;;
  esac
}

cl_glusterd_pid() {
  local pid
  pid=$(cat "$CL_DIR/n$1/run/glusterd.pid" 2>/dev/null) || return 0
  [ -n "$pid" ] && [ -d "/proc/$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = glusterd ] && echo "$pid"
  return 0
}

cl_gluster() {
  local n=$1 pid
  shift
  pid=$(cl_glusterd_pid "$n")
  [ -n "$pid" ] || { echo "cluster: glusterd of node $n is not running" >&2; return 1; }
  timeout 60 nsenter -t "$pid" -m -n gluster --mode=script "$@"
}

cl_node_pids() { ip netns pids "gs3n$1" 2>/dev/null || true; }

cl_kill_node() {
  local p
  for p in $(cl_node_pids "$1"); do kill -9 "$p" 2>/dev/null || true; done
}

cl_start_node() {
  local d="$CL_DIR/n$1"
  [ -n "$(cl_glusterd_pid "$1")" ] && return 0
  ip netns exec "gs3n$1" unshare -m --propagation private sh -c "
    mount --bind '$d/lib' /var/lib/glusterd &&
    mount --bind '$d/run' /run &&
    mount --bind '$d/log' /var/log/glusterfs &&
    exec glusterd -p /run/glusterd.pid"
}

cl_link() { ip -n gs3br link set "v-gs3n$1" "$2"; }

cl_wait() {
  local secs=$1 i
  shift
  for ((i = 0; i < secs * 2; i++)); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.5
  done
  return 1
}

cl_peers_connected() { # every node sees the two others connected
  local i n
  for i in 1 2 3; do
    n=$(cl_gluster "$i" peer status --xml | grep -c '<connected>1</connected>') || return 1
    [ "$n" -ge 2 ] || return 1
  done
}

cl_online_bricks() { # volume -> number of brick processes online
  cl_gluster 1 volume status "$1" --xml 2>/dev/null | tr -d '\n ' | sed 's#</node>#</node>\n#g' \
    | grep '<path>/' | grep -c '<status>1</status>' || true
}

cl_all_bricks_online() {
  [ "$(cl_online_bricks c3)" -ge 3 ] && [ "$(cl_online_bricks c6)" -ge 6 ]
}

cl_healthy() {
  [ -n "$(cl_glusterd_pid 1)" ] && [ -n "$(cl_glusterd_pid 2)" ] && [ -n "$(cl_glusterd_pid 3)" ] \
    && ip netns list | grep -q '^gs3gw' && cl_peers_connected 2>/dev/null && cl_all_bricks_online 2>/dev/null
}
