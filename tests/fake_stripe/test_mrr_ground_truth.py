"""The MRR ground truth (M1, M2, M3) through the simulation's records: hand-made subscriptions for the
finite coupon, `unpaid`, metered usage and FX; the bridge and the month totals on the small account in
every setting; and the MRR cases the fake accounts exercise (small seed 7, demo seeds 11 and 7)."""

from __future__ import annotations

import functools
from collections import Counter, defaultdict
from datetime import UTC, datetime

import pytest

from fake_stripe import clock
from fake_stripe import model as m
from fake_stripe import mrr_rules as mr
from fake_stripe import revenue_rules as rr
from fake_stripe.account import build_account, rate_table
from fake_stripe.ground_truth import BRIDGE, GroundTruth, movement_amounts
from fake_stripe.render import LEGACY_VERSION, RenderContext, render
from fake_stripe.simulate import Recorder, World
from tests.conftest import FIXED_NOW

SPRING20 = m.Coupon("SPRING20", "20% off for 3 months", 0, "repeating", 20.0, duration_in_months=3)
USD = m.Price("price_usd", "prod_1", "usd", 10000, 0, interval="month")
EUR = m.Price("price_eur", "prod_1", "eur", 9200, 0, interval="month")
API = m.Price("price_api", "prod_api", "usd", 5, 0, interval="month", usage_type="metered", meter="mtr_1")


def at(month: int, day: int = 1) -> int:
    return int(datetime(2026, month, day, tzinfo=UTC).timestamp())


