"""The dashboard on the Postgres warehouse: the hand-made marts in a Postgres database give the same page data
as in DuckDB (the reading code is plain SQL over a DB-API cursor, `ingestion.destination.connect_read_only`).

The server is the test session's private one (tests/postgres.py, `postgres_server` in tests/conftest.py).
"""

from __future__ import annotations

import re
from pathlib import Path

import cli
from tests.dashboard.test_dashboard import page_data
from tests.dashboard.warehouse import make_postgres_warehouse, make_warehouse
from tests.postgres import postgres_env


def _page(tmp_path: Path, name: str, *args: str) -> tuple[dict, str]:
    out = tmp_path / f"{name}.html"
    assert cli.main(["dashboard", "--output", str(out), *args]) == 0
    html = out.read_text(encoding="utf-8")
    data = page_data(html)
    data.pop("generatedAt")
    return data, html


def test_postgres_marts_give_the_duckdb_page(postgres_server, tmp_path: Path, monkeypatch, capsys) -> None:
    url = make_postgres_warehouse(postgres_server.create_database("dashboard"))
    duck, _ = _page(tmp_path, "duckdb", "--duckdb", str(make_warehouse(tmp_path / "warehouse.duckdb")))
    for key, value in postgres_env(url).items():
        monkeypatch.setenv(key, value)
    pg, html = _page(tmp_path, "postgres")  # DESTINATION_TYPE=postgres: no --destination needed
    assert pg == duck
    assert pg["mrr"]["en"] and sum(pg["rev"]["g"]) == 15000 + 28000 + 18700  # September's recognition is not there
    assert "127.0.0.1" not in html and "postgres:postgres" not in html  # the page names no server, no password
    assert "The page's totals differ" not in html  # check_totals found the marts' numbers on Postgres too


def test_postgres_unreachable_says_what_to_set(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("DESTINATION__POSTGRES__CREDENTIALS", "postgresql://me:secret@127.0.0.1:1/nowhere")
    out = tmp_path / "dashboard.html"
    assert cli.main(["dashboard", "--destination", "postgres", "--output", str(out)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: cannot connect to Postgres at postgresql://me@127.0.0.1:1/nowhere")
    assert "secret" not in err and not out.exists()


def test_postgres_without_marts_says_run_dbt_build(postgres_server, tmp_path: Path, monkeypatch, capsys) -> None:
    missing = "fct_mrr_movements"
    url = make_postgres_warehouse(postgres_server.create_database("dashboard"))
    import psycopg2

    with psycopg2.connect(url) as con, con.cursor() as cursor:
        cursor.execute(f"drop table revenue_analytics.{missing}")
    con.close()
    for key, value in postgres_env(url).items():
        monkeypatch.setenv(key, value)
    out = tmp_path / "dashboard.html"
    assert cli.main(["dashboard", "--output", str(out)]) == 1
    err = capsys.readouterr().err
    assert re.search(rf"lacks the revenue marts \(revenue_analytics\.{missing}\)", err) and "dbt build" in err
    assert "postgres:postgres" not in err and not out.exists()
