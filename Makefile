# hutch: the only entry points are `make install`, `make test` and `make bench`.
SHELL := /bin/bash
export PATH := /opt/swift/usr/bin:$(PATH)

UID_NOW := $(shell id -u)
PREFIX ?= $(if $(filter 0,$(UID_NOW)),/usr/local,$(HOME)/.local)
SWIFT ?= swift
SWIFT_RELEASE_FLAGS := -c release --static-swift-stdlib

# Debian packages: what hutch needs to build and run, what the tests add
# (a real registry, a Debian image builder, peers to compare with).
RUNTIME_PACKAGES := libfuse3-dev fuse3 libseccomp-dev libarchive-dev uidmap \
                    busybox-static pkg-config passt slirp4netns libcurl4-openssl-dev
TEST_PACKAGES := docker-registry mmdebstrap skopeo fuse-overlayfs apache2-utils \
                 sqlite3 git python3 gcc libc6-dev procps iproute2 curl util-linux
BENCH_PACKAGES := podman buildah bubblewrap hyperfine fuse-overlayfs runc catatonit

# Where `make test` installs the build for the unprivileged test users to run.
E2E_ROOT ?= /tmp/hutch-e2e
E2E_PREFIX := $(E2E_ROOT)/prefix

.PHONY: all build install deps test-deps bench-deps test unit-test e2e-prepare bench clean

all: build

deps:
	@Tests/harness/need-packages.sh $(RUNTIME_PACKAGES)

test-deps:
	@Tests/harness/need-packages.sh $(RUNTIME_PACKAGES) $(TEST_PACKAGES)

bench-deps:
	@Tests/harness/need-packages.sh $(RUNTIME_PACKAGES) $(TEST_PACKAGES) $(BENCH_PACKAGES)

build: deps
	$(SWIFT) build $(SWIFT_RELEASE_FLAGS)

# Installs hutch, its helper executables and the seccomp profiles under PREFIX.
# hutch is a launcher that execs hutch-cli (the full CLI) for all but a plain
# `run --rootfs`: both go in the same folder.
install: build
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/hutch/profiles
	install -m 0755 "$$($(SWIFT) build $(SWIFT_RELEASE_FLAGS) --show-bin-path)/hutch" $(DESTDIR)$(PREFIX)/bin/hutch
	install -m 0755 "$$($(SWIFT) build $(SWIFT_RELEASE_FLAGS) --show-bin-path)/hutch-cli" $(DESTDIR)$(PREFIX)/bin/hutch-cli
	install -m 0755 "$$($(SWIFT) build $(SWIFT_RELEASE_FLAGS) --show-bin-path)/hutch-unionfs" $(DESTDIR)$(PREFIX)/bin/hutch-unionfs
	install -m 0644 profiles/*.json $(DESTDIR)$(PREFIX)/share/hutch/profiles/ 2>/dev/null || true
	@echo "installed hutch in $(DESTDIR)$(PREFIX)/bin"

# Every test: the unit tests, then the end-to-end tests as the unprivileged
# test users (created here when run as root), on both union back ends.
test: test-deps build
	@Tests/harness/clear-stale.sh $(E2E_ROOT)
	@$(MAKE) --no-print-directory install PREFIX=$(E2E_PREFIX) >/dev/null
	@chmod -R a+rX $(E2E_PREFIX)
	@Tests/harness/setup.sh $(E2E_ROOT)
	@set -o pipefail; HUTCH_E2E_ROOT=$(E2E_ROOT) $(SWIFT) test --disable-swift-testing 2>&1 | tee $(E2E_ROOT)/test.log | Tests/harness/filter-test-output.sh; \
	  status=$$?; Tests/harness/summary.sh $(E2E_ROOT)/test.log && exit $$status

# For working on one area: install a build (CONFIG=debug is quicker to
# rebuild) under E2E_ROOT and set up the users, then run some tests with
# HUTCH_E2E_ROOT=$(E2E_ROOT) swift test --filter EndToEndTests.SomeTests
CONFIG ?= release
e2e-prepare: test-deps
	Tests/harness/clear-stale.sh $(E2E_ROOT)
	$(SWIFT) build $(if $(filter release,$(CONFIG)),$(SWIFT_RELEASE_FLAGS),)
	install -d $(E2E_PREFIX)/bin $(E2E_PREFIX)/share/hutch/profiles
	bin="$$($(SWIFT) build $(if $(filter release,$(CONFIG)),$(SWIFT_RELEASE_FLAGS),) --show-bin-path)"; \
	  install -m 0755 "$$bin/hutch" "$$bin/hutch-cli" "$$bin/hutch-unionfs" $(E2E_PREFIX)/bin/
	install -m 0644 profiles/*.json $(E2E_PREFIX)/share/hutch/profiles/ 2>/dev/null || true
	chmod -R a+rX $(E2E_PREFIX)
	Tests/harness/setup.sh $(E2E_ROOT)

unit-test: test-deps
	$(SWIFT) test --disable-swift-testing --skip EndToEndTests

bench: bench-deps build
	@Tests/harness/clear-stale.sh $(E2E_ROOT)
	@$(MAKE) --no-print-directory install PREFIX=$(E2E_PREFIX) >/dev/null
	@chmod -R a+rX $(E2E_PREFIX)
	@Tests/harness/setup.sh $(E2E_ROOT)
	Tests/bench/run.sh $(E2E_ROOT) docs/benchmarks.md

clean:
	rm -rf .build
