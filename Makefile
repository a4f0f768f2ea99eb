# Stripe revenue analytics: dlt ingestion + dbt models on DuckDB.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
export DUCKDB_PATH ?= $(abspath warehouse.duckdb)
export DBT_PROFILES_DIR := $(abspath .)
export RUNTIME__DLTHUB_TELEMETRY := false
export DO_NOT_TRACK := 1

.PHONY: install demo test lint bench clean

$(BIN)/stripe-revenue: pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is required ($(PYTHON) not found)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@

install: $(BIN)/stripe-revenue

demo: install
	$(BIN)/stripe-revenue demo

test: install
	$(BIN)/ruff check .
	$(BIN)/pytest -n 2 -q

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: install
	$(BIN)/python -m bench.run

clean:
	rm -rf target logs .pytest_cache .ruff_cache *.duckdb *.duckdb.wal dashboard.html
