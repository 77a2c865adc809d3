#!/usr/bin/env bash
# Client-conformance run (`make conformance`): real S3 clients against a gateway of our own on
# the local replica-3 volume. See conformance/README.md.
#
# 1. installs the pinned clients when missing or out of date: .venv (requirements.txt),
#    .venv-old (requirements-old.txt), node_modules (package-lock.json), aws-cli v2 from
#    Debian's `awscli` package (/usr/bin/aws, version AWSCLI2_DEB), Debian's `chromium` (the
#    console and cors suites drive /usr/bin/chromium with playwright-core);
# 2. brings the volume up (scripts/gluster-up.sh, idempotent) and builds the gateway and
#    loadgen if their binaries are missing;
# 3. starts a gateway on free loopback ports, with a fresh registry in a temp dir, its own blob
#    root /.s3-conformance-<pid> on the volume, its own three users, an admin token, a
#    lifecycle worker running every second with 2 s days and a random SSE-S3 master key (a
#    config file and a key file in the temp dir);
# 4. runs every suite not skipped by its variable (SKIP_AWSCLI, SKIP_AWSCLI2, SKIP_BOTO3,
#    SKIP_BOTO3_OLD, SKIP_MINIO_PY, SKIP_MINIO_JS, SKIP_JS_SDK, SKIP_S3CMD, SKIP_REGRESSIONS,
#    SKIP_ACCESS, SKIP_CONSOLE, SKIP_CORS =1),
#    one JUnit file each in conformance/.results/, with its output in .results/<suite>.log;
# 5. prints one table and `N passed, M failed` last (summary.py, known_gaps.txt), and exits
#    non-zero if any case failed. The gateway is stopped on every exit path, and its blob root
#    removed from the volume (unless KEEP_WORK is set).
#
# Cases of a suite run in CONFORMANCE_JOBS (3) pytest-xdist workers: most of a case's time is
# the gateway creating and removing its bucket (directories on the volume), which overlaps well.
#
# Environment: GATEWAY_BIN (default target/debug/gateway), LOADGEN_BIN (target/debug/loadgen),
# GLUSTER_VOLUME (s3vol), GLUSTER_HOST (localhost), PYTEST_ARGS (extra pytest arguments, e.g.
# "-k hostile"), KEEP_WORK=1 (keep the temp dir: registry and data files, and the blob root),
# CONSOLE_SCREENSHOTS_DIR (the console suite also saves its screenshots there, e.g. docs/).
set -uo pipefail

CONF=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$CONF")
RESULTS=$CONF/.results
VOL=${GLUSTER_VOLUME:-s3vol}
GATEWAY=${GATEWAY_BIN:-$ROOT/target/debug/gateway}
LOADGEN=${LOADGEN_BIN:-$ROOT/target/debug/loadgen}   # removes the run's blob root afterwards
SUITES=(awscli awscli2 boto3 boto3-old minio-py minio-js js-sdk s3cmd regressions access console cors)
T0=$(date +%s)

