"""What the `stripe` source asks Stripe, resource by resource (requests-mock, case-sensitive)."""

from __future__ import annotations

import copy
import threading
from pathlib import Path
from typing import Any

import pytest
import requests_mock

from ingestion.stripe.client import STRIPE_API_VERSION
from ingestion.stripe.settings import RESOURCES, RESOURCES_BY_NAME, select_resources
from tests.ingestion.conftest import NOW, qs, requests_to, rows, run_pipeline
from tests.ingestion.stripe_mock import MockStripe, make_event, small_account

pytestmark = pytest.mark.usefixtures("stripe_env")


def list_requests(http: requests_mock.Mocker, path: str) -> list[dict[str, list[str]]]:
    """Query strings of the real list requests to `path` (not the one-off `limit=1` clock sync)."""
    return [q for q in (qs(r) for r in requests_to(http, path)) if q.get("limit") != ["1"]]


def test_first_run_lists_every_resource_with_its_parameters(
    tmp_path: Path, stripe: MockStripe, http: requests_mock.Mocker
) -> None:
    small_account(stripe, NOW)
    run_pipeline(tmp_path)
    for spec in RESOURCES:
        queries = list_requests(http, spec.path)
        assert queries, spec.name
        for q in queries:
            assert q["limit"] == ["100"]
            assert not any(k.startswith("created") for k in q), (spec.name, q)  # first run: everything
    assert {q["status"][0] for q in list_requests(http, "/v1/subscriptions")} == {"all"}
    assert sorted(q["active"][0] for q in list_requests(http, "/v1/prices")) == ["false", "true"]
    assert all(q["expand[]"] == ["data.payments", "data.discounts"] for q in list_requests(http, "/v1/invoices"))
    assert all(q["expand[]"] == ["data.discounts"] for q in list_requests(http, "/v1/subscriptions"))
    assert all(r.headers["Stripe-Version"] == STRIPE_API_VERSION for r in http.request_history)
    assert all("Stripe-Account" not in r.headers for r in http.request_history)
    # canceled subscriptions and inactive prices are loaded
    assert [r["data"]["status"] for r in rows(tmp_path, "subscription")] == ["active", "canceled", "active"]
    assert [r["data"]["active"] for r in rows(tmp_path, "price")] == [True, True, False]


def test_invoice_lines_beyond_the_embedded_page(tmp_path: Path, stripe: MockStripe, http: requests_mock.Mocker) -> None:
    small_account(stripe, NOW)
    run_pipeline(tmp_path, resources=["invoice_line_item"])
    (paged,) = list_requests(http, "/v1/invoices/in_0/lines")  # in_0 has 5 lines, 2 embedded
    assert paged["starting_after"] == ["il_0_1"]
    assert not requests_to(http, "/v1/invoices/in_1/lines")  # everything was embedded
    lines = rows(tmp_path, "invoice_line_item")
    assert [r["id"] for r in lines if r["parent_id"] == "in_0"] == [f"il_0_{k}" for k in range(5)]
    assert len(lines) == 5 + 1 + 2
    invoice_created = {r["id"]: r["created"] for r in rows(tmp_path, "invoice")}
    assert all(r["created"] == invoice_created[r["parent_id"]] for r in lines)  # D2: the invoice's


def test_subscription_items_beyond_the_embedded_page(
    tmp_path: Path, stripe: MockStripe, http: requests_mock.Mocker
) -> None:
    small_account(stripe, NOW)
    run_pipeline(tmp_path, resources=["subscription"])
    (paged,) = list_requests(http, "/v1/subscription_items")
    assert paged["subscription"] == ["sub_0"] and paged["starting_after"] == ["si_0_1"]
    items = rows(tmp_path, "subscription_item")
    assert [(r["id"], r["parent_id"]) for r in items] == [
        ("si_0_0", "sub_0"),
        ("si_0_1", "sub_0"),
        ("si_0_2", "sub_0"),
        ("si_1_0", "sub_1"),
        ("si_2_0", "sub_2"),
    ]


