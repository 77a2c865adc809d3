#!/usr/bin/env bash
# `make faults`: fault scenarios on the three-node namespace cluster (cluster-up.sh), each under
# a client load with a ledger of every acknowledged write (`loadgen faultload`), each ending with
# the read-back of the ledger byte for byte (`loadgen verify`: lost and torn must be 0) and
# `gateway fsck` on the stopped gateway (must be clean). Not part of `make test` or CI.
#
#   a  node 3 killed (glusterd + bricks SIGKILL), restarted after FAULT_SECS, self-heal waited for
#   b  node 1's link down FAULT_SECS (node 1 = the first volfile server the gateway was given)
#   c  node 2 drops every packet FAULT_SECS (tc netem loss 100%; where the kernel has no sch_netem,
#      a pfifo of length 0 on both ends of its link); longest stall <= STALL_MAX_SECS
#   d  nodes 2 and 3 killed (glusterd + bricks SIGKILL): quorum lost -> 503 ServiceUnavailable with
#      Retry-After within FIRST_503_MAX_SECS (the connections close, so the client knows at once),
#      never a 500; both restarted: recovers without a restart of the gateway
#   p  links of nodes 2 and 3 down (a partition: nothing tells the client, it learns only when
#      network.ping-timeout expires): quorum lost -> 503 within PARTITION_503_MAX_SECS; links back:
#      recovers without a restart
#   e  gateway started while node 1 (first volfile server) is down, then node 1 back
#   f  kill -9 of the gateway during 32 concurrent uploads, restarted on the same registry
#   g  bricks filling up: a scratch replica-3 volume `cg` on three small loop-mounted ext4 bricks
#      (G_BRICK_MIB each) is filled by the load until PUTs answer 507 StorageFull (never a 500,
#      nothing torn); half the acknowledged keys are deleted, and writes must resume once the
#      sweeper has freed their blobs
#
# Each scenario gets a fresh registry and blob root (f restarts on its own registry), cleans up
# after itself on every exit path (links up, netem removed, nodes started, gateway stopped), and
# adds a row to a Markdown table printed at the end and written to faults-results/<time>.md.
# Exit status 1 when any scenario failed its checks. Leaves the cluster up (cluster-down.sh).
#
# Environment: FAULTS_SCENARIOS ("a b c d p e f g"), FAULT_SECS (30), STALL_MAX_SECS (25),
# FIRST_503_MAX_SECS (2), PARTITION_503_MAX_SECS (25: 2.5 x network.ping-timeout),
# G_BRICK_MIB (160), FAULTS_PROFILE (debug | release), FAULTS_NO_BUILD=1 (use the binaries as
# they are), CARGO_TARGET_DIR.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
# shellcheck source=cluster-lib.sh
source "$HERE/cluster-lib.sh"

SCENARIOS=${FAULTS_SCENARIOS:-a b c d p e f g}
FAULT_SECS=${FAULT_SECS:-30}
STALL_MAX_SECS=${STALL_MAX_SECS:-25}
FIRST_503_MAX_SECS=${FIRST_503_MAX_SECS:-2}
PARTITION_503_MAX_SECS=${PARTITION_503_MAX_SECS:-25}
G_BRICK_MIB=${G_BRICK_MIB:-160}
PROFILE=${FAULTS_PROFILE:-debug}
BIN=${CARGO_TARGET_DIR:-$ROOT/target}/$PROFILE
GATEWAY=$BIN/gateway LOADGEN=$BIN/loadgen
AK=faults SK=faults-secret
EP=10.77.0.10:9000
T0=$(date +%s)
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
RUN=$(date +%s)

say() { printf 'faults: %s\n' "$*"; }
now_ms() { date +%s%3N; }
gw() { ip netns exec gs3gw "$@"; }

[ "$(id -u)" = 0 ] || { echo "faults: must run as root (namespaces)" >&2; exit 2; }
command -v tc >/dev/null || { echo "faults: tc (iproute2) is missing" >&2; exit 2; }
command -v jq >/dev/null || { echo "faults: jq is missing" >&2; exit 2; }
if [ "${FAULTS_NO_BUILD:-0}" != 1 ]; then
  flag=() && [ "$PROFILE" = release ] && flag=(--release)
  (cd "$ROOT" && cargo build "${flag[@]}" -p gateway -p bench)
