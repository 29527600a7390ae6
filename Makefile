# vpcmedic: build, check and run locally. `make help` lists the targets.
#
# The tests run against a local AWS emulator (moto) and check the template with cfn-lint; both
# come from: pip install 'moto[server]' cfn-lint

SHELL := /bin/bash
.DEFAULT_GOAL := help

FUNCTIONS := OnLambdaChangeFunction OnNetworkChangeFunction SweepFunction
BUILD_DIR := .aws-sam/build
INSTALL_HINT := install with: pip install 'moto[server]' cfn-lint

# Lambda runs the arm64 binary named bootstrap on provided.al2023; lambda.norpc drops the RPC
# code that only the go1.x runtime used.
GO_LAMBDA_BUILD := GOOS=linux GOARCH=arm64 CGO_ENABLED=0 go build -tags lambda.norpc -trimpath -ldflags='-s -w'

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

check-tools: ## Fail unless moto, aws-sam-translator and cfn-lint are installed.
	@python3 -c 'import moto, samtranslator' 2>/dev/null || { echo "moto or aws-sam-translator is missing for python3: $(INSTALL_HINT)" >&2; exit 1; }
	@command -v cfn-lint >/dev/null 2>&1 || { echo "cfn-lint is missing: $(INSTALL_HINT)" >&2; exit 1; }

lint: ## gofmt, go vet and cfn-lint.
	@unformatted=$$(gofmt -l .); if [ -n "$$unformatted" ]; then echo "gofmt would change:" >&2; echo "$$unformatted" >&2; exit 1; fi
	go vet ./...
	cfn-lint template.yaml

test: check-tools lint ## All tests, including the emulator and template tests, then a short fuzz run.
	# One package at a time: each integration package runs its own emulator, and
	# several at once on a small machine make the emulator drop connections.
	go test -p 1 -timeout 45m ./...
	go test -run='^$$' -fuzz=FuzzParse -fuzztime=20s ./internal/trail

test-short: ## Quick loop: skips the tests that need moto or cfn-lint.
	go test -short ./...

demo: ## Run vpcmedic locally against the emulator.
	go run ./internal/demo

# Needs the SAM CLI and AWS credentials for the target account; never run in CI.
deploy: ## Build and deploy with the SAM CLI (samconfig.toml [default]).
	sam build && sam deploy

clean: ## Remove build output.
	rm -rf .aws-sam