def test_empty_resources_still_create_their_tables(tmp_path: Path, stripe: MockStripe) -> None:
    stripe.add("charge", {"id": "ch_1", "object": "charge", "created": NOW - 10})
    run_pipeline(tmp_path)
    from tests.ingestion.conftest import query

    tables = {t for (t,) in query(tmp_path, "select table_name from duckdb_tables() where schema_name = 'stripe_raw'")}
    assert tables >= {s.name for s in RESOURCES} | {"invoice_line_item", "subscription_item"}
    assert query(tmp_path, "select count(*) from stripe_raw.invoice_line_item") == [(0,)]
    columns = query(
        tmp_path,
        "select column_name, data_type from information_schema.columns where table_schema = 'stripe_raw' "
        "and table_name = 'dispute' and column_name not like '\\_dlt%' escape '\\' order by ordinal_position",
    )
    assert [c for c, _ in columns][:10] == [
        "id",
        "created",
        "data",
        "api_version",
        "state_at",
        "is_deleted",
        "deleted_at",
        "parent_id",
        "account_id",
        "synced_at",
    ]
    assert dict(columns)["data"] == "JSON"


def test_paging_follows_starting_after(tmp_path: Path, stripe: MockStripe, http: requests_mock.Mocker) -> None:
    for i in range(5):
        stripe.add("customer", {"id": f"cus_{i}", "object": "customer", "created": NOW - 100 + i})
    run_pipeline(tmp_path, resources=["customer"], page_size=2, backfill_slices=1)
    queries = list_requests(http, "/v1/customers")
    assert [q.get("starting_after", [None])[0] for q in queries] == [None, "cus_3", "cus_1"]
    assert all(q["limit"] == ["2"] for q in queries)
    assert len(rows(tmp_path, "customer")) == 5


def test_second_run_asks_from_the_stored_cursors(
    tmp_path: Path, stripe: MockStripe, http: requests_mock.Mocker
) -> None:
    small_account(stripe, NOW)
    selection = ["charge", "balance_transaction", "event"]
    run_pipeline(tmp_path, overlap_seconds=60, resources=selection)
    newest_charge = max(o["created"] for o in stripe.objects["charge"])
    http.reset_mock()
    stripe.now = NOW + 3600
    run_pipeline(tmp_path, overlap_seconds=60, resources=selection)
    (charges,) = list_requests(http, "/v1/charges")
    assert charges["created[gte]"] == [str(newest_charge - 60)]
    event_queries = [q for q in list_requests(http, "/v1/events") if "types[]" in q]
    charge_events = next(q for q in event_queries if "charge.succeeded" in q["types[]"])
    # the events cursor is the server time when the first run started listing, minus the overlap
    assert int(charge_events["created[gte]"][0]) == NOW - 60
    assert "charge.dispute.created" not in charge_events["types[]"]
    assert not [q for q in event_queries if "balance_transaction" in str(q)]  # immutable: no events
    # the `event` table itself continues from its own cursor
    (event_table,) = [q for q in list_requests(http, "/v1/events") if "types[]" not in q]
    assert "created[gte]" not in event_table  # no event existed at the first run: list all again


def test_an_incremental_run_sends_every_resource_s_lists_at_once(
    tmp_path: Path, stripe: MockStripe, monkeypatch: pytest.MonkeyPatch
) -> None:
    """I15: each resource's list and events requests are in flight together, not resource after
    resource. The first six go through a barrier of six: sent one after another, they would time out."""
    from ingestion.stripe.client import StripeClient

    small_account(stripe, NOW)
    selection = ["customer", "invoice", "charge"]
    run_pipeline(tmp_path, resources=selection)
    stripe.now = NOW + 3600
    barrier = threading.Barrier(6, timeout=30)
    through: list[str] = []
    lock = threading.Lock()
    send = StripeClient._send

    def held_send(self: StripeClient, url: str, params: Any) -> Any:
        if not url.endswith("/v1/account") and (params or {}).get("limit") != 1:  # not the account check, clock
            with lock:
                through.append(url)
                wait = len(through) <= 6
            if wait:
                barrier.wait()  # raises BrokenBarrierError (the run fails) if the six never meet
        return send(self, url, params)

    monkeypatch.setattr(StripeClient, "_send", held_send)
    result = run_pipeline(tmp_path, resources=selection)
    # customers, invoices and charges listed since their cursors, and the events of each
    assert sorted(u.rsplit("/", 1)[-1] for u in through) == [
        "charges",
        "customers",
        "events",
        "events",
        "events",
        "invoices",
    ]
    assert {r.mode for r in result.stats.resources.values()} == {"incremental"}


