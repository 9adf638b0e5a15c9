# Developer entry points. `make run` and `make test` do all the set-up they need.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: init run test test-e2e test-browser lint format typecheck check bench bench-quick audit clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)
	@echo "installed; '. $(VENV)/bin/activate' puts bank-sandbox and bank-client on your PATH"

init: $(STAMP)  ## create .venv and install the project with its dev tools

run: $(STAMP)  ## serve the sandbox on the embedded SQLite database
	$(BIN)/python -m sandbox serve

test: $(STAMP)  ## the whole suite: unit, api, client, e2e and browser, on SQLite and PostgreSQL
	$(BIN)/python .ci/test_services.py  # PostgreSQL (creates the test database), Redis, Chromium
	$(BIN)/python -m pytest

test-e2e: $(STAMP)
	$(BIN)/python -m pytest -m e2e

test-browser: $(STAMP)
	$(BIN)/python -m pytest -m browser

lint: $(STAMP)
	$(BIN)/ruff check sandbox client tests bench
	$(BIN)/ruff format --check sandbox client tests bench

format: $(STAMP)
	$(BIN)/ruff format sandbox client tests bench
	$(BIN)/ruff check --fix sandbox client tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

check: lint typecheck test  ## what CI runs

bench: $(STAMP)  ## every benchmark; writes bench/results*.md and bench/scale.png (scale: BENCH_POSTGRES_URL)
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	$(BIN)/python -m bench

bench-quick: $(STAMP)  ## the benchmarks as a smoke test: once, briefly, saving nothing
	$(BIN)/python -m bench --quick

# Asks PyPI's vulnerability service about every installed distribution; --strict fails when
# one cannot be looked up, so an unreachable service is never reported as "no vulnerabilities".
audit: $(STAMP)  ## known vulnerabilities in the installed dependencies (needs pypi.org)
	$(BIN)/pip-audit --strict --skip-editable --progress-spinner off

clean:
	rm -rf $(VENV) instance .pytest_cache .mypy_cache .ruff_cache test-artifacts
