#!/usr/bin/env bash
# Host names the integration tests use for virtual-host-style requests. Not every resolver
# maps *.localhost to the loopback address, so name them in /etc/hosts (idempotent).
set -euo pipefail
names="glusters3-vhost.localhost glusters3.dotted.vhost.localhost"
for n in $names; do
  grep -qE "^127\.0\.0\.1[[:space:]].*[[:space:]]$n([[:space:]]|$)" /etc/hosts 2>/dev/null \
    || echo "127.0.0.1 $n" >> /etc/hosts
done
