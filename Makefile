# Two commands matter: `make run` and `make test`. Everything else is a helper they use.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DATA_DIR ?= data
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: run test lint typecheck imports unit test-postgres bench bench-server clean install

install: $(STAMP)

# Re-install only when the dependency lock or the project metadata changes.
$(STAMP): pyproject.toml requirements/lock.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements/lock.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@touch $@

run: $(STAMP)
	$(BIN)/ksef-mcu serve --host $(HOST) --port $(PORT) --data-dir $(DATA_DIR)

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

imports: $(STAMP)
	$(BIN)/lint-imports

unit: $(STAMP)
	$(BIN)/pytest $(PYTEST_ARGS)

test: lint typecheck imports unit

# The database tests again, against the PostgreSQL named by KSEF_MCU_TEST_POSTGRES_URL.
test-postgres: $(STAMP)
	@test -n "$$KSEF_MCU_TEST_POSTGRES_URL" || { echo "KSEF_MCU_TEST_POSTGRES_URL is not set"; exit 2; }
	$(BIN)/pytest -m db --db=postgresql $(PYTEST_ARGS)

# Library speed (seconds): keys, CSRs, QR links, XAdES signing and verification; the CLI's start-up.
bench: $(STAMP)
	$(BIN)/python bench/crypto.py
	$(BIN)/python bench/xades.py
	$(BIN)/python bench/cli_startup.py

# Server throughput (minutes): logins/s and certificates/s over HTTP against real `ksef-mcu serve` processes, on
# SQLite and on PostgreSQL (KSEF_MCU_BENCH_POSTGRES_URL, default the local `test` database).
bench-server: $(STAMP)
	$(BIN)/python bench/auth.py
	$(BIN)/python bench/issuance.py

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache build src/*.egg-info
