#!/usr/bin/env bash
# Several gateways on one namespace: three gateways on the local volume (one blob root) with their
# registry on the replicated PostgreSQL of ha-up.sh (Patroni, etcd), checked with real requests:
#
#   1. 8 clients race `If-None-Match: *` on one key through the three gateways: exactly one wins;
#   2. read-after-write and list-after-write across gateways; a multipart upload whose parts go
#      through two gateways and which the third completes; a bucket deleted on one is gone on all;
#   3. a client load spread over the gateways (a ledger of every acknowledged write), one gateway
#      killed with SIGKILL: the two others keep serving;
#   4. the PostgreSQL primary killed under load: Patroni promotes a standby, the gateways reconnect
#      by themselves and writes resume (the stall is measured); the old primary rejoins;
#   5. every acknowledged write read back byte for byte through another gateway than the one that
#      took it, and `gateway fsck` clean.
#
# Writes a summary to ha-results/<time>.md (stall after the primary's loss, writes lost: must be 0).
# Exit status 1 on any failed check. Leaves the database cluster up (ha-down.sh removes it).
#
# Environment: GATEWAY_BIN, LOADGEN_BIN (target/debug/...), GLUSTER_VOLUME (s3vol), HA_LOAD_SECS (20).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
# shellcheck source=ha-lib.sh
source "$HERE/ha-lib.sh"
GATEWAY=${GATEWAY_BIN:-$ROOT/target/debug/gateway}
LOADGEN=${LOADGEN_BIN:-$ROOT/target/debug/loadgen}
VOLUME=${GLUSTER_VOLUME:-s3vol}
LOAD_SECS=${HA_LOAD_SECS:-20}
AK=haaccesskey SK=ha-secret-key
RUN=$(date +%s)
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
PORTS=(9311 9312 9313)
url() { echo "http://127.0.0.1:${PORTS[$1]}"; }

say() { printf 'ha-test: %s\n' "$*"; }
FAILS=()
check() { # description command... : records a failure instead of stopping
  local what=$1
  shift
  if "$@"; then say "ok: $what"; else say "FAILED: $what"; FAILS+=("$what"); fi
}
now_ms() { date +%s%3N; }

[ -x "$GATEWAY" ] && [ -x "$LOADGEN" ] || { echo "ha-test: build first (cargo build -p gateway -p bench)" >&2; exit 2; }
bash "$HERE/ha-up.sh"

WORK=$(mktemp -d /tmp/ha-test.XXXXXX)
PIDS=("" "" "")
cleanup() {
  local i
  for i in 0 1 2; do [ -z "${PIDS[$i]}" ] || kill "${PIDS[$i]}" 2>/dev/null || true; done
  for i in 0 1 2; do [ -z "${PIDS[$i]}" ] || wait "${PIDS[$i]}" 2>/dev/null || true; done
  for i in 1 2 3; do ha_start_pg "$i" 2>/dev/null || true; done
}
trap cleanup EXIT

# A database of its own for this run, so runs never see each other's namespace.
DB=gs3_ha_$RUN
leader=$(ha_leader)
runuser -u postgres -- psql -h "$HA_DIR/sock$leader" -p "5544$leader" -qAt -v ON_ERROR_STOP=1 \
  -c "CREATE DATABASE $DB OWNER glusters3" >/dev/null
REGISTRY=$(ha_url | sed "s#/glusters3?#/$DB?#")

cat >"$WORK/gateway.toml" <<TOML
volume = "$VOLUME"
registry = "$REGISTRY"
blob_root = "/.ha-$RUN"
TOML

gw_start() { # index
  "$GATEWAY" serve --config "$WORK/gateway.toml" --listen "127.0.0.1:${PORTS[$1]}" \
    --admin-listen "127.0.0.1:$((PORTS[$1] + 100))" --user "$AK:$SK:ha:HA" \
    >>"$WORK/gateway$1.log" 2>&1 &
  PIDS[$1]=$!
}
gw_ready() { curl -sf --max-time 2 "http://127.0.0.1:$((PORTS[$1] + 100))/ready" >/dev/null; }
for i in 0 1 2; do gw_start "$i"; done
for i in 0 1 2; do
  ha_wait 120 gw_ready "$i" || { tail -20 "$WORK/gateway$i.log"; echo "ha-test: gateway $i not ready" >&2; exit 1; }
done
say "three gateways up on $VOLUME, registry $REGISTRY"

code() { # gateway-index path curl-args... -> HTTP status
  local g=$1 p=$2
  shift 2
  curl -s -o /dev/null -w '%{http_code}' --max-time 60 --aws-sigv4 "aws:amz:us-east-1:s3" --user "$AK:$SK" \
    -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" "$@" "$(url "$g")$p"
}
body() { # gateway-index path curl-args... -> body on stdout
  local g=$1 p=$2
  shift 2
  curl -sS -f --max-time 60 --aws-sigv4 "aws:amz:us-east-1:s3" --user "$AK:$SK" \
    -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" "$@" "$(url "$g")$p"
}
same_file() { cmp -s "$1" "$2"; }
eq() { [ "$1" = "$2" ]; }

