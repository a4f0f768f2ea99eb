"""Incremental builds equal a full rebuild: after the raw tables change (an invoice paid, new rows,
a row gone from the raw table), `dbt run` on the built warehouse and `dbt run --full-refresh` give
the same staging tables, deferral schedule, revenue rows and MRR. Two dbt runs: marked slow.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import Any

import duckdb
import pytest
import stripe_objects as so
from conftest import SOURCES_VARS, run_dbt
from raw_warehouse import RawAccount, write
from stripe_objects import CURRENT, LEGACY, ts

COMPARED = [
    "staging.stg_stripe__invoices",
    "staging.stg_stripe__invoice_line_items",
    "staging.stg_stripe__charges",
    "staging.stg_stripe__balance_transactions",
    "staging.stg_stripe__customers",
    "staging.stg_stripe__subscriptions",
    "staging.stg_stripe__subscription_items",
    "intermediate.int_exchange_rates_filled",
    "intermediate.int_invoice_lines_netted",
    "intermediate.int_charges_linked",
    "intermediate.int_invoice_lines_deferred",
    "intermediate.int_mrr_contributions_computed",
    "intermediate.int_subscription_states_monthly",
    "revenue_analytics.fct_revenue_items",
    "revenue_analytics.fct_mrr_movements",
    "revenue_analytics.fct_revenue_monthly",
    "revenue_analytics.fct_top_customers_monthly",
]


def _rows_differing(con: duckdb.DuckDBPyConnection, left: str, right: str) -> tuple[int, int]:
    """(rows of `left` not in `right`, rows of `right` not in `left`), duplicates counted; `built_at`
    (when the row was written) left out."""
    columns = "columns(lambda c: c <> 'built_at')"
    return tuple(
        con.execute(
            f"select count(*) from (select {columns} from {a} except all select {columns} from {b})"
        ).fetchone()[0]
        for a, b in ((left, right), (right, left))
    )


def _changes() -> RawAccount:
    # the ECB publishes a JPY rate after the last one: JPY rows converted at the carried (estimated)
    # rate since March are converted again, and the filled rates are rebuilt
    acc = RawAccount(rates=[(dt.date(2024, 6, 3), "JPY", 170.0)])
    price = so.price("price_starter30", "prod_starter", 3000, "usd", LEGACY, ts("2018-06-01"), "month")
    # T's open June invoice gets paid (legacy shape), and July is invoiced (current shape)
    for iid, a, b, shape in (
        ("in_T5", "2024-06-03", "2024-07-03", LEGACY),
        ("in_T6", "2024-07-03", "2024-08-03", CURRENT),
    ):
        line = so.line(
            "il_" + iid[3:],
            iid,
            shape,
            amount=3000,
            currency="usd",
            period=(ts(a), ts(b)),
            p=price,
            kind="subscription",
            subscription_id="sub_T",
            subscription_item_id="si_T",
        )
        inv = so.invoice(
            iid, "cus_T", shape, created=ts(a), status="paid", currency="usd", lines=[line], subscription_id="sub_T"
        )
        acc.add("invoice", inv, shape)
        acc.add("invoice_line_item", dict(line, created=inv["created"]), shape, parent_id=iid)
    # A's annual subscription is canceled in April (only the subscription changes: its invoice line's
    # MRR must end through the subscription, not through a changed invoice)
    annual = so.price("price_annual", "prod_annual", 120000, "usd", LEGACY, ts("2018-06-01"), "year")
    start, end = ts("2024-01-01"), ts("2025-01-01")
    item = so.subscription_item("si_A", "sub_A", annual, 1, CURRENT, start, (start, end))
    acc.add(
        "subscription",
        so.subscription(
            "sub_A",
            "cus_A",
            CURRENT,
            created=start,
            items=[item],
            status="canceled",
            period=(start, end),
            ended_at=ts("2024-04-15"),
            canceled_at=ts("2024-04-15"),
        ),
        CURRENT,
    )
    acc.add(
        "charge",
        so.charge(
            "ch_D4", "cus_D", LEGACY, created=ts("2024-07-01"), amount=2500, currency="jpy", payment_intent="pi_D4"
        ),
        LEGACY,
    )
    # B moves to Ireland (only the customer changes: every month of B's revenue moves to another
    # country in fct_revenue_monthly, and B's rows in fct_top_customers_monthly change) and the Plus
    # product is renamed (its months change name; nothing in fct_revenue_items changes)
    acc.add("customer", so.customer("cus_B", LEGACY, ts("2024-01-10"), "Bo", "bo@example.com", "IE", "usd"), LEGACY)
    acc.add("product", so.product("prod_plus", "Plus (2025)", LEGACY, ts("2018-06-01")), LEGACY)
    return acc


@pytest.mark.slow
def test_incremental_build_equals_full_refresh(
    built: dict[str, Any], scenario_build: dict[str, Any], tmp_path: Path
) -> None:
    incremental, full = tmp_path / "incremental.duckdb", tmp_path / "full.duckdb"
    for path in (incremental, full):
        shutil.copy(scenario_build["warehouse"], path)
        write(str(path), _changes(), synced=dt.datetime(2030, 2, 1, tzinfo=dt.UTC))
        with duckdb.connect(str(path)) as con:  # the ingestion re-listed invoices: the void one is gone
            con.execute("delete from stripe_raw.invoice where id = 'in_Tvoid'")
            con.execute("delete from stripe_raw.invoice_line_item where parent_id = 'in_Tvoid'")
    runs = {
        "incremental": run_dbt(["run"], incremental, tmp_path / "inc", SOURCES_VARS),
        "full": run_dbt(["run", "--full-refresh"], full, tmp_path / "full", SOURCES_VARS),
    }
    for name, run in runs.items():
        assert run.returncode == 0, (name, run.output[-4000:])
    with duckdb.connect(str(incremental), read_only=True) as con:
        con.execute(f"attach '{full}' as full_build (read_only)")
        for table in COMPARED:
            assert _rows_differing(con, table, f"full_build.{table}") == (0, 0), table
        # the changes did arrive
        assert con.execute(
            """select movement, churned_mrr_minor from revenue_analytics.fct_mrr_movements
               where customer_id = 'cus_A' and month_start = date '2024-04-01'"""
        ).fetchall() == [("churn", 10000)]
        assert con.execute(
            "select count(*) from staging.stg_stripe__invoices where invoice_id = 'in_Tvoid'"
        ).fetchone() == (0,)
        assert (
            con.execute(
                "select count(*) from revenue_analytics.fct_revenue_monthly where product_name = 'Plus (2025)'"
            ).fetchone()[0]
            > 0
        )
        assert con.execute(
            """select distinct customer_country from revenue_analytics.fct_top_customers_monthly
               where customer_id = 'cus_B'"""
        ).fetchall() == [("IE",)]
        assert (
            con.execute("""select sum(amount_minor) from revenue_analytics.fct_revenue_items
                              where invoice_id in ('in_T5', 'in_T6') or revenue_item_id = 'ch_D4'""").fetchone()[0]
            > 6000
        )


@pytest.mark.slow
def test_tables_of_an_older_version_are_rebuilt_in_full(
    built: dict[str, Any], scenario_build: dict[str, Any], tmp_path: Path
) -> None:
    """A warehouse built before a watermark column existed (int_charges_linked without
    inputs_synced_at, fct_revenue_items without build_settings) builds: those two tables are rebuilt
    in full, with the same rows as before, instead of failing on the missing column."""
    warehouse = tmp_path / "older.duckdb"
    shutil.copy(scenario_build["warehouse"], warehouse)
    dropped = {
        "intermediate.int_charges_linked": "inputs_synced_at",
        "revenue_analytics.fct_revenue_items": "build_settings",
    }
    with duckdb.connect(str(warehouse)) as con:
        for table, column in dropped.items():
            con.execute(f"alter table {table} drop column {column}")
    selected = ["--select", "int_charges_linked", "fct_revenue_items"]
    run = run_dbt(["run", *selected], warehouse, tmp_path / "dbt", SOURCES_VARS)
    assert run.returncode == 0, run.output[-4000:]
    assert "was built by an older version of this project" in run.output
    with duckdb.connect(str(warehouse), read_only=True) as con:
        con.execute(f"attach '{scenario_build['warehouse']}' as before (read_only)")
        for table, column in dropped.items():
            assert con.execute(f"select count(*) from (select {column} from {table})").fetchone()[0] > 0
            assert _rows_differing(con, table, f"before.{table}") == (0, 0), table


@pytest.mark.slow
def test_incremental_tables_follow_a_changed_schema(
    built: dict[str, Any], scenario_build: dict[str, Any], tmp_path: Path
) -> None:
    """An incremental table whose columns differ from its model's (a column the model has since
    added, one it has since removed) is brought in line on its next incremental build, by the
    model's on_schema_change: staging syncs every column, the marts add the new ones."""
    warehouse = tmp_path / "changed.duckdb"
    shutil.copy(scenario_build["warehouse"], warehouse)
    with duckdb.connect(str(warehouse)) as con:
        con.execute("alter table staging.stg_stripe__invoices drop column customer_email")
        con.execute("alter table staging.stg_stripe__invoices add column dropped_since varchar")
        con.execute("alter table revenue_analytics.fct_revenue_monthly drop column revenue_items")
        con.execute("alter table revenue_analytics.fct_revenue_monthly add column kept_by_append varchar")
    selected = ["--select", "stg_stripe__invoices", "fct_revenue_monthly"]
    run = run_dbt(["run", *selected], warehouse, tmp_path / "dbt", SOURCES_VARS)
    assert run.returncode == 0, run.output[-4000:]

    def columns(con: duckdb.DuckDBPyConnection, table: str) -> set[str]:
        return {row[0] for row in con.execute(f"select column_name from (describe {table})").fetchall()}

    with duckdb.connect(str(warehouse), read_only=True) as con:
        con.execute(f"attach '{scenario_build['warehouse']}' as before (read_only)")
        invoices = columns(con, "staging.stg_stripe__invoices")
        assert invoices == columns(con, "before.staging.stg_stripe__invoices")
        monthly = columns(con, "revenue_analytics.fct_revenue_monthly")
        assert monthly == columns(con, "before.revenue_analytics.fct_revenue_monthly") | {"kept_by_append"}


@pytest.mark.slow
def test_a_failed_build_keeps_the_previous_table(
    built: dict[str, Any], scenario_build: dict[str, Any], tmp_path: Path
) -> None:
    """A table is dropped and created again in one transaction (DECISIONS.md S10): when its query
    fails after the drop ran (an as-of instant that is not a timestamp fails in the create), the
    transaction rolls back and the previous table, every row, is still there."""
    warehouse = tmp_path / "failed.duckdb"
    shutil.copy(scenario_build["warehouse"], warehouse)
    variables = {**SOURCES_VARS, "as_of": "2024-13-45"}  # passes the var check, fails the cast
    run = run_dbt(["run", "--select", "int_months_spanned"], warehouse, tmp_path / "dbt", variables)
    assert run.returncode == 1, run.output[-4000:]
    assert "2024-13-45" in run.output
    with duckdb.connect(str(warehouse), read_only=True) as con:
        con.execute(f"attach '{scenario_build['warehouse']}' as before (read_only)")
        table = "intermediate.int_months_spanned"
        assert con.execute(f"select count(*) from {table}").fetchone()[0] > 0
        assert _rows_differing(con, table, f"before.{table}") == (0, 0)
