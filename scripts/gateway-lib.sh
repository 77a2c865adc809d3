# shellcheck shell=bash
# Functions for scripts that run a gateway (or another server) on this host for a while:
# bench/run.sh (`make bench`) and scripts/soak.sh (`make soak`). Defines nothing else and runs
# nothing when sourced.
#
#   free_port PORT       the first port from PORT on that nothing on 127.0.0.1 listens on
#   wait_gone PID SECS   wait at most SECS for PID to exit, then SIGKILL it (always returns 0)

free_port() {
  local p=$1
  while (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null; do p=$((p + 1)); done
  echo "$p"
}

wait_gone() {
  for _ in $(seq 1 $(($2 * 10))); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL "$1" 2>/dev/null
  return 0
}
