#!/usr/bin/env bash
# make bench: the same workloads, in one run, on the same local replica-3 volume, against
#   raw     - the gfapi crate directly (N threads on one Volume): the ceiling;
#   gateway - target/release/gateway with its own blob root and a temporary registry;
#   peer    - s3s-fs 0.14.1 serving a FUSE mount of the same volume;
#   gateway-pg - the same gateway with its registry on PostgreSQL (scripts/pg-up.sh's local server,
#             or BENCH_PG_URL), in a database of its own (measured only when asked for);
#   gateway-sse - the same gateway with a master key and bucket default encryption (SSE-S3):
#             every object sealed with AES-256-GCM in 64 KiB chunks.
# Everything is prepared first (listing directory, registry, gateway, mount, s3s-fs); then ONE
# `loadgen suite` runs the matrix with the workloads interleaved: each workload (e.g. PUT 4 KiB
# c1) on raw, gateway and peer back to back, then the next one, so the drifting noise of a
# shared machine hits the three systems alike.
# Writes bench/results/<date>/{results.csv,results.md,chart.png,run.log} and, for a full run,
# the README's benchmark section. Every object, directory and process it creates is removed at
# the end (also on failure or Ctrl-C). Traffic goes to 127.0.0.1 only.
#
# Environment:
#   BENCH_QUICK=1          4 KiB and 1 MiB, concurrency 1 and 8, 2 s per workload (< 5 minutes)
#   BENCH_REGISTRY=postgres  the registry comparison: gateway (sled) vs gateway-pg, PUT/GET 4 KiB
#                          and LIST at concurrency 1, 8 and 32 (results in bench/results/<date>-registry)
#   BENCH_PG_URL           PostgreSQL server for gateway-pg, e.g. the HA cluster of make ha
#                          (default: scripts/pg-up.sh's; a database is created and dropped)
#   BENCH_SYSTEMS          which systems, in their order within each workload
#                          (default: "raw gateway gateway-sse peer")
#   BENCH_DURATION         measured seconds per workload (default 5; quick 2)
#   BENCH_SIZES, BENCH_CONCS  object sizes and concurrencies (loadgen suite's --sizes/--concs,
#                          e.g. BENCH_SIZES=64m BENCH_CONCS=1,8 BENCH_SYSTEMS="gateway gateway-sse")
#   BENCH_OUT              output directory (default bench/results/<UTC date>[-quick])
#   BENCH_LIST_LARGE       keys in the gateway's large listing bucket (default 1000000)
#   BENCH_README=0         do not update README.md (a quick run never does)
#   S3S_FS                 path of an s3s-fs binary (else PATH, else built once into
#                          ~/.cache/glusters3-bench with cargo install, ~6 minutes)
#   GLUSTER_VOLUME, GLUSTER_HOST   the volume (default s3vol on localhost)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
# shellcheck source=../scripts/gateway-lib.sh
source scripts/gateway-lib.sh # free_port, wait_gone

QUICK=${BENCH_QUICK:-0}
REGISTRY_RUN=$([ "${BENCH_REGISTRY:-}" = postgres ] && echo 1 || echo 0)
if [ "$REGISTRY_RUN" = 1 ]; then
  SYSTEMS=${BENCH_SYSTEMS:-gateway gateway-pg}
else
  SYSTEMS=${BENCH_SYSTEMS:-raw gateway gateway-sse peer}
fi
VOL=${GLUSTER_VOLUME:-s3vol}
SERVER=${GLUSTER_HOST:-localhost}
DATE=$(date -u +%Y-%m-%d)
SUFFIX=$([ "$QUICK" = 1 ] && echo "-quick" || true)
[ "$REGISTRY_RUN" = 1 ] && SUFFIX=-registry
OUT=${BENCH_OUT:-bench/results/$DATE$SUFFIX}
LARGE=${BENCH_LIST_LARGE:-1000000}
SMALL=10000
BENCH_BUCKET=bench                           # loadgen suite's default --bucket
RUN=run-$(date -u +%Y%m%dT%H%M%S)-$$
VROOT=/glusters3-bench/$RUN                  # on the volume
WORK=$ROOT/bench/work/$RUN                   # local scratch (gitignored)
MNT=/mnt/glusters3-bench-$RUN                # FUSE mount for the peer
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
LOADGEN=$TARGET_DIR/release/loadgen
GATEWAY=$TARGET_DIR/release/gateway
AK=bench
SK=bench-secret
S3S_VERSION=0.14.1
started=$(date +%s)

say() { printf 'bench: %s\n' "$*" | tee -a "$WORK/run.log" >&2; }
die() { say "error: $*"; exit 1; }