fi
[ -x "$GATEWAY" ] && [ -x "$LOADGEN" ] || { echo "faults: no binaries in $BIN" >&2; exit 2; }
bash "$HERE/cluster-up.sh"

WORK=$(mktemp -d /tmp/faults.XXXXXX)
ROWS=() FAILED=()
GW_PID='' LOAD_PID=''

heal_faults() { # undo every fault a scenario may have injected
  cl_link 1 up 2>/dev/null || true
  cl_link 2 up 2>/dev/null || true
  cl_link 3 up 2>/dev/null || true
  drop_off
  for i in 1 2 3; do [ -n "$(cl_glusterd_pid $i)" ] || cl_start_node $i || true; done
}
gw_stop() {
  [ -n "$GW_PID" ] || return 0
  kill "$GW_PID" 2>/dev/null || true
  local i
  for ((i = 0; i < 60; i++)); do kill -0 "$GW_PID" 2>/dev/null || break; sleep 0.5; done
  kill -9 "$GW_PID" 2>/dev/null || true
  wait "$GW_PID" 2>/dev/null || true
  GW_PID=''
}
load_stop() {
  [ -n "$LOAD_PID" ] || return 0
  touch "$D/stop"
  wait "$LOAD_PID" 2>/dev/null || true
  LOAD_PID=''
}
cleanup() {
  load_stop 2>/dev/null || true
  gw_stop
  heal_faults
  g_volume_down
}
trap 'cleanup; [ ${#FAILED[@]} -gt 0 ] || rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM
trap 'echo "faults: command failed at line $LINENO" >&2' ERR

gw_config() { # the scenario's config: c3 (cg for g) through the three volfile servers
  local vol=c3
  [ "$1" != g ] || vol=cg
  cat >"$D/gateway.toml" <<TOML
volume = "$vol"
volfile_servers = ["10.77.0.1", "10.77.0.2", "10.77.0.3"]
registry_dir = "$D/registry"
blob_root = "/.faults-$RUN-$1"
TOML
}
gw_start() {
  # Not through gw(): a backgrounded function is a subshell, and $! must be the gateway itself.
  ip netns exec gs3gw "$GATEWAY" serve --config "$D/gateway.toml" --listen 0.0.0.0:9000 --admin-listen 127.0.0.1:9001 \
    --user "$AK:$SK:faults:Faults" --gfapi-log "$D/gfapi.log" >>"$D/gateway.log" 2>&1 &
  GW_PID=$!
  local i
  for ((i = 0; i < 240; i++)); do
    gw curl -sf --max-time 2 http://127.0.0.1:9001/ready >/dev/null 2>&1 && return 0
    kill -0 "$GW_PID" 2>/dev/null || { wait "$GW_PID" 2>/dev/null; GW_PID=''; return 1; }
    sleep 0.5
  done
  return 1
}
mark() { echo "$1 $(now_ms)" >>"$D/marks"; }
load_start() { # workers [summary file name] [seed]
  rm -f "$D/stop"
  ip netns exec gs3gw "$LOADGEN" faultload --endpoint "$EP" --access-key "$AK" --secret-key "$SK" --bucket faults \
    --ledger "$D/ledger.jsonl" --workers "$1" --secs 900 --stop-file "$D/stop" \
    --progress "$D/progress" --marks "$D/marks" --seed "${3:-$RUN}" >"$D/${2:-summary.json}" 2>>"$D/load.log" &
  LOAD_PID=$!
}
acked() { [ -f "$D/ledger.jsonl" ] && [ "$(wc -l <"$D/ledger.jsonl")" -ge "$1" ]; }
served_since() { [ "$(cat "$D/progress" 2>/dev/null || echo 0)" -gt "$1" ]; }
heal_done() { # no entry pending heal on any brick of c3
  local out
  out=$(cl_gluster 1 volume heal c3 info summary 2>/dev/null) || return 1
  [ "$(grep -c 'Status: Connected' <<<"$out")" -ge 3 ] && ! grep -E 'Total Number of entries: [1-9]' <<<"$out"
}

