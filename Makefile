# whoot: the README's two commands are `make run` and `make test`.
# Every recipe line runs under bash with errexit/pipefail, so a failing step fails make.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c

SWIFT ?= $(shell command -v swift 2>/dev/null || echo /opt/swift/usr/bin/swift)
PYTEST := .venv/bin/pytest
export SWIFT_BACKTRACE := enable=no

.PHONY: setup build run test

## Install missing apt packages and the Python test venv (idempotent).
setup:
	bash scripts/setup.sh

## Build whootd and whootctl (debug).
build: setup
	$(SWIFT) build

## Start whootd on ./state and print two join links; Ctrl-C stops it.
run: build
	bash scripts/run.sh

## Every test: Swift unit tests, then the end-to-end suite against the built daemon.
test: build
	$(SWIFT) test
	$(PYTEST) -q Tests/e2e
