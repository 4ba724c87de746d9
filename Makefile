# digest-pinner — every target installs what it needs when it is missing.
SHELL := /bin/bash
.DEFAULT_GOAL := help

NODE_MODULES_STAMP := node_modules/.package-lock.json
JEST := node --experimental-vm-modules node_modules/jest/bin/jest.js
IMAGE ?= digest-pinner:dev
# Tools the install script may place here when the machine lacks them (kubectl, helm).
export PATH := $(CURDIR)/.tools/bin:$(PATH)

.PHONY: help
help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

# npm ci: exactly what the committed lock file says, and the lock file left as it is. The lock
# keeps every platform's optional binaries (jest's resolver), so it is the same on any machine.
$(NODE_MODULES_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

.PHONY: install
install: $(NODE_MODULES_STAMP) ## install npm dependencies

.PHONY: system-deps
system-deps: ## install the real registry and tools the tests run (Debian packages)
	@bash scripts/install-system-deps.sh

.PHONY: build
build: install ## compile TypeScript to dist/
	npx tsc -p tsconfig.build.json
	@chmod +x dist/main.js

.PHONY: typecheck
typecheck: install ## type-check sources, tests and benchmark
	npx tsc -p tsconfig.json --noEmit

.PHONY: lint
lint: typecheck ## typecheck plus eslint
	npx eslint .

.PHONY: format-check
format-check: install ## prettier, check only
	npx prettier --check .

.PHONY: format
format: install ## prettier, rewrite
	npx prettier --write .

.PHONY: test
test: install system-deps build ## run every test (unit, component, end to end against real registries, the image)
	$(JEST) --ci
	@bash scripts/image-test.sh

.PHONY: check
check: lint format-check test ## everything CI runs

.PHONY: run
run: build ## run the webhook locally: no cluster, self-signed TLS, ~/.docker/config.json
	node dist/main.js serve --address 127.0.0.1 $(ARGS)

.PHONY: demo
demo: build system-deps ## pin an image with no internet: a local registry, one pushed image, one review
	@bash scripts/demo.sh

# bench and soak are compiled to dist-bench/ (src, test/support and bench, with the review
# fixtures they read), run, then removed: nothing of it is meant to stay.
define run-bench-script
	rm -rf dist-bench
	npx tsc -p tsconfig.bench.json
	@mkdir -p dist-bench/test/fixtures && cp -r test/fixtures/admission dist-bench/test/fixtures/
	@status=0; node dist-bench/bench/$(1) || status=$$?; rm -rf dist-bench; exit $$status
endef

.PHONY: bench
# ARGS="--only 1,3 --runs 3" narrows a run.
bench: build system-deps ## benchmark (about 110 s; not part of test); prints a table and writes bench/results.json
	$(call run-bench-script,run.js $(ARGS))

.PHONY: soak
SOAK_SECONDS ?= 600
# SOAK_SECONDS=180 shortens it; ARGS="--rate 200 --connections 4" changes the load.
soak: build system-deps ## steady warm and cold load for SOAK_SECONDS (600): req/s, errors, p99, RSS
	$(call run-bench-script,soak.js --seconds $(SOAK_SECONDS) $(ARGS))

.PHONY: image
image: ## build the container image: Docker where an engine runs, else buildah (no daemon)
	@if docker info >/dev/null 2>&1; then docker build -t $(IMAGE) .; \
	else buildah bud --isolation chroot -t $(IMAGE) .; fi

.PHONY: image-test
image-test: ## build the Dockerfile with buildah on a base made here, run it with podman (about 4 min)
	@bash scripts/image-test.sh

.PHONY: deploy
deploy: ## install into the current kubectl context
	kubectl apply -k manifests/base

.PHONY: clean
clean: ## remove what build, bench and coverage wrote (dist, dist-bench, coverage)
	rm -rf dist dist-bench coverage