class Book:
    """A world of hand-made monthly subscriptions, one per customer, January to April complete."""

    def __init__(self) -> None:
        ctx = RenderContext(prices={}, invoice_by_charge={}, charge_by_payment_intent={})
        rec = Recorder(now=at(5), upgrade_at=0, account_id="acct_x", ctx=ctx)
        self.w = World(seed=0, start=at(1), now=at(5), rec=rec, origin=at(5))

    def subscription(self, name: str, price: m.Price, status: str = "active") -> m.Subscription:
        c = m.Customer(f"cus_{name}", 0, at(1), name, "x@example.com", None, "US", "A", "1", "1", price.currency)
        item = m.SubItem(f"si_{name}", f"sub_{name}", price, 1, at(1))
        sub = m.Subscription(f"sub_{name}", c.id, price.currency, at(1), at(1), [item], at(1), status=status)
        self.w.customers.append(c)
        self.w.subscriptions.append(sub)
        return sub

    def bill(self, sub: m.Subscription, month: int, status: str = "paid", extra: tuple[m.Line, ...] = ()) -> m.Invoice:
        """The invoice of `month`'s period, with the subscription's discount when in force at its start."""
        item, start, end = sub.items[0], at(month), at(month + 1)
        amount = item.price.unit_amount
        line = m.Line(
            f"il_{sub.id}_{month}", "", amount, sub.currency, "", start, end, 1, item.price, subscription=sub.id
        )
        if sub.discount is not None and sub.discount.in_force(start):
            line.discount_amounts = [(line.amount * 20 // 100, sub.discount.id)]
        customer = next(c for c in self.w.customers if c.id == sub.customer)
        lines = [line, *extra]
        inv = m.Invoice(
            f"in_{sub.id}_{month}", customer, sub.currency, start, "subscription_cycle", lines, start, start, ""
        )
        inv.status, inv.finalized_at = status, start
        self.w.invoices.append(inv)
        return inv

    def truth(self) -> GroundTruth:
        return GroundTruth(self.w, rate_table())


def moves(rows: list[dict]) -> list[tuple[str, str, int]]:
    return [(r["month"], r["movement"], r["movement_amount"]) for r in rows]


def test_a_repeating_coupon_through_the_records():
    """20 % off for 3 months from January 1 (`discount.end` April 1): 80 USD in January to March, and its end
    is an expansion of 20 in April; with `forever_only` the coupon never changes MRR."""
    book = Book()
    sub = book.subscription("spring", USD)
    sub.discount = m.Discount("di_spring", SPRING20, at(1), sub.customer, sub.id, end=at(4))
    for month in (1, 2, 3, 4):
        book.bill(sub, month)
    truth = book.truth()
    expected = [
        ("2026-01", "new", 8000),
        ("2026-02", "flat", 0),
        ("2026-03", "flat", 0),
        ("2026-04", "expansion", 2000),
    ]
    assert moves(truth.mrr()) == expected
    assert [r["mrr"] for r in truth.mrr(mr.VARIANTS["forever_only"])] == [10000] * 4


def test_unpaid_with_its_invoice_left_open_is_churn():
    """The February invoice failed and was left open: `unpaid` is churn in February, `past_due` is not."""
    for status, expected in (("unpaid", ("2026-02", "churn", 10000)), ("past_due", ("2026-02", "flat", 0))):
        book = Book()
        sub = book.subscription("late", USD, status=status)
        book.bill(sub, 1)
        book.bill(sub, 2, status="open")
        assert moves(book.truth().mrr())[:2] == [("2026-01", "new", 10000), expected], status


def test_metered_usage_is_billed_in_arrears_and_counts_only_when_included():
    """January's usage (1,000 calls at 5 cents) is on the February invoice, dated January."""
    book = Book()
    sub = book.subscription("api", USD)
    usage = m.Line("il_usage", "", 5000, "usd", "", at(1), at(2), 1000, API, subscription=sub.id)
    book.bill(sub, 1)
    book.bill(sub, 2, extra=(usage,))
    truth = book.truth()
    assert [r["mrr"] for r in truth.mrr()][:2] == [10000, 10000]
    assert moves(truth.mrr(mr.VARIANTS["metered"]))[:2] == [("2026-01", "new", 15000), ("2026-02", "contraction", 5000)]


def test_a_foreign_currency_customer_moves_only_by_fx():
    """92 EUR a month, every month: each month is `flat` with the rate's change as FX; MRR is converted at
    the month end's date (D4)."""
    book = Book()
    sub = book.subscription("eur", EUR)
    for month in (1, 2, 3, 4):
        book.bill(sub, month)
    rows = book.truth().mrr()
    assert [r["movement"] for r in rows] == ["new", "flat", "flat", "flat"]
    previous = None
    for (key, t), row in zip(clock.month_ends(at(1), at(4)), rows, strict=True):
        day = clock.to_date(t)
        rate_of = {c: rate_table().rate(c, day) for c in ("EUR", "USD")}
        assert row["mrr_original"] == 9200 and row["mrr"] == rr.convert(9200, "EUR", "USD", rate_of), key
        if previous is not None:
            assert row["fx"] == row["mrr"] - previous and row["movement_amount"] == 0
        previous = row["mrr"]
    assert any(r["fx"] for r in rows)


# ---------------------------------------------------------------------------------- the small account


@pytest.mark.parametrize("name", ["defaults", *mr.VARIANTS])
def test_every_customer_month_bridges_exactly(small_account, name):
    """M2 for every setting: previous_mrr is last month's mrr, start + in − out + fx = end, amounts ≥ 0."""
    rows = small_account.ground_truth().mrr(mr.VARIANTS.get(name, mr.DEFAULTS))
    assert rows
    last: dict[str, tuple[str, int]] = {}
    for row in rows:
        assert row["movement"] in mr.MOVEMENTS and row["movement_amount"] >= 0
        month, previous = last.get(row["customer_id"], ("", 0))
        assert month < row["month"] and row["previous_mrr"] == previous
        moved = movement_amounts(row["previous_mrr"], row["mrr"], row["movement"], row["fx"])
        kind = row["movement"]
        assert moved[kind] == row["movement_amount"] if kind in BRIDGE else not any(moved.values())
        ins = sum(moved[k] for k in ("new", "reactivation", "expansion"))
        assert row["previous_mrr"] + ins - moved["contraction"] - moved["churn"] + row["fx"] == row["mrr"]
        if row["fx"]:
            assert row["previous_mrr"] and row["mrr"]
        last[row["customer_id"]] = (row["month"], row["mrr"])


def test_month_metrics_are_the_sums_of_the_customer_months(small_account):
    gt = small_account.ground_truth()
    metrics = gt.mrr_metrics()
    assert list(metrics) == [k for k, _ in gt.mrr_months()]
    sums: dict[str, Counter] = defaultdict(Counter)
    for r in gt.mrr():
        s = sums[r["month"]]
        s["starting_mrr"] += r["previous_mrr"]
        s["ending_mrr"] += r["mrr"]
        s["fx_mrr"] += r["fx"]
        s["active_customers"] += r["mrr_original"] > 0
        if r["movement"] != "flat":
            s[{"churn": "churned", "reactivation": "reactivation"}.get(r["movement"], r["movement"]) + "_mrr"] += r[
                "movement_amount"
            ]
    active_before = 0
    for key, month in metrics.items():
        for k, v in sums[key].items():
            assert month[k] == v, (key, k)
        ins = month["new_mrr"] + month["reactivation_mrr"] + month["expansion_mrr"]
        outs = month["contraction_mrr"] + month["churned_mrr"]
        assert month["starting_mrr"] + ins - outs + month["fx_mrr"] == month["ending_mrr"]
        if month["new_customers"] or active_before:
            denominator = active_before + month["new_customers"]
            assert month["subscriber_churn_rate"] == month["churned_customers"] / denominator
        assert month["churned_revenue"] == outs
        active_before = month["active_customers"]
    assert sum(m["new_customers"] for m in metrics.values()) > 10


def test_the_json_carries_every_setting(small_account):
    truth = small_account.ground_truth().to_json()
    assert set(truth["mrr_variants"]) == {"forever_only", "cancellation", "metered"}
    assert truth["mrr"] and all(truth["mrr_variants"].values())
    month = next(iter(truth["mrr_metrics"].values()))
    assert set(month) >= {"active_customers", "starting_mrr", "fx_mrr", "net_mrr_retention", "churned_revenue"}
    keys = {"customer_id", "month", "currency", "mrr_original", "mrr", "previous_mrr", "movement"}
    assert all(set(r) == keys | {"movement_amount", "fx"} for r in truth["mrr"])


# --------------------------------------------------------------------------------- the rendered facts


def test_both_shapes_carry_the_mrr_facts(small_account):
    """A repeating coupon's `duration_in_months` and its discount's `end`; a metered price's
    `recurring.usage_type` (legacy: and `aggregate_usage`), on prices, plans and invoice lines."""
    ctx = small_account.render_context
    objects = small_account.objects
    repeating = [s for s in objects["subscriptions"] if s["discounts"] and s["discounts"][0]["end"]]
    assert repeating
    for sub in repeating:
        d, legacy = sub["discounts"][0], render(sub, LEGACY_VERSION, ctx)["discount"]
        assert d["source"]["coupon"]["duration"] == "repeating" and d["source"]["coupon"]["duration_in_months"] == 3
        assert d["end"] == clock.add_months(d["start"], 3) == legacy["end"]
        assert legacy["coupon"]["duration_in_months"] == 3
    metered = {p["id"] for p in objects["prices"] if p["recurring"] and p["recurring"]["usage_type"] == "metered"}
    assert len(metered) == 5
    lines = [
        (inv, line)
        for inv in objects["invoices"]
        for line in inv["lines"]["data"]
        if line["pricing"]["price_details"]["price"] in metered
    ]
    assert lines and all(line["period"]["end"] == inv["created"] for inv, line in lines)  # in arrears
    inv, line = lines[0]
    old = next(x for x in render(inv, LEGACY_VERSION, ctx)["lines"]["data"] if x["id"] == line["id"])
    assert old["price"]["recurring"]["usage_type"] == old["plan"]["usage_type"] == "metered"
    assert old["price"]["recurring"]["aggregate_usage"] == old["plan"]["aggregate_usage"] == "sum"
    item = next(
        i
        for s in objects["subscriptions"]
        for i in s["items"]["data"]
        if i["price"]["id"] in metered and i["quantity"] is None
    )
    assert item["plan"]["usage_type"] == "metered"


@functools.cache
def demo(seed: int):
    return build_account("demo", seed=seed, now=FIXED_NOW)


def test_make_demos_annual_invoice_is_as_it_was():
    """The issue-15 cases draw from streams of their own: `make demo`'s account keeps its history, e.g. the
    annual invoice the end-to-end tests follow (10,200 USD, refunded in full 11 days after payment)."""
    w = demo(7).world
    inv = next(i for i in w.invoices if i.id == "in_NSlMZa326pPN3R7kWPZ4X5pB")
    assert (inv.status, inv.currency, inv.amount_paid) == ("paid", "usd", 1020000)
    line = inv.lines[0]
    assert clock.add_months(line.period_start, 12) == line.period_end
    refunds = [r for r in w.refunds if r.charge.invoice == inv.id]
    assert [(r.amount, (r.created - inv.paid_at) // 86400) for r in refunds] == [(1020000, 11)]


# --------------------------------------------------------------------------------- cases that occur


def mrr_cases(acct) -> Counter:
    """The MRR cases an account exercises, counted from its records and its ground truth."""
    w, gt, c = acct.world, acct.ground_truth(), Counter()
    settings = {"defaults": mr.DEFAULTS, **mr.VARIANTS}
    rows = {name: {(r["customer_id"], r["month"]): r for r in gt.mrr(s)} for name, s in settings.items()}

    def movement(name: str, customer: str, t: int) -> str:
        row = rows[name].get((customer, clock.month_key(clock.to_date(t))))
        return row["movement"] if row else "none"

    for s in w.subscriptions:
        d = s.discount
        if d is not None and d.coupon.duration == "repeating" and d.end <= w.now and s.ended_at is None:
            c["coupon_end_expansion"] += movement("defaults", s.customer, d.end) == "expansion"
            c["coupon_end_forever_only_flat"] += movement("forever_only", s.customer, d.end) == "flat"
        if s.status == "unpaid":
            inv = next(i for i in w.invoices if i.id == s.latest_invoice)
            if inv.status == "open":
                c["unpaid_open_churn"] += movement("defaults", s.customer, inv.period_start) == "churn"
            c["unpaid_" + inv.status] += 1
        if s.cancel_at_period_end and s.ended_at is not None and s.ended_at <= w.now:
            earlier = clock.to_date(s.canceled_at).replace(day=1) < clock.to_date(s.ended_at).replace(day=1)
            if earlier and movement("defaults", s.customer, s.ended_at) == "churn":
                at_request = movement("cancellation", s.customer, s.canceled_at)
                c["cancel_at_period_end_churn_at_request"] += at_request == "churn"
        c["metered_items"] += any(i.price.metered for i in s.items)
    for inv in w.invoices:
        for line in inv.lines:
            c["metered_line_in_arrears"] += line.price.metered and line.period_end == inv.created
            c["tax_inclusive_line"] += line.inclusive_tax > 0 and line.subscription is not None
    defaults = rows["defaults"]
    c["metered_changes_mrr"] = sum(r["mrr"] != defaults.get(k, {}).get("mrr") for k, r in rows["metered"].items())
    for r in rows["defaults"].values():
        c["movement_" + r["movement"]] += 1
        c["fx_only"] += r["movement"] == "flat" and r["fx"] != 0
    c["currencies"] = len({r["currency"] for r in rows["defaults"].values()})
    return c


SMALL = [
    "coupon_end_expansion",
    "coupon_end_forever_only_flat",
    "cancel_at_period_end_churn_at_request",
    "metered_items",
    "metered_line_in_arrears",
    "metered_changes_mrr",
    "tax_inclusive_line",
    "fx_only",
    *(f"movement_{k}" for k in mr.MOVEMENTS),
]


def test_the_small_account_exercises_every_mrr_case_but_an_open_unpaid_invoice(small_account):
    c = mrr_cases(small_account)
    assert not [k for k in SMALL if not c[k]], c
    assert c["currencies"] == 5 and c["unpaid_uncollectible"]


@pytest.mark.parametrize("seed", [11, 7])
def test_the_demo_accounts_exercise_every_mrr_case(seed):
    c = mrr_cases(demo(seed))
    missing = [k for k in [*SMALL, "unpaid_open_churn"] if not c[k]]
    assert not missing, c
    assert c["currencies"] == 5
