"""End to end on Apache Spark: the fake account loaded into a parquet lake, the same dbt models built on Spark,
numbers equal to the ground truth to the minor unit (DECISIONS.md X2).

What a Spark/Databricks user runs (README "Scale out on Spark / Databricks"): the ingestion with
DESTINATION_TYPE=filesystem writes the raw tables as parquet under a folder (append-only), then
`dbt build` on the `spark` target (local `method: session`, a Hive metastore in a temporary folder)
registers the lake's folders as tables and builds every model, seed and data test (unit tests are
engine-independent logic and run on DuckDB). Before the build the account moves on and a second load
appends new versions of changed objects beside the old ones: staging must keep the latest per id. The marts are
read back from the parquet files Spark wrote (DuckDB as a plain parquet reader, so no second JVM needs
the Derby metastore dbt held), through the helpers the DuckDB and Postgres tests use.

Needs pyspark, dbt-spark and Java 17: `make test-spark` (its own venv, `.[spark]`); the main suite skips it
unless STRIPE_REVENUE_SPARK=1 asks for it.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from ingestion.stripe.rows import RAW_COLUMNS
from tests.e2e.test_ground_truth import (
    assert_matches_ground_truth,
    dbt,
    fully_refunded_recognise_nothing_after,
    ingest,
    serve,
    switch,
)

pytestmark = pytest.mark.slow

if not os.environ.get("STRIPE_REVENUE_SPARK") and not (
    importlib.util.find_spec("pyspark") and importlib.util.find_spec("dbt.adapters.spark")
):
    pytest.skip("pyspark and dbt-spark are not installed: `make test-spark` runs this", allow_module_level=True)

BUILD = ("build", "--exclude-resource-type", "unit_test")


class SparkWarehouse:
    """The lake dlt writes (`lake/`) and the Spark warehouse dbt builds from it (`spark/`: managed tables and the
    Derby metastore), in one folder; `parent` holds dbt's target and dlt's pipelines."""

    def __init__(self, folder: Path) -> None:
        self.parent = folder
        self.lake = folder / "lake"
        self.spark_dir = folder / "spark"

    def __str__(self) -> str:
        return str(self.lake)

    def env(self) -> dict[str, str]:
        return {
            "DESTINATION_TYPE": "filesystem",
            "DESTINATION__FILESYSTEM__BUCKET_URL": str(self.lake),
            "SPARK_WAREHOUSE_DIR": str(self.spark_dir),
            # 2 cores in CI: one task per core
            "SPARK_SHUFFLE_PARTITIONS": os.environ.get("SPARK_SHUFFLE_PARTITIONS", "2"),
        }

    @contextlib.contextmanager
    def connect(self) -> Iterator[Any]:
        """The tables Spark built (`<schema>.db/<table>/*.parquet`), as DuckDB views named `<schema>.<table>`."""
        con = duckdb.connect()
        try:
            for folder in sorted(self.spark_dir.glob("*.db/*")):
                if not any(folder.glob("*.parquet")):
                    continue
                schema = folder.parent.name.removesuffix(".db")
                con.execute(f'create schema if not exists "{schema}"')
                con.execute(f"""create view "{schema}"."{folder.name}" as
                                select * from read_parquet('{folder}/*.parquet')""")
            yield con
        finally:
            con.close()


def lake_rows(warehouse: SparkWarehouse, table: str) -> tuple[list[str], int, int]:
    """A raw table in the lake: its columns, its rows and its distinct ids."""
    with duckdb.connect() as con:
        relation = f"read_parquet('{warehouse.lake}/stripe_raw/{table}/*.parquet')"
        columns = [row[0] for row in con.execute(f"describe select * from {relation}").fetchall()]
        rows, ids = con.execute(f"select count(*), count(distinct id) from {relation}").fetchone()
    return columns, int(rows), int(ids)


def test_spark_end_to_end_equals_ground_truth(tmp_path):
    """Two loads, then one build: a Spark build is a full build (X2), so building between the loads would
    test nothing more and cost a build (minutes on 2 cores); the second load is what puts two versions of
    an object in the lake."""
    account, server, _, rates = serve(tmp_path, "small", 11)
    warehouse = SparkWarehouse(tmp_path)
    try:
        ingest(server, warehouse, rates)
        columns, rows, ids = lake_rows(warehouse, "invoice")
        assert columns == list(RAW_COLUMNS) and rows == ids > 0  # the warehouse's raw layout (D2), as parquet
        server.advance(20)  # the account moves on: invoices paid, subscriptions changed, new events
        ingest(server, warehouse, rates)
        _, rows, ids = lake_rows(warehouse, "invoice")
        assert rows > ids, "the second load appended new versions of changed invoices beside the old ones"
    finally:
        server.stop()
    dbt(warehouse, *BUILD)
    assert_matches_ground_truth(warehouse, account)
    assert fully_refunded_recognise_nothing_after(warehouse) == 0
    if os.environ.get("STRIPE_REVENUE_SPARK_SWITCH"):  # the paid basis with monthly deferral (one more build)
        switch(warehouse, "paid", "monthly")
        assert_matches_ground_truth(warehouse, account, "paid", "monthly")