# Runs scenario $1 (a function fault_$1 injects and heals), then verify and fsck; adds a row.
scenario() {
  local s=$1 title=$2 workers=${3:-8} t_start note='' check='' rc=0
  D=$WORK/$s && mkdir -p "$D" && : >"$D/marks"
  say "--- $s: $title"
  t_start=$(date +%s)
  gw_config "$s"
  if [ "$s" != e ]; then
    gw_start || { check+="gateway not ready: $(tail -1 "$D/gateway.log"); "; }
  fi
  if [ -z "$check" ]; then
    [ "$s" = e ] || load_start "$workers"
    "fault_$s" || rc=$?
    [ "$rc" = 0 ] || check+="scenario step failed (rc $rc); "
    load_stop
  fi
  heal_faults
  # Self-heal of what the fault left behind, bounded (a: the restarted node's bricks).
  cl_gluster 1 volume heal c3 >/dev/null 2>&1 || true
  if cl_wait 180 heal_done; then note+="heal done; "; else note+="heal still pending after 180 s; "; fi
  [ -n "$GW_PID" ] || gw_start || check+="gateway not ready for verify; "
  gw "$LOADGEN" verify --endpoint "$EP" --access-key "$AK" --secret-key "$SK" --bucket faults \
    --ledger "$D/ledger.jsonl" >"$D/verify.json" 2>"$D/verify.log" || check+="verify: $(tail -3 "$D/verify.log" | tr '\n' ' '); "
  gw_stop
  local fsck
  if gw "$GATEWAY" fsck --config "$D/gateway.toml" --json >"$D/fsck.json" 2>"$D/fsck.log"; then
    fsck=clean
  else
    fsck="NOT clean (rc $?): $(jq -c 'del(.ok?)' "$D/fsck.json" 2>/dev/null | head -c 300)"
    check+="fsck not clean; "
  fi
  row "$s" "$title" "$fsck" "$note" "$check" "$(($(date +%s) - t_start))"
  # The scenario's evidence next to the table: summaries, fsck report, the gateway's last lines.
  local keep=$ROOT/faults-results/$STAMP/$s
  mkdir -p "$keep"
  cp "$D"/*.json "$D/marks" "$keep/" 2>/dev/null || true
  tail -n 200 "$D/gateway.log" >"$keep/gateway.log.tail" 2>/dev/null || true
}

# The table row of scenario $1 from its summary.json and verify.json.
row() {
  local s=$1 title=$2 fsck=$3 note=$4 check=$5 secs=$6 S=$D/summary.json V=$D/verify.json
  local errors stall lost torn unknown recovery
  errors=$(jq -r '[.errors | to_entries[] | "\(.key): \(.value)"] | join(", ") | if . == "" then "none" else . end' "$S" 2>/dev/null || echo "no summary")
  stall=$(jq -r '"\(.stall_ms / 1000) s (longest request \(.max_latency_ms / 1000) s)"' "$S" 2>/dev/null || echo '?')
  lost=$(jq -r .lost "$V" 2>/dev/null || echo '?')
  torn=$(jq -r .torn "$V" 2>/dev/null || echo '?')
  unknown=$(jq -r .unknown_writes "$S" 2>/dev/null || echo '?')
  recovery=$(jq -r 'if .marks.heal then (if .marks.heal.first_ok_any_ms == null then "never" else "\(.marks.heal.first_ok_any_ms / 1000) s" end) else "n/a" end' "$S" 2>/dev/null || echo '?')
  [ "$lost" = 0 ] || check+="lost $lost; "
  [ "$torn" = 0 ] || check+="torn $torn; "
  if [ -s "$S" ]; then
    [ "$(jq -r '.get_mismatches' "$S")" = 0 ] || check+="GET mismatches during load; "
    if jq -e '.errors | keys[] | select(test(" 500 "))' "$S" >/dev/null 2>&1; then check+="HTTP 500 seen; "; fi
    [ "$(jq -r '.status_503_without_retry_after' "$S")" = 0 ] || check+="503 without Retry-After; "
  fi
  check+=$(extra_check_$s 2>/dev/null || true)
  note+=$(extra_note_$s 2>/dev/null || true)
  note+=$(jq -r 'select(.rejected_5xx_writes > 0) | "\(.rejected_5xx_writes) PUTs answered 5xx; "' "$S" 2>/dev/null || true)
  note+=$(jq -r 'select(.rejected_5xx_version > 0) | "\(.rejected_5xx_version) keys hold a version answered 5xx; "' "$V" 2>/dev/null || true)
  note+="$(jq -r '"\(.requests) requests, \(.acked_keys) keys acked"' "$S" 2>/dev/null || echo 'no load summary'); ${secs} s"
  local verdict=PASS
  [ -z "$check" ] || { verdict="FAIL: $check"; FAILED+=("$s"); }
  ROWS+=("| $s. $title | $errors | $stall | $lost | $torn | $unknown | $recovery | $fsck | $verdict; $note |")
  say "$s: $verdict ($note)"
}

fault_a() {
  cl_wait 60 acked 20 || return 1
  mark fault
  cl_kill_node 3
  sleep "$FAULT_SECS" # the fault's duration, under load
  mark heal && cl_start_node 3
  cl_wait 120 cl_all_bricks_online || return 2
  local h
  h=$(now_ms)
  cl_wait 120 served_since "$h" || return 3
}
extra_note_a() { echo "node 3 back: bricks online; "; }

fault_b() {
  cl_wait 60 acked 20 || return 1
  mark fault
  cl_link 1 down || return 2
  sleep "$FAULT_SECS"
  mark heal
  cl_link 1 up || return 4
  cl_wait 120 served_since "$(now_ms)" || return 3
}

drop_on() { # node 2 keeps its link but drops every packet
  if ip netns exec gs3n2 tc qdisc add dev eth0 root netem loss 100% 2>/dev/null; then
    echo "netem loss 100%" >"$D/drop_how"
  else
    # No sch_netem in this kernel: a FIFO of length 0 drops every packet it is given, built in.
    # Both ways: node 2's egress and the bridge's egress towards node 2.
    ip netns exec gs3n2 tc qdisc add dev eth0 root pfifo limit 0 || return 1
    ip netns exec gs3br tc qdisc add dev v-gs3n2 root pfifo limit 0 || return 1
    echo "no sch_netem in this kernel: pfifo limit 0 both ways" >"$D/drop_how"
  fi
}
drop_off() {
  ip netns exec gs3n2 tc qdisc del dev eth0 root 2>/dev/null || true
  ip netns exec gs3br tc qdisc del dev v-gs3n2 root 2>/dev/null || true
}

fault_c() {
  cl_wait 60 acked 20 || return 1
  mark fault
  drop_on || return 2
  sleep "$FAULT_SECS"
  mark heal && drop_off
  cl_wait 120 served_since "$(now_ms)" || return 3
}
extra_note_c() { echo "drop: $(cat "$D/drop_how" 2>/dev/null); "; }
extra_check_c() {
  jq -e --argjson max "$STALL_MAX_SECS" '.stall_ms <= $max * 1000' "$D/summary.json" >/dev/null \
    || echo "stall over $STALL_MAX_SECS s; "
}

fault_d() {
  cl_wait 60 acked 20 || return 1
  mark fault
  cl_kill_node 2 && cl_kill_node 3
  sleep "$FAULT_SECS"
  mark heal
  cl_start_node 2 && cl_start_node 3 || return 4
  cl_wait 120 cl_all_bricks_online || return 2
  cl_wait 180 served_since "$(now_ms)" || return 3
}
first_503_within() { # seconds
  jq -e --argjson max "$1" '.marks.fault.first_503_ms != null and .marks.fault.first_503_ms <= $max * 1000' \
    "$D/summary.json" >/dev/null || echo "no 503 within $1 s of quorum loss; "
}
first_503_note() {
  jq -r '"first 503 \(.marks.fault.first_503_ms / 1000) s after quorum loss; "' "$D/summary.json" 2>/dev/null
}
extra_check_d() { first_503_within "$FIRST_503_MAX_SECS"; }
extra_note_d() { first_503_note; }

fault_p() {
  cl_wait 60 acked 20 || return 1
  mark fault
  cl_link 2 down && cl_link 3 down || return 2
  sleep "$FAULT_SECS"
  mark heal
  cl_link 2 up && cl_link 3 up || return 4
  cl_wait 180 served_since "$(now_ms)" || return 3
}
extra_check_p() { first_503_within "$PARTITION_503_MAX_SECS"; }
extra_note_p() { first_503_note; }

fault_e() {
  cl_link 1 down
  mark fault
  gw_start || return 1
  local ready=$(( $(now_ms) - $(awk '/^fault/ {print $2}' "$D/marks") ))
  echo "$ready" >"$D/ready_ms"
  load_start 8
  cl_wait 60 acked 20 || return 2
  sleep 10 # load with node 1 still down
  mark heal && cl_link 1 up
  sleep 10 # load with node 1 back
}
extra_note_e() { [ -s "$D/ready_ms" ] && echo "ready $(($(cat "$D/ready_ms") / 1000)) s after start with node 1 down; "; }

fault_f() {
  cl_wait 60 acked 40 || return 1
  mark fault && kill -9 "$GW_PID"
  wait "$GW_PID" 2>/dev/null || true
  GW_PID=''
  mark heal
  gw_start || return 2
  cl_wait 120 served_since "$(now_ms)" || return 3
  sleep 5 # some load on the restarted gateway
}

# g: a scratch replica-3 volume on three small ext4 filesystems, each loop-mounted inside its
# node's mount namespace (where glusterd and its bricks live).
g_brick() { echo "$CL_DIR/n$1/bricks/cg"; }
g_volume_up() {
  local i pid bricks=()
  cl_wait 120 cl_peers_connected || return 1
  for i in 1 2 3; do
    pid=$(cl_glusterd_pid "$i")
    [ -n "$pid" ] || return 1
    truncate -s "${G_BRICK_MIB}M" "$CL_DIR/n$i/cg.img"
    mkfs.ext4 -q -F "$CL_DIR/n$i/cg.img" || return 1
    mkdir -p "$(g_brick "$i")"
    nsenter -t "$pid" -m mount -o loop "$CL_DIR/n$i/cg.img" "$(g_brick "$i")" || return 1
    nsenter -t "$pid" -m mkdir -p "$(g_brick "$i")/b"
    bricks+=("10.77.0.$i:$(g_brick "$i")/b")
  done
  cl_gluster 1 volume create cg replica 3 "${bricks[@]}" force >/dev/null || return 1
  cl_gluster 1 volume set cg network.ping-timeout 10 >/dev/null
  cl_gluster 1 volume start cg >/dev/null || return 1
  cl_wait 60 g_bricks_online
}
g_bricks_online() { [ "$(cl_online_bricks cg)" -ge 3 ]; }
g_volume_down() { # idempotent; also on every exit path
  local i pid
  if cl_gluster 1 volume info cg >/dev/null 2>&1; then
    cl_gluster 1 volume stop cg force >/dev/null 2>&1 || true
    cl_gluster 1 volume delete cg >/dev/null 2>&1 || true
  fi
  for i in 1 2 3; do
    pid=$(cl_glusterd_pid "$i")
    if [ -n "$pid" ] && nsenter -t "$pid" -m mountpoint -q "$(g_brick "$i")"; then
      nsenter -t "$pid" -m umount "$(g_brick "$i")" 2>/dev/null || nsenter -t "$pid" -m umount -l "$(g_brick "$i")" || true
    fi
    rm -f "$CL_DIR/n$i/cg.img"
  done
}
s3curl() { # METHOD KEY [curl args...] -> HTTP status
  local m=$1 k=$2
  shift 2
  gw curl -s -o /dev/null -w '%{http_code}' --max-time 60 --aws-sigv4 "aws:amz:us-east-1:s3" \
    --user "$AK:$SK" -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" -X "$m" "$@" "http://$EP/faults/$k"
}
full() { [ "$(s3curl PUT probe -T "$D/probe.bin")" = 507 ]; }
writable() { [ "$(s3curl PUT probe -T "$D/probe.bin")" = 200 ]; }
fault_g() {
  head -c 1048576 /dev/urandom >"$D/probe.bin"
  cl_wait 60 acked 20 || return 1
  mark fault
  cl_wait 900 full || return 2 # the load fills the bricks
  sleep 5                      # and meets the full volume for a while
  load_stop
  # Delete every other acknowledged key and drop them from the ledger (verify reads the rest).
  jq -r .key "$D/ledger.jsonl" | sort -u | awk 'NR % 2' >"$D/deleted"
  local k code
  while read -r k; do
    code=$(s3curl DELETE "$k")
    [ "$code" = 204 ] || { echo "DELETE $k: $code" >"$D/g_check"; return 3; }
  done <"$D/deleted"
  jq -c --rawfile del "$D/deleted" '($del | split("\n") | map({(.): true}) | add) as $d | select($d[.key] | not)' \
    "$D/ledger.jsonl" >"$D/ledger.kept" && mv "$D/ledger.kept" "$D/ledger.jsonl"
  code=$(s3curl GET "$(head -1 "$D/deleted")")
  [ "$code" = 404 ] || echo "a deleted key answers $code; " >>"$D/g_check"
  mark heal
  cl_wait 120 writable || { echo "no PUT accepted within 120 s of the deletes; " >>"$D/g_check"; return 4; }
  echo "$(( $(now_ms) - $(awk '/^heal/ {print $2}' "$D/marks") ))" >"$D/resume_ms"
  local before
  before=$(wc -l <"$D/ledger.jsonl")
  load_start 8 summary2.json "$((RUN + 1))"
  cl_wait 120 acked "$((before + 20))" || echo "the load did not resume after the deletes; " >>"$D/g_check"
  load_stop
  s3curl DELETE probe >/dev/null
}
extra_check_g() {
  cat "$D/g_check" 2>/dev/null
  jq -e '.errors | keys | any(test(" 507 StorageFull"))' "$D/summary.json" >/dev/null || echo "no 507 StorageFull seen; "
  # A PUT refused with 507 is answered before its body is read, and the connection is closed:
  # the client sees that upload, or its next request on the connection, reset. When the three
  # bricks fill at slightly different moments, a write that fails on two of them fails with
  # "quorum not met" and ENOTCONN from Gluster itself: 503 (retry later) is the honest answer.
  jq -e '[.errors | keys[] | select(test(" 507 StorageFull| 503 ServiceUnavailable| connection reset") | not)]
         | length == 0' "$D/summary.json" >/dev/null || echo "errors other than 507, 503 or resets; "
}
extra_note_g() { # one line: it goes into a table row
  printf '%s keys deleted; ' "$(wc -l <"$D/deleted" 2>/dev/null || echo 0)"
  [ ! -s "$D/resume_ms" ] || printf 'PUT accepted %s ms after the deletes; ' "$(cat "$D/resume_ms")"
}

for s in $SCENARIOS; do
  case $s in
    a) scenario a "node 3 killed (SIGKILL) ${FAULT_SECS} s, restarted" ;;
    b) scenario b "node 1 (first volfile server) link down ${FAULT_SECS} s" ;;
    c) scenario c "node 2 drops every packet ${FAULT_SECS} s" ;;
    d) scenario d "nodes 2 and 3 killed ${FAULT_SECS} s (quorum lost)" ;;
    p) scenario p "nodes 2 and 3 links down ${FAULT_SECS} s (quorum lost by a partition)" ;;
    e) scenario e "gateway started with node 1 down" ;;
    f) scenario f "gateway kill -9 during 32 uploads, restarted" 32 ;;
    g)
      if g_volume_up; then
        scenario g "bricks filling up (${G_BRICK_MIB} MiB bricks), deletes, writes resume"
      else
        ROWS+=("| g. bricks filling up | | | | | | | | FAIL: scratch volume cg not created |") && FAILED+=(g)
      fi
      g_volume_down
      ;;
    *) say "unknown scenario $s" ;;
  esac
done

TOTAL=$(($(date +%s) - T0))
mkdir -p "$ROOT/faults-results"
OUT=$ROOT/faults-results/$STAMP.md
{
  echo "# make faults, $STAMP"
  echo
  echo "Gateway and loadgen $PROFILE build; FAULT_SECS=$FAULT_SECS, network.ping-timeout 10; total ${TOTAL} s."
  echo
  echo "| scenario | client errors by status/code | longest stall | lost | torn | unknown | recovery time | fsck | verdict, notes |"
  echo "|---|---|---|---|---|---|---|---|---|"
  printf '%s\n' "${ROWS[@]}"
} >"$OUT"
cat "$OUT"
say "written to $OUT; total ${TOTAL} s"
if [ ${#FAILED[@]} -gt 0 ]; then
  say "FAILED: ${FAILED[*]} (logs kept in $WORK; rerun with FAULTS_SCENARIOS=\"${FAILED[*]}\")"
  exit 1
fi
