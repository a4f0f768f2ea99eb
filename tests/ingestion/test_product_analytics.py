"""The persons and groups files (ingestion/product_analytics.py): reading CSV and Parquet, checks, the dlt load."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ingestion.pipeline import load_product_analytics
from ingestion.product_analytics import (
    GROUPS,
    PERSONS,
    InputFileError,
    file_format,
    normalize_table,
    read_table,
)


def test_file_format_from_the_name() -> None:
    assert file_format("a/persons.CSV") == "csv"
    assert file_format("persons.csv.gz") == "csv"
    assert file_format("persons.parquet") == "parquet"
    assert file_format("persons.pq") == "parquet"
    with pytest.raises(InputFileError, match="unknown file type"):
        file_format("persons.xlsx")


def test_csv_ids_stay_text_and_other_columns_keep_inferred_types(tmp_path: Path) -> None:
    path = tmp_path / "persons.csv"
    path.write_text("Distinct_ID ,person_id,email,seats\n00123,007,,3\nabc,42,A@B.com,5\n")
    table = read_table(path, PERSONS)
    assert table.column("distinct_id").to_pylist() == ["00123", "abc"]
    assert table.column("person_id").to_pylist() == ["007", "42"]
    assert table.column("email").to_pylist() == [None, "A@B.com"]  # an empty cell is null
    assert table.schema.field("seats").type == pa.int64()


def test_parquet_ids_cast_to_text_and_missing_optional_columns_added(tmp_path: Path) -> None:
    path = tmp_path / "persons.parquet"
    pq.write_table(pa.table({"distinct_id": ["d1", "d2"], "person_id": [1, 2]}), path)
    table = read_table(path, PERSONS)
    assert table.column("person_id").to_pylist() == ["1", "2"]
    assert table.column("email").to_pylist() == [None, None]
    assert table.schema.field("email").type == pa.string()


def test_a_missing_required_column_is_named() -> None:
    with pytest.raises(InputFileError, match=r"groups\.csv: the groups file lacks column\(s\) group_key"):
        normalize_table(pa.table({"group_type": ["company"], "name": ["x"]}), GROUPS, "groups.csv")


def test_a_missing_file_is_reported_before_anything_runs(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="does not exist"):
        load_product_analytics(duckdb_file=str(tmp_path / "w.duckdb"), persons_file=tmp_path / "nope.csv")
    assert not (tmp_path / "w.duckdb").exists()


def test_nothing_configured_loads_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SOURCES__PRODUCT_ANALYTICS__PERSONS_FILE", raising=False)
    monkeypatch.delenv("SOURCES__PRODUCT_ANALYTICS__GROUPS_FILE", raising=False)
    assert load_product_analytics(duckdb_file=str(tmp_path / "w.duckdb"), pipelines_dir=str(tmp_path / "p")) == {}
    assert not (tmp_path / "w.duckdb").exists()


def test_load_from_config_replaces_the_tables(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    warehouse, pipelines = tmp_path / "w.duckdb", tmp_path / "pipelines"
    persons, groups = tmp_path / "persons.csv", tmp_path / "groups.parquet"
    persons.write_text("distinct_id,person_id,email,company_id\nd1,p1,a@b.com,g1\nd2,p1,,\n")
    pq.write_table(pa.table({"group_type": ["company"], "group_key": ["g1"], "name": ["G one"]}), groups)
    monkeypatch.setenv("SOURCES__PRODUCT_ANALYTICS__PERSONS_FILE", str(persons))
    monkeypatch.setenv("SOURCES__PRODUCT_ANALYTICS__GROUPS_FILE", str(groups))
    assert load_product_analytics(duckdb_file=str(warehouse), pipelines_dir=str(pipelines)) == {
        "persons": 2,
        "groups": 1,
    }
    # a second run with a smaller file replaces the table (and an empty file empties it)
    persons.write_text("distinct_id,person_id,email,company_id\nd9,p9,x@y.com,g1\n")
    groups.unlink()
    monkeypatch.delenv("SOURCES__PRODUCT_ANALYTICS__GROUPS_FILE")
    assert load_product_analytics(duckdb_file=str(warehouse), pipelines_dir=str(pipelines)) == {"persons": 1}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute(
            "select distinct_id, person_id, email, company_id from product_analytics.persons"
        ).fetchall() == [("d9", "p9", "x@y.com", "g1")]
        assert con.execute('select * from product_analytics."groups"').fetchall() == [("company", "g1", "G one")]
    persons.write_text("distinct_id,person_id,email,company_id\n")
    load_product_analytics(duckdb_file=str(warehouse), pipelines_dir=str(pipelines))
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("select count(*) from product_analytics.persons").fetchall() == [(0,)]
