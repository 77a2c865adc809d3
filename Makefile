# Every target delegates to cargo or to a script; `make ci` is exactly what .ci/run runs.
SHELL := /bin/bash
CARGO ?= cargo
export GLUSTER_VOLUME ?= s3vol
export GLUSTERS3_TEST_VOLUME ?= $(GLUSTER_VOLUME)

.PHONY: all volume volume-down pg pg-down cluster cluster-down cluster-smoke faults build fmt lint test fuzz fuzz-smoke run ci conformance bench clean

all: build

## volume: install GlusterFS if missing, start glusterd and the local replica-3 volume
volume:
	bash scripts/gluster-up.sh

## volume-down: stop and delete the local volume (keeps glusterd and packages)
volume-down:
	bash scripts/gluster-down.sh

## pg: a throwaway local PostgreSQL for the registry's PostgreSQL tests (127.0.0.1:55432, trust auth)
pg:
	bash scripts/pg-up.sh

## pg-down: stop it (its data stays in /var/tmp/glusters3-pg)
pg-down:
	bash scripts/pg-down.sh

## cluster: three Gluster peers in network namespaces on this machine, volumes c3 (1 x 3) and c6 (2 x 3)
cluster:
	bash scripts/cluster-up.sh

## cluster-down: remove the namespace cluster (the local volume stays)
cluster-down:
	bash scripts/cluster-down.sh

## cluster-smoke: a gateway on the namespace cluster, started with the first volfile server unreachable
cluster-smoke:
	$(CARGO) build -p gateway
	bash scripts/cluster-smoke.sh

## faults: fault scenarios on the namespace cluster under a client load with a ledger (node killed, links down,
## packet loss, quorum lost, gateway kill -9); not part of test/CI; writes faults-results/<time>.md (~9 min)
faults:
	bash scripts/faults.sh

build:
	$(CARGO) build --workspace

fmt:
	$(CARGO) fmt --all

## lint: formatting and clippy, warnings are errors
lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

## test: the volume, then lint, then every test against the real volume (S3 suite in both addressing styles),
## the registry suite a second time on a local PostgreSQL (scripts/pg-up.sh), then the smoke on the namespace
## cluster (three Gluster peers); docker-compose.yml checked statically
test: volume lint
	bash scripts/check-compose.sh
	$(CARGO) test --workspace --all-targets
	GLUSTERS3_TEST_STYLE=vhost $(CARGO) test -p gateway --test integration -- --skip recovery --skip crash
	bash scripts/pg-up.sh
	GLUSTERS3_TEST_POSTGRES=$$(bash scripts/pg-up.sh) $(CARGO) test -p metadata --test integration
	$(MAKE) cluster-smoke

## fuzz: every fuzz target of fuzz/ for FUZZ_SECS seconds (default 600) on stable Rust (fuzz/README.md)
fuzz:
	bash scripts/fuzz.sh

## fuzz-smoke: every fuzz target for 30 s (not yet in `make test`: a fresh instrumented build takes 12-18 min here)
fuzz-smoke:
	FUZZ_SECS=30 bash scripts/fuzz.sh

## run: the gateway on the local replica-3 volume, with development keys
run: volume
	bash scripts/run-gateway.sh

## ci: what .ci/run runs: the tests, then the real-client conformance suites
ci: test conformance

## conformance: real clients (aws-cli v1 and v2, boto3 current and 1.35, minio-py, minio-js, AWS SDK
## for JavaScript v3, s3cmd) and the web console in headless Chromium against
## a gateway on the local volume; SKIP_<SUITE>=1 skips a suite (see conformance/README.md)
conformance: volume
	@bash conformance/run.sh

## bench: raw gfapi vs the gateway vs s3s-fs on FUSE, same volume, one run (~13 min once built; BENCH_QUICK=1: ~4);
## writes bench/results/<date>/ and the README's benchmark section (knobs: bench/run.sh header)
bench: volume
	@bash bench/run.sh

clean:
	$(CARGO) clean
