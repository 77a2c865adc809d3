#!/usr/bin/env bash
# Prints the path of one test executable of the workspace's test build: PACKAGE TARGET (e.g.
# `metadata integration`). `make test` runs a suite a second time (vhost style, PostgreSQL) through
# the binary `cargo test --workspace --all-targets` already built: `cargo test -p PACKAGE` would
# resolve features for that package alone and rebuild much of the dependency tree.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
cargo test --workspace --all-targets --no-run --message-format=json 2>/dev/null | python3 -c '
import json, sys
package, target = sys.argv[1], sys.argv[2]
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") != "compiler-artifact" or not m.get("executable") or not m["profile"]["test"]:
        continue
    # "path+file:///dir/gateway#0.1.0", or "...#name@0.1.0" when the name differs from the directory
    url, _, frag = m["package_id"].partition("#")
    name = frag.split("@")[0] if "@" in frag else url.rstrip("/").rsplit("/", 1)[-1]
    if m["target"]["name"] == target and name == package:
        print(m["executable"]); sys.exit(0)
sys.exit("no test executable %s of package %s" % (target, package))
' "$1" "$2"
