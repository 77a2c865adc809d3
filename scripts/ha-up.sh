#!/usr/bin/env bash
# The replicated registry database for several gateways, on this machine, from Debian's packages:
# a 3-member etcd and three PostgreSQL servers managed by Patroni (one primary, two standbys,
# synchronous replication: Patroni's synchronous_mode, so a commit is acknowledged only once a
# standby has it, and only that standby may be promoted). Everything lives on loopback under
# HA_DIR; idempotent (a running member is left alone); ha-down.sh stops and removes it all.
#
#   etcd      127.0.0.1:2379{1,2,3} (clients), :2380{1,2,3} (peers)
#   Patroni   REST 127.0.0.1:5800{1,2,3}; PostgreSQL 127.0.0.1:5544{1,2,3}
#   database  glusters3, role glusters3 (trust on loopback: a test cluster, not a production one)
#
# The gateways' registry URL, which follows a failover (printed at the end, and by ha_url in ha-lib.sh):
#   postgres://glusters3@127.0.0.1:55441,127.0.0.1:55442,127.0.0.1:55443/glusters3?target_session_attrs=read-write
#
# Patroni 3.0 (Debian 12) has no quorum commit (`ANY 1`, Patroni >= 4): its synchronous mode names
# one standby (`FIRST 1`), which gives the same guarantee, no acknowledged commit lost on failover.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=ha-lib.sh
source "$HERE/ha-lib.sh"

say() { printf 'ha-up: %s\n' "$*"; }
die() { printf 'ha-up: %s\n' "$*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "must run as root (packages, the postgres user)"

# 1. Packages.
need=()
for p in postgresql patroni etcd-server; do
  dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  say "installing ${need[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o DPkg::Lock::Timeout=600 "${need[@]}" >/dev/null \
    || { apt-get update -q -o DPkg::Lock::Timeout=600 >/dev/null && \
         DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o DPkg::Lock::Timeout=600 "${need[@]}" >/dev/null; } \
    || die "could not install ${need[*]}"
fi
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
[ -x "$PG_BIN/postgres" ] || die "no PostgreSQL server binaries under /usr/lib/postgresql"
mkdir -p "$HA_DIR"

# 2. etcd: three members, one cluster.
initial=etcd1=http://127.0.0.1:23801,etcd2=http://127.0.0.1:23802,etcd3=http://127.0.0.1:23803
for i in 1 2 3; do
  if ha_etcd_running "$i"; then continue; fi
  state=new && [ -d "$HA_DIR/etcd$i/member" ] && state=existing
  nohup etcd --name "etcd$i" --data-dir "$HA_DIR/etcd$i" \
    --listen-client-urls "http://127.0.0.1:2379$i" --advertise-client-urls "http://127.0.0.1:2379$i" \
    --listen-peer-urls "http://127.0.0.1:2380$i" --initial-advertise-peer-urls "http://127.0.0.1:2380$i" \
    --initial-cluster "$initial" --initial-cluster-state "$state" --initial-cluster-token glusters3-ha \
    --heartbeat-interval 100 --election-timeout 1000 \
    >>"$HA_DIR/etcd$i.log" 2>&1 &
  echo $! >"$HA_DIR/etcd$i.pid"
done
ha_wait 60 ha_etcd_healthy || die "etcd not healthy: $(tail -3 "$HA_DIR/etcd1.log")"
say "etcd: 3 members healthy"

# 3. Patroni and PostgreSQL.
for i in 1 2 3; do
  mkdir -p "$HA_DIR/pg$i" "$HA_DIR/sock$i"
  chmod 700 "$HA_DIR/pg$i"
  chown postgres:postgres "$HA_DIR/pg$i" "$HA_DIR/sock$i"
  cat >"$HA_DIR/patroni$i.yml" <<YAML
scope: glusters3
name: pg$i
restapi:
  listen: 127.0.0.1:5800$i
  connect_address: 127.0.0.1:5800$i
etcd3:
  hosts: 127.0.0.1:23791,127.0.0.1:23792,127.0.0.1:23793
bootstrap:
  dcs:
    # A dead primary's leader key expires after ttl; loop_wait + 2 * retry_timeout <= ttl.
    ttl: 10
    loop_wait: 1
    retry_timeout: 4
    maximum_lag_on_failover: 1048576
    synchronous_mode: true
    postgresql:
      use_pg_rewind: true
      parameters:
        wal_level: replica
        hot_standby: "on"
        max_wal_senders: 10
        max_replication_slots: 10
        wal_log_hints: "on"
        max_connections: 200
  initdb:
    - encoding: UTF8
    - data-checksums
  pg_hba:
    - local all all trust
    - host replication replicator 127.0.0.1/32 trust
    - host all all 127.0.0.1/32 trust
postgresql:
  listen: 127.0.0.1:5544$i
  connect_address: 127.0.0.1:5544$i
  data_dir: $HA_DIR/pg$i
  bin_dir: $PG_BIN
  pgpass: $HA_DIR/sock$i/pgpass
  authentication:
    replication:
      username: replicator
      password: replicator
    superuser:
      username: postgres
      password: postgres
  parameters:
    unix_socket_directories: $HA_DIR/sock$i
YAML
  chown postgres:postgres "$HA_DIR/patroni$i.yml"
  ha_start_pg "$i"
done
ha_wait 180 ha_leader >/dev/null || die "no primary elected: $(tail -5 "$HA_DIR/patroni1.log")"
ha_wait 180 ha_replicas_streaming || die "standbys not streaming: $(ha_members)"
ha_wait 60 ha_sync_standby || die "no synchronous standby: $(ha_members)"
leader=$(ha_leader)
say "patroni: primary pg$leader, two standbys streaming, one synchronous"

# 4. The gateways' database and role (through the primary; replicated to the standbys).
psql_leader() { runuser -u postgres -- psql -h "$HA_DIR/sock$leader" -p "5544$leader" -qAt -v ON_ERROR_STOP=1 "$@"; }
psql_leader -c "SELECT 1 FROM pg_roles WHERE rolname = 'glusters3'" | grep -q 1 \
  || psql_leader -c "CREATE ROLE glusters3 LOGIN"
psql_leader -c "SELECT 1 FROM pg_database WHERE datname = 'glusters3'" | grep -q 1 \
  || psql_leader -c "CREATE DATABASE glusters3 OWNER glusters3"
say "database glusters3 ready; registry URL: $(ha_url)"
