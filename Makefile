# baktainer — see README.md. `make demo` shows it working; `make test` proves it.
GO        ?= go
# The Go release baktainer is built and checked with: newer than the machine's own Go,
# for the standard library's security fixes (govulncheck in `make lint` holds us to
# it). The go command fetches it from the module proxy the first time (about 76 MB).
export GOTOOLCHAIN := go1.27.3
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
BUILDTAGS := nosystemd
LDFLAGS   := -s -w -X github.com/baktainer/baktainer/version.Version=$(VERSION)
BIN       := bin/baktainer

.PHONY: all build test test-unit test-fuzz test-integration lint rig images demo bench clean

all: build

## build: the static baktainer binary in bin/
build:
	CGO_ENABLED=0 $(GO) build -trimpath -tags '$(BUILDTAGS)' -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/baktainer

## test: everything CI runs (lint, unit tests, integration tests against a real Docker engine)
test: lint test-unit test-fuzz test-integration

## test-unit: tests that need nothing but Go
test-unit:
	$(GO) test -tags '$(BUILDTAGS)' -count=1 ./...

## test-fuzz: each fuzz target for FUZZTIME (a few seconds in CI; `make test-fuzz
## FUZZTIME=10m` for a long run). Inputs that find new paths are kept in Go's
## cache, so each run starts where the last one stopped. One PACKAGE:TARGET a line.
FUZZTIME     ?= 4s
FUZZ_TARGETS := \
	./store/:FuzzOpen \
	./store/:FuzzVerify \
	./store/:FuzzReadMeta \
	./store/:FuzzRetentionPlan \
	./config/:FuzzSettings \
	./labels/:FuzzLabels \
	./legacy/:FuzzReadMeta \
	./legacy/:FuzzOpenEncryptedGzip
test-fuzz:
	@for entry in $(FUZZ_TARGETS); do \
	  pkg=$${entry%%:*}; target=$${entry#*:}; \
	  echo "fuzz $$target in $$pkg for $(FUZZTIME)"; \
	  $(GO) test -tags '$(BUILDTAGS)' -run '^$$' -fuzz "^$$target$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 50x $$pkg || exit 1; \
	done

## test-integration: starts Docker and builds the test images if needed, then runs integration/
test-integration: images
	$(GO) test -tags '$(BUILDTAGS) integration' -count=1 -timeout 25m ./integration/...

## lint: gofmt, go vet, staticcheck and govulncheck (scripts/ensure-lint-tools.sh builds the last two, cached)
lint:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt would change: $$unformatted"; exit 1; fi
	$(GO) vet -tags '$(BUILDTAGS) integration' ./...
	@eval "$$(scripts/ensure-lint-tools.sh)" && \
	echo "staticcheck ./..." && $$STATICCHECK -tags '$(BUILDTAGS) integration' ./... && \
	echo "govulncheck ./..." && $$GOVULNCHECK -db "$$VULNDB" -tags '$(BUILDTAGS)' ./...

## rig: the stock tools and a running Docker daemon
rig:
	scripts/ensure-tools.sh
	scripts/ensure-docker.sh

## images: the database and plain test images (cached; quick the second time)
images: rig
	scripts/build-db-images.sh
	scripts/build-tiny-image.sh

## demo: install the plugin on this machine's engine and let it back up a labelled Postgres container
demo: images build
	scripts/demo.sh

## bench-agent: the agent's registration latency with 300 labelled containers (docs/BENCHMARKS.md)
.PHONY: bench-agent
bench-agent: images
	scripts/bench-agent.sh

## bench-offsite: the off-host copy's cost (issue #16): upload speed and memory, and a
## whole Postgres backup (pg_dump ~2 GiB) local only against the same backup with the
## copy to a local S3 server, in one run (docs/BENCHMARKS.md)
.PHONY: bench-offsite
bench-offsite: images build
	scripts/bench-offsite.sh

## bench: Go benchmarks, the store pipeline against the stock shell chain, peak
## memory, and a whole Postgres backup against pg_dumpall (docs/BENCHMARKS.md).
## Not part of `make test`. BENCH_SIZE_MB=2048 by default.
bench: images build
	scripts/bench.sh
	$(MAKE) bench-agent
	$(MAKE) bench-offsite

clean:
	rm -rf bin rootfs

# ── The managed plugin (docs/PLUGIN.md) ───────────────────────────────────────
PLUGIN ?= baktainer:dev

.PHONY: plugin plugin-push registry

## plugin: static binary → FROM-scratch image → rootfs/ → `docker plugin create $(PLUGIN)` (cached)
plugin:
	scripts/plugin-build.sh $(PLUGIN)

## plugin-push: build the plugin as PLUGIN=REF and push it: make plugin-push PLUGIN=127.0.0.1:5000/baktainer:1.0
plugin-push:
	@case "$(PLUGIN)" in */*) ;; *) echo "usage: make plugin-push PLUGIN=REGISTRY/baktainer:TAG" >&2; exit 2;; esac
	scripts/plugin-build.sh $(PLUGIN)
	docker plugin push $(PLUGIN)

## registry: build the local test registry from its Go module (cached in /var/cache/baktainer/registry)
registry:
	scripts/registry.sh build

# The plugin tests push to a local registry: build it before the tests start.
test-integration: registry

.PHONY: s3server
## s3server: the S3-compatible test server (SeaweedFS) built from its Go module (cached in /var/cache/baktainer/s3)
s3server:
	scripts/s3-server.sh build

# The off-host copy tests run against a real S3 server.
test-integration: s3server

## swarm-images: the Swarm node (Docker-in-Docker) and rollout job images (scripts/build-dind-image.sh, cached)
.PHONY: swarm-images
swarm-images: rig
	scripts/build-dind-image.sh
images: swarm-images

# ── Health, status, metrics and the dashboard (docs/METRICS.md) ─────────────────
.PHONY: browser promtool

## browser: Debian's chromium for the dashboard tests (installed once)
browser:
	scripts/ensure-browser.sh

## promtool: promtool from Debian's prometheus package, extracted, never started (cached)
promtool:
	scripts/ensure-promtool.sh

# The health tests drive the dashboard in Chromium and check metrics and alert rules with promtool.
test-integration: browser promtool
