# Quick start: `make run` and `make test` work from a fresh clone with only Python 3.11+ and pip.
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	if command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then echo $$p; break; fi; done)
VENV := .venv
BIN := $(VENV)/bin
SHARED ?= ../shared/datasets

.PHONY: run test lint bench clean venv install

$(BIN)/python:
	@test -n "$(PYTHON)" || { echo "newsbot needs Python 3.11 or newer on PATH" >&2; exit 2; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(VENV)/.installed $@

venv: $(VENV)/.installed
	@echo "newsbot is installed in $(BIN)/newsbot; run it as $(BIN)/newsbot, or \`make install\` to put it on PATH"

# `newsbot` on PATH for this user, in its own environment (pipx), independent of this checkout's .venv.
install:
	@command -v pipx >/dev/null 2>&1 || { echo "make install needs pipx (apt install pipx, or python3 -m pip install --user pipx)" >&2; exit 2; }
	pipx install --force .

run: $(VENV)/.installed
	$(BIN)/newsbot run $(ARGS)

# The store tests also run against PostgreSQL: the server in $$NEWSBOT_TEST_POSTGRES, else a throwaway one
# started from the installed binaries (Debian: apt-get install postgresql); skipped, in one line, without.
test: $(VENV)/.installed-dev
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check bot summaries tests bench
	$(BIN)/mypy

bench: $(VENV)/.installed-dev
	$(BIN)/python -m bench.summaries $(SHARED)
	$(BIN)/python -m bench.ingest --baseline-rev f530e25
	$(BIN)/python -m bench.search
	$(BIN)/python -m bench.discord

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