def test_an_incremental_run_with_many_pages_takes_more_workers_and_lists_each_object_once(
    tmp_path: Path, stripe: MockStripe, http: requests_mock.Mocker
) -> None:
    """An incremental list starts with one worker; pages that say there is more hand work to others."""
    stripe.add("customer", {"id": "cus_old", "object": "customer", "created": NOW - 86400})
    run_pipeline(tmp_path, resources=["customer"], page_size=2, backfill_slices=3, overlap_seconds=0)
    for i in range(9):
        stripe.add("customer", {"id": f"cus_{i}", "object": "customer", "created": NOW + 100 * i})
    stripe.now = NOW + 3600
    http.reset_mock()
    result = run_pipeline(tmp_path, resources=["customer"], page_size=2, backfill_slices=3, overlap_seconds=0)
    pages = [qs(r) for r in requests_to(http, "/v1/customers") if qs(r).get("limit") == ["2"]]
    assert result.stats.resources["customer"].listed == 10  # the 9 new ones and the one at the cursor: no overlap
    assert len(pages) >= 5
    assert sorted(r["id"] for r in rows(tmp_path, "customer")) == sorted([f"cus_{i}" for i in range(9)] + ["cus_old"])


def test_events_are_read_with_their_types(tmp_path: Path, stripe: MockStripe, http: requests_mock.Mocker) -> None:
    small_account(stripe, NOW)
    run_pipeline(tmp_path, resources=["customer", "invoice"])
    stripe.add_event(make_event("evt_1", "customer.updated", stripe.get("customer", "cus_0"), created=NOW + 10))
    stripe.now = NOW + 100
    http.reset_mock()
    run_pipeline(tmp_path, resources=["customer", "invoice"])
    types = [set(q["types[]"]) for q in list_requests(http, "/v1/events")]
    assert set(RESOURCES_BY_NAME["customer"].event_types) in types
    assert set(RESOURCES_BY_NAME["invoice"].event_types) in types
    assert all(len(t) <= 20 for t in types)  # Stripe accepts at most 20 types[]


def test_objects_changed_by_events_are_reread_with_their_expansions(
    tmp_path: Path, stripe: MockStripe, http: requests_mock.Mocker
) -> None:
    """Event payloads never expand `invoice.payments` (R7) or `discounts`: re-read those objects."""
    small_account(stripe, NOW)
    run_pipeline(tmp_path, resources=["invoice", "charge"])
    paid = copy.deepcopy(stripe.get("invoice", "in_0"))
    paid["status"] = "paid"
    paid["payments"] = {"object": "list", "data": [{"id": "inpay_1", "payment": {"payment_intent": "pi_1"}}]}
    stripe.add("invoice", paid)
    event_state = {k: v for k, v in paid.items() if k != "payments"}
    stripe.add_event(make_event("evt_1", "invoice.paid", event_state, created=NOW + 10))
    stripe.add_event(make_event("evt_2", "charge.updated", stripe.get("charge", "ch_0"), created=NOW + 11))
    stripe.now = NOW + 100
    http.reset_mock()
    result = run_pipeline(tmp_path, resources=["invoice", "charge"])
    (get,) = requests_to(http, "/v1/invoices/in_0")
    assert qs(get)["expand[]"] == ["payments", "discounts"]
    assert not requests_to(http, "/v1/charges/ch_0")  # nothing to expand: the event state is written
    (row,) = rows(tmp_path, "invoice", "id = 'in_0'")
    assert row["data"]["payments"]["data"][0]["payment"]["payment_intent"] == "pi_1"
    assert row["state_at"] >= NOW + 99 and row["api_version"] == STRIPE_API_VERSION
    assert len(rows(tmp_path, "invoice_line_item", "parent_id = 'in_0'")) == 5
    assert result.stats.resources["invoice"].refetched == 1
    (charge,) = rows(tmp_path, "charge", "id = 'ch_0'")
    assert charge["state_at"] == NOW + 11


