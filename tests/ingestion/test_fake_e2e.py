"""The `stripe` source end to end against the fake Stripe server (fake_stripe/): after every run the
warehouse holds exactly what the server lists, incremental runs after `advance()` included.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.ingestion.conftest import query, rows, run_pipeline

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("stripe_env")]

FIXED_NOW = int(datetime(2026, 11, 1, tzinfo=UTC).timestamp())
API_KEY = "sk_test_fake"
# raw table -> list endpoint (sub-lists are checked through their parents)
TABLES = {
    "customer": "/v1/customers",
    "product": "/v1/products",
    "price": "/v1/prices?active=true",
    "subscription": "/v1/subscriptions?status=all",
    "invoice": "/v1/invoices",
    "charge": "/v1/charges",
    "refund": "/v1/refunds",
    "dispute": "/v1/disputes",
    "credit_note": "/v1/credit_notes",
    "payout": "/v1/payouts",
    "balance_transaction": "/v1/balance_transactions",
}


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    from fake_stripe import server as fake_server
    from fake_stripe.account import build_account

    server = fake_server.FakeStripeServer(build_account("small", seed=7, now=FIXED_NOW), api_key=API_KEY).start()
    monkeypatch.setenv("SOURCES__STRIPE__API_KEY", API_KEY)
    monkeypatch.setenv("SOURCES__STRIPE__API_BASE", server.base_url)
    try:
        yield server
    finally:
        server.stop()


def listed(server: Any, path: str, account: str | None = None) -> dict[str, dict[str, Any]]:
    """Every object the server lists at `path` (plain requests, independent of the source)."""
    headers = {"Authorization": f"Bearer {API_KEY}"}
    if account:
        headers["Stripe-Account"] = account
    out: dict[str, dict[str, Any]] = {}
    after = None
    while True:
        sep = "&" if "?" in path else "?"
        url = f"{server.base_url}{path}{sep}limit=100" + (f"&starting_after={after}" if after else "")
        body = requests.get(url, headers=headers, timeout=30).json()
        out.update({o["id"]: o for o in body["data"]})
        if not body["has_more"]:
            return out
        after = body["data"][-1]["id"]


def expected(server: Any, account: str | None = None) -> dict[str, dict[str, dict[str, Any]]]:
    want = {table: listed(server, path, account) for table, path in TABLES.items()}
    want["price"].update(listed(server, "/v1/prices?active=false", account))
    lines: dict[str, dict[str, Any]] = {}
    for invoice_id in want["invoice"]:
        lines.update(listed(server, f"/v1/invoices/{invoice_id}/lines", account))
    items: dict[str, dict[str, Any]] = {}
    for sub_id in want["subscription"]:
        items.update(listed(server, f"/v1/subscription_items?subscription={sub_id}", account))
    want["invoice_line_item"] = lines
    want["subscription_item"] = items
    return want


def assert_warehouse_matches(tmp_path: Path, want: dict[str, dict[str, dict[str, Any]]], prefix: str = "") -> None:
    for table, objects in want.items():
        got = {r["id"]: r for r in rows(tmp_path, prefix + table)}
        live = {i: r for i, r in got.items() if not r["is_deleted"]}
        assert set(live) == set(objects), table
        assert len(got) == len({r["id"] for r in got.values()})
        for object_id, obj in objects.items():
            data = live[object_id]["data"]
            for field in ("status", "active", "amount", "amount_paid", "cancel_at_period_end", "metadata"):
                if field in obj:
                    assert data.get(field) == obj[field], (table, object_id, field)


def test_first_run_then_incremental_runs_after_advance(tmp_path: Path, fake: Any) -> None:
    first = run_pipeline(tmp_path)
    assert not first.stats.warnings
    assert_warehouse_matches(tmp_path, expected(fake))
    events_before = query(tmp_path, "select count(*) from stripe_raw.event")[0][0]

    for days in (10, 7):
        fake.advance(days)
        result = run_pipeline(tmp_path)
        assert not result.stats.warnings
        assert {r.mode for r in result.stats.resources.values()} == {"incremental"}
        assert_warehouse_matches(tmp_path, expected(fake))
    assert sum(r.events_read for r in result.stats.resources.values()) > 0
    assert result.stats.resources["invoice"].refetched > 0
    # R7: every paid invoice keeps its expanded `payments`, also when it was paid after the first run
    unpaid_payments = query(
        tmp_path,
        "select count(*) from stripe_raw.invoice where data->>'$.status' = 'paid' and (data->'$.payments') is null",
    )
    assert unpaid_payments == [(0,)]
    # updates came as events in both API shapes; their rows carry the event's version
    versions = {v for (v,) in query(tmp_path, "select distinct api_version from stripe_raw.subscription")}
    assert "2026-10-28.endive" in versions
    assert query(tmp_path, "select count(*) from stripe_raw.event")[0][0] > events_before


def test_cursor_older_than_30_days_relists(tmp_path: Path, fake: Any) -> None:
    run_pipeline(tmp_path)
    fake.advance(31)
    result = run_pipeline(tmp_path)
    assert any("30-day" in w for w in result.stats.warnings)
    assert result.stats.resources["subscription"].mode == "relist"
    assert result.stats.resources["balance_transaction"].mode == "incremental"  # no events: nothing to miss
    assert_warehouse_matches(tmp_path, expected(fake))


def test_two_connect_accounts_with_table_prefixes(tmp_path: Path, fake: Any) -> None:
    accounts = sorted(fake.info()["connected"])
    assert len(accounts) == 2
    for n, account in enumerate(accounts):
        run_pipeline(tmp_path, account_id=account, table_prefix=f"acct{n}_")
    fake.advance(5)
    for n, account in enumerate(accounts):
        result = run_pipeline(tmp_path, account_id=account, table_prefix=f"acct{n}_")
        assert result.stats.resources[f"acct{n}_invoice"].mode == "incremental"
    for n, account in enumerate(accounts):
        assert_warehouse_matches(tmp_path, expected(fake, account), prefix=f"acct{n}_")
        assert {a for (a,) in query(tmp_path, f"select distinct account_id from stripe_raw.acct{n}_charge")} == {
            account
        }


def test_faults_lose_nothing(tmp_path: Path, fake: Any) -> None:
    fake.set_faults(error_rate=0.08, truncate_rate=0.05, rate_limit=60, fault_seed=11)
    result = run_pipeline(tmp_path, backfill_slices=4)
    fake.set_faults(error_rate=0.0, truncate_rate=0.0, rate_limit=None)
    assert result.stats.retries > 0
    assert_warehouse_matches(tmp_path, expected(fake))
