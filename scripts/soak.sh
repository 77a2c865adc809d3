#!/usr/bin/env bash
# `make soak`: SOAK_SECS (an hour) of mixed S3 load at concurrency SOAK_CONC (32) against a
# release gateway on the local volume, with its own blob root and a temporary registry, started
# and stopped here. The load (`loadgen soak`) overwrites and deletes over a bounded key space
# (SOAK_CONC x SOAK_KEYS keys, 0 B to 6 MiB, multipart uploads included), checks every GET
# against the ledger of what it last had acknowledged, and samples the gateway's VmRSS, open fds,
# threads, GC queue length (admin /metrics) and the request rate every SOAK_INTERVAL seconds; after the warm-up (10% of the run, at
# least 60 s) the resident set's least-squares slope must stay under SOAK_RSS_MAX_MIB_H MiB/h
# (judged when 20 minutes or more are left after the warm-up), fds, threads and the GC queue must show no upward
# trend and come back at rest after the load (the rules: bench/src/trend.rs). After the load every
# key is read back (`loadgen verify`: deleted keys must be gone) and `gateway fsck` runs on the
# stopped gateway. Writes soak-results/<time>.md (and <time>.csv: every sample). Not part of
# `make test` or CI.
#
# Exit status: 0 pass; 1 a check failed (an error the load did not provoke, a mismatch, growth,
# read-back or fsck not clean); 2 it could not run. Work files are kept in /tmp on failure.
#
# Environment: SOAK_SECS (3600), SOAK_CONC (32), SOAK_KEYS (keys per worker, 32),
# SOAK_INTERVAL (10), SOAK_RSS_MAX_MIB_H (8), SOAK_NO_BUILD=1 (use the release binaries as they
# are), GLUSTER_VOLUME (s3vol), GLUSTER_HOST (localhost), CARGO_TARGET_DIR.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
# shellcheck source=cluster-lib.sh
source "$HERE/cluster-lib.sh" # cl_wait
# shellcheck source=gateway-lib.sh
source "$HERE/gateway-lib.sh" # free_port, wait_gone

SECS=${SOAK_SECS:-3600}
CONC=${SOAK_CONC:-32}
KEYS=${SOAK_KEYS:-32}
INTERVAL=${SOAK_INTERVAL:-10}
RSS_MAX=${SOAK_RSS_MAX_MIB_H:-8}
VOL=${GLUSTER_VOLUME:-s3vol}
SERVER=${GLUSTER_HOST:-localhost}
BIN=${CARGO_TARGET_DIR:-$ROOT/target}/release
GATEWAY=$BIN/gateway LOADGEN=$BIN/loadgen
AK=soak SK=soak-secret
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
VROOT=/glusters3-soak/$STAMP-$$ # the gateway's blob root on the volume
OUT=$ROOT/soak-results/$STAMP.md

say() { printf 'soak: %s\n' "$*" >&2; }

[ "$(id -u)" = 0 ] || { say "must run as root (the volume)"; exit 2; }
bash "$HERE/gluster-up.sh" >&2
if [ "${SOAK_NO_BUILD:-0}" != 1 ]; then
  say "building gateway and loadgen (release)"
  (cd "$ROOT" && cargo build --release -p gateway -p bench) >&2
fi
[ -x "$GATEWAY" ] && [ -x "$LOADGEN" ] || { say "no release binaries in $BIN"; exit 2; }

WORK=$(mktemp -d /tmp/soak.XXXXXX)
GW_PID='' KEEP=0
gw_stop() {
  [ -n "$GW_PID" ] || return 0
  kill -TERM "$GW_PID" 2>/dev/null || true
  wait_gone "$GW_PID" 60
  wait "$GW_PID" 2>/dev/null || true
  GW_PID=''
}
cleanup() {
  set +e
  gw_stop
  "$LOADGEN" rmtree --volume "$VOL" --volfile-server "$SERVER" "$VROOT" 2>&1 | tail -1 >&2
  if [ "$KEEP" = 1 ]; then say "work files kept in $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# 1. The gateway: release build, own blob root, temporary registry, warnings only in its log.
port=$(free_port 19300)
admin=$(free_port $((port + 1)))
mkdir -p "$WORK/registry"
GLUSTERS3_LOG=warn "$GATEWAY" serve --listen "127.0.0.1:$port" --admin-listen "127.0.0.1:$admin" \
  --volume "$VOL" --volfile-server "$SERVER:24007" --registry-dir "$WORK/registry" \
  --blob-root "$VROOT" --user "$AK:$SK:soak:Soak" >"$WORK/gateway.log" 2>&1 &
GW_PID=$!
ready() { kill -0 "$GW_PID" && curl -sf --max-time 2 "http://127.0.0.1:$admin/ready"; }
cl_wait 120 ready || { KEEP=1; say "gateway not ready: $(tail -3 "$WORK/gateway.log")"; exit 2; }
say "gateway pid $GW_PID on 127.0.0.1:$port, blob root $VROOT; load for $SECS s at concurrency $CONC"

# 2. The load, the samples and their verdict (the report's first part).
cpu=$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)
mem=$(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)
CONTEXT=(
  --context "Machine: $(nproc) x $cpu, $mem RAM, $(uname -sr), $(glusterfs --version 2>/dev/null | head -1)"
  --context "Command: \`make soak\` (SOAK_SECS=$SECS SOAK_CONC=$CONC SOAK_KEYS=$KEYS), $(date -u '+%Y-%m-%d %H:%M UTC'), load average at start $(cut -d' ' -f1-3 /proc/loadavg)"
  --context "Gateway: release build, volume $VOL (replica 3 on this host), its own blob root and a temporary registry"
)
mkdir -p "$(dirname "$OUT")"
rc=0
"$LOADGEN" soak --endpoint "127.0.0.1:$port" --access-key "$AK" --secret-key "$SK" --bucket soak \
  --ledger "$WORK/ledger.jsonl" --workers "$CONC" --secs "$SECS" --keys-per-worker "$KEYS" \
  --pid "$GW_PID" --admin "127.0.0.1:$admin" --interval-secs "$INTERVAL" --rss-max-mib-per-hour "$RSS_MAX" --seed "$$" \
  --report "$OUT" "${CONTEXT[@]}" >"$WORK/soak.json" 2> >(tee "$WORK/soak.log" >&2) || rc=$?
