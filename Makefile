# Two commands matter: `make run` and `make test`. Everything else is a helper they use.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip install --quiet --disable-pip-version-check
RUNTIME_STAMP := $(VENV)/.installed-runtime
DEV_STAMP := $(VENV)/.installed-dev
DATA_DIR ?= data
HOST ?= 127.0.0.1
PORT ?= 8000
INVOICING_PORT ?= 8001
INVOICING_DATA_DIR ?= data-invoicing
PYTEST_ARGS ?= -n auto
CHROMIUM := /usr/bin/chromium

.PHONY: run test lint typecheck imports unit chromium test-postgres test-fuzz bench bench-server bench-web clean install install-runtime fmt

# What runs the product (requirements/runtime.txt): `make run` installs only this.
install-runtime: $(RUNTIME_STAMP)

# The developer toolchain on top (requirements/dev.txt: runtime pins plus mypy, ruff, pytest, ...): `make test`.
install: $(DEV_STAMP)

# Re-install only when a lock or the project metadata changes.
$(RUNTIME_STAMP): pyproject.toml requirements/runtime.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) --upgrade "pip>=24"
	$(PIP) -r requirements/runtime.txt
	$(PIP) --no-deps -e .
	@touch $@

$(DEV_STAMP): $(RUNTIME_STAMP) requirements/dev.txt
	$(PIP) -r requirements/dev.txt
	@touch $@

# Both applications: the MCU/KSeF server on :$(PORT) and Obsługa Faktur on :$(INVOICING_PORT), pointed at it. Ctrl-C
# (or SIGTERM) stops both; if one of them exits, the other is stopped too.
run: $(RUNTIME_STAMP)
	@trap 'kill $$mcu $$faktury 2>/dev/null; wait' EXIT INT TERM; \
	$(BIN)/ksef-mcu serve --host $(HOST) --port $(PORT) --data-dir $(DATA_DIR) & mcu=$$!; \
	$(BIN)/ksef-mcu invoicing serve --host $(HOST) --port $(INVOICING_PORT) --data-dir $(INVOICING_DATA_DIR) \
	  --ksef-url http://$(HOST):$(PORT) & faktury=$$!; \
	echo "MCU / KSeF:      http://$(HOST):$(PORT)"; \
	echo "Obsługa Faktur:  http://$(HOST):$(INVOICING_PORT)"; \
	wait -n $$mcu $$faktury

lint: $(DEV_STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

# Format and fix what ruff can fix by itself.
fmt: $(DEV_STAMP)
	$(BIN)/ruff check --fix src tests bench
	$(BIN)/ruff format src tests bench

typecheck: $(DEV_STAMP)
	$(BIN)/mypy

imports: $(DEV_STAMP)
	$(BIN)/lint-imports

unit: $(DEV_STAMP) chromium
	$(BIN)/pytest $(PYTEST_ARGS)

# The browser tests drive Debian's Chromium through Playwright (Playwright's own browser download needs the internet).
# Installed here when missing and we are root; otherwise `make test` stops with a message — browser tests never skip.
chromium:
	@test -x $(CHROMIUM) || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing Debian's chromium for the browser tests"; \
	    apt-get install -y -q chromium >/dev/null || { apt-get update -q >/dev/null && apt-get install -y -q chromium >/dev/null; }; \
	  fi; \
	  test -x $(CHROMIUM) || { echo "The browser tests need Chromium at $(CHROMIUM): run 'apt-get install chromium' as root." >&2; exit 1; }; \
	}

test: lint typecheck imports unit

# The database tests again, against the PostgreSQL named by KSEF_MCU_TEST_POSTGRES_URL.
test-postgres: $(DEV_STAMP)
	@test -n "$$KSEF_MCU_TEST_POSTGRES_URL" || { echo "KSEF_MCU_TEST_POSTGRES_URL is not set"; exit 2; }
	$(BIN)/pytest -m db --db=postgresql $(PYTEST_ARGS)

# The full schemathesis run (issue 16): more than 10 000 generated requests per database, from our /openapi.json and
# the official open-api.json (the everyday suite draws fewer). PostgreSQL too when KSEF_MCU_TEST_POSTGRES_URL is set.
test-fuzz: $(DEV_STAMP)
	KSEF_MCU_FUZZ_EXAMPLES=14 $(BIN)/pytest tests/api/test_fuzz.py -s -p no:randomly $(PYTEST_ARGS) -n 0

# Library speed (seconds): keys, CSRs, QR links, XAdES signing and verification; the CLI's start-up.
bench: $(DEV_STAMP)
	$(BIN)/python bench/crypto.py
	$(BIN)/python bench/xades.py
	$(BIN)/python bench/cli_startup.py

# The screens: "Generuj" in Chromium (key pair, .key file and CSR; EC P-256 and RSA 2048, seconds) and the page times
# of the screens at 20 concurrent users against ksef-mcu serve (milliseconds).
bench-web: $(DEV_STAMP) chromium
	$(BIN)/python bench/web.py

# Server throughput (minutes): logins/s, certificates/s, invoices/s and KOD II verifications/s over HTTP against real
# `ksef-mcu serve` processes, on
# SQLite and on PostgreSQL (KSEF_MCU_BENCH_POSTGRES_URL, default the local `test` database).
bench-server: $(DEV_STAMP)
	$(BIN)/python bench/auth.py
	$(BIN)/python bench/issuance.py
	$(BIN)/python bench/invoices.py
	$(BIN)/python bench/qr_pages.py

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache build src/*.egg-info
