"""The lake (ingestion/lake.py): its bucket URL from dlt's config, clear errors, and what a load writes there.

The Spark suite (tests/e2e/test_ground_truth_spark.py, `make test-spark`) builds the models on it; here,
without Spark, the files themselves: the raw layout as parquet, one folder per table, and a second load
that appends the new versions of changed objects beside the old ones (staging on Spark keeps the latest).
"""

from __future__ import annotations

import os
from unittest import mock

import duckdb
import pytest

from ingestion import lake
from ingestion.destination import DestinationError, connect_read_only, open_warehouse
from ingestion.stripe.rows import RAW_COLUMNS
from tests.e2e.test_ground_truth import serve


def test_a_lake_without_a_bucket_url_names_the_variable(monkeypatch):
    monkeypatch.delenv(lake.BUCKET_URL_ENV, raising=False)
    with pytest.raises(DestinationError, match=lake.BUCKET_URL_ENV):
        open_warehouse("filesystem")


def test_a_local_folder_becomes_an_absolute_file_url(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(lake.BUCKET_URL_ENV, "lake")
    warehouse = open_warehouse("filesystem")
    assert warehouse.display == f"file://{tmp_path}/lake" and (tmp_path / "lake").is_dir()
    assert lake.bucket_url(f"file://{tmp_path}/other/") == f"file://{tmp_path}/other"


def test_a_bucket_url_is_kept_as_dlt_reads_it():
    assert lake.bucket_url("s3://bucket/lake/") == "s3://bucket/lake"
    assert lake.bucket_url("az://container/lake") == "az://container/lake"


def test_the_lake_is_not_a_database_to_read(tmp_path, monkeypatch):
    monkeypatch.setenv(lake.BUCKET_URL_ENV, str(tmp_path))
    with pytest.raises(DestinationError, match="Spark"):
        connect_read_only("filesystem")


def _invoices(folder) -> tuple[list[str], int, int, int]:
    """The invoice folder: its columns, rows, distinct ids and distinct paid ids."""
    with duckdb.connect() as con:
        relation = f"read_parquet('{folder}/stripe_raw/invoice/*.parquet')"
        columns = [row[0] for row in con.execute(f"describe select * from {relation}").fetchall()]
        rows, ids, paid = con.execute(f"""
            select count(*), count(distinct id),
                count(distinct case when json_extract_string(data, '$.status') = 'paid' then id end)
            from {relation}""").fetchone()
    return columns, rows, ids, paid


@pytest.mark.slow
def test_a_lake_load_writes_the_raw_layout_and_appends_new_versions(tmp_path):
    from ingestion.pipeline import run

    _, server, _, rates = serve(tmp_path, "small", 11)
    folder = tmp_path / "lake"
    env = {"DESTINATION_TYPE": "filesystem", lake.BUCKET_URL_ENV: str(folder)}
    try:
        with mock.patch.dict(os.environ, env):
            result = run(api_key="sk_test_fake", api_base=server.base_url, pipelines_dir=str(tmp_path / "p"),
                         progress=False, extra_exchange_rates=str(rates))  # fmt: skip
            assert result.duckdb_path == f"file://{folder}" and not result.errors
            columns, rows, ids, _ = _invoices(folder)
            assert columns == list(RAW_COLUMNS) and rows == ids > 0  # the warehouse's raw layout (D2), as parquet
            server.advance(20)  # invoices paid, subscriptions changed, new events
            run(api_key="sk_test_fake", api_base=server.base_url, pipelines_dir=str(tmp_path / "p"),
                progress=False, extra_exchange_rates=str(rates))  # fmt: skip
    finally:
        server.stop()
    _, rows_after, ids_after, _ = _invoices(folder)
    assert ids_after >= ids and rows_after > ids_after, "changed invoices were appended beside their old versions"
    assert (folder / "reference" / "exchange_rate").is_dir()