mkdir -p "$WORK" "$OUT"
: >"$WORK/run.log"
[ "$(id -u)" = 0 ] || die "must run as root (the volume, the FUSE mount)"

GW_PID= PEER_PID= PG_PID= PG_DB= PG_BASE= SSE_PID=
# psql on PG_BASE's server, database postgres.
pg_admin() { psql "${PG_BASE%/*}/postgres" -qAt -v ON_ERROR_STOP=1 -c "$1"; }
cleanup() {
  set +e
  [ -n "$GW_PID" ] && kill -TERM "$GW_PID" 2>/dev/null && wait_gone "$GW_PID" 30
  [ -n "$PG_PID" ] && kill -TERM "$PG_PID" 2>/dev/null && wait_gone "$PG_PID" 30
  [ -n "$SSE_PID" ] && kill -TERM "$SSE_PID" 2>/dev/null && wait_gone "$SSE_PID" 30
  [ -n "$PG_DB" ] && pg_admin "DROP DATABASE IF EXISTS $PG_DB" >/dev/null 2>&1
  [ -n "$PEER_PID" ] && kill -TERM "$PEER_PID" 2>/dev/null && wait_gone "$PEER_PID" 10
  if mountpoint -q "$MNT" 2>/dev/null; then umount "$MNT" || umount -l "$MNT"; fi
  rmdir "$MNT" 2>/dev/null
  if [ -x "$LOADGEN" ]; then
    "$LOADGEN" rmtree --volume "$VOL" --volfile-server "$SERVER" "$VROOT" 2>&1 | tail -1 >&2
  fi
  rm -rf "$WORK/registry"
  cp "$WORK/run.log" "$OUT/run.log" 2>/dev/null
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# 1. The volume and the binaries.
bash scripts/gluster-up.sh >&2
say "building gateway and loadgen (release)"
cargo build --release -p gateway -p bench >&2

# 2. The machine, for the record.
cpu=$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)
mem=$(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)
glv=$(glusterfs --version 2>/dev/null | head -1)
MACHINE="$(nproc) x $cpu, $mem RAM, $(uname -sr), $glv, volume $VOL: replica 3, 3 bricks on this host"
load() { cut -d' ' -f1-3 /proc/loadavg; }
say "machine: $MACHINE"
say "load average at start: $(load)"
CONTEXT=(--context "Machine: $MACHINE")
CONTEXT+=(--context "Command: \`make bench\`$([ "$QUICK" = 1 ] && echo " (BENCH_QUICK=1)")$([ "$REGISTRY_RUN" = 1 ] && echo " (BENCH_REGISTRY=postgres)"), run $RUN, $(date -u '+%Y-%m-%d %H:%M UTC')")

SUITE_ARGS=(--volume "$VOL" --volfile-server "$SERVER" --raw-root "$VROOT/raw" --csv "$WORK/results.csv"
  --access-key "$AK" --secret-key "$SK")
[ "$QUICK" = 1 ] && SUITE_ARGS+=(--quick)
[ "$REGISTRY_RUN" = 1 ] && SUITE_ARGS+=(--sizes 4k --concs 1,8,32 --list-concs 1,8,32)
[ -n "${BENCH_DURATION:-}" ] && SUITE_ARGS+=(--duration "$BENCH_DURATION")
[ -n "${BENCH_SIZES:-}" ] && SUITE_ARGS+=(--sizes "$BENCH_SIZES")
[ -n "${BENCH_CONCS:-}" ] && SUITE_ARGS+=(--concs "$BENCH_CONCS")

# 3. The peer binary (before anything is measured: building it would load the machine).
PEER_WHY=
S3S=
if [[ " $SYSTEMS " == *" peer "* ]]; then
  cache=${XDG_CACHE_HOME:-$HOME/.cache}/glusters3-bench
  for c in "${S3S_FS:-}" "$(command -v s3s-fs || true)" "$cache/bin/s3s-fs"; do
    if [ -n "$c" ] && [ -x "$c" ] && "$c" --version 2>/dev/null | grep -q "$S3S_VERSION"; then S3S=$c; break; fi
  done
  if [ -z "$S3S" ]; then
    say "building s3s-fs $S3S_VERSION into $cache (once; about 6 minutes on 2 cores)"
    if CARGO_TARGET_DIR="$cache/target" cargo install s3s-fs --version "$S3S_VERSION" --features binary \
      --root "$cache" >"$WORK/s3s-build.log" 2>&1; then
      S3S=$cache/bin/s3s-fs
      rm -rf "$cache/target"
    else
      PEER_WHY="cargo install s3s-fs --version $S3S_VERSION failed: $(grep -m1 '^error' "$WORK/s3s-build.log" || tail -1 "$WORK/s3s-build.log")"
    fi
  fi
