#!/usr/bin/env bash
# The short cluster smoke of `make test`: the namespace cluster (cluster-up.sh), a gateway in its
# own namespace serving both volumes (c3 the default, c6 as location `c6`), given the three
# volfile servers with the FIRST one's link down, so it must connect through the others; then a
# bucket on each volume, a PUT, a GET compared byte for byte, a copy across the volumes, and the
# node's link back.
# Clients are curl with SigV4, inside the gateway's namespace. Leaves the cluster up for the next
# run (cluster-down.sh removes it); stops its gateway on every exit path.
#
# Environment: GATEWAY_BIN (default target/debug/gateway), CLUSTER_VOLUME (c3).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
# shellcheck source=cluster-lib.sh
source "$HERE/cluster-lib.sh"
GATEWAY=${GATEWAY_BIN:-$ROOT/target/debug/gateway}
VOL=${CLUSTER_VOLUME:-c3}
AK=smokeaccesskey SK=smoke-secret-key
URL=http://10.77.0.10:9000

say() { printf 'cluster-smoke: %s\n' "$*"; }
die() { printf 'cluster-smoke: FAILED: %s\n' "$*" >&2; [ -f "${WORK:-/nonexistent}/gateway.log" ] && tail -20 "$WORK/gateway.log" >&2; exit 1; }

[ -x "$GATEWAY" ] || die "no gateway binary at $GATEWAY (cargo build -p gateway)"
bash "$HERE/cluster-up.sh"

WORK=$(mktemp -d /tmp/cluster-smoke.XXXXXX)
GW_PID=
cleanup() {
  cl_link 1 up 2>/dev/null || true
  [ -n "$GW_PID" ] && kill "$GW_PID" 2>/dev/null && wait "$GW_PID" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT

s3() { # curl in the gateway's namespace, signed with SigV4
  ip netns exec gs3gw curl -sS --max-time 60 --aws-sigv4 "aws:amz:us-east-1:s3" --user "$AK:$SK" \
    -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" "$@"
}

# 1. The first volfile server unreachable while the gateway starts.
cl_link 1 down
say "node 1's link down; starting the gateway on $VOL through 10.77.0.1,2,3"
cat >"$WORK/gateway.toml" <<TOML
volume = "$VOL"
volfile_servers = ["10.77.0.1", "10.77.0.2", "10.77.0.3"]
[[volumes]]
name = "c6"
locations = ["c6"]
TOML
ip netns exec gs3gw "$GATEWAY" serve --config "$WORK/gateway.toml" \
  --listen 0.0.0.0:9000 --admin-listen 127.0.0.1:9001 \
  --registry-dir "$WORK/registry" --blob-root "/.smoke-$$" --user "$AK:$SK:smoke:Smoke" \
  >"$WORK/gateway.log" 2>&1 &
GW_PID=$!
ready() { ip netns exec gs3gw curl -sf --max-time 2 http://127.0.0.1:9001/ready; }
cl_wait 120 ready || die "the gateway did not become ready with node 1 down"
say "ready with node 1 down"

# 2. Bucket, PUT, GET (node 1 still down: two of three bricks keep quorum).
head -c 3000000 /dev/urandom >"$WORK/obj"
s3 -f -X PUT "$URL/smoke" -o /dev/null || die "CreateBucket"
s3 -f -T "$WORK/obj" "$URL/smoke/a/b.bin" -o /dev/null || die "PutObject"
s3 -f "$URL/smoke/a/b.bin" -o "$WORK/back" || die "GetObject"
cmp -s "$WORK/obj" "$WORK/back" || die "GET returned other bytes than the PUT"
s3 -f -X PUT "$URL/smoke6" -o /dev/null \
  --data '<CreateBucketConfiguration><LocationConstraint>c6</LocationConstraint></CreateBucketConfiguration>' \
  || die "CreateBucket on c6"
s3 -sf "$URL/smoke6?location=" | grep -q '>c6</LocationConstraint>' || die "GetBucketLocation of smoke6 is not c6"
s3 -f -X PUT -H "x-amz-copy-source: /smoke/a/b.bin" "$URL/smoke6/copy.bin" -o /dev/null || die "CopyObject c3 -> c6"
s3 -f "$URL/smoke6/copy.bin" -o "$WORK/back6" || die "GetObject on c6"
cmp -s "$WORK/obj" "$WORK/back6" || die "the copy on c6 has other bytes"

# 3. Node 1 back: the gateway keeps serving, the object reads back unchanged.
cl_link 1 up
s3 -f "$URL/smoke/a/b.bin" -o "$WORK/back2" || die "GetObject after node 1 came back"
cmp -s "$WORK/obj" "$WORK/back2" || die "GET after node 1 came back returned other bytes"
s3 -f -X DELETE "$URL/smoke/a/b.bin" -o /dev/null || die "DeleteObject"
s3 -f -X DELETE "$URL/smoke6/copy.bin" -o /dev/null || die "DeleteObject on c6"
s3 -f -X DELETE "$URL/smoke" -o /dev/null || die "DeleteBucket"
s3 -f -X DELETE "$URL/smoke6" -o /dev/null || die "DeleteBucket on c6"
say "OK: started through the 2nd/3rd volfile server, PUT/GET 3 MB byte-exact on c3, copy to c6, node 1 rejoined"
