# Sibyl's developer entry points. `make run` starts one node on
# 127.0.0.1:9042 with data in ./data; `make test` installs what the tests
# need on a fresh machine (Go modules, the Node.js driver, Debian's Python
# driver) and runs every check CI runs.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := build

GO          ?= go
GOBIN       := $(shell $(GO) env GOPATH)/bin
STATICCHECK := $(GOBIN)/staticcheck
BIN         := bin/sibyl
VERSION     ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS     := -X main.version=$(VERSION)
PYTHON      := /usr/bin/python3

# go test settings: the whole suite must stay well under 20 minutes on two
# cores. -race runs only where it is affordable: the concurrency-heavy
# packages (node with its in-process clusters takes about two minutes);
# storage, schema, exec and bench run without it.
TEST_TIMEOUT ?= 15m
RACE_PKGS    ?= ./internal/... ./ring/... ./node/... ./cql/server/...
FUZZTIME     ?= 10s

# Flags for `make run`; override on the command line, e.g.
#   make run RUN_FLAGS="--cql-port 9043 --data-dir /tmp/sibyl"
RUN_FLAGS ?=

.PHONY: build run cluster cluster-stop test deps go-deps node-deps python-deps lint vet fmt-check \
        staticcheck unit race interop fuzz bench bench-growth clean

## build: compile bin/sibyl
build:
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/sibyl

## run: one node on 127.0.0.1:9042 with data in ./data (Ctrl-C stops it cleanly)
run: build
	./$(BIN) serve --data-dir ./data --listen-address 127.0.0.1 --cql-port 9042 $(RUN_FLAGS)

## cluster: three nodes on 127.0.0.1-3 (port 9042 each) with data under ./data; `make cluster-stop` stops them
cluster: build
	./$(BIN) cluster --data-dir ./data

cluster-stop: build
	./$(BIN) cluster stop --data-dir ./data

## test: install test dependencies, lint, unit and integration tests, driver interop tests
test: deps lint unit race interop gocql-suites

deps: go-deps node-deps python-deps

go-deps:
	$(GO) mod download

node-deps:
	cd interop/nodejs && if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi

# Debian's python3-cassandra (the DataStax Python driver 3.25) is what cqlsh
# on Debian uses; the interop tests run with Debian's own interpreter, not a
# pyenv shim that would not see the package.
python-deps:
	@if ! $(PYTHON) -c 'import cassandra' 2>/dev/null; then \
		echo "installing python3-cassandra (Debian)"; \
		SUDO=""; if [ "$$(id -u)" != 0 ]; then SUDO=sudo; fi; \
		$$SUDO apt-get update; \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y python3-cassandra; \
	fi

## lint: gofmt, go vet, staticcheck (installed on first use)
lint: fmt-check vet staticcheck

fmt-check:
	@out="$$(gofmt -l $$(git ls-files '*.go' | grep -v '^vendor/') 2>&1 || true)"; \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

$(STATICCHECK):
	$(GO) install honnef.co/go/tools/cmd/staticcheck@latest

staticcheck: $(STATICCHECK)
	$(STATICCHECK) ./...

# unit needs bin/sibyl: bench's end-to-end test drives a real `sibyl serve`.
unit: build
	SIBYL_BIN=$(CURDIR)/$(BIN) $(GO) test -timeout $(TEST_TIMEOUT) ./...

race:
	$(GO) test -race -timeout $(TEST_TIMEOUT) $(RACE_PKGS)

## interop: the Node.js and Python drivers against a fresh bin/sibyl
interop: build node-deps python-deps
	PYTHON=$(PYTHON) ./interop/run.sh ./$(BIN)

## gocql-suites: gocql v1.7.0's and cassandra-gocql-driver v2.1.2's own server tests against a fresh node and a fresh 3-node cluster (interop/gocql/README.md)
.PHONY: gocql-suites
gocql-suites: build
	cd interop/gocql && GOWORK=off $(GO) vet ./... && GOWORK=off $(GO) test -count=1 ./... \
		&& GOWORK=off $(GO) run . -sibyl $(CURDIR)/$(BIN) -parallel 2

## fuzz: every Fuzz target for FUZZTIME each (default 10s)
fuzz:
	@for pkg in $$($(GO) list ./...); do \
		dir=$$($(GO) list -f '{{.Dir}}' $$pkg); \
		for f in $$(grep -ho '^func Fuzz[A-Za-z0-9_]*' $$dir/*_test.go 2>/dev/null | sed 's/^func //' | sort -u); do \
			echo "== $$pkg $$f"; \
			$(GO) test -run '^$$' -fuzz "^$$f\$$" -fuzztime $(FUZZTIME) $$pkg; \
		done; \
	done

## soak: random fault schedules (internal/faults) against in-process clusters for SOAK_TIME (default 10m); each failing schedule prints its seed
# The test draws schedules until SIBYL_SOAK_TIME is up and bounds each one
# itself (a hung schedule panics with every goroutine's stack), hence no
# go test timeout. The full log goes to SOAK_LOG; replay a failing seed
# with SIBYL_FAULTS_SEED=<seed> go test ./internal/faults -run TestRandomSchedules -v
SOAK_TIME ?= 10m
SOAK_LOG  ?= /tmp/sibyl-soak.log
.PHONY: soak
soak:
	SIBYL_SOAK_TIME=$(SOAK_TIME) $(GO) test ./internal/faults -run '^TestRandomSchedules$$' -count=1 -timeout 0 -v 2>&1 \
		| tee $(SOAK_LOG) \
		| grep --line-buffered -E '^(=== RUN|\s*--- |FAIL|ok|PASS)|faults seed|anomalies|failing seeds'

## soak-lwt: the linearizability test of lightweight transactions under random faults for SOAK_TIME; replay with SIBYL_FAULTS_SEED=<seed> go test ./internal/faults -run TestLWTLinearizable -v
.PHONY: soak-lwt
soak-lwt:
	SIBYL_SOAK_TIME=$(SOAK_TIME) $(GO) test ./internal/faults -run '^TestLWTLinearizable$$' -count=1 -timeout 0 -v 2>&1 \
		| tee $(SOAK_LOG) \
		| grep --line-buffered -E '^(=== RUN|\s*--- |FAIL|ok|PASS)|faults seed|operations|not linearizable|failing seeds'

## bench: the benchmark suite (writes BENCHMARKS.md)
bench: build
	@if [ -x bench/suite.sh ]; then ./bench/suite.sh; \
	else $(GO) test -run '^$$' -bench . -benchtime 1x ./...; fi

## bench-growth: only the growth series, 20 steps of 1M rows (20M) within a 1-hour budget (about 15-25 min at 25-30k writes/s on 2 cores); writes bench/GROWTH.md
bench-growth: build
	./bench/suite.sh growth

clean:
	rm -rf bin
