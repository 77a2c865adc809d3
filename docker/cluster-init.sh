#!/bin/sh
# Run once in gl1 after the three peers are up: probe peers, create and start the
# replica-3 volume with the options the gateway relies on.
set -eu
for p in gl2 gl3; do
  until gluster --mode=script peer probe "$p"; do sleep 2; done
done
sleep 2
gluster --mode=script volume info s3vol >/dev/null 2>&1 || \
  gluster --mode=script volume create s3vol replica 3 gl1:/bricks/b gl2:/bricks/b gl3:/bricks/b force
gluster --mode=script volume start s3vol 2>/dev/null || true
gluster --mode=script volume set s3vol features.cache-invalidation on
gluster --mode=script volume set s3vol performance.cache-invalidation on
gluster --mode=script volume set s3vol network.ping-timeout 10
