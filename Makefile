# Everyday commands. `make run` and `make test` work on a fresh machine (see README).
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Python 3.12 (Lambda's python3.12 runtime) when pyenv has it, else whatever python3 is.
PYTHON ?= $(shell command -v python3.12 || ls /root/.pyenv/versions/3.12.*/bin/python3.12 2>/dev/null | tail -n 1 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: help install run test lint format clean

help:  ## list the commands
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): requirements.txt requirements-dev.txt
	@bash devstack/system-packages.sh
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)  ## create .venv and install everything (system packages too)

run: $(STAMP)  ## start the local stack: MySQL (or SQLite), AWS emulator, demo data, API and admin
	$(PY) -m devstack.run

test: $(STAMP)  ## the whole test suite on real MariaDB
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(STAMP)  ## ruff, ruff format --check, mypy
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	SECRET_KEY=lint $(VENV)/bin/mypy .

format: $(STAMP)  ## apply ruff's fixes and formatting
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clean:  ## remove the virtualenv and local state
	rm -rf $(VENV) .local .pytest_cache .mypy_cache .ruff_cache staticfiles
