"""ECB reference rates (D4): parsing and the `reference.exchange_rate` load."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from ingestion.fx import FX_SCHEMA, ecb_file, load_rates, rates_table

SAMPLE = """Date,USD,JPY,CYP,GBP,
2024-01-03,1.0919,155.52,N/A,0.86518,
2024-01-02,1.0956,155.86,N/A,0.8684,
"""


def test_parses_the_wide_csv_into_rates_per_eur() -> None:
    table = rates_table(SAMPLE.splitlines())
    assert table.schema == FX_SCHEMA
    rows = {(r["date"], r["currency"]): r["rate"] for r in table.to_pylist()}
    day = dt.date(2024, 1, 2)
    assert rows[(day, "USD")] == 1.0956 and rows[(day, "GBP")] == 0.8684
    assert rows[(day, "EUR")] == 1.0  # the base currency is 1 on every published date
    assert (day, "CYP") not in rows  # N/A: not published that day
    assert table.num_rows == 2 * 4
    assert table.column("date").to_pylist() == sorted(table.column("date").to_pylist())


def test_shipped_file_covers_the_ecb_history() -> None:
    assert ecb_file().exists()
    table = load_rates()
    dates = table.column("date").to_pylist()
    assert min(dates) == dt.date(1999, 1, 4)
    assert max(dates) >= dt.date(2024, 1, 1)
    assert set(table.column("currency").to_pylist()) >= {"EUR", "USD", "GBP", "JPY", "CHF"}
    assert min(table.column("rate").to_pylist()) > 0


@pytest.mark.usefixtures("stripe_env")
def test_loads_reference_exchange_rate(tmp_path: Path) -> None:
    from ingestion.pipeline import load_reference_rates

    n = load_reference_rates(pipelines_dir=str(tmp_path / "pipelines"), fx_overrides=[("KWD", 0.335, "2020-01-01")])
    # the same rates again: nothing to write (I15), the table is kept as it is
    again = load_reference_rates(pipelines_dir=str(tmp_path / "pipelines"), fx_overrides=[("KWD", 0.335, "2020-01-01")])
    assert again == 0
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as con:
        count, eur = con.execute(
            "select count(*), count(*) filter (where currency = 'EUR' and rate = 1) from reference.exchange_rate"
        ).fetchone()
        types = dict(
            con.execute(
                "select column_name, data_type from information_schema.columns "
                "where table_schema = 'reference' and table_name = 'exchange_rate'"
            ).fetchall()
        )
    assert n == count > 100_000
    assert eur > 6000
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as con:
        kwd = con.execute("select date, rate from reference.exchange_rate where currency = 'KWD'").fetchall()
    assert kwd == [(dt.date(2020, 1, 1), 0.335)]
    assert types["date"] == "DATE" and types["rate"] == "DOUBLE" and types["currency"] == "VARCHAR"


@pytest.mark.usefixtures("stripe_env")
def test_rates_are_reloaded_when_what_they_come_from_changes(tmp_path: Path) -> None:
    """I15: other extra rates, or a warehouse without the table, load again (replaced, not appended)."""
    from ingestion.pipeline import load_reference_rates

    pipelines = str(tmp_path / "pipelines")
    n = load_reference_rates(pipelines_dir=pipelines, fx_overrides=[("KWD", 0.335, "2020-01-01")])
    assert load_reference_rates(pipelines_dir=pipelines, fx_overrides=[("KWD", 0.34, "2020-01-01")]) == n
    (tmp_path / "warehouse.duckdb").unlink()
    assert load_reference_rates(pipelines_dir=pipelines, fx_overrides=[("KWD", 0.34, "2020-01-01")]) == n
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as con:
        count, kwd = con.execute(
            "select count(*), max(rate) filter (where currency = 'KWD') from reference.exchange_rate"
        ).fetchone()
    assert (count, kwd) == (n, 0.34)


def test_extra_rates_for_currencies_the_ecb_does_not_publish(tmp_path: Path) -> None:
    from ingestion.fx import extra_rates_table, with_extra_rates

    csv_file = tmp_path / "fx_rates.csv"
    csv_file.write_text("date,currency,rate\n2020-01-01,kwd,0.335\n2024-01-02,USD,1.5\n")
    extra = extra_rates_table([("OMR", 0.42, dt.date(2021, 6, 1))], csv_file)
    assert extra.to_pylist() == [
        {"date": dt.date(2021, 6, 1), "currency": "OMR", "rate": 0.42},
        {"date": dt.date(2020, 1, 1), "currency": "KWD", "rate": 0.335},
        {"date": dt.date(2024, 1, 2), "currency": "USD", "rate": 1.5},
    ]
    merged = with_extra_rates(rates_table(SAMPLE.splitlines()), extra)
    rows = {(r["date"], r["currency"]): r["rate"] for r in merged.to_pylist()}
    assert rows[(dt.date(2024, 1, 2), "USD")] == 1.5  # the user's rate replaces the ECB's that day
    assert rows[(dt.date(2024, 1, 3), "USD")] == 1.0919
    assert rows[(dt.date(2020, 1, 1), "KWD")] == 0.335
    assert merged.num_rows == 8 + 2
    with pytest.raises(ValueError, match="invalid exchange rate"):
        extra_rates_table([("KWD", -1.0, "2020-01-01")])
