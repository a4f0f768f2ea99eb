"""Whole runs of the `stripe` pipeline into a temporary DuckDB, against the requests-mock Stripe."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import requests_mock

from ingestion.pipeline import IngestionError
from ingestion.stripe.client import STRIPE_API_VERSION
from ingestion.summary import format_summary
from tests.ingestion.conftest import NOW, qs, query, requests_to, rows, run_pipeline
from tests.ingestion.stripe_mock import LEGACY_API_VERSION, MockStripe, make_event, small_account

pytestmark = pytest.mark.usefixtures("stripe_env")

DAY = 86400
TABLES = {
    "customer": 3,
    "product": 2,
    "price": 3,
    "subscription": 3,
    "subscription_item": 5,
    "invoice": 3,
    "invoice_line_item": 8,
    "charge": 3,
    "refund": 1,
    "dispute": 1,
    "credit_note": 1,
    "payout": 1,
    "balance_transaction": 3,
    "event": 0,  # no events yet: the table exists, empty
}


def counts(tmp_path: Path) -> dict[str, int]:
    return dict(
        query(
            tmp_path,
            "select table_name, estimated_size from duckdb_tables() where schema_name = 'stripe_raw' "
            "and not starts_with(table_name, '_dlt')",
        )
    )


def exact_counts(tmp_path: Path, tables: list[str]) -> dict[str, tuple[int, int]]:
    """(rows, distinct ids) per table."""
    return {t: query(tmp_path, f"select count(*), count(distinct id) from stripe_raw.{t}")[0] for t in tables}


def test_full_run_loads_every_object_in_the_d2_layout(tmp_path: Path, stripe: MockStripe) -> None:
    ids = small_account(stripe, NOW)
    result = run_pipeline(tmp_path)
    assert {t: n for t, n in result.row_counts.items()} == TABLES
    assert exact_counts(tmp_path, list(TABLES)) == {t: (n, n) for t, n in TABLES.items()}
    columns = query(
        tmp_path,
        "select column_name, data_type from information_schema.columns "
        "where table_schema = 'stripe_raw' and table_name = 'invoice' order by ordinal_position",
    )
    assert [c for c in columns if not c[0].startswith("_dlt")] == [
        ("id", "VARCHAR"),
        ("created", "BIGINT"),
        ("data", "JSON"),
        ("api_version", "VARCHAR"),
        ("state_at", "BIGINT"),
        ("is_deleted", "BOOLEAN"),
        ("deleted_at", "BIGINT"),
        ("parent_id", "VARCHAR"),
        ("account_id", "VARCHAR"),
        ("synced_at", "TIMESTAMP WITH TIME ZONE"),
    ]
    invoices = {r["id"]: r for r in rows(tmp_path, "invoice")}
    assert sorted(invoices) == ids["invoice"]
    # nothing dropped: `data` is the object exactly as served (embedded first page of lines included)
    served = stripe._render("invoice", stripe.get("invoice", "in_1"))
    assert invoices["in_1"]["data"] == served
    assert "subscription" in invoices["in_1"]["data"] and "parent" in invoices["in_0"]["data"]  # both shapes
    for r in invoices.values():
        assert r["api_version"] == STRIPE_API_VERSION
        assert r["is_deleted"] is False and r["deleted_at"] is None and r["parent_id"] is None
        assert NOW - 5 <= r["state_at"] <= NOW
    # a JSON field staging will read
    assert query(tmp_path, "select data->>'$.status' from stripe_raw.invoice where id = 'in_0'") == [("paid",)]
    summary = format_summary(result)
    assert "invoice_line_item" in summary and "rows into stripe_raw" in summary
    # a re-run without changes duplicates nothing
    stripe.now = NOW + 600
    run_pipeline(tmp_path)
    assert exact_counts(tmp_path, list(TABLES)) == {t: (n, n) for t, n in TABLES.items()}


def test_incremental_run_applies_new_objects_updates_and_deletions(
    tmp_path: Path, stripe: MockStripe, http: requests_mock.Mocker
) -> None:
    small_account(stripe, NOW)
    run_pipeline(tmp_path)
    t = NOW + 3600
    # a new customer (listed by the created cursor) ...
    stripe.add("customer", {"id": "cus_new", "object": "customer", "created": t - 50, "name": "New"})
    stripe.add_event(make_event("evt_new", "customer.created", stripe.get("customer", "cus_new"), created=t - 50))
    # ... an update, seen twice (duplicate delivery) and an older state of the same object
    renamed = copy.deepcopy(stripe.get("customer", "cus_0"))
    renamed["name"] = "Renamed"
    stale = copy.deepcopy(renamed)
    stale["name"] = "Stale"
    stripe.add("customer", renamed)
    stripe.add_event(make_event("evt_u2", "customer.updated", renamed, created=t - 30))
    stripe.add_event(make_event("evt_u2", "customer.updated", renamed, created=t - 30))
    stripe.add_event(make_event("evt_u1", "customer.updated", stale, created=t - 40))
    # ... an event older than the state the first run listed: must not overwrite it
    older = copy.deepcopy(stripe.get("customer", "cus_2"))
    older["name"] = "Before first run"
    stripe.add_event(make_event("evt_old", "customer.updated", older, created=NOW - 20))
    # ... a deletion (the object disappears from lists)
    gone = stripe.get("customer", "cus_1")
    stripe.remove("customer", "cus_1")
    stripe.add_event(make_event("evt_del", "customer.deleted", {**gone, "deleted": True}, created=t - 20))
    # ... a charge refunded, the event in the legacy API version
    refunded = copy.deepcopy(stripe.get("charge", "ch_0"))
    refunded["refunded"] = True
    stripe.add("charge", refunded)
    stripe.add_event(make_event("evt_ch", "charge.refunded", refunded, created=t - 12, api_version=LEGACY_API_VERSION))
    # ... an invoice voided: invoices are listed with expansions events lack, so it is re-read
    voided = copy.deepcopy(stripe._render("invoice", stripe.get("invoice", "in_1")))
    voided["status"] = "void"
    stripe.add("invoice", {**stripe.get("invoice", "in_1"), "status": "void"})
    stripe.add_event(make_event("evt_inv", "invoice.voided", voided, created=t - 10, api_version=LEGACY_API_VERSION))
    # ... a draft invoice deleted (5 lines, 2 embedded in the event's object)
    draft = copy.deepcopy(stripe._render("invoice", stripe.get("invoice", "in_0")))
    stripe.remove("invoice", "in_0")
    stripe.add_event(make_event("evt_draft", "invoice.deleted", draft, created=t - 8))
    # ... a canceled subscription (Stripe's `customer.subscription.deleted` is a cancellation)
    canceled = copy.deepcopy(stripe._render("subscription", stripe.get("subscription", "sub_0")))
    canceled["status"] = "canceled"
    stripe.add("subscription", {**stripe.get("subscription", "sub_0"), "status": "canceled"})
    stripe.add_event(make_event("evt_sub", "customer.subscription.deleted", canceled, created=t - 5))
    stripe.now = t
    http.reset_mock()
    result = run_pipeline(tmp_path)

    customers = {r["id"]: r for r in rows(tmp_path, "customer")}
    assert sorted(customers) == ["cus_0", "cus_1", "cus_2", "cus_new"]
    assert customers["cus_new"]["data"]["name"] == "New" and not customers["cus_new"]["is_deleted"]
    assert customers["cus_0"]["data"]["name"] == "Renamed" and customers["cus_0"]["state_at"] == t - 30
    assert customers["cus_2"]["data"].get("name") != "Before first run"
    assert customers["cus_2"]["state_at"] != NOW - 20  # the listed (or re-listed) state stays
    deleted = customers["cus_1"]
    assert deleted["is_deleted"] is True and deleted["deleted_at"] == t - 20
    assert deleted["data"]["email"] == gone["email"]  # last known data kept
    charge = rows(tmp_path, "charge", "id = 'ch_0'")[0]
    assert charge["data"]["refunded"] is True
    assert charge["api_version"] == LEGACY_API_VERSION and charge["state_at"] == t - 12
    invoice = rows(tmp_path, "invoice", "id = 'in_1'")[0]
    assert invoice["data"]["status"] == "void"
    assert invoice["api_version"] == STRIPE_API_VERSION and invoice["state_at"] >= t - 1  # re-read
    lines = rows(tmp_path, "invoice_line_item", "parent_id = 'in_1'")
    assert [(r["api_version"], r["is_deleted"]) for r in lines] == [(STRIPE_API_VERSION, False)]
    draft_row = rows(tmp_path, "invoice", "id = 'in_0'")[0]
    assert draft_row["is_deleted"] and draft_row["deleted_at"] == t - 8
    draft_lines = rows(tmp_path, "invoice_line_item", "parent_id = 'in_0'")
    assert len(draft_lines) == 5 and all(r["is_deleted"] and r["deleted_at"] == t - 8 for r in draft_lines)
    sub = rows(tmp_path, "subscription", "id = 'sub_0'")[0]
    assert sub["data"]["status"] == "canceled" and sub["is_deleted"] is False
    items = rows(tmp_path, "subscription_item", "parent_id = 'sub_0'")
    assert len(items) == 3 and all(r["state_at"] >= t - 1 for r in items)  # re-read with the subscription
    stats = result.stats.resources["customer"]
    assert stats.states_skipped >= 1 and stats.mode == "incremental"
    assert exact_counts(tmp_path, ["customer", "invoice", "invoice_line_item"]) == {
        "customer": (4, 4),
        "invoice": (3, 3),
        "invoice_line_item": (8, 8),
    }
    # the `event` table holds each event once, with its own API version
    events = {r["id"]: r for r in rows(tmp_path, "event")}
    assert sorted(events) == sorted({e["id"] for e in stripe.objects["event"]})
    assert events["evt_inv"]["api_version"] == LEGACY_API_VERSION


def test_a_listed_object_newer_than_its_event_wins_in_the_same_run(tmp_path: Path, stripe: MockStripe) -> None:
    small_account(stripe, NOW)
    run_pipeline(tmp_path, resources=["customer"])
    t = NOW + 1000
    new = {"id": "cus_x", "object": "customer", "created": t - 10, "name": "current"}
    stripe.add("customer", new)
    stripe.add_event(make_event("evt_1", "customer.created", {**new, "name": "at creation"}, created=t - 10))
    stripe.now = t
    run_pipeline(tmp_path, resources=["customer"])
    (row,) = rows(tmp_path, "customer", "id = 'cus_x'")
    assert row["data"]["name"] == "current" and row["state_at"] >= t - 1


def test_cursor_older_than_the_events_window_relists_and_marks_vanished_rows(
    tmp_path: Path, stripe: MockStripe, http: requests_mock.Mocker
) -> None:
    small_account(stripe, NOW)
    run_pipeline(tmp_path, resources=["customer", "invoice"])
    stripe.remove("customer", "cus_2")  # deleted while nobody was looking; its event is long gone
    stripe.objects["invoice"] = [o for o in stripe.objects["invoice"] if o["id"] != "in_1"]
    stripe.now = NOW + 31 * DAY
    http.reset_mock()
    result = run_pipeline(tmp_path, resources=["customer", "invoice"])
    assert any("30-day" in w and "customer" in w for w in result.stats.warnings)
    assert result.stats.resources["customer"].mode == "relist"
    listed = [qs(r) for r in requests_to(http, "/v1/customers") if qs(r).get("limit") != ["1"]]
    assert listed and all("created[gte]" not in q for q in listed)  # everything again
    assert not [r for r in requests_to(http, "/v1/events") if "types[]" in qs(r)]
    customers = {r["id"]: r for r in rows(tmp_path, "customer")}
    assert customers["cus_2"]["is_deleted"] and customers["cus_2"]["deleted_at"] == NOW + 31 * DAY
    assert customers["cus_2"]["data"]["email"] == "c2@x.test"
    assert not customers["cus_0"]["is_deleted"]
    lines = rows(tmp_path, "invoice_line_item", "parent_id = 'in_1'")
    assert lines and all(r["is_deleted"] for r in lines)
    assert not any(r["is_deleted"] for r in rows(tmp_path, "invoice_line_item", "parent_id <> 'in_1'"))
    # next run is incremental again
    stripe.now += 600
    again = run_pipeline(tmp_path, resources=["customer"])
    assert again.stats.resources["customer"].mode == "incremental"
    assert not again.stats.warnings


def test_table_prefix_and_two_accounts_side_by_side(tmp_path: Path, stripe: MockStripe) -> None:
    small_account(stripe, NOW)
    run_pipeline(tmp_path, resources=["charge", "invoice"], table_prefix="eu_", account_id="acct_EU")
    run_pipeline(tmp_path, resources=["charge"], table_prefix="us_", account_id="acct_US")
    tables = set(counts(tmp_path))
    assert {"eu_charge", "eu_invoice", "eu_invoice_line_item", "us_charge"} <= tables
    assert "charge" not in tables
    assert {r["account_id"] for r in rows(tmp_path, "eu_charge")} == {"acct_EU"}
    assert {r["account_id"] for r in rows(tmp_path, "us_charge")} == {"acct_US"}
    # cursors are per prefix: the second account's first run was a full one
    stripe.now = NOW + 100
    eu = run_pipeline(tmp_path, resources=["eu_charge"], table_prefix="eu_", account_id="acct_EU")
    assert eu.stats.resources["eu_charge"].mode == "incremental"


def test_full_refresh_reloads_selected_resources(
    tmp_path: Path, stripe: MockStripe, http: requests_mock.Mocker
) -> None:
    small_account(stripe, NOW)
    run_pipeline(tmp_path, resources=["customer", "charge"])
    stripe.remove("customer", "cus_0")
    stripe.now = NOW + 100
    http.reset_mock()
    result = run_pipeline(tmp_path, resources=["customer"], full_refresh=True)
    assert result.stats.resources["customer"].mode == "full"
    assert [r["id"] for r in rows(tmp_path, "customer")] == ["cus_1", "cus_2"]  # table rebuilt
    assert len(rows(tmp_path, "charge")) == 3  # not selected: untouched
    assert not requests_to(http, "/v1/charges")


def test_retries_during_a_run_lose_nothing(tmp_path: Path, stripe: MockStripe, http: requests_mock.Mocker) -> None:
    small_account(stripe, NOW)
    stripe.fail_next = [
        (429, {}, {"error": {"type": "rate_limit_error"}}),
        (500, {"Stripe-Should-Retry": "true"}, {"error": {}}),
        (200, {}, '{"object": "list", "data": [{"id": "ch_'),  # truncated
        (503, {}, "busy"),
    ]
    result = run_pipeline(tmp_path, backfill_slices=1)
    assert result.stats.retries == 4
    assert exact_counts(tmp_path, list(TABLES)) == {t: (n, n) for t, n in TABLES.items()}


def test_giving_up_keeps_cursors_and_data_unchanged(tmp_path: Path, stripe: MockStripe) -> None:
    small_account(stripe, NOW)
    run_pipeline(tmp_path, resources=["customer"])
    cursor_before = query(tmp_path, "select count(*) from stripe_raw._dlt_loads")[0][0]
    stripe.add("customer", {"id": "cus_new", "object": "customer", "created": NOW + 5})
    stripe.now = NOW + 100
    stripe.fail_next = [(500, {}, {"error": {}})] * 50
    with pytest.raises(IngestionError, match="giving up"):
        run_pipeline(tmp_path, resources=["customer"], max_retry_attempts=3)
    assert query(tmp_path, "select count(*) from stripe_raw._dlt_loads")[0][0] == cursor_before
    stripe.fail_next = []
    run_pipeline(tmp_path, resources=["customer"])
    assert [r["id"] for r in rows(tmp_path, "customer")] == ["cus_0", "cus_1", "cus_2", "cus_new"]


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (401, {"error": {"message": "Invalid API Key provided: sk_test_****p7dc"}}, "the key is invalid"),
        (
            403,
            {"error": {"message": "Having the 'rak_customer_read' permission would allow this request to continue."}},
            "'Customers: Read (Core)'",
        ),
    ],
)
def test_auth_errors_surface_as_clear_messages(
    tmp_path: Path, stripe: MockStripe, status: int, body: dict, expected: str
) -> None:
    # a key that may not read customers is refused on every customer request (the account check's too)
    stripe.fail_next = [(status, {}, body, "/v1/customers")] * 2
    with pytest.raises(IngestionError) as info:
        run_pipeline(tmp_path, resources=["customer"])
    assert expected in str(info.value)
    assert "sk_test_4eC39HqLyjWDarjtT1zdp7dc" not in str(info.value)
