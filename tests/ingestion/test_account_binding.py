"""A pipeline's state belongs to one Stripe account (I14): a run with another account's key stops
before loading anything, with a message naming both accounts and the ways out; accounts side by side
under table prefixes, and a full refresh, keep working."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from ingestion.pipeline import IngestionError
from tests.ingestion import test_fake_e2e as fake_e2e
from tests.ingestion.conftest import query, run_pipeline

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("stripe_env")]

NOW = int(datetime(2026, 11, 1, tzinfo=UTC).timestamp())
KEY = "sk_test_fake"
RESTRICTED = "rk_test_reader"
READABLE = ["charge", "customer", "invoice", "product", "price", "plan", "subscription", "dispute", "payout"]
READABLE += ["balance_transaction_source", "credit_note", "refund", "event"]
READ_ALL = [f"rak_{p}_read" for p in READABLE]
RESOURCES = ["customer", "charge"]


@pytest.fixture
def serve(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """`serve(seed)` starts a fake account (its own account id per seed) and points the config at it."""
    from fake_stripe.account import build_account
    from fake_stripe.server import FakeStripeServer

    servers: list[Any] = []

    def start(seed: int, key: str = KEY) -> Any:
        for old in servers:
            old.stop()
        server = FakeStripeServer(
            build_account("tiny", seed=seed, now=NOW), api_key=KEY, restricted_keys={RESTRICTED: READ_ALL}
        ).start()
        servers.append(server)
        monkeypatch.setenv("SOURCES__STRIPE__API_KEY", key)
        monkeypatch.setenv("SOURCES__STRIPE__API_BASE", server.base_url)
        return server

    yield start
    for server in servers:
        server.stop()


def count(tmp_path: Path, table: str) -> int:
    return query(tmp_path, f"select count(*) from stripe_raw.{table}")[0][0]


def listed(server: Any, path: str) -> dict[str, Any]:
    return fake_e2e.listed(server, path)


def account_of(server: Any) -> str:
    return server.info()["account"]


@pytest.mark.parametrize("key", [KEY, RESTRICTED], ids=["secret key", "restricted key"])
def test_another_account_stops_before_loading(tmp_path: Path, serve: Any, key: str) -> None:
    first = serve(7, key)
    run_pipeline(tmp_path, resources=RESOURCES)
    before = {t: count(tmp_path, t) for t in RESOURCES}
    loads = count(tmp_path, "_dlt_loads")
    second = serve(8, key)
    with pytest.raises(IngestionError) as info:
        run_pipeline(tmp_path, resources=RESOURCES)
    message = str(info.value)
    if key == KEY:  # a secret key reads /v1/account: both accounts are named
        assert account_of(first) in message and account_of(second) in message
    else:  # a restricted key may not: the witness object is named
        assert "ch_" in message or "cus_" in message
    for way in ("SOURCES__STRIPE__TABLE_PREFIX", "DUCKDB_PATH", "--pipeline-name", "--full-refresh"):
        assert way in message
    assert {t: count(tmp_path, t) for t in RESOURCES} == before
    assert count(tmp_path, "_dlt_loads") == loads


def test_accounts_side_by_side_under_prefixes(tmp_path: Path, serve: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    serve(7)
    run_pipeline(tmp_path, resources=RESOURCES)
    a_customers = count(tmp_path, "customer")
    serve(8)
    monkeypatch.setenv("SOURCES__STRIPE__TABLE_PREFIX", "b_")
    run_pipeline(tmp_path, resources=RESOURCES)
    assert count(tmp_path, "b_customer") > 0
    monkeypatch.setenv("SOURCES__STRIPE__TABLE_PREFIX", "")
    serve(7)
    run_pipeline(tmp_path, resources=RESOURCES)  # the unprefixed tables' account runs on as before
    assert count(tmp_path, "customer") == a_customers


def test_full_refresh_replaces_the_account(tmp_path: Path, serve: Any) -> None:
    serve(7)
    run_pipeline(tmp_path, resources=RESOURCES)
    second = serve(8)
    run_pipeline(tmp_path, resources=RESOURCES, full_refresh=True)
    ids = {row[0] for row in query(tmp_path, "select id from stripe_raw.customer")}
    assert ids == set(listed(second, "/v1/customers"))
    run_pipeline(tmp_path, resources=RESOURCES)  # bound to the new account now


def test_a_partial_full_refresh_cannot_mix_accounts(tmp_path: Path, serve: Any) -> None:
    serve(7)
    run_pipeline(tmp_path, resources=RESOURCES)
    serve(8)
    with pytest.raises(IngestionError, match="--full-refresh"):
        run_pipeline(tmp_path, resources=["charge"], full_refresh=True)  # customers would stay the other's


def test_a_deleted_warehouse_is_listed_again(tmp_path: Path, serve: Any) -> None:
    """The pipeline's local state outlives a deleted warehouse file: its cursors must not make the next
    run load only what is new into empty tables (dlt resets a state its destination no longer holds)."""
    serve(7)
    run_pipeline(tmp_path, resources=RESOURCES)
    customers = count(tmp_path, "customer")
    (tmp_path / "warehouse.duckdb").unlink()
    result = run_pipeline(tmp_path, resources=RESOURCES)
    assert count(tmp_path, "customer") == customers
    assert result.stats.resources["customer"].mode == "full", result.stats.warnings