# 1. Eight clients race If-None-Match: * on one key through the three gateways.
[ "$(code 0 /hatest -X PUT)" = 200 ] || { echo "ha-test: CreateBucket failed" >&2; exit 1; }
for i in 0 1 2 3 4 5 6 7; do
  echo "racer $i $RUN" >"$WORK/race$i"
  code $((i % 3)) /hatest/race -X PUT -H "If-None-Match: *" --data-binary "@$WORK/race$i" >"$WORK/race$i.code" &
done
wait_racers() { local i; for i in 0 1 2 3 4 5 6 7; do [ -s "$WORK/race$i.code" ] || return 1; done; }
ha_wait 120 wait_racers || true
wins=$(grep -l '^200$' "$WORK"/race?.code | wc -l)
losers=$(grep -lE '^(412|409)$' "$WORK"/race?.code | wc -l)
check "If-None-Match: * raced by 8 clients over 3 gateways: one 200 ($wins), seven 412/409 ($losers)" \
  eval '[ "$wins" = 1 ] && [ "$losers" = 7 ]'
winner=$(grep -l '^200$' "$WORK"/race?.code | head -1)
winner=${winner%.code}
for g in 0 1 2; do
  body "$g" /hatest/race -o "$WORK/race.back$g" || true
  check "the stored body is the winner's, read through gateway $g" same_file "$WORK/race.back$g" "$winner"
done

# 2. Read-after-write, list-after-write, multipart across gateways, bucket deletion.
head -c 200000 /dev/urandom >"$WORK/raw"
body 0 /hatest/dir/k1 -T "$WORK/raw" -o /dev/null || true
body 1 /hatest/dir/k1 -o "$WORK/raw.back" || true
check "read-after-write: PUT on gateway 0, GET on gateway 1" same_file "$WORK/raw" "$WORK/raw.back"
check "list-after-write: PUT on gateway 0, ListObjectsV2 on gateway 2" \
  eval 'body 2 "/hatest?list-type=2&prefix=dir%2F" | grep -q "<Key>dir/k1</Key>"'

head -c 5242880 /dev/urandom >"$WORK/part1"
head -c 1000000 /dev/urandom >"$WORK/part2"
# (curl signs a bare `?uploads` as `uploads`, AWS canonicalises it as `uploads=`: spelled out here.)
upload=$(body 0 "/hatest/mp?uploads=" -X POST | sed -n 's:.*<UploadId>\(.*\)</UploadId>.*:\1:p' || true)
etag1=$(body 0 "/hatest/mp?partNumber=1&uploadId=$upload" -T "$WORK/part1" -D - -o /dev/null | tr -d '\r' | sed -n 's/^[Ee][Tt]ag: //p' || true)
etag2=$(body 1 "/hatest/mp?partNumber=2&uploadId=$upload" -T "$WORK/part2" -D - -o /dev/null | tr -d '\r' | sed -n 's/^[Ee][Tt]ag: //p' || true)
cat >"$WORK/complete.xml" <<XML
<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>$etag1</ETag></Part><Part><PartNumber>2</PartNumber><ETag>$etag2</ETag></Part></CompleteMultipartUpload>
XML
body 2 "/hatest/mp?uploadId=$upload" -X POST --data-binary "@$WORK/complete.xml" -o "$WORK/complete.out" || true
cat "$WORK/part1" "$WORK/part2" >"$WORK/mp"
body 0 /hatest/mp -o "$WORK/mp.back" || true
check "multipart: created and part 1 on gateway 0, part 2 on gateway 1, completed on gateway 2, read on 0" \
  same_file "$WORK/mp" "$WORK/mp.back"

[ "$(code 0 /hagone -X PUT)" = 200 ] || FAILS+=("CreateBucket hagone")
check "DeleteBucket on gateway 1 of a bucket created on gateway 0" eq "$(code 1 /hagone -X DELETE)" 204
check "the deleted bucket is gone on gateway 2 (HEAD 404)" eq "$(code 2 /hagone -I)" 404
check "a PUT into the deleted bucket on gateway 0 is 404" eq "$(code 0 /hagone/x -X PUT --data-binary x)" 404

# 3 and 4. A load on every gateway; one gateway killed; then the PostgreSQL primary killed.
D=$WORK/load && mkdir -p "$D" && : >"$D/marks"
LOADS=("" "" "")
load_start() { # gateway index
  rm -f "$D/stop$1"
  "$LOADGEN" faultload --endpoint "127.0.0.1:${PORTS[$1]}" --access-key "$AK" --secret-key "$SK" --bucket hatest \
    --ledger "$D/ledger$1.jsonl" --workers 4 --secs 900 --stop-file "$D/stop$1" \
    --progress "$D/progress$1" --marks "$D/marks" --seed "$((RUN + $1))" >"$D/summary$1.json" 2>>"$D/load$1.log" &
  LOADS[$1]=$!
}
load_stop() { touch "$D/stop$1"; wait "${LOADS[$1]}" 2>/dev/null || true; LOADS[$1]=''; }
acked() { [ -f "$D/ledger$1.jsonl" ] && [ "$(wc -l <"$D/ledger$1.jsonl")" -ge "$2" ]; }
served_since() { [ "$(cat "$D/progress$1" 2>/dev/null || echo 0)" -gt "$2" ]; }
mark() { echo "$1 $(now_ms)" >>"$D/marks"; }

