"""The fake account: Stripe-real shapes in both eras, determinism, time travel, ground-truth consistency."""

from __future__ import annotations

import re
from collections import Counter, defaultdict

import pytest

from fake_stripe import clock
from fake_stripe import revenue_rules as rr
from fake_stripe.account import build_account
from fake_stripe.clock import DAY
from fake_stripe.ground_truth import movement_amounts
from fake_stripe.render import CURRENT_VERSION, LEGACY_VERSION, collapse, render
from tests.conftest import FIXED_NOW
from tests.fake_stripe.stripe_shapes import fixture_key_errors, sdk_field_errors

INCLUDABLE = {"invoice.payments"}  # shown only when expanded; fixtures never show includable fields


def _norm(errors):
    return sorted({re.sub(r"\[\d+\]", "[]", e) for e in errors} - INCLUDABLE)


def test_every_object_uses_only_fields_the_pinned_sdk_declares(small_account):
    errors = []
    for objects in small_account.objects.values():
        for obj in objects:
            errors += sdk_field_errors(obj)
    for event in small_account.events:
        errors += sdk_field_errors({k: v for k, v in event.items() if k != "data"})
        if event["api_version"] == CURRENT_VERSION:
            errors += sdk_field_errors(event["data"]["object"])
    assert _norm(errors) == []


def test_sdk_check_catches_an_undeclared_field(small_account):
    invoice = dict(small_account.objects["invoices"][0])
    invoice["lines"] = {**invoice["lines"], "data": [{**invoice["lines"]["data"][0], "made_up": 1}]}
    assert _norm(sdk_field_errors(invoice)) == ["invoice.lines.data[].made_up"]
    # a legacy-only field is not in the current SDK either
    assert "invoice.subscription_details" in _norm(
        sdk_field_errors(render(invoice, LEGACY_VERSION, small_account.render_context))
    )


@pytest.mark.parametrize("era, version", [("current", CURRENT_VERSION), ("legacy", LEGACY_VERSION)])
def test_objects_have_no_field_the_real_object_type_lacks(small_account, era, version):
    errors = []
    for objects in small_account.objects.values():
        for obj in objects:
            if not obj.get("deleted"):  # deletion stubs are Stripe's Deleted* types, not in the fixtures
                errors += fixture_key_errors(render(obj, version, small_account.render_context), era)
    for event in small_account.events:
        if (event["api_version"] == CURRENT_VERSION) == (era == "current"):
            errors += fixture_key_errors(event["data"]["object"], era)
    assert _norm(errors) == []


def test_both_shapes_carry_the_same_facts(small_account):
    ctx = small_account.render_context
    inv = next(i for i in small_account.objects["invoices"] if i["parent"] and i["status"] == "paid")
    old = render(inv, LEGACY_VERSION, ctx)
    assert old["subscription"] == inv["parent"]["subscription_details"]["subscription"]
    assert old["paid"] is True and old["charge"].startswith("ch_")
    assert "parent" not in old and "payments" not in old
    line, old_line = inv["lines"]["data"][0], old["lines"]["data"][0]
    assert old_line["price"]["id"] == line["pricing"]["price_details"]["price"]
    assert old_line["type"] == "subscription"
    sub = next(s for s in small_account.objects["subscriptions"] if s["status"] == "active")
    old_sub = render(sub, LEGACY_VERSION, ctx)
    assert old_sub["current_period_end"] == sub["items"]["data"][0]["current_period_end"]
    assert "current_period_end" not in old_sub["items"]["data"][0]
    charge = next(c for c in small_account.objects["charges"] if c["id"] == old["charge"])
    assert render(charge, LEGACY_VERSION, ctx)["invoice"] == inv["id"]


def test_events_mix_both_shapes_and_cover_changes(small_account):
    versions = Counter(e["api_version"] for e in small_account.events)
    assert set(versions) == {CURRENT_VERSION, LEGACY_VERSION}
    types = Counter(e["type"] for e in small_account.events)
    for needed in ("customer.created", "invoice.paid", "customer.subscription.updated", "product.deleted"):
        assert types[needed] > 0, needed
    now = small_account.now
    assert all(now - 30 * DAY < e["created"] <= now for e in small_account.events)
    updated = [e for e in small_account.events if e["type"].endswith(".updated")]
    assert updated and all(e["data"]["previous_attributes"] for e in updated)
    # events never show expanded fields
    for e in small_account.events:
        if e["data"]["object"]["object"] == "invoice":
            assert "payments" not in e["data"]["object"]
            assert all(isinstance(d, str) for d in e["data"]["object"]["discounts"])


def test_collapse_hides_expandable_fields_unless_asked():
    inv = {"object": "invoice", "payments": {"data": []}, "discounts": [{"id": "di_1", "object": "discount"}]}
    assert collapse(inv) == {"object": "invoice", "discounts": ["di_1"]}
    assert collapse(inv, frozenset({"payments", "discounts"})) == inv


def test_generation_is_deterministic(small_account):
    again = build_account("small", seed=7, now=FIXED_NOW)
    assert again.objects == small_account.objects
    assert again.events == small_account.events
    assert build_account("small", seed=8, now=FIXED_NOW).objects != small_account.objects


