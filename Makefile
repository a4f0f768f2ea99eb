# Stripe revenue analytics: dlt ingestion + dbt models on DuckDB.
SHELL := /bin/bash
# the first supported Python found (3.11, 3.12 or 3.13)
PYTHON ?= $(shell for c in python3.11 python3.12 python3.13; do $$c -V >/dev/null 2>&1 && { echo $$c; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
export DUCKDB_PATH ?= $(abspath warehouse.duckdb)
export DBT_PROFILES_DIR := $(abspath .)
export RUNTIME__DLTHUB_TELEMETRY := false
export DO_NOT_TRACK := 1

.PHONY: install demo test test-pythons test-spark lint bench clean

$(BIN)/stripe-revenue: pyproject.toml
	@[ -n "$(PYTHON)" ] || { echo "Python 3.11, 3.12 or 3.13 is required (none found as python3.1x)"; exit 1; }
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

# The install and the whole job (tiny demo: load, dbt build, dashboard) plus the pure-Python tests on
# every other supported Python, each in its own venv (.venv-3.12, .venv-3.13). CI runs it.
OTHER_PYTHONS ?= 3.12 3.13
test-pythons:
	@set -e; for v in $(OTHER_PYTHONS); do \
	  py=; for c in python$$v $$HOME/.pyenv/versions/$$v*/bin/python$$v /usr/bin/python$$v; do \
	    if $$c -V >/dev/null 2>&1; then py=$$c; break; fi; done; \
	  [ -n "$$py" ] || { echo "Python $$v not found"; exit 1; }; \
	  echo "== Python $$v ($$py)"; \
	  [ -x .venv-$$v/bin/stripe-revenue ] || { $$py -m venv .venv-$$v && .venv-$$v/bin/pip install --quiet --upgrade pip && .venv-$$v/bin/pip install --quiet -e '.[dev]'; }; \
	  .venv-$$v/bin/stripe-revenue --version; \
	  .venv-$$v/bin/pytest -q -p no:cacheprovider tests/ingestion/test_stripe_client.py tests/ingestion/test_raw_json.py \
	    tests/ingestion/test_arrow_rows.py tests/fake_stripe/test_revenue_rules.py; \
	  tmp=$$(mktemp -d); .venv-$$v/bin/stripe-revenue demo --size tiny --warehouse $$tmp/warehouse.duckdb > $$tmp/demo.log 2>&1 \
	    || { tail -40 $$tmp/demo.log; exit 1; }; tail -3 $$tmp/demo.log; rm -rf $$tmp; \
	done

# The Spark suite (DECISIONS.md X2) in its own venv with the `spark` extra (pyspark is ~450 MB, and Java 17 is
# needed): the fake account loaded as a parquet lake and built with dbt on local Spark. CI runs it after `make test`.
SPARK_VENV := .venv-spark
$(SPARK_VENV)/bin/dbt: pyproject.toml
	@[ -n "$(PYTHON)" ] || { echo "Python 3.11, 3.12 or 3.13 is required (none found as python3.1x)"; exit 1; }
	$(PYTHON) -m venv $(SPARK_VENV)
	$(SPARK_VENV)/bin/pip install --quiet --upgrade pip
	$(SPARK_VENV)/bin/pip install --quiet -e '.[dev,spark]'
	@touch $@

test-spark: $(SPARK_VENV)/bin/dbt
	@command -v java >/dev/null 2>&1 || { echo "Spark needs Java 17 (apt-get install openjdk-17-jre-headless)"; exit 1; }
	STRIPE_REVENUE_SPARK=1 $(SPARK_VENV)/bin/pytest -q -p no:cacheprovider tests/e2e/test_ground_truth_spark.py

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: install
	$(BIN)/python -m bench.run

clean:
	rm -rf target logs .pytest_cache .ruff_cache *.duckdb *.duckdb.wal dashboard.html demo stripe_webhook_spool .venv-3.* \
	  spark-warehouse metastore_db
