# Everyday commands. `make run` and `make test` work on a fresh machine (see README).
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Python 3.12, as on Lambda's python3.12 runtime: pyenv's if it has one, else the first python3.12
# or python3 on PATH that really is 3.12+.
PYTHON ?= $(shell for p in $$(ls -d $$HOME/.pyenv/versions/3.12.*/bin/python3.12 2>/dev/null | sort -V -r) python3.12 python3; do \
	$$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null && { echo $$p; break; }; done)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
STAGE ?= dev

# pip-compile: every transitive package pinned with its hashes; no machine-specific index or wheel folder.
LOCK_FLAGS := --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links

.PHONY: help install run token test test-fast test-packages lint format clean package bench bench-scale sdk openapi lock deploy

help:  ## list the commands
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): requirements-dev.lock
	@test -n "$(PYTHON)" || { echo "Python 3.12 or newer is needed (pyenv install 3.12, or apt install python3.12)"; exit 1; }
	@bash devstack/system-packages.sh run
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	# Only what the lock names, each file checked against its hash (docs/dependencies.md).
	$(PY) -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements-dev.lock
	touch $(STAMP)

# The npm tools of `make sdk` and the TypeScript session test, only from the lock file.
NODE_STAMP := sdk/node_modules/.installed
$(NODE_STAMP): sdk/package.json sdk/package-lock.json
	@bash devstack/system-packages.sh sdk
	npm ci --prefix sdk --no-audit --no-fund
	touch $(NODE_STAMP)

install: $(STAMP) $(NODE_STAMP)  ## create .venv and sdk/node_modules, install everything (system packages too)

run: $(STAMP)  ## start the local stack: MySQL (or SQLite), AWS emulator, demo data, API and admin
	$(PY) -m devstack.run

token: $(STAMP)  ## a fresh demo bearer token from the running local stack (`make run` in another shell)
	@$(PY) -m devstack.token

# What only the tests, the benchmarks and the artifact check need (php-cli, wrk, readelf, Chromium):
# `make run` never installs them.
test-packages:
	@bash devstack/system-packages.sh test

# pytest-xdist workers, each with its own test databases and emulators (tests/conftest.py), a test file
# on one worker (--dist loadfile); 0 is one process. `make test` (CI) stays in one process: with two
# workers the two artifact files would build dist/'s zip at once (docs/testing.md).
WORKERS ?= 2
TEST_WORKERS ?= 0

test: $(STAMP) $(NODE_STAMP) test-packages  ## the whole test suite on real MariaDB (CDC's tests on a private MariaDB with the binlog on)
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)
	$(PY) -m devstack.binlog_mysql -- $(PY) -m pytest -m binlog -p no:cacheprovider $(PYTEST_ARGS)

test-fast: $(STAMP) test-packages  ## the inner loop on two workers: every test but the slow ones (artifact, make run, fuzzing, faults, browser, SDK, bench)
	$(PY) -m pytest -n $(WORKERS) --dist loadfile -m "not slow" $(PYTEST_ARGS)

package: $(STAMP) test-packages  ## the verified Lambda zip dist/lambridge-<stage>.zip (STAGE=dev|staging|production, LOCAL=1)
	$(PY) -m artifact.build --stage $(STAGE) $(if $(LOCAL),--local)

bench-scale: $(STAMP)  ## sites of 100k and 1M notes made by SQL, and SPEC §8's (scale) rows side by side
	$(PY) -m bench.scale $(BENCH_ARGS)

# It builds the package, so it needs what `make package` needs (readelf).
deploy: $(STAMP) test-packages  ## first deploy or update of a stage, idempotent: stack, package, zappa, migrate, static (STAGE=…)
	$(PY) -m deploy --stage $(STAGE)

bench: $(STAMP) test-packages  ## the benchmarks (cold start through the Zappa handler), table + bench/results/<date>.json
	$(PY) -m bench $(BENCH_ARGS)

sdk: $(STAMP) $(NODE_STAMP)  ## TypeScript, Kotlin and Swift clients in dist/sdk/ (fails on a lint problem or generator warning)
	$(PY) -m sdk.build

openapi: $(STAMP)  ## refresh the snapshot openapi.json; a breaking change vs git's HEAD needs BREAKING=accept
	$(PY) -m sdk.snapshot $(if $(BREAKING),--accept-breaking)

lint: $(STAMP)  ## ruff, ruff format --check, mypy, the rooms' import contract (lint-imports)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	SECRET_KEY=lint $(VENV)/bin/mypy .
	$(VENV)/bin/lint-imports

format: $(STAMP)  ## apply ruff's fixes and formatting
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

lock:  ## regenerate the lock files (hashes) from requirements*.txt after a pin changes
	@test -x $(VENV)/bin/pip-compile || { echo "make lock needs pip-compile: run make install first"; exit 1; }
	$(VENV)/bin/pip-compile $(LOCK_FLAGS) --output-file requirements.lock requirements.txt
	$(VENV)/bin/pip-compile $(LOCK_FLAGS) --output-file requirements-dev.lock requirements-dev.txt
	# The Lambda build virtualenv: the runtime packages and Zappa (as pinned in requirements-dev.txt) only.
	{ echo "-r requirements.txt"; grep -i '^zappa==' requirements-dev.txt; } > requirements-lambda.in
	$(VENV)/bin/pip-compile $(LOCK_FLAGS) --output-file requirements-lambda.lock requirements-lambda.in
	rm -f requirements-lambda.in

clean:  ## remove the virtualenv and local state
	rm -rf $(VENV) .venv-lambda dist sdk/node_modules sdk/session/build sdk/session/generated .local .pytest_cache .mypy_cache .ruff_cache staticfiles
