# manyi: `make run` serves the app with the demo company; `make test` runs every test.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.8
PORT ?= 8000
MANYI_DATA ?= $(CURDIR)/var
export PORT MANYI_DATA

.PHONY: run test test-sqlite test-postgres test-reliability soak crash install lint format bench clean-pg help

help:
	@echo "make run    install everything and serve http://127.0.0.1:$(PORT)/ with the demo company"
	@echo "make test   install what the tests need and run every test (SQLite and PostgreSQL)"
	@echo "make lint   ruff, Django checks, migrations and translations up to date"
	@echo "make soak   30 min of mixed load on PostgreSQL, RQ, 4 web workers (SOAK_SECONDS=…)"
	@echo "make crash  10 × kill -9 under load, SQLite and PostgreSQL (docs/reliability.md)"
	@echo "make bench  customer search benchmark (BENCH_CUSTOMERS=2000000 for the full run)"

# Debian's python3 needs python3-venv for `-m venv`; install it when that is what is missing.
$(BIN)/uv:
	$(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); \
	  DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv && \
	  $(PYTHON) -m venv $(VENV); }
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

# Installs exactly what uv.lock pins (the project itself in editable mode).
$(VENV)/.synced: $(BIN)/uv pyproject.toml uv.lock
	UV_PROJECT_ENVIRONMENT=$(VENV) $(BIN)/uv sync --frozen --inexact --quiet
	touch $@

# Browser libraries (ECharts) come from npm, pinned by package-lock.json, and are served by
# WhiteNoise from manyi/static/vendor/ (not committed): never a CDN at run time.
VENDOR := manyi/static/vendor
$(VENDOR)/.installed: package.json package-lock.json
	command -v npm >/dev/null 2>&1 || { export DEBIAN_FRONTEND=noninteractive; \
	  apt-get update -qq && apt-get install -y -qq npm >/dev/null; }
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	mkdir -p $(VENDOR)
	cp node_modules/echarts/dist/echarts.min.js $(VENDOR)/echarts.min.js
	cp node_modules/echarts/LICENSE $(VENDOR)/echarts.LICENSE
	touch $@

install: $(VENV)/.synced $(VENDOR)/.installed

run: install
	$(BIN)/manyi serve --port $(PORT)

lint: install
	bash scripts/ensure-tools.sh
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	MANYI_DATA=$$(mktemp -d) $(BIN)/python manage.py check --fail-level WARNING
	MANYI_DATA=$$(mktemp -d) $(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/python scripts/check_translations.py

test: install lint
	$(MAKE) --no-print-directory test-sqlite
	$(MAKE) --no-print-directory test-postgres
	$(MAKE) --no-print-directory test-reliability

test-sqlite: install
	MANYI_EXPECT_DB=sqlite MANYI_DATA=$$(mktemp -d) $(BIN)/pytest -q

# The browser tests ran on SQLite already; they drive pages, not the database.
test-postgres: install
	set -e; env_line=$$(bash scripts/ensure-postgres.sh); eval "$$env_line"; \
	MANYI_EXPECT_DB=postgresql MANYI_DATA=$$(mktemp -d) $(BIN)/pytest -q -m "not browser"

# The production server under a mixed load, killed with SIGKILL mid-load, on SQLite and
# PostgreSQL, tasks on the database and on Redis (RQ) with several processes (tests/soak,
# docs/reliability.md). Shortened here (MANYI_SOAK_SECONDS, 20 s a run); `make soak` and
# `make crash` are the full runs.
test-reliability: install
	set -e; eval "$$(bash scripts/ensure-postgres.sh)"; eval "$$(bash scripts/ensure-redis.sh)"; \
	MANYI_SOAK=1 MANYI_DATA=$$(mktemp -d) $(BIN)/pytest -q -p no:randomly tests/soak

SOAK_SECONDS ?= 1800
soak: install
	set -e; eval "$$(bash scripts/ensure-postgres.sh)"; eval "$$(bash scripts/ensure-redis.sh)"; \
	$(BIN)/python -m tests.soak.run --database postgresql --tasks rq --workers 4 --task-workers 2 \
	  --seconds $(SOAK_SECONDS) --workdir var/soak/postgresql-rq

crash: install
	set -e; eval "$$(bash scripts/ensure-postgres.sh)"; \
	for db in sqlite postgresql; do \
	  $(BIN)/python -m tests.soak.run --database $$db --crash 10 --seconds 600 \
	    --workdir var/soak/crash-$$db; done

bench: install
	$(BIN)/python -m bench.customer_search --customers $${BENCH_CUSTOMERS:-200000} --databases sqlite,postgresql
