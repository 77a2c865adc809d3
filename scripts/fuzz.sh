#!/usr/bin/env bash
# Runs every fuzz target of fuzz/ (libFuzzer through libfuzzer-sys) for FUZZ_SECS seconds each, on
# stable Rust with no sanitizer (fuzz/README.md says why). `make fuzz` runs 600 s per target,
# `make fuzz-smoke` (part of `make test`) 30 s.
#
# It builds and runs the targets with cargo and the target binaries themselves, with exactly the
# flags `cargo fuzz build -s none` passes (cargo-fuzz 0.13.2, src/project.rs), so no cargo-fuzz
# install is needed and `cargo fuzz run -s none ...` still works on the same target directory.
#
# Each target starts from its committed seeds (fuzz/corpus/<target>, read only) plus what earlier
# runs on this machine found (fuzz/target/corpus/<target>, where new inputs go). A crash, leak,
# timeout or failed property leaves its input in fuzz/artifacts/<target>/ and fails the run after
# every target had its turn. FUZZ_JOBS targets run at once (each libFuzzer process is one thread).
#
# Environment: FUZZ_SECS (600), FUZZ_PROFILE (release | dev), FUZZ_TARGETS (all, space-separated),
# FUZZ_JOBS (2), FUZZ_TARGET_DIR (fuzz/target: its own target dir, as the instrumented build shares
# nothing with the main one).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SECS=${FUZZ_SECS:-600}
JOBS=${FUZZ_JOBS:-2}
export CARGO_TARGET_DIR=${FUZZ_TARGET_DIR:-$ROOT/fuzz/target}
TRIPLE=$(rustc -vV | sed -n 's/^host: //p')

say() { printf 'fuzz: %s\n' "$*"; }

cd "$ROOT"
# Coverage from LLVM's SanitizerCoverage pass, `--cfg fuzzing`, branch folding off, and debug
# assertions (so overflow checks) on in both profiles. release: optimised, one codegen unit (as
# cargo-fuzz does); dev (the 30 s runs of `make test`): unoptimised, which builds in about half the
# time and keeps the same checks.
RUSTFLAGS="-Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4"
RUSTFLAGS+=" -Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table"
RUSTFLAGS+=" -Cllvm-args=-sanitizer-coverage-trace-compares --cfg fuzzing"
RUSTFLAGS+=" -Cllvm-args=-simplifycfg-branch-fold-threshold=0 -Cllvm-args=-sanitizer-coverage-stack-depth"
RUSTFLAGS+=" -Cdebug-assertions"
case ${FUZZ_PROFILE:-release} in
  release)
    BUILD=(--release --config 'profile.release.debug="line-tables-only"')
    RUSTFLAGS+=" -Ccodegen-units=1"
    OUT=release ;;
  dev) BUILD=(); OUT=debug ;;
  *) say "FUZZ_PROFILE must be release or dev"; exit 2 ;;
esac
export RUSTFLAGS

all=$(sed -n 's/^name = "\(.*\)"$/\1/p' fuzz/Cargo.toml | grep -v '^gateway-fuzz$')
targets=${FUZZ_TARGETS:-$all}
start=$(date +%s)
say "building the fuzz targets (${FUZZ_PROFILE:-release})"
cargo build --manifest-path fuzz/Cargo.toml --target "$TRIPLE" "${BUILD[@]}" --bins
say "built in $(( $(date +%s) - start )) s; ${SECS} s per target, ${JOBS} at a time"

logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT

# One target: its output goes to a log, shown (without libFuzzer's progress lines) when it ends.
run_one() {
  local t=$1 work="$CARGO_TARGET_DIR/corpus/$1"
  mkdir -p "$work" "fuzz/corpus/$t" "fuzz/artifacts/$t"
  "$CARGO_TARGET_DIR/$TRIPLE/$OUT/$t" -artifact_prefix="fuzz/artifacts/$t/" \
    -max_total_time="$SECS" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    "$work" "fuzz/corpus/$t" > "$logs/$t.log" 2>&1
}

failed=()
declare -A pid_of=()
finish() {  # waits for target $1 and reports it
  local t=$1 rc=0
  wait "${pid_of[$t]}" || rc=$?
  say "$t: exit $rc"
  grep -v -E '^(#[0-9]+\s+(NEW|REDUCE|pulse)|"|###### )' "$logs/$t.log" | sed "s/^/  $t: /" || true
  [ "$rc" -eq 0 ] || failed+=("$t")
}
running=()
for t in $targets; do
  if [ ${#running[@]} -ge "$JOBS" ]; then
    finish "${running[0]}"
    running=("${running[@]:1}")
  fi
  run_one "$t" &
  pid_of[$t]=$!
  running+=("$t")
done
for t in "${running[@]}"; do finish "$t"; done

say "done in $(( $(date +%s) - start )) s"
if [ ${#failed[@]} -gt 0 ]; then
  say "FAILED: ${failed[*]} (inputs in fuzz/artifacts/; replay: $CARGO_TARGET_DIR/$TRIPLE/$OUT/<target> <input>)"
  exit 1
fi
