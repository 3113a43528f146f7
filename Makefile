# whoot: the README's two commands are `make run` and `make test`.
# Every recipe line runs under bash with errexit/pipefail, so a failing step fails make.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c

SWIFT ?= $(shell command -v swift 2>/dev/null || echo /opt/swift/usr/bin/swift)
PYTEST := .venv/bin/pytest
export SWIFT_BACKTRACE := enable=no

.PHONY: setup build run test test-tsan install fuzz fuzz-smoke

PREFIX ?= /usr/local
DESTDIR ?=

## Install missing apt packages and the Python test venv (idempotent).
setup:
	bash scripts/setup.sh

## Build whootd and whootctl (debug).
build: setup
	$(SWIFT) build

## Start whootd on ./state and print two join links; Ctrl-C stops it.
run: build
	bash scripts/run.sh

## Every test: Swift unit tests, the control plane's tests again on a throwaway PostgreSQL
## cluster (scripts/test-postgres.sh), a few seconds of each fuzz target, then the
## end-to-end suite against the built daemon.
test: build
	$(SWIFT) test
	$(MAKE) --no-print-directory test-tsan
	SWIFT=$(SWIFT) bash scripts/test-postgres.sh
	$(MAKE) --no-print-directory fuzz-smoke
	$(PYTEST) -q Tests/e2e

## The forwarding core's tests (workers, rings, snapshots, slots) under ThreadSanitizer,
## in a build directory of their own; any report fails the run.
test-tsan:
	$(SWIFT) build --build-tests --sanitize=thread --scratch-path .build-tsan
	TSAN_OPTIONS=halt_on_error=1 $(SWIFT) test --skip-build --sanitize=thread \
		--scratch-path .build-tsan --filter RelayTests

## Install release binaries, the unit, sysusers snippet and default configuration.
## Then: systemctl daemon-reload && systemd-sysusers && systemctl enable --now whootd
install:
	$(SWIFT) build -c release
	install -D -m 0755 .build/release/whootd $(DESTDIR)$(PREFIX)/bin/whootd
	install -D -m 0755 .build/release/whootctl $(DESTDIR)$(PREFIX)/bin/whootctl
	install -D -m 0644 systemd/whootd.service $(DESTDIR)/etc/systemd/system/whootd.service
	sed -i 's|/usr/local/bin/whootd|$(PREFIX)/bin/whootd|' \
		$(DESTDIR)/etc/systemd/system/whootd.service
	install -D -m 0644 systemd/whootd.sysusers.conf $(DESTDIR)/usr/lib/sysusers.d/whootd.conf
	if [ ! -e $(DESTDIR)/etc/whoot/whootd.conf ]; then \
		install -D -m 0640 systemd/whootd.conf $(DESTDIR)/etc/whoot/whootd.conf; fi

FUZZ_SECONDS ?= 600
FUZZ_SMOKE_SECONDS ?= 5

## Fuzz every parser of outside input for FUZZ_SECONDS each (docs/fuzzing.md).
fuzz:
	bash scripts/fuzz.sh run $(FUZZ_SECONDS)

## Each fuzz target for FUZZ_SMOKE_SECONDS, so the targets keep building and running.
fuzz-smoke:
	bash scripts/fuzz.sh run $(FUZZ_SMOKE_SECONDS)
