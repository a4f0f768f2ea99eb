"""End to end: fake account -> fake Stripe API -> dlt -> dbt -> numbers equal the generator's ground truth.

The ground truth is computed by fake_stripe from its own simulation records in Python; the
warehouse numbers come from the raw JSON through the dbt models in SQL. They must agree to the
minor unit: monthly revenue (both deferral modes, gross and net) and MRR per customer per month
with its movement class, again after the account moves on and an incremental run picks it up.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import duckdb
import pytest

from fake_stripe.account import build_account
from fake_stripe.server import FakeStripeServer
from tests.conftest import FIXED_NOW

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def dbt(warehouse: Path, *args: str) -> None:
    env = {
        **os.environ,
        "DUCKDB_PATH": str(warehouse),
        "DBT_PROFILES_DIR": str(ROOT),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    exe = Path(sys.executable).with_name("dbt")
    proc = subprocess.run(
        [
            str(exe),
            *args,
            "--project-dir",
            str(ROOT),
            "--target-path",
            str(warehouse.parent / "target"),
            "--log-path",
            str(warehouse.parent / "logs"),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-2000:]


def ingest(server: FakeStripeServer, warehouse: Path, rates_file: Path) -> None:
    from ingestion.pipeline import run

    run(
        api_key="sk_test_fake",
        api_base=server.base_url,
        duckdb_file=str(warehouse),
        pipelines_dir=str(warehouse.parent / "pipelines"),
        progress=False,
        extra_exchange_rates=str(rates_file),
    )


def warehouse_revenue(warehouse: Path) -> dict[str, tuple[int, int]]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute("""
            select strftime(month_start, '%Y-%m'), sum(gross_revenue_minor), sum(net_revenue_minor)
            from revenue_analytics.fct_revenue_monthly group by 1 order by 1
        """).fetchall()
    return {m: (int(g), int(n)) for m, g, n in rows}


def warehouse_mrr(warehouse: Path) -> dict[tuple[str, str], tuple[int, str]]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute("""
            select customer_id, strftime(month_start, '%Y-%m'), ending_mrr_minor, movement
            from revenue_analytics.fct_mrr_movements
        """).fetchall()
    return {(c, m): (int(e), mv) for c, m, e, mv in rows}


def expected_revenue(truth: dict, mode: str) -> dict[str, tuple[int, int]]:
    return {m: (v["gross"], v["net"]) for m, v in truth["revenue_monthly"][mode].items()}


def expected_mrr(truth: dict) -> dict[tuple[str, str], tuple[int, str]]:
    return {
        (r["customer_id"], r["month"]): (r["mrr"], "unchanged" if r["movement"] == "flat" else r["movement"])
        for r in truth["mrr"]
    }


def assert_mrr_matches(warehouse: Path, truth: dict) -> None:
    months = {r["month"] for r in truth["mrr"]}
    got = {k: v for k, v in warehouse_mrr(warehouse).items() if k[1] in months and (v[0] or v[1] != "unchanged")}
    want = expected_mrr(truth)
    diffs = {k: (got.get(k), want.get(k)) for k in set(got) | set(want) if got.get(k) != want.get(k)}
    by_month: dict[str, int] = defaultdict(int)
    for _, month in diffs:
        by_month[month] += 1
    assert not diffs, f"{len(diffs)} customer-months differ (by month {dict(by_month)}): {list(diffs.items())[:8]}"


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    """The small account loaded and built once; tests read the warehouse."""
    work = tmp_path_factory.mktemp("e2e")
    warehouse = work / "warehouse.duckdb"
    account = build_account("small", seed=11, now=FIXED_NOW)
    paths = account.write_reference_files(work / "account")
    server = FakeStripeServer(account, port=0).start()
    try:
        ingest(server, warehouse, paths["fx_rates"])
        dbt(warehouse, "build")
        yield account, server, warehouse, paths
    finally:
        server.stop()


def test_monthly_revenue_equals_ground_truth(loaded):
    account, _, warehouse, _ = loaded
    truth = account.ground_truth().to_json()
    assert warehouse_revenue(warehouse) == expected_revenue(truth, "monthly")


def test_daily_deferral_equals_ground_truth(loaded):
    account, _, warehouse, _ = loaded
    truth = account.ground_truth().to_json()
    daily = warehouse.parent / "daily.duckdb"
    daily.write_bytes(warehouse.read_bytes())
    dbt(daily, "run", "--full-refresh", "--vars", "{deferral: daily}")
    assert warehouse_revenue(daily) == expected_revenue(truth, "daily")


def test_mrr_per_customer_per_month_equals_ground_truth(loaded):
    account, _, warehouse, _ = loaded
    assert_mrr_matches(warehouse, account.ground_truth().to_json())


def test_after_advance_an_incremental_run_catches_up(loaded):
    account, server, warehouse, paths = loaded
    server.advance(20)
    ingest(server, warehouse, paths["fx_rates"])
    dbt(warehouse, "build")
    truth = account.ground_truth().to_json()
    assert warehouse_revenue(warehouse) == expected_revenue(truth, "monthly")
    assert_mrr_matches(warehouse, truth)