def test_advance_keeps_the_past_and_adds_business():
    acct = build_account("small", seed=7, now=FIXED_NOW)
    before = {k: {o["id"]: o for o in v} for k, v in acct.objects.items()}
    acct.advance(20)
    after = {k: {o["id"]: o for o in v} for k, v in acct.objects.items()}
    assert acct.now == FIXED_NOW + 20 * DAY
    for resource, objects in before.items():
        missing = set(objects) - set(after[resource])
        if resource == "customers":  # customers can be deleted in the meantime
            deleted = {e["data"]["object"]["id"] for e in acct.events if e["type"] == "customer.deleted"}
            missing -= deleted
        assert not missing, resource
        created_after = [o for o in after[resource].values() if o["id"] not in objects]
        assert all(o.get("created", FIXED_NOW + 1) > FIXED_NOW - DAY for o in created_after), resource
    assert len(after["invoices"]) > len(before["invoices"])
    changed = [i for i, o in before["subscriptions"].items() if after["subscriptions"][i] != o]
    assert changed, "some subscriptions renew, change or cancel"
    # immutable facts of the past are unchanged
    for i, o in before["balance_transactions"].items():
        assert after["balance_transactions"][i] == o
    assert acct.connected and all(c.now == acct.now for c in acct.connected.values())


def test_connected_accounts_are_distinct_businesses(small_account):
    assert len(small_account.connected) == 2
    ids = {c["id"] for c in small_account.objects["customers"]}
    for acct in small_account.connected.values():
        assert acct.account_id.startswith("acct_")
        assert ids.isdisjoint(c["id"] for c in acct.objects["customers"])


def test_the_business_has_every_case_the_models_must_handle():
    acct = build_account("demo", seed=7, now=FIXED_NOW)
    w = acct.world
    statuses = Counter(s.status for s in w.subscriptions)
    assert {"active", "canceled", "incomplete_expired"} <= set(statuses)
    assert {i.status for i in w.invoices} >= {"paid", "void", "uncollectible"}
    assert any(line.amount < 0 for i in w.invoices for line in i.lines), "proration credits"
    assert any(i.invoice_discounts for i in w.invoices), "invoice-level coupons"
    assert any(line.discount_amounts for i in w.invoices for line in i.lines), "line-level coupons"
    assert any(len(s.items) > 1 for s in w.subscriptions), "multi-item subscriptions"
    assert {c.currency for c in w.customers} == {"usd", "eur", "gbp", "jpy", "kwd"}
    assert any(ch.invoice is None and ch.status == "succeeded" for ch in w.charges), "invoiceless charges"
    assert {d.status for d in w.disputes} >= {"won", "lost"}
    assert any(cn.refund for cn in w.credit_notes) and any(not cn.refund for cn in w.credit_notes)
    assert any(r.amount < r.charge.amount for r in w.refunds), "partial refunds"
    assert any(c.deleted_at for c in w.customers), "deleted customers"
    gt = acct.ground_truth().to_json()
    assert {r["movement"] for r in gt["mrr"]} >= {"new", "expansion", "contraction", "churn", "reactivation"}
    assert {m for _, m, _ in gt["persons"].values()} == {"customer_metadata", "child_metadata", "email"}


# ------------------------------------------------------------------------------------- ground truth


def test_mrr_movements_bridge_every_customer_month(small_account):
    """M2: start + new + reactivation + expansion − contraction − churn + fx = end (more in test_mrr_ground_truth)."""
    rows = small_account.ground_truth().mrr()
    assert rows
    by_customer = defaultdict(list)
    for row in rows:
        by_customer[row["customer_id"]].append(row)
    for customer_rows in by_customer.values():
        previous = 0
        for row in customer_rows:
            assert row["previous_mrr"] == previous
            moves = movement_amounts(row["previous_mrr"], row["mrr"], row["movement"], row["fx"])
            ins = moves["new"] + moves["reactivation"] + moves["expansion"]
            assert previous + ins - moves["contraction"] - moves["churn"] + row["fx"] == row["mrr"]
            previous = row["mrr"]


def test_refunds_never_exceed_their_charge(small_account):
    refunded = defaultdict(int)
    for r in small_account.world.refunds:
        refunded[r.charge.id] += r.amount
    charges = {c.id: c for c in small_account.world.charges}
    assert refunded
    for charge_id, amount in refunded.items():
        assert 0 < amount <= charges[charge_id].amount_captured


def test_a_hand_checked_annual_invoice():
    """$1,200 a year is $100 in each of 12 months (docs/REFERENCE.md §2), in both deferral modes' totals."""
    start, end = clock.to_date(FIXED_NOW), clock.to_date(clock.add_months(FIXED_NOW, 12))
    assert [p for _, _, p in rr.monthly_parts(120000, start, end)] == [10000] * 12
    assert sum(p for _, _, p in rr.daily_parts(120000, start, end)) == 120000


def test_advance_never_rewrites_an_event():
    acct = build_account("small", seed=7, now=FIXED_NOW)
    before = {e["id"]: e for e in acct.events}
    acct.advance(3)
    after = {e["id"]: e for e in acct.events}
    surviving = [e for e in before.values() if e["created"] > acct.now - 30 * DAY]
    assert surviving
    assert all(after.get(e["id"]) == e for e in surviving)
    new = [e for i, e in after.items() if i not in before]
    assert new and all(e["created"] > FIXED_NOW for e in new)


def test_reference_files_are_written_next_to_the_account(small_account, tmp_path):
    import csv
    import json

    paths = small_account.write_reference_files(tmp_path)
    persons = list(csv.DictReader(paths["persons"].open()))
    truth = json.loads(paths["ground_truth"].read_text())
    matched = {distinct for distinct, _, _ in truth["persons"].values()}
    assert matched and matched <= {p["distinct_id"] for p in persons}
    assert list(csv.DictReader(paths["groups"].open()))
    assert truth["revenue_monthly"]["monthly"] and truth["mrr"]
    combos = {"finalized/monthly", "finalized/daily", "paid/monthly", "paid/daily"}
    assert set(truth["revenue"]) == set(truth["deferred"]) == set(truth["revenue_invoices"]) == combos
