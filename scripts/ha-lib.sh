# shellcheck shell=bash
# Functions for the replicated registry database of ha-up.sh (etcd + Patroni + PostgreSQL on
# loopback), sourced by ha-up.sh, ha-down.sh and the multi-gateway tests. Defines nothing else
# and runs nothing when sourced.
#
#   ha_url                 the registry URL the gateways use (all three servers, read-write one)
#   ha_members             Patroni's view of the cluster (patronictl list)
#   ha_leader              number (1..3) of the current primary; fails when there is none
#   ha_kill_pg N           SIGKILL Patroni and PostgreSQL of member N (a lost database host)
#   ha_start_pg N          start member N's Patroni again (it rejoins as a standby)
#   ha_wait SECS CMD...    run CMD every 0.5 s until it succeeds, at most SECS seconds

HA_DIR=${GS3_HA_DIR:-/var/lib/glusters3-ha}

ha_url() {
  echo "postgres://glusters3@127.0.0.1:55441,127.0.0.1:55442,127.0.0.1:55443/glusters3?target_session_attrs=read-write&connect_timeout=2"
}

ha_wait() {
  local secs=$1 i
  shift
  for ((i = 0; i < secs * 2; i++)); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.5
  done
  return 1
}

ha_pid_alive() { # pid file
  local pid
  pid=$(cat "$1" 2>/dev/null) || return 1
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}
ha_etcd_running() { ha_pid_alive "$HA_DIR/etcd$1.pid"; }
ha_patroni_pid() { pgrep -u postgres -f "patroni $HA_DIR/patroni$1.yml" | head -1; }
ha_patroni_running() { [ -n "$(ha_patroni_pid "$1")" ]; }

ha_etcd_healthy() { # every member answers healthy (its /health needs a leader and a quorum)
  local i
  for i in 1 2 3; do
    curl -sf --max-time 2 "http://127.0.0.1:2379$i/health" | jq -e '.health == "true"' >/dev/null || return 1
  done
}

ha_rest() { # member path -> JSON of its Patroni REST API
  curl -sf --max-time 2 "http://127.0.0.1:5800$1/$2"
}

ha_members() { patronictl -c "$HA_DIR/patroni1.yml" list 2>&1; }

ha_leader() {
  local i
  for i in 1 2 3; do
    if [ "$(ha_rest "$i" patroni | jq -r .role 2>/dev/null)" = master ] || \
       [ "$(ha_rest "$i" patroni | jq -r .role 2>/dev/null)" = primary ]; then
      echo "$i"
      return 0
    fi
  done
  return 1
}

ha_replicas_streaming() { # both standbys stream from the primary
  local l
  l=$(ha_leader) || return 1
  [ "$(ha_rest "$l" patroni | jq '[.replication[]? | select(.state == "streaming")] | length')" -ge 2 ]
}

ha_sync_standby() {
  local l
  l=$(ha_leader) || return 1
  ha_rest "$l" patroni | jq -e '[.replication[]? | select(.sync_state == "sync")] | length >= 1' >/dev/null
}

ha_kill_pg() {
  local pid
  pid=$(ha_patroni_pid "$1")
  [ -z "$pid" ] || kill -9 "$pid" 2>/dev/null || true
  pid=$(head -1 "$HA_DIR/pg$1/postmaster.pid" 2>/dev/null) || true
  [ -z "$pid" ] || kill -9 "$pid" 2>/dev/null || true
  # The postmaster's children go with it (they notice its death); wait for its port to close.
  ha_wait 30 bash -c "! (echo > /dev/tcp/127.0.0.1/5544$1) 2>/dev/null" || true
}

ha_start_pg() {
  ha_patroni_running "$1" && return 0
  (cd "$HA_DIR" && exec setsid runuser -u postgres -- patroni "$HA_DIR/patroni$1.yml") \
    >>"$HA_DIR/patroni$1.log" 2>&1 </dev/null &
}