[ -s "$OUT" ] || { KEEP=1; say "no report (loadgen soak exit $rc): $(tail -3 "$WORK/soak.log")"; exit 2; }
[ "$rc" = 0 ] || KEEP=1

# 3. After the load: every key read back, then fsck on the stopped gateway.
FAIL=()
if ! "$LOADGEN" verify --endpoint "127.0.0.1:$port" --access-key "$AK" --secret-key "$SK" --bucket soak \
  --ledger "$WORK/ledger.jsonl" --conc 8 >"$WORK/verify.json" 2>"$WORK/verify.log"; then
  FAIL+=("read-back not clean")
fi
verify_line=$(jq -r '"\(.keys) keys: \(.ok) as acknowledged (deleted ones absent), \(.lost) lost, \(.torn) torn, \(.undeleted) undeleted, \(.read_errors) unreadable, \(.unknown_version) holding a write of unknown outcome"' \
  "$WORK/verify.json" 2>/dev/null || echo "no result: $(tail -1 "$WORK/verify.log")")
rss_end=$(awk '/^VmRSS:/ {printf "%.1f MiB", $2/1024}' "/proc/$GW_PID/status" 2>/dev/null || echo '?')
alive=yes
kill -0 "$GW_PID" 2>/dev/null || { alive=no; FAIL+=("gateway gone before its stop"); }
gw_stop
if "$GATEWAY" fsck --volume "$VOL" --volfile-server "$SERVER:24007" --registry-dir "$WORK/registry" \
  --blob-root "$VROOT" --json >"$WORK/fsck.json" 2>"$WORK/fsck.log"; then
  fsck_line=clean
else
  fsck_line="NOT clean: $(jq -c 'del(.ok?)' "$WORK/fsck.json" 2>/dev/null | head -c 400 || tail -1 "$WORK/fsck.log")"
  FAIL+=("fsck not clean")
fi
warns=$(grep -c -E '\b(WARN|ERROR)\b' "$WORK/gateway.log" || true)
{
  echo
  echo "## After the load"
  echo
  echo "- Read-back of every key (\`loadgen verify\`): $verify_line."
  echo "- Gateway still running at the end: $alive (RSS then $rss_end); \`gateway fsck\` after it stopped: $fsck_line."
  echo "- Gateway log (level warn): $warns lines at WARN or ERROR$([ "$warns" = 0 ] || echo ', first ones:')"
  if [ "$warns" != 0 ]; then
    echo
    grep -E '\b(WARN|ERROR)\b' "$WORK/gateway.log" | head -5 | cut -c1-300 | sed 's/^/    /'
  fi
} >>"$OUT"
if [ ${#FAIL[@]} -gt 0 ]; then
  KEEP=1
  why=$(IFS=';'; echo "${FAIL[*]}" | sed 's/;/; /g')
  if grep -q '^\*\*Verdict: PASS\*\*$' "$OUT"; then
    sed -i "s|^\*\*Verdict: PASS\*\*\$|**Verdict: FAIL: $why**|" "$OUT"
  else
    sed -i "s|^\(\*\*Verdict: FAIL: .*\)\*\*\$|\1; $why**|" "$OUT"
  fi
  rc=1
fi
cp "$WORK/soak.json" "${OUT%.md}.json"
grep -m1 '^\*\*Verdict' "$OUT" >&2
say "report: $OUT"
[ "$rc" = 0 ] || exit 1
