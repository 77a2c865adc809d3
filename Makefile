# Every target delegates to cargo or to a script; `make ci` is exactly what .ci/run runs.
SHELL := /bin/bash
CARGO ?= cargo
export GLUSTER_VOLUME ?= s3vol
export GLUSTERS3_TEST_VOLUME ?= $(GLUSTER_VOLUME)

.PHONY: all volume volume-down pg pg-down cluster cluster-down cluster-smoke ha ha-down ha-test faults soak build fmt lint test fuzz fuzz-smoke run ci conformance bench clean

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
	$(CARGO) build --workspace --all-targets
	bash scripts/cluster-smoke.sh

## ha: the replicated registry database for several gateways (etcd + Patroni + PostgreSQL, Debian packages)
ha:
	bash scripts/ha-up.sh

## ha-down: stop and remove it
ha-down:
	bash scripts/ha-down.sh

## ha-test: three gateways on one namespace (PostgreSQL registry): races, cross-gateway reads, multipart
## across gateways, a gateway killed, the PostgreSQL primary killed under load; writes ha-results/<time>.md
ha-test:
	$(CARGO) build --workspace --all-targets
	bash scripts/ha-test.sh

## faults: fault scenarios on the namespace cluster under a client load with a ledger (node killed, links down,
## packet loss, quorum lost, gateway kill -9, bricks full); not part of test/CI; writes faults-results/<time>.md (~20 min)
faults:
	bash scripts/faults.sh

## soak: SOAK_SECS (3600) of mixed load at concurrency SOAK_CONC (32) on a release gateway on the local volume;
## every GET verified; VmRSS, fds and threads sampled every 10 s must be flat after warm-up; not part of
## test/CI; writes soak-results/<time>.md
soak: volume
	bash scripts/soak.sh

build:
	$(CARGO) build --workspace

fmt:
	$(CARGO) fmt --all

## lint: formatting and clippy, warnings are errors
lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

## test: the volume, then lint, then every test against the real volume (S3 suite in both addressing styles),
## the registry suite a second time on a local PostgreSQL (scripts/pg-up.sh), then three gateways on one
## PostgreSQL registry (make ha-test), then the smoke on the namespace cluster (three Gluster peers), then
## every fuzz target for 30 s; docker-compose.yml checked statically
test: volume lint
	bash scripts/check-compose.sh
	$(CARGO) test --workspace --all-targets
	cd gateway && GLUSTERS3_TEST_STYLE=vhost $$(../scripts/test-exe.sh gateway integration) --skip recovery --skip crash
	bash scripts/pg-up.sh
	cd metadata && GLUSTERS3_TEST_POSTGRES=$$(bash ../scripts/pg-up.sh) $$(../scripts/test-exe.sh metadata integration)
	$(MAKE) ha-test
	$(MAKE) cluster-smoke
	$(MAKE) fuzz-smoke

## fuzz: every fuzz target of fuzz/ for FUZZ_SECS seconds (default 600) on stable Rust (fuzz/README.md)
fuzz:
	bash scripts/fuzz.sh

## fuzz-smoke: every fuzz target for 30 s, unoptimised build (the last step of `make test`)
fuzz-smoke:
	FUZZ_SECS=30 FUZZ_PROFILE=dev bash scripts/fuzz.sh

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
