#!/bin/sh
# Run once (the compose service `init`) after the three peers answer: probe the peers, create and
# start the volumes with the options the gateway relies on. Idempotent: a second run changes
# nothing. Same layout as scripts/cluster-up.sh.
set -eu
g() { gluster --mode=script --remote-host=gl1 "$@"; }
for p in gl2 gl3; do
  until g peer probe "$p"; do sleep 2; done
done
until [ "$(g peer status | grep -c 'Peer in Cluster (Connected)')" -ge 2 ]; do sleep 2; done
create() { # name brick-names...
  v=$1; shift
  if ! g volume info "$v" >/dev/null 2>&1; then
    bricks=""
    for b in "$@"; do bricks="$bricks gl1:/bricks/$b gl2:/bricks/$b gl3:/bricks/$b"; done
    # shellcheck disable=SC2086
    g volume create "$v" replica 3 $bricks force
  fi
  g volume start "$v" 2>/dev/null || true
  g volume set "$v" features.cache-invalidation on
  g volume set "$v" performance.cache-invalidation on
  g volume set "$v" network.ping-timeout 10
}
create s3vol b
create s6vol b6a b6b
