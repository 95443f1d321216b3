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

.PHONY: help install run token test test-packages lint format clean package bench deploy

help:  ## list the commands
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): requirements.txt requirements-dev.txt
	@test -n "$(PYTHON)" || { echo "Python 3.12 or newer is needed (pyenv install 3.12, or apt install python3.12)"; exit 1; }
	@bash devstack/system-packages.sh run
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)  ## create .venv and install everything (system packages too)

run: $(STAMP)  ## start the local stack: MySQL (or SQLite), AWS emulator, demo data, API and admin
	$(PY) -m devstack.run

token: $(STAMP)  ## a fresh demo bearer token from the running local stack (`make run` in another shell)
	@$(PY) -m devstack.token

# What only the tests, the benchmarks and the artifact check need (php-cli, wrk, readelf, Chromium):
# `make run` never installs them.
test-packages:
	@bash devstack/system-packages.sh test

test: $(STAMP) test-packages  ## the whole test suite on real MariaDB
	$(PY) -m pytest $(PYTEST_ARGS)

package: $(STAMP) test-packages  ## the verified Lambda zip dist/lambridge-<stage>.zip (STAGE=dev|staging|production, LOCAL=1)
	$(PY) -m artifact.build --stage $(STAGE) $(if $(LOCAL),--local)

# It builds the package, so it needs what `make package` needs (readelf).
deploy: $(STAMP) test-packages  ## first deploy or update of a stage, idempotent: stack, package, zappa, migrate, static (STAGE=…)
	$(PY) -m deploy --stage $(STAGE)

bench: $(STAMP) test-packages  ## the benchmarks (cold start through the Zappa handler), table + bench/results/<date>.json
	$(PY) -m bench $(BENCH_ARGS)

lint: $(STAMP)  ## ruff, ruff format --check, mypy, the rooms' import contract (lint-imports)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	SECRET_KEY=lint $(VENV)/bin/mypy .
	$(VENV)/bin/lint-imports

format: $(STAMP)  ## apply ruff's fixes and formatting
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clean:  ## remove the virtualenv and local state
	rm -rf $(VENV) .venv-lambda dist .local .pytest_cache .mypy_cache .ruff_cache staticfiles