def test_children_a_reread_parent_no_longer_lists_are_marked_deleted(tmp_path: Path, stripe: MockStripe) -> None:
    small_account(stripe, NOW)
    run_pipeline(tmp_path, resources=["subscription"])
    stripe.subscription_items["sub_0"] = stripe.subscription_items["sub_0"][:2]  # si_0_2 removed (downgrade)
    updated = stripe._render("subscription", stripe.get("subscription", "sub_0"))
    stripe.add_event(make_event("evt_1", "customer.subscription.updated", updated, created=NOW + 10))
    stripe.now = NOW + 100
    run_pipeline(tmp_path, resources=["subscription"])
    items = {r["id"]: r for r in rows(tmp_path, "subscription_item", "parent_id = 'sub_0'")}
    assert [i for i, r in items.items() if r["is_deleted"]] == ["si_0_2"]
    assert items["si_0_2"]["deleted_at"] >= NOW + 99
    assert not any(r["is_deleted"] for r in rows(tmp_path, "subscription_item", "parent_id <> 'sub_0'"))


def test_connect_account_header_and_column(tmp_path: Path, stripe: MockStripe, http: requests_mock.Mocker) -> None:
    small_account(stripe, NOW)
    run_pipeline(tmp_path, resources=["charge"], account_id="acct_1Connected")
    assert {r.headers.get("Stripe-Account") for r in http.request_history} == {"acct_1Connected"}
    assert {r["account_id"] for r in rows(tmp_path, "charge")} == {"acct_1Connected"}


def test_resource_selection() -> None:
    assert [r.name for r in select_resources(["invoice_line_item", "charge"])] == ["invoice", "charge"]
    assert [r.name for r in select_resources(["acme_customer"], prefix="acme_")] == ["customer"]
    assert [r.name for r in select_resources(["price, product"])] == ["product", "price"]
    assert len(select_resources(None)) == len(RESOURCES) == 12
    with pytest.raises(ValueError, match="unknown Stripe resource 'charges'"):
        select_resources(["charges"])


def test_config_from_environment(
    tmp_path: Path, stripe: MockStripe, http: requests_mock.Mocker, monkeypatch: pytest.MonkeyPatch
) -> None:
    """docs/DESIGN.md's `SOURCES__STRIPE__*` names, as users set them."""
    small_account(stripe, NOW)
    monkeypatch.setenv("SOURCES__STRIPE__ACCOUNT_ID", "acct_1Env")
    monkeypatch.setenv("SOURCES__STRIPE__TABLE_PREFIX", "env_")
    monkeypatch.setenv("SOURCES__STRIPE__RESOURCES", "charge,refund")
    monkeypatch.setenv("SOURCES__STRIPE__START_DATE", "2026-05-24")  # NOW - 8 days
    result = run_pipeline(tmp_path)
    assert set(result.row_counts) == {"env_charge", "env_refund"}
    assert {r.headers["Stripe-Account"] for r in http.request_history} == {"acct_1Env"}
    start = NOW - 8 * 86400
    assert {q["created[gte]"][0] for q in list_requests(http, "/v1/charges")} == {str(start)}
    assert [r["id"] for r in rows(tmp_path, "env_charge")] == ["ch_1", "ch_2"]  # ch_0 is older
    assert {r["account_id"] for r in rows(tmp_path, "env_refund")} == {"acct_1Env"}


def test_events_for_objects_before_start_date_or_never_seen_stubs_are_skipped(
    tmp_path: Path, stripe: MockStripe
) -> None:
    small_account(stripe, NOW)
    start = NOW - 8 * 86400
    run_pipeline(tmp_path, resources=["charge", "customer"], start_date=start)
    stripe.add_event(make_event("evt_1", "charge.updated", stripe.get("charge", "ch_0"), created=NOW + 5))
    stripe.add_event(make_event("evt_2", "charge.updated", stripe.get("charge", "ch_1"), created=NOW + 5))
    stub = {"id": "cus_unknown", "object": "customer", "deleted": True}
    stripe.add_event(make_event("evt_3", "customer.deleted", stub, created=NOW + 6))
    stripe.now = NOW + 100
    result = run_pipeline(tmp_path, resources=["charge", "customer"], start_date=start)
    assert [r["id"] for r in rows(tmp_path, "charge")] == ["ch_1", "ch_2"]
    assert rows(tmp_path, "charge", "id = 'ch_1'")[0]["state_at"] == NOW + 5
    assert "cus_unknown" not in [r["id"] for r in rows(tmp_path, "customer")]
    assert result.stats.resources["charge"].states_skipped == 1