for g in 0 1 2; do load_start "$g"; done
for g in 0 1 2; do ha_wait 120 acked "$g" 20 || FAILS+=("no load acknowledged on gateway $g"); done
sleep "$((LOAD_SECS / 2))"
kill -9 "${PIDS[2]}" && wait "${PIDS[2]}" 2>/dev/null || true
PIDS[2]=''
t=$(now_ms)
load_stop 2
check "gateway 2 killed: gateway 0 keeps serving" ha_wait 30 served_since 0 "$t"
check "gateway 2 killed: gateway 1 keeps serving" ha_wait 30 served_since 1 "$t"
gw_start 2
ha_wait 120 gw_ready 2 || FAILS+=("gateway 2 not ready after its restart")
load_start 2
ha_wait 60 served_since 2 "$(now_ms)" || FAILS+=("no load served by the restarted gateway 2")

old=$(ha_leader)
mark fault
t_kill=$(now_ms)
ha_kill_pg "$old"
ha_wait 120 eval '[ "$(ha_leader)" != "" ] && [ "$(ha_leader)" != "'"$old"'" ]' || FAILS+=("no standby promoted")
new=$(ha_leader || echo none)
t_promoted=$(now_ms)
mark heal
resumed=''
for g in 0 1 2; do
  if ha_wait 120 served_since "$g" "$t_promoted"; then :; else resumed+="gateway $g did not resume; "; fi
done
check "writes resume on every gateway after the primary's loss" eq "$resumed" ""
ha_start_pg "$old"
sleep "$((LOAD_SECS / 2))"
for g in 0 1 2; do load_stop "$g"; done
ha_wait 120 ha_replicas_streaming || FAILS+=("the old primary did not rejoin as a standby")
say "primary pg$old killed; pg$new promoted after $(( (t_promoted - t_kill) / 1000 )) s"

# 5. Every acknowledged write read back through another gateway, then fsck.
lost=0 torn=0
for g in 0 1 2; do
  other=$(((g + 1) % 3))
  "$LOADGEN" verify --endpoint "127.0.0.1:${PORTS[$other]}" --access-key "$AK" --secret-key "$SK" --bucket hatest \
    --ledger "$D/ledger$g.jsonl" >"$D/verify$g.json" 2>"$D/verify$g.log" || FAILS+=("verify of gateway $g's ledger")
  lost=$((lost + $(jq -r '.lost // 1' "$D/verify$g.json" 2>/dev/null || echo 1)))
  torn=$((torn + $(jq -r '.torn // 1' "$D/verify$g.json" 2>/dev/null || echo 1)))
done
check "acknowledged writes lost: $lost, torn: $torn" eval '[ "$lost" = 0 ] && [ "$torn" = 0 ]'
for i in 0 1 2; do kill "${PIDS[$i]}" 2>/dev/null || true; wait "${PIDS[$i]}" 2>/dev/null || true; PIDS[$i]=''; done
check "gateway fsck clean" eval '"$GATEWAY" fsck --config "$WORK/gateway.toml" --json >"$WORK/fsck.json" 2>&1'

# The report.
stall=$(jq -s '[.[].stall_ms] | max / 1000' "$D"/summary?.json 2>/dev/null || echo '?')
acked_total=$(cat "$D"/ledger?.jsonl | wc -l)
errors=$(jq -s -r '[.[].errors | to_entries[]] | group_by(.key) | map("\(.[0].key): \(map(.value) | add)") | join(", ")' \
  "$D"/summary?.json 2>/dev/null || echo '?')
mkdir -p "$ROOT/ha-results"
OUT=$ROOT/ha-results/$STAMP.md
{
  echo "# ha-test, $STAMP"
  echo
  echo "| measure | value |"
  echo "|---|---|"
  echo "| primary killed -> standby promoted by Patroni | $(( (t_promoted - t_kill) )) ms |"
  echo "| longest time without a successful request on one gateway's load (stall) | $stall s |"
  echo "| acknowledged writes | $acked_total |"
  echo "| lost / torn | $lost / $torn |"
  echo "| client errors by status/code | ${errors:-none} |"
  echo "| failed checks | ${#FAILS[@]} |"
} >"$OUT"
cat "$OUT"
if [ ${#FAILS[@]} -gt 0 ]; then
  say "FAILED: ${FAILS[*]} (logs in $WORK)"
  exit 1
fi
rm -rf "$WORK"
say "OK"
