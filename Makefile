# vpcmedic: build, check and run locally. `make help` lists the targets.
#
# Needs Go and Python 3 (with its venv module) only. The tests and the demo run a local AWS
# emulator (moto) and check the template with cfn-lint and aws-sam-translator, at the versions
# internal/emulator/requirements.txt pins. `test`, `lint` and `demo` run those commands through
# internal/emulator/python-env: it uses the system python3 when that has the pinned versions, else
# creates .venv and pip installs them there (once, and again when requirements.txt changes), puts
# .venv/bin first on PATH and sets VPCMEDIC_PYTHON, the interpreter the Go tests start moto with.

SHELL := /bin/bash
.DEFAULT_GOAL := help

FUNCTIONS := OnLambdaChangeFunction OnNetworkChangeFunction SweepFunction
BUILD_DIR := .aws-sam/build
PYTHON_ENV := $(CURDIR)/internal/emulator/python-env

# Lambda runs the arm64 binary named bootstrap on provided.al2023; lambda.norpc drops the RPC
# code that only the go1.x runtime used. grpcnotrace keeps gRPC (linked only because the X-Ray SDK
# imports it; never used) from importing golang.org/x/net/trace, whose html/template makes the
# linker keep every exported method of every type held in an interface: all the SDK clients'
# operations, two thirds of the binary. internal/binsize checks the size and the pruning.
GO_LAMBDA_BUILD := GOOS=linux GOARCH=arm64 CGO_ENABLED=0 go build -tags lambda.norpc,grpcnotrace -trimpath -ldflags='-s -w'

.PHONY: help build build-OnLambdaChangeFunction build-OnNetworkChangeFunction build-SweepFunction \
	check-tools lint test test-short demo deploy clean

help: ## List the targets.
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-32s %s\n", $$1, $$2}'

# `sam build` (BuildMethod: makefile) runs make build-<LogicalId> with ARTIFACTS_DIR set.
build-OnLambdaChangeFunction: ## Build the on-lambda-change bootstrap into ARTIFACTS_DIR.
	$(GO_LAMBDA_BUILD) -o $(ARTIFACTS_DIR)/bootstrap ./functions/on-lambda-change

build-OnNetworkChangeFunction: ## Build the on-network-change bootstrap into ARTIFACTS_DIR.
	$(GO_LAMBDA_BUILD) -o $(ARTIFACTS_DIR)/bootstrap ./functions/on-network-change

build-SweepFunction: ## Build the sweep bootstrap into ARTIFACTS_DIR.
	$(GO_LAMBDA_BUILD) -o $(ARTIFACTS_DIR)/bootstrap ./functions/sweep

build: ## Build all functions into .aws-sam/build/<LogicalId>/bootstrap, as sam build does.
	@set -e; for fn in $(FUNCTIONS); do \
		$(MAKE) --no-print-directory build-$$fn ARTIFACTS_DIR=$(CURDIR)/$(BUILD_DIR)/$$fn; \
	done

check-tools: ## Get the pinned moto, cfn-lint and aws-sam-translator (system python3, else .venv).
	@$(PYTHON_ENV) >/dev/null

lint: ## gofmt, go vet and cfn-lint.
	@unformatted=$$(gofmt -l .); if [ -n "$$unformatted" ]; then echo "gofmt would change:" >&2; echo "$$unformatted" >&2; exit 1; fi
	go vet ./...
	$(PYTHON_ENV) cfn-lint template.yaml

test: check-tools lint ## All tests, including the emulator and template tests, then a short fuzz run.
	# One package at a time: each integration package runs its own emulator, and
	# several at once on a small machine make the emulator drop connections.
	$(PYTHON_ENV) go test -p 1 -timeout 45m ./...
	go test -run='^$$' -fuzz=FuzzParse -fuzztime=20s ./internal/trail

test-short: ## Quick loop: skips the tests that need moto or cfn-lint.
	go test -short ./...

demo: ## Run vpcmedic locally against the emulator.
	$(PYTHON_ENV) go run ./internal/demo

# Needs the SAM CLI and AWS credentials for the target account; never run in CI.
deploy: ## Build and deploy with the SAM CLI (samconfig.toml [default]).
	sam build && sam deploy

clean: ## Remove build output.
	rm -rf .aws-sam
