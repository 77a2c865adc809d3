#!/usr/bin/env bash
# Build the gateway (release) and run it in the foreground on the local replica-3 volume
# brought up by gluster-up.sh, with development keys. Ctrl-C stops it.
#
# Environment: GLUSTER_VOLUME (s3vol), GLUSTERS3_LISTEN (127.0.0.1:9000),
# GLUSTERS3_ADMIN_LISTEN (127.0.0.1:9001), GLUSTERS3_REGISTRY_DIR (./.run/registry),
# DEV_ACCESS_KEY / DEV_SECRET_KEY (development credentials).
set -euo pipefail
cd "$(dirname "$0")/.."
VOL=${GLUSTER_VOLUME:-s3vol}
LISTEN=${GLUSTERS3_LISTEN:-127.0.0.1:9000}
ADMIN=${GLUSTERS3_ADMIN_LISTEN:-127.0.0.1:9001}
REG=${GLUSTERS3_REGISTRY_DIR:-$PWD/.run/registry}
AK=${DEV_ACCESS_KEY:-glusters3dev}
SK=${DEV_SECRET_KEY:-glusters3dev-secret}

cargo build --release -p gateway
mkdir -p "$REG"
cat <<MSG

  glusters3 on volume $VOL (replica 3), registry $REG
  S3 endpoint:  http://$LISTEN      admin: http://$ADMIN/health
  credentials:  $AK / $SK  (region us-east-1)

  try:
    export AWS_ACCESS_KEY_ID=$AK AWS_SECRET_ACCESS_KEY=$SK AWS_DEFAULT_REGION=us-east-1
    aws --endpoint-url http://$LISTEN s3 mb s3://demo
    aws --endpoint-url http://$LISTEN s3 cp README.md s3://demo/
    aws --endpoint-url http://$LISTEN s3 ls s3://demo

MSG
exec ./target/release/gateway serve \
  --listen "$LISTEN" --admin-listen "$ADMIN" \
  --volume "$VOL" --volfile-server "${GLUSTER_HOST:-localhost}:24007" \
  --registry-dir "$REG" --domain localhost \
  --user "$AK:$SK:dev:Developer"
