"""Fixtures for the ingestion tests: a requests-mock Stripe, an isolated dlt + DuckDB per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
import requests_mock

from tests.ingestion.stripe_mock import API_BASE, MockStripe

# The mock's clock: 2026-06-01T00:00:00Z. Stripe timestamps in tests are relative to it.
NOW = 1_780_272_000


@pytest.fixture
def stripe_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Config as users set it (dlt env conventions), pointing at the mock; fast retries; no TTY bars."""
    monkeypatch.setenv("SOURCES__STRIPE__API_KEY", "sk_test_4eC39HqLyjWDarjtT1zdp7dc")
    monkeypatch.setenv("SOURCES__STRIPE__API_BASE", API_BASE)
    monkeypatch.setenv("SOURCES__STRIPE__MAX_REQUESTS_PER_SECOND", "0")
    monkeypatch.setenv("SOURCES__STRIPE__RETRY_BACKOFF_SECONDS", "0.001")
    monkeypatch.setenv("SOURCES__STRIPE__BACKFILL_SLICES", "2")
    monkeypatch.setenv("CI", "1")
    monkeypatch.setenv("DLT_DATA_DIR", str(tmp_path / "dlt_data"))
    monkeypatch.setenv("DUCKDB_PATH", str(tmp_path / "warehouse.duckdb"))
    for var in ("SOURCES__STRIPE__ACCOUNT_ID", "SOURCES__STRIPE__TABLE_PREFIX", "SOURCES__STRIPE__RESOURCES"):
        monkeypatch.delenv(var, raising=False)
    return tmp_path


@pytest.fixture
def http() -> Iterator[requests_mock.Mocker]:
    with requests_mock.Mocker(case_sensitive=True) as m:
        yield m


@pytest.fixture
def stripe(http: requests_mock.Mocker) -> MockStripe:
    return MockStripe(http, now=NOW)


def run_pipeline(tmp_path: Path, **options: Any) -> Any:
    from ingestion import pipeline

    options.setdefault("load_fx", False)
    options.setdefault("progress", False)
    return pipeline.run(pipelines_dir=str(tmp_path / "pipelines"), **options)


def query(tmp_path: Path, sql: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as con:
        return con.sql(sql).fetchall()


def rows(tmp_path: Path, table: str, where: str = "true") -> list[dict[str, Any]]:
    import orjson

    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as con:
        rel = con.sql(f"select * from stripe_raw.{table} where {where} order by id")
        names = rel.columns
        out = [dict(zip(names, values, strict=True)) for values in rel.fetchall()]
    for row in out:
        row["data"] = orjson.loads(row["data"])
    return out


def requests_to(mocker: requests_mock.Mocker, path: str) -> list[Any]:
    from urllib.parse import urlsplit

    return [r for r in mocker.request_history if urlsplit(r.url).path == path]


def qs(request: Any) -> dict[str, list[str]]:
    """The query string as sent (requests-mock's `.qs` lower-cases values)."""
    from urllib.parse import parse_qs, urlsplit

    return parse_qs(urlsplit(request.url).query, keep_blank_values=True)
