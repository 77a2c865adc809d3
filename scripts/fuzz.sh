#!/usr/bin/env bash
# Runs every fuzz target of fuzz/ (cargo-fuzz, libFuzzer) for FUZZ_SECS seconds each, on stable
# Rust with no sanitizer (fuzz/README.md says why). Installs the pinned cargo-fuzz when missing.
# `make fuzz` runs 600 s per target, `make fuzz-smoke` (part of `make test`) 30 s.
#
# Each target starts from its committed seeds (fuzz/corpus/<target>, read only) plus what earlier
# runs on this machine found (fuzz/target/corpus/<target>, where new inputs go). A crash, leak,
# timeout or failed property leaves its input in fuzz/artifacts/<target>/ and fails the run after
# every target had its turn.
#
# Environment: FUZZ_SECS (600), FUZZ_PROFILE (release | dev), FUZZ_TARGETS (all, space-separated), FUZZ_TARGET_DIR
# (fuzz/target: its own target dir, as the instrumented build shares nothing with the main one).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CARGO_FUZZ_VERSION=0.13.2
SECS=${FUZZ_SECS:-600}
export CARGO_TARGET_DIR=${FUZZ_TARGET_DIR:-$ROOT/fuzz/target}

say() { printf 'fuzz: %s\n' "$*"; }

if [ "$(cargo fuzz --version 2>/dev/null)" != "cargo-fuzz $CARGO_FUZZ_VERSION" ]; then
  say "installing cargo-fuzz $CARGO_FUZZ_VERSION"
  cargo install --locked cargo-fuzz --version "$CARGO_FUZZ_VERSION"
fi

cd "$ROOT"
# -s none: no sanitizer, so no -Z flag and no nightly. release: optimised, with debug assertions
# (and so overflow checks); dev (the 30 s runs of `make test`): unoptimised, which builds in
# about half the time and keeps the same checks.
case ${FUZZ_PROFILE:-release} in
  release) FLAGS=(--sanitizer none --release --debug-assertions) ;;
  dev) FLAGS=(--sanitizer none --dev) ;;
  *) say "FUZZ_PROFILE must be release or dev"; exit 2 ;;
esac
targets=${FUZZ_TARGETS:-$(cargo fuzz list)}
start=$(date +%s)
say "building the fuzz targets"
cargo fuzz build "${FLAGS[@]}"
say "built in $(( $(date +%s) - start )) s; ${SECS} s per target"

failed=()
for t in $targets; do
  work="$CARGO_TARGET_DIR/corpus/$t"
  mkdir -p "$work" "fuzz/corpus/$t"
  say "$t"
  if ! cargo fuzz run "${FLAGS[@]}" "$t" "$work" "fuzz/corpus/$t" -- \
      -max_total_time="$SECS" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
      2> >(grep -v -E '^(#[0-9]+\s+(NEW|REDUCE|pulse)|"|###### )' >&2); then
    failed+=("$t")
  fi
done
say "done in $(( $(date +%s) - start )) s"
if [ ${#failed[@]} -gt 0 ]; then
  say "FAILED: ${failed[*]} (inputs in fuzz/artifacts/; replay: cargo fuzz run -s none -O -a <target> <input>)"
  exit 1
fi