fi

# 4. Listing directory shared by raw (readdir) and peer (its bucket list10k): 10,000 empty files.
"$LOADGEN" fill --volume "$VOL" --volfile-server "$SERVER" --dir "$VROOT/peer/list10k" --count $SMALL 2>&1 | tee -a "$WORK/run.log" >&2

# 5. Every system up before anything is measured: their arguments to the one suite call.
SUITE_SYS=()
MEASURED=()
for sys in $SYSTEMS; do
  case $sys in
  raw)
    SUITE_SYS+=(--system raw --list "raw:$VROOT/peer/list10k=$SMALL")
    MEASURED+=(raw)
    ;;
  gateway)
    mkdir -p "$WORK/registry"
    say "seeding the gateway registry: list10k ($SMALL keys) and list1m ($LARGE keys), bulk import"
    "$LOADGEN" seed --volume "$VOL" --volfile-server "$SERVER" --registry "$WORK/registry" \
      --blob-root "$VROOT/gw" --owner bench --bucket "list10k=$SMALL" --bucket "list1m=$LARGE" 2>&1 | tee -a "$WORK/run.log" >&2
    port=$(free_port 19100); admin=$(free_port $((port + 1)))
    GLUSTERS3_LOG=warn "$GATEWAY" serve --listen "127.0.0.1:$port" --admin-listen "127.0.0.1:$admin" \
      --volume "$VOL" --volfile-server "$SERVER:24007" --registry-dir "$WORK/registry" \
      --blob-root "$VROOT/gw" --user "$AK:$SK:bench:Bench" >"$WORK/gateway.log" 2>&1 &
    GW_PID=$!
    for _ in $(seq 1 300); do grep -qs "listening on" "$WORK/gateway.log" && break; kill -0 $GW_PID || break; sleep 0.1; done
    grep -q "listening on" "$WORK/gateway.log" || die "gateway did not start: $(tail -3 "$WORK/gateway.log")"
    SUITE_SYS+=(--system "gateway=127.0.0.1:$port" --pid "gateway=$GW_PID"
      --list "gateway:list10k=$SMALL" --list "gateway:list1m=$LARGE")
    MEASURED+=(gateway)
    ;;
  gateway-pg)
    PG_BASE=${BENCH_PG_URL:-$(bash scripts/pg-up.sh)}
    PG_DB=gs3_bench_$(date -u +%Y%m%d%H%M%S)_$$
    pg_admin "CREATE DATABASE $PG_DB" || die "creating database $PG_DB on ${PG_BASE%/*}"
    # Durable commits, as the gateway's acknowledgements require (pg-up.sh's test server turns
    # synchronous_commit off for the test suite's speed; a cluster's synchronous standby applies
    # through 'on' as well).
    pg_admin "ALTER DATABASE $PG_DB SET synchronous_commit = on"
    base=${PG_BASE%%\?*}; query=${PG_BASE#"$base"}
    PG_URL="${base%/*}/$PG_DB$query"
    say "seeding the gateway-pg registry (PostgreSQL database $PG_DB): list10k ($SMALL keys) and list1m ($LARGE keys), bulk import"
    "$LOADGEN" seed --volume "$VOL" --volfile-server "$SERVER" --registry "$PG_URL" \
      --blob-root "$VROOT/gwpg" --owner bench --bucket "list10k=$SMALL" --bucket "list1m=$LARGE" 2>&1 | tee -a "$WORK/run.log" >&2
    port=$(free_port 19150); admin=$(free_port $((port + 1)))
    GLUSTERS3_LOG=warn "$GATEWAY" serve --listen "127.0.0.1:$port" --admin-listen "127.0.0.1:$admin" \
      --volume "$VOL" --volfile-server "$SERVER:24007" --registry "$PG_URL" \
      --blob-root "$VROOT/gwpg" --user "$AK:$SK:bench:Bench" >"$WORK/gateway-pg.log" 2>&1 &
    PG_PID=$!
    for _ in $(seq 1 300); do grep -qs "listening on" "$WORK/gateway-pg.log" && break; kill -0 $PG_PID || break; sleep 0.1; done
    grep -q "listening on" "$WORK/gateway-pg.log" || die "gateway-pg did not start: $(tail -3 "$WORK/gateway-pg.log")"
    SUITE_SYS+=(--system "gateway-pg=127.0.0.1:$port" --pid "gateway-pg=$PG_PID"
      --list "gateway-pg:list10k=$SMALL" --list "gateway-pg:list1m=$LARGE")
    MEASURED+=(gateway-pg)
    CONTEXT+=(--context "gateway-pg: the same gateway binary with its registry in PostgreSQL database $PG_DB on ${PG_BASE%%\?*} ($(psql "$PG_URL" -qAt -c 'SHOW server_version' 2>/dev/null | head -1), synchronous_commit $(psql "$PG_URL" -qAt -c 'SHOW synchronous_commit' 2>/dev/null), synchronous_standby_names '$(psql "$PG_URL" -qAt -c 'SHOW synchronous_standby_names' 2>/dev/null)')")
    ;;
  gateway-sse)
    # The same binary with a master key; the object bucket gets default encryption (SSE-S3)
    # before the suite creates it (its CreateBucket then finds it already there).
    head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$WORK/sse.key"
    printf 'sse_master_key_file = "%s"\n' "$WORK/sse.key" >"$WORK/gateway-sse.toml"
    port=$(free_port 19250); admin=$(free_port $((port + 1)))
    GLUSTERS3_LOG=warn "$GATEWAY" serve --config "$WORK/gateway-sse.toml" --listen "127.0.0.1:$port" \
      --admin-listen "127.0.0.1:$admin" --volume "$VOL" --volfile-server "$SERVER:24007" \
      --registry-dir "$WORK/registry-sse" --blob-root "$VROOT/gwsse" --user "$AK:$SK:bench:Bench" \
      >"$WORK/gateway-sse.log" 2>&1 &
    SSE_PID=$!
    for _ in $(seq 1 300); do grep -qs "listening on" "$WORK/gateway-sse.log" && break; kill -0 $SSE_PID || break; sleep 0.1; done
    grep -q "listening on" "$WORK/gateway-sse.log" || die "gateway-sse did not start: $(tail -3 "$WORK/gateway-sse.log")"
    # curl signs with SigV4 but sends no payload hash of its own (7.88), and a valueless query
    # parameter must be written `encryption=` for its canonical query to match.
    sse_url="http://127.0.0.1:$port/$BENCH_BUCKET"
    sse_put() { # query body
      curl -fsS --aws-sigv4 "aws:amz:us-east-1:s3" --user "$AK:$SK" -X PUT "$sse_url$1" \
        -H "x-amz-content-sha256: $(printf '%s' "$2" | sha256sum | cut -d' ' -f1)" \
        -H "Content-MD5: $(printf '%s' "$2" | openssl dgst -md5 -binary | base64)" --data-binary "$2" >/dev/null
    }
    sse_put "" "" || die "gateway-sse: CreateBucket failed"
    sse_put "?encryption=" '<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm></ApplyServerSideEncryptionByDefault></Rule></ServerSideEncryptionConfiguration>' \
      || die "gateway-sse: PutBucketEncryption failed"
    SUITE_SYS+=(--system "gateway-sse=127.0.0.1:$port" --pid "gateway-sse=$SSE_PID")
    MEASURED+=(gateway-sse)
    CONTEXT+=(--context "gateway-sse: the same gateway binary with sse_master_key_file and bucket default encryption (SSE-S3, AES-256-GCM in 64 KiB chunks) on its object bucket")
    ;;
  peer)
    if [ -z "$PEER_WHY" ] && [ -z "$S3S" ]; then PEER_WHY="no s3s-fs binary"; fi
    if [ -z "$PEER_WHY" ]; then
      mkdir -p "$MNT"
      if ! timeout 60 mount -t glusterfs "$SERVER:/$VOL" "$MNT" 2>"$WORK/mount.err"; then
        PEER_WHY="mount -t glusterfs $SERVER:/$VOL failed: $(head -1 "$WORK/mount.err") (needs /dev/fuse and mount.glusterfs from glusterfs-client)"
      fi
    fi
    if [ -z "$PEER_WHY" ]; then
      fuse_pid=$(pgrep -f "glusterfs.*$MNT" | head -1 || true)
      port=$(free_port 19200)
      "$S3S" --host 127.0.0.1 --port "$port" --access-key "$AK" --secret-key "$SK" "$MNT$VROOT/peer" \
        >"$WORK/peer.log" 2>&1 &
      PEER_PID=$!
      for _ in $(seq 1 100); do (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.1; done
      if (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null; then
        SUITE_SYS+=(--system "peer=127.0.0.1:$port" --pid "peer=$PEER_PID")
        [ -n "$fuse_pid" ] && SUITE_SYS+=(--pid "peer=$fuse_pid")
        SUITE_SYS+=(--list "peer:list10k=$SMALL")
        MEASURED+=(peer)
      else
        PEER_WHY="s3s-fs did not listen on 127.0.0.1:$port within 10s: $(tail -1 "$WORK/peer.log")"
        kill -TERM "$PEER_PID" 2>/dev/null || true; wait_gone "$PEER_PID" 10; PEER_PID=
        umount "$MNT" || umount -l "$MNT"
      fi
    fi
    if [ -n "$PEER_WHY" ]; then
      say "peer NOT measured: $PEER_WHY"
      CONTEXT+=(--context "Peer not measured: $PEER_WHY")
    fi
    ;;
  *) die "unknown system $sys (raw, gateway, peer, gateway-pg)" ;;
  esac
done
[ ${#MEASURED[@]} -gt 0 ] || die "no system to measure (BENCH_SYSTEMS=\"$SYSTEMS\")"

# 6. One suite, the workloads interleaved across the systems.
order=$(printf '%s, ' "${MEASURED[@]}"); order=${order%, }
load_before=$(load)
say "== suite on $order, interleaved: load average before: $load_before"
t0=$(date +%s)
"$LOADGEN" suite "${SUITE_ARGS[@]}" "${SUITE_SYS[@]}" 2>&1 | tee -a "$WORK/run.log" >&2 || die "suite failed"
load_after=$(load)
say "== suite: $(( $(date +%s) - t0 ))s, load average after: $load_after"
CONTEXT+=(--context "Workloads interleaved: one \`loadgen suite\` process measured each workload on $order back to back before the next workload; the servers ran for the whole suite")
CONTEXT+=(--context "Load average (1/5/15 min): $load_before before the suite, $load_after after it")

# 7. Stop the servers (the EXIT trap would too; the registry goes with the gateway).
if [ -n "$GW_PID" ]; then
  kill -TERM "$GW_PID" 2>/dev/null || true; wait_gone "$GW_PID" 30; GW_PID=
  rm -rf "$WORK/registry"
fi
if [ -n "$PG_PID" ]; then
  kill -TERM "$PG_PID" 2>/dev/null || true; wait_gone "$PG_PID" 30; PG_PID=
fi
if [ -n "$SSE_PID" ]; then
  kill -TERM "$SSE_PID" 2>/dev/null || true; wait_gone "$SSE_PID" 30; SSE_PID=
  rm -rf "$WORK/registry-sse"
fi
if [ -n "$PEER_PID" ]; then
  kill -TERM "$PEER_PID" 2>/dev/null || true; wait_gone "$PEER_PID" 10; PEER_PID=
  umount "$MNT" || umount -l "$MNT"
fi

# 8. Report: CSV, Markdown (and README), chart.
cp "$WORK/results.csv" "$OUT/results.csv"
CONTEXT+=(--context "Peer = s3s-fs $S3S_VERSION on a FUSE mount; its RSS/CPU columns in the CSV include the FUSE client process. Raw = this load generator's own process.")
CONTEXT+=(--context "Total wall time of the run (build included): $(( $(date +%s) - started ))s")
update_readme=$([ "$QUICK" != 1 ] && [ "$REGISTRY_RUN" != 1 ] && [ "${BENCH_README:-1}" != 0 ] && echo 1 || echo 0)
if [ ! -x bench/.venv/bin/python ] || ! bench/.venv/bin/python -c 'import matplotlib' 2>/dev/null; then
  say "installing matplotlib into bench/.venv (PyPI)"
  { python3 -m venv bench/.venv && bench/.venv/bin/pip install -q matplotlib; } >"$WORK/venv.log" 2>&1 \
    || say "no chart: python venv or pip failed (see $WORK/venv.log)"
fi
extra=()
if bench/.venv/bin/python bench/chart.py "$OUT/results.csv" "$OUT/chart.png" >>"$WORK/run.log" 2>&1; then
  extra+=(--chart chart.png)
  [ "$update_readme" = 1 ] && extra+=(--readme README.md --readme-chart "$OUT/chart.png")
else
  say "no chart: bench/chart.py failed (see $OUT/run.log)"
  [ "$update_readme" = 1 ] && extra+=(--readme README.md)
fi
"$LOADGEN" report --csv "$OUT/results.csv" --out "$OUT/results.md" --title "Results $DATE$SUFFIX" \
  "${CONTEXT[@]}" ${extra[@]+"${extra[@]}"} 2>&1 | tee -a "$WORK/run.log" >&2
say "done in $(( $(date +%s) - started ))s: $OUT/results.csv, $OUT/results.md, $OUT/chart.png"