say() { printf 'conformance: %s\n' "$*"; }
die() { printf 'conformance: error: %s\n' "$*" >&2; exit 2; }
skip_var() { # suite name -> its SKIP_ variable's name
  local v=${1//-/_}
  printf 'SKIP_%s' "${v^^}"
}
skipped() { local v; v=$(skip_var "$1"); [ -n "${!v:-}" ] && [ "${!v}" != 0 ]; }

# ---------------------------------------------------------------- 1. clients
sha() { sha256sum "$1" | cut -d' ' -f1; }

ensure_python() {
  command -v python3 >/dev/null || die "python3 is required"
  if ! python3 -c 'import venv, ensurepip' 2>/dev/null; then
    say "installing python3-venv"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null \
      || die "python3 has no venv/ensurepip and apt-get install python3-venv failed"
  fi
}

ensure_venv() { # dir requirements
  local dir=$1 req=$2 want
  want=$(sha "$req")
  if [ -x "$dir/bin/python" ] && [ "$(cat "$dir/.requirements.sha256" 2>/dev/null)" = "$want" ]; then
    return 0
  fi
  ensure_python
  say "installing $(basename "$req") into $(basename "$dir")"
  [ -x "$dir/bin/python" ] || python3 -m venv "$dir" || die "python3 -m venv $dir failed"
  "$dir/bin/python" -m pip install -q --disable-pip-version-check -r "$req" \
    || die "pip install -r $req failed"
  echo "$want" >"$dir/.requirements.sha256"
}

ensure_node_modules() {
  local want
  if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    say "installing nodejs and npm"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null \
      || die "node and npm are missing and apt-get install failed (or set SKIP_MINIO_JS=1 SKIP_JS_SDK=1 SKIP_CONSOLE=1 SKIP_CORS=1)"
  fi
  want=$(sha "$CONF/package-lock.json")
  if [ -d "$CONF/node_modules/minio" ] && [ -d "$CONF/node_modules/@aws-sdk/client-s3" ] \
    && [ -d "$CONF/node_modules/playwright-core" ] \
    && [ "$(cat "$CONF/node_modules/.lock.sha256" 2>/dev/null)" = "$want" ]; then
    return 0
  fi
  say "installing package-lock.json into node_modules"
  (cd "$CONF" && npm ci --no-audit --no-fund --loglevel=error) || die "npm ci failed"
  echo "$want" >"$CONF/node_modules/.lock.sha256"
}

# aws-cli v2: Debian's package, pinned to bookworm's version (apt checks the .deb's hash against
# the signed release files), not PyPI's v1 of .venv. The awscli2 suite calls /usr/bin/aws by
# path, so the two never shadow each other. To move: change the pin to what
# `apt-cache policy awscli` offers.
AWSCLI2_DEB=2.9.19-1
ensure_awscli2() {
  [ "$(dpkg-query -W -f '${Version}' awscli 2>/dev/null)" = "$AWSCLI2_DEB" ] && [ -x /usr/bin/aws ] && return 0
  say "installing aws-cli v2 (apt-get install awscli=$AWSCLI2_DEB)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --allow-downgrades "awscli=$AWSCLI2_DEB" >/dev/null \
    || die "apt-get install awscli=$AWSCLI2_DEB failed (see apt-cache policy awscli; or set SKIP_AWSCLI2=1)"
  /usr/bin/aws --version 2>/dev/null | grep -q '^aws-cli/2\.' || die "/usr/bin/aws is not aws-cli v2"
}

# The console and cors suites' browser: Debian's chromium (playwright-core never downloads one
# here).
ensure_chromium() {
  [ -x /usr/bin/chromium ] && return 0
  say "installing chromium (apt-get install chromium)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null \
    || die "apt-get install chromium failed (or set SKIP_CONSOLE=1 SKIP_CORS=1)"
}

ensure_venv "$CONF/.venv" "$CONF/requirements.txt"
skipped boto3-old || ensure_venv "$CONF/.venv-old" "$CONF/requirements-old.txt"
{ skipped minio-js && skipped js-sdk && skipped console && skipped cors; } || ensure_node_modules
skipped awscli2 || ensure_awscli2
{ skipped console && skipped cors; } || ensure_chromium

# ---------------------------------------------------------------- 2. volume and binary
cd "$ROOT"
bash scripts/gluster-up.sh || die "scripts/gluster-up.sh failed"
if [ ! -x "$GATEWAY" ]; then
  say "building the gateway (cargo build -p gateway)"
  cargo build -p gateway || die "cargo build -p gateway failed"
fi
if [ ! -x "$LOADGEN" ]; then
  say "building loadgen (cargo build -p bench)"
  cargo build -p bench || die "cargo build -p bench failed"
fi

# ---------------------------------------------------------------- 3. the gateway
WORK=$(mktemp -d "${TMPDIR:-/tmp}/glusters3-conformance.XXXXXX")
rm -rf "$RESULTS"
mkdir -p "$RESULTS" "$WORK/data" "$WORK/tmp"
GW_PID=
cleanup() {
  local rc=$?
  if [ -n "$GW_PID" ] && kill -0 "$GW_PID" 2>/dev/null; then
    kill "$GW_PID" 2>/dev/null
    for _ in $(seq 1 50); do kill -0 "$GW_PID" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$GW_PID" 2>/dev/null
    wait "$GW_PID" 2>/dev/null
  fi
  if [ -z "${KEEP_WORK:-}" ]; then
    rm -rf "$WORK"
    # The run's blob root (~16 MB of objects and garbage) goes with its registry.
    if [ -n "${BLOB_ROOT:-}" ] && [ -x "$LOADGEN" ]; then
      "$LOADGEN" rmtree --volume "$VOL" --volfile-server "${GLUSTER_HOST:-localhost}" "$BLOB_ROOT" 2>&1 | tail -1 >&2
    fi
  else
    say "kept $WORK and the blob root ${BLOB_ROOT:-}" >&2
  fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

read -r PORT ADMIN_PORT < <(python3 - <<'PY'
import socket
socks = [socket.socket() for _ in range(2)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in socks))
PY
)
rand() { python3 -c 'import secrets; print(secrets.token_hex(16))'; }
export S3CONF_ENDPOINT="http://127.0.0.1:$PORT"
export S3CONF_ACCESS_KEY="conformance$$" S3CONF_SECRET_KEY=$(rand)
export S3CONF_ACCESS_KEY2="conformance$$other" S3CONF_SECRET_KEY2=$(rand)
export S3CONF_ACCESS_KEY3="conformance$$third" S3CONF_SECRET_KEY3=$(rand)
export S3CONF_ADMIN="http://127.0.0.1:$ADMIN_PORT" S3CONF_ADMIN_TOKEN=$(rand)
export S3CONF_DATA="$WORK/data" TMPDIR="$WORK/tmp"
BLOB_ROOT="/.s3-conformance-$$"

# The admin token has no flag (kept out of ps). The cluster collector keeps its default period
# (10 s): the console suite's killed brick must turn red through the refresh its Gluster event
# triggers, as in production. The lifecycle worker runs every second with a "day" of 2 s, so
# that the lifecycle cases see their rules applied within seconds (like RGW's
# rgw_lc_debug_interval). The SSE-S3 master key (64 hex digits: 32 bytes; without one, SSE-S3
# and bucket default encryption answer 501) is a random one of the run, readable by its owner
# only, removed with the temp dir.
(umask 077 && python3 -c 'import secrets; print(secrets.token_hex(32))' >"$WORK/sse.key") \
  || die "could not write $WORK/sse.key"
chmod 600 "$WORK/sse.key"
cat >"$WORK/gateway.toml" <<EOF
admin_token = "$S3CONF_ADMIN_TOKEN"
lifecycle_interval_secs = 1
lifecycle_day_secs = 2
sse_master_key_file = "$WORK/sse.key"
EOF

say "gateway $GATEWAY on $S3CONF_ENDPOINT, volume $VOL, blob root $BLOB_ROOT, registry $WORK/registry"
"$GATEWAY" serve --config "$WORK/gateway.toml" \
  --listen "127.0.0.1:$PORT" --admin-listen "127.0.0.1:$ADMIN_PORT" \
  --volume "$VOL" --volfile-server "${GLUSTER_HOST:-localhost}:24007" \
  --registry-dir "$WORK/registry" --blob-root "$BLOB_ROOT" --domain localhost \
  --user "$S3CONF_ACCESS_KEY:$S3CONF_SECRET_KEY:conformance:Conformance" \
  --user "$S3CONF_ACCESS_KEY2:$S3CONF_SECRET_KEY2:other:Other" \
  --user "$S3CONF_ACCESS_KEY3:$S3CONF_SECRET_KEY3:third:Third" \
  >"$RESULTS/gateway.log" 2>&1 &
GW_PID=$!
for _ in $(seq 1 120); do
  kill -0 "$GW_PID" 2>/dev/null || { tail -20 "$RESULTS/gateway.log" >&2; die "the gateway exited at startup"; }
  curl -fs "$S3CONF_ADMIN/ready" >/dev/null 2>&1 && break
  sleep 0.5
done
curl -fs "$S3CONF_ADMIN/ready" >/dev/null 2>&1 || die "the gateway is not ready after 60 s (see $RESULTS/gateway.log)"

# The session's data files, made once and shared by every suite.
"$CONF/.venv/bin/python" -c "
import sys; sys.path.insert(0, '$CONF')
import common
for s in common.SIZES: common.data_file(s)
" || die "could not write the data files"

# Versions for the table.
{
  printf 'awscli\t%s\n' "$("$CONF/.venv/bin/python" -c 'import awscli, botocore; print(f"awscli {awscli.__version__}, botocore {botocore.__version__}")')"
  [ -x /usr/bin/aws ] && printf 'awscli2\t%s\n' "$(/usr/bin/aws --version 2>&1 | cut -d' ' -f1-2)"
  printf 'boto3\t%s\n' "$("$CONF/.venv/bin/python" -c 'import boto3, botocore; print(f"boto3 {boto3.__version__}, botocore {botocore.__version__}")')"
  [ -x "$CONF/.venv-old/bin/python" ] && printf 'boto3-old\t%s\n' "$("$CONF/.venv-old/bin/python" -c 'import boto3, botocore; print(f"boto3 {boto3.__version__}, botocore {botocore.__version__}")')"
  printf 'minio-py\t%s\n' "$("$CONF/.venv/bin/python" -c 'import minio; print(f"minio {minio.__version__}")')"
  [ -f "$CONF/node_modules/minio/package.json" ] && printf 'minio-js\t%s\n' "$(node -e "console.log('minio ' + require('$CONF/node_modules/minio/package.json').version + ', node ' + process.versions.node)")"
  [ -f "$CONF/node_modules/@aws-sdk/client-s3/package.json" ] && printf 'js-sdk\t%s\n' "$(node -e "console.log('@aws-sdk/client-s3 ' + require('$CONF/node_modules/@aws-sdk/client-s3/package.json').version + ', node ' + process.versions.node)")"
  printf 's3cmd\t%s\n' "$("$CONF/.venv/bin/s3cmd" --version 2>&1 | tr -d '\n')"
  [ -f "$CONF/node_modules/playwright-core/package.json" ] && printf 'console\t%s\n' "$(node -e "console.log('playwright-core ' + require('$CONF/node_modules/playwright-core/package.json').version)"), $(/usr/bin/chromium --version 2>/dev/null | cut -d' ' -f1-2)"
  [ -f "$CONF/node_modules/playwright-core/package.json" ] && printf 'cors\t%s\n' "$(node -e "console.log('playwright-core ' + require('$CONF/node_modules/playwright-core/package.json').version + ', @aws-sdk/client-s3 ' + require('$CONF/node_modules/@aws-sdk/client-s3/package.json').version)"), $(/usr/bin/chromium --version 2>/dev/null | cut -d' ' -f1-2)"
  printf 'regressions\t%s\n' "boto3 $("$CONF/.venv/bin/python" -c 'import boto3; print(boto3.__version__)') + raw HTTP"
  printf 'access\t%s\n' "boto3 $("$CONF/.venv/bin/python" -c 'import boto3; print(boto3.__version__)'), three users + anonymous"
} >"$RESULTS/versions.txt" 2>/dev/null

# ---------------------------------------------------------------- 4. the suites
run_suite() { # suite command...
  local suite=$1 t
  shift
  if skipped "$suite"; then
    echo "$(skip_var "$suite") is set" >"$RESULTS/$suite.skip"
    say "$suite: skipped ($(skip_var "$suite"))"
    return
  fi
  if ! kill -0 "$GW_PID" 2>/dev/null; then
    say "$suite: the gateway is not running any more (see $RESULTS/gateway.log)"
  fi
  t=$(date +%s)
  (cd "$CONF" && "$@") >"$RESULTS/$suite.log" 2>&1
  local last
  last=$(grep -E '^ℹ (pass|fail|skipped) ' "$RESULTS/$suite.log" | sed 's/^ℹ //' | tr '\n' ' ')
  [ -n "$last" ] || last=$(tail -1 "$RESULTS/$suite.log" | tr -d '=' | sed 's/^ *//; s/ in [0-9.]*s.*//')
  say "$suite: $last in $(($(date +%s) - t)) s (log: conformance/.results/$suite.log)"
}

# PYTEST_ARGS is split like a shell command line (shlex), so that quotes work:
# PYTEST_ARGS="-k 'lock or lifecycle'".
PYTEST_EXTRA=()
if [ -n "${PYTEST_ARGS:-}" ]; then
  split_args='import os, shlex, sys; sys.stdout.write("\0".join(shlex.split(os.environ["PYTEST_ARGS"])))'
  python3 -c "$split_args" >/dev/null || die "PYTEST_ARGS: cannot split $PYTEST_ARGS"
  mapfile -d '' PYTEST_EXTRA < <(python3 -c "$split_args")
fi

pytest_suite() { # suite venv file [args]
  local suite=$1 venv=$2 file=$3
  shift 3
  run_suite "$suite" "$venv/bin/python" -m pytest "$file" -p no:cacheprovider -o junit_family=xunit1 \
    -o junit_suite_name="$suite" --junitxml="$RESULTS/$suite.xml" --tb=short -q -rfEs -n "${CONFORMANCE_JOBS:-3}" "$@" "${PYTEST_EXTRA[@]}"
}

pytest_suite awscli "$CONF/.venv" test_awscli.py
pytest_suite awscli2 "$CONF/.venv" test_awscli2.py
pytest_suite boto3 "$CONF/.venv" test_boto3.py test_presign_defaults.py
pytest_suite boto3-old "$CONF/.venv-old" test_boto3.py -m old_boto3
pytest_suite minio-py "$CONF/.venv" test_minio_py.py
run_suite minio-js node --test --test-concurrency=1 \
  --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=junit --test-reporter-destination="$RESULTS/minio-js.xml" minio_js.test.mjs
run_suite js-sdk node --test --test-concurrency=1 \
  --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=junit --test-reporter-destination="$RESULTS/js-sdk.xml" js_sdk.test.mjs
pytest_suite s3cmd "$CONF/.venv" test_s3cmd.py
pytest_suite regressions "$CONF/.venv" test_regressions.py
pytest_suite access "$CONF/.venv" test_access.py
run_suite console node --test --test-concurrency=1 \
  --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=junit --test-reporter-destination="$RESULTS/console.xml" console.test.mjs
run_suite cors node --test --test-concurrency=1 \
  --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=junit --test-reporter-destination="$RESULTS/cors.xml" cors.test.mjs

kill -0 "$GW_PID" 2>/dev/null || say "warning: the gateway died during the run (see $RESULTS/gateway.log)"
say "wall time $(($(date +%s) - T0)) s"

# ---------------------------------------------------------------- 5. the table
"$CONF/.venv/bin/python" "$CONF/summary.py" "$RESULTS" "$CONF/known_gaps.txt" "${SUITES[@]}"
