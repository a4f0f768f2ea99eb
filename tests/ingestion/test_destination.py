"""The destination chosen the dlt way (ingestion/destination.py): `--destination` on `run`, `DESTINATION_TYPE`,
Postgres credentials under `DESTINATION__POSTGRES__CREDENTIALS`; every wrong setting named before Stripe is asked.

The Postgres server is the test session's private one (tests/postgres.py, `postgres_server` in tests/conftest.py).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.ingestion.conftest import NOW
from tests.ingestion.stripe_mock import MockStripe, small_account

pytestmark = pytest.mark.usefixtures("stripe_env")


def _run(tmp_path: Path, *args: str) -> int:
    from cli import main

    return main(["run", "--no-fx", "--pipelines-dir", str(tmp_path / "pipelines"), *args])


@pytest.mark.parametrize(
    ("args", "env", "says"),
    [
        (["--destination", "oracle"], {}, "destination 'oracle' is not supported: use one of duckdb, postgres"),
        ([], {"DESTINATION_TYPE": "Oracle"}, "destination 'oracle' is not supported"),
        (["--destination", "postgres"], {}, "set DESTINATION__POSTGRES__CREDENTIALS=postgresql://"),
        (
            ["--destination", "postgres"],
            {"DESTINATION__POSTGRES__CREDENTIALS": "postgresql://me:s3cr3t-pw@127.0.0.1:1/nowhere"},
            "cannot connect to Postgres at postgresql://me@127.0.0.1:1/nowhere",
        ),
    ],
)
def test_wrong_destination_fails_first_saying_what_to_set(
    tmp_path: Path, stripe: MockStripe, http, monkeypatch, capsys, args, env, says
) -> None:
    for name in [n for n in os.environ if n.startswith("DESTINATION__POSTGRES__")]:
        monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    small_account(stripe, NOW)
    assert _run(tmp_path, *args) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and says in err, err
    assert "s3cr3t-pw" not in err  # a password is never printed
    assert http.request_history == []  # nothing asked of Stripe, nothing half-loaded
    assert not (tmp_path / "warehouse.duckdb").exists()


def test_run_into_postgres_the_dlt_way(tmp_path: Path, stripe: MockStripe, postgres_server, monkeypatch) -> None:
    """`run --destination postgres` with the credentials in dlt's variable: the raw layout (D2) in Postgres,
    `data` as jsonb; a second run adds nothing twice; `connect_read_only` reads it and refuses writes."""
    import psycopg2

    from ingestion.destination import connect_read_only

    url = postgres_server.create_database("run")
    monkeypatch.setenv("DESTINATION__POSTGRES__CREDENTIALS", url)
    small_account(stripe, NOW)
    assert _run(tmp_path, "--destination", "postgres", "--resources", "customer", "charge") == 0
    assert _run(tmp_path, "--destination", "postgres", "--resources", "customer", "charge") == 0
    assert not (tmp_path / "warehouse.duckdb").exists()
    connection = connect_read_only("postgres")
    try:
        cursor = connection.cursor()
        cursor.execute("select count(*), count(distinct id) from stripe_raw.charge")
        assert cursor.fetchall() == [(3, 3)]
        cursor.execute("""select data_type from information_schema.columns
                          where table_schema = 'stripe_raw' and table_name = 'charge' and column_name = 'data'""")
        assert cursor.fetchall() == [("jsonb",)]
        with pytest.raises(psycopg2.errors.ReadOnlySqlTransaction):
            cursor.execute("delete from stripe_raw.charge")
    finally:
        connection.close()


def test_demo_names_an_unknown_destination_before_starting(tmp_path: Path, monkeypatch, capsys) -> None:
    from cli import main

    monkeypatch.delenv("DESTINATION_TYPE", raising=False)
    assert main(["demo", "--destination", "oracle", "--warehouse", str(tmp_path / "w.duckdb")]) == 1
    assert "error: destination 'oracle' is not supported" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []  # no fake account written, nothing loaded
