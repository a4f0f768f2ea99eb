"""The ground truth under the issue-14 revenue rules: Stripe's examples through the simulation's own
records, the per-invoice invariants of R10 and S7 on the small account in every basis and deferral, and
the cases the fake accounts must exercise (small seed 7, demo seed 11)."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, date, datetime
from fractions import Fraction

import pytest

from fake_stripe import clock
from fake_stripe import model as m
from fake_stripe import revenue_rules as rr
from fake_stripe.account import build_account, rate_table
from fake_stripe.ground_truth import BASES, DEFERRALS, GroundTruth, revenue_line_amounts
from fake_stripe.render import RenderContext
from fake_stripe.simulate import Recorder, World
from tests.conftest import FIXED_NOW

COMBOS = [(b, d) for b in BASES for d in DEFERRALS]


def at(month: int, day: int = 1) -> int:
    return int(datetime(2026, month, day, tzinfo=UTC).timestamp())


# ------------------------------------------------------------------- a hand-made world of Stripe examples

USD = m.Price("price_1", "prod_1", "usd", 9000, 0, interval="month", interval_count=3)
VAT10 = m.TaxRate("txr_in", "VAT", "10% inclusive", Fraction(10), True, "GB", "GB", "vat", 0)
SALES10 = m.TaxRate("txr_ex", "Tax", "10% exclusive", Fraction(10), False, "US", "TX", "sales_tax", 0)


class Examples:
    """A world holding one invoice per example, each the only one of its customer."""

    def __init__(self) -> None:
        ctx = RenderContext(prices={}, invoice_by_charge={}, charge_by_payment_intent={})
        rec = Recorder(now=at(7), upgrade_at=0, account_id="acct_x", ctx=ctx)
        self.w = World(seed=0, start=at(1), now=at(7), rec=rec, origin=at(7))

    def invoice(self, name: str, amount: int, start: int, end: int, tax: tuple[m.TaxRate, int] | None = None):
        c = m.Customer(f"cus_{name}", 0, start, name, "x@example.com", None, "US", "A", "1", "1", "usd")
        line = m.Line(f"il_{name}", f"in_{name}", amount, "usd", name, start, end, 1, USD, subscription="sub_1")
        if tax is not None:
            line.tax_rate, line.tax = tax
        inv = m.Invoice(f"in_{name}", c, "usd", start, "subscription_create", [line], start, end, name)
        inv.status, inv.finalized_at = "open", start
        self.w.invoices.append(inv)
        return inv

    def pay(self, inv: m.Invoice, t: int) -> m.Charge:
        ch = m.Charge(f"ch_{inv.number}_{t}", inv.customer.id, "usd", inv.amount_due, t, "pi", "succeeded", "", inv.id)
        self.w.charges.append(ch)
        inv.status, inv.paid_at = "paid", t
        return ch

    def truth(self, basis: str = "finalized", deferral: str = "daily") -> dict[str, dict[str, int]]:
        return GroundTruth(self.w, rate_table()).invoice_totals(basis, deferral)


def test_rr_si_8_and_9_tax_is_never_revenue():
    """31 USD a month with 10% tax: exclusive, the invoice is 34.10 and 31.00 is revenue; inclusive, the
    invoice is 31.00 and 27.90 is revenue (Stripe takes 3.10 as the tax: the line's tax field is used)."""
    ex = Examples()
    exclusive = ex.invoice("ex", 3100, at(1), at(2), (SALES10, 310))
    inclusive = ex.invoice("in", 3100, at(1), at(2), (VAT10, 310))
    assert (exclusive.total, revenue_line_amounts(exclusive)) == (3410, [3100])
    assert (inclusive.total, revenue_line_amounts(inclusive)) == (3100, [2790])
    for inv in (exclusive, inclusive):
        ex.pay(inv, at(1))
    jan = GroundTruth(ex.w, rate_table()).revenue("finalized", "daily")["2026-01"]
    assert jan["gross"] == jan["net"] == 3100 + 2790


def test_rr_contra_1_a_credit_balance_is_payment_not_a_reversal():
    ex = Examples()
    inv = ex.invoice("cb", 3100, at(1, 15), at(2, 15))
    inv.starting_balance = -1100
    ex.pay(inv, at(2, 9))
    assert inv.amount_due == 2000
    assert ex.truth()["in_cb"] == {"billed": 3100, "gross": 3100, "contra": 0, "cleared": 0, "deferred": 0}
    revenue = GroundTruth(ex.w, rate_table()).revenue("finalized", "daily")
    assert (revenue["2026-01"]["gross"], revenue["2026-02"]["gross"]) == (1700, 1400)


def test_rr_contra_4_partial_refund_through_the_records_and_both_bases():
    ex = Examples()
    inv = ex.invoice("pr", 9000, at(1), at(4))
    ch = ex.pay(inv, at(1))
    ex.w.refunds.append(m.Refund("re_1", ch, 900, at(2), None))
    gt = GroundTruth(ex.w, rate_table())
    for basis in BASES:
        revenue = gt.revenue(basis, "daily")
        assert [revenue[k]["gross"] for k in ("2026-01", "2026-02", "2026-03")] == [3100, 2520, 2790]
        assert (revenue["2026-02"]["refund"], revenue["2026-02"]["cleared"]) == (310, 590)
        assert gt.deferred(basis, "daily")["2026-02"] == {"balance": 2790}
        totals = gt.invoice_totals(basis)["in_pr"]
        assert totals == {"billed": 9000, "gross": 8410, "contra": 310, "cleared": 590, "deferred": 0}


def test_rr_cn_1_pre_payment_credit_note_and_rr_contra_6a_paid_after_the_mark():
    ex = Examples()
    cn_inv = ex.invoice("cn", 12000, at(1), at(4))
    ex.w.credit_notes.append(m.CreditNote("cn_1", cn_inv, "1", at(1), 3000, "order_change", [], pre_payment=True))
    cn_inv.pre_payment_credit_notes_amount = 3000
    ex.pay(cn_inv, at(2))
    late = ex.invoice("late", 9000, at(1), at(4))
    late.marked_uncollectible_at = at(2)
    ex.pay(late, at(4))
    gt = GroundTruth(ex.w, rate_table())
    revenue = gt.revenue("finalized", "daily")
    assert [revenue[k]["gross"] for k in ("2026-01", "2026-02", "2026-03")] == [3100 + 3100, 2800, 3100]
    assert (revenue["2026-02"]["bad_debt"], revenue["2026-04"]["bad_debt"]) == (3100, -3100)
    assert revenue["2026-04"]["recovered"] == 5900
    assert revenue["2026-01"]["cleared"] == 3000 and revenue["2026-02"]["cleared"] == 5900
    # the paid basis bills each at its payment (Feb 1, Apr 1): what was recognised or cleared before that
    # is a negative balance (S7: billed − recognised − cleared)
    paid = gt.deferred("paid", "daily")
    assert paid["2026-01"]["balance"] == (0 - 3100 - 3000) + (0 - 3100)
    assert paid["2026-03"]["balance"] == (12000 - 9000 - 3000) + (0 - 9000)
    assert paid["2026-04"]["balance"] == 0
    assert gt.revenue("paid", "daily")["2026-02"]["bad_debt"] == 0


def test_an_invoiceless_charge_is_recognised_on_its_day_and_a_dispute_on_it_is_contra():
    ex = Examples()
    ch = m.Charge("ch_one", "cus_1", "usd", 5000, at(1, 5), "pi", "succeeded", "")
    ex.w.charges.append(ch)
    ex.w.disputes.append(m.Dispute("dp_1", ch, 5000, at(2, 3), "fraudulent", status="lost"))
    revenue = GroundTruth(ex.w, rate_table()).revenue("paid", "monthly")
    assert (revenue["2026-01"]["gross"], revenue["2026-02"]["dispute"], revenue["2026-02"]["net"]) == (
        5000,
        5000,
        -5000,
    )


# ------------------------------------------------------------------------------ invariants, small account


@pytest.mark.parametrize("basis, deferral", COMBOS)
def test_every_invoice_reconciles_exactly(small_account, basis, deferral):
    """R10: per invoice in its currency, gross + cleared + deferred = billed, and (gross − contra) +
    deferred + (contra + cleared) = billed; all rows (future parts too) add back to what was billed."""
    gt = small_account.ground_truth()
    totals = gt.invoice_totals(basis, deferral)
    assert len(totals) > 100
    for item, t in totals.items():
        assert t["gross"] + t["cleared"] + t["deferred"] == t["billed"], (item, t)
        assert (t["gross"] - t["contra"]) + t["deferred"] + (t["contra"] + t["cleared"]) == t["billed"], item
    rows = defaultdict(int)
    for row in gt.revenue_rows(basis, deferral):
        if row.kind in ("gross", "cleared"):
            rows[row.item_id] += row.amount
    assert rows == {item: t["billed"] for item, t in totals.items()}


@pytest.mark.parametrize("basis, deferral", COMBOS)
def test_deferred_balance_is_billed_minus_recognised_minus_cleared(small_account, basis, deferral):
    """S7: in each item's currency, the balance at a month end is what was billed by then minus the gross
    rows dated by then minus what events cleared by then."""
    gt = small_account.ground_truth()
    ledger = gt.ledger(basis, deferral)
    billed_at = {i.id: i.billed_at for i in gt.items(basis)}
    month_ends = [(k, t) for k, t in clock.month_ends(small_account.world.start, FIXED_NOW) if t <= FIXED_NOW]
    flows: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for row in ledger.rows:
        if row.kind in ("gross", "cleared"):
            flows[row.item_id].append((row.at if row.at is not None else clock.to_ts(_midnight(row.day)), row.amount))
    for item, t in ledger.invoices.items():
        for key, end in month_ends:
            expected = (t["billed"] if billed_at[item] <= end else 0) - sum(a for when, a in flows[item] if when <= end)
            assert ledger.balances.get(item, {}).get(key, 0) == expected, (item, key)
    assert sum(v["balance"] for v in ledger.deferred.values()) > 0


def _midnight(d: date) -> datetime:
    return datetime(d.year, d.month, d.day, tzinfo=UTC)


@pytest.mark.parametrize("basis, deferral", COMBOS)
def test_months_are_sums_of_converted_rows(small_account, basis, deferral):
    gt = small_account.ground_truth()
    revenue = gt.revenue(basis, deferral)
    rows = gt.revenue_rows(basis, deferral)
    assert sum(m["gross"] for m in revenue.values()) == sum(r.amount_base for r in rows if r.kind == "gross")
    contra = sum(r.amount_base for r in rows if r.kind == "contra")
    assert sum(m["net"] for m in revenue.values()) == sum(m["gross"] for m in revenue.values()) - contra
    for month in revenue.values():
        assert month["net"] == month["gross"] - sum(month[c] for c in rr.CONTRA_CATEGORIES)
        assert month["unconverted"] == 0
    if basis == "paid":
        assert all(m["void"] == m["bad_debt"] == 0 for m in revenue.values())


def test_revenue_monthly_is_the_finalized_basis(small_account):
    gt = small_account.ground_truth()
    for deferral in DEFERRALS:
        finalized = gt.revenue("finalized", deferral)
        assert gt.revenue_monthly(deferral) == {
            k: {x: v[x] for x in ("gross", "net", "unconverted", "by_currency")} for k, v in finalized.items()
        }


def test_won_disputes_recovered_as_gain_keep_their_contra(small_account):
    """R11: `recover_as_gain` books nothing back to revenue for a won dispute and recovers the whole amount."""
    gt = small_account.ground_truth()
    default, gain = gt.revenue_json(), gt.revenue_json(rr.RECOVER_AS_GAIN)
    for combo in default["revenue"]:
        a, b = default["revenue"][combo], gain["revenue"][combo]
        assert {k: v["gross"] for k, v in a.items()} == {k: v["gross"] for k, v in b.items()}
        for key, bigger in (("dispute", True), ("recovered", True), ("net", False)):
            total_a, total_b = sum(v[key] for v in a.values()), sum(v[key] for v in b.values())
            assert (total_b > total_a) if bigger else (total_b < total_a), (combo, key)
        for t in gain["revenue_invoices"][combo].values():
            assert t["gross"] + t["cleared"] + t["deferred"] == t["billed"]


# ------------------------------------------------------------------------------------- cases that occur


def cases(acct) -> Counter:
    """What the account exercises, counted from its records and its finalized/daily ground truth."""
    w, c = acct.world, Counter()
    for inv in w.invoices:
        c["tax_inclusive"] += any(line.inclusive_tax for line in inv.lines)
        c["tax_exclusive"] += any(line.exclusive_tax for line in inv.lines)
        c["uncollectible_then_paid"] += inv.marked_uncollectible_at is not None and inv.paid_at is not None
        c["uncollectible_then_void"] += inv.marked_uncollectible_at is not None and inv.voided_at is not None
        c["void"] += inv.status == "void" and inv.marked_uncollectible_at is None
    for cn in w.credit_notes:
        c["credit_note_" + ("pre_payment" if cn.pre_payment else "post_payment")] += 1
        c["credit_note_taxed"] += cn.tax != 0
    refunds = Counter(r.charge.id for r in w.refunds)
    c["two_refunds"] = sum(n >= 2 for n in refunds.values())
    c["partial_refund"] = sum(r.amount < r.charge.amount for r in w.refunds)
    for d in w.disputes:
        c["dispute_" + ("open" if d.status in ("needs_response", "under_review") else d.status)] += 1
        c["refund_then_dispute"] += d.charge.amount_refunded > 0
        c["won_reinstated"] += any(b.reporting_category == "dispute_reversal" for b in d.balance_transactions)
    for row in acct.ground_truth().revenue_rows("finalized", "daily"):
        c[f"row_{row.kind}_{row.category}_{'given_back' if row.amount < 0 else 'taken'}"] += 1
    return c


ALWAYS = [
    "tax_inclusive",
    "tax_exclusive",
    "credit_note_pre_payment",
    "credit_note_post_payment",
    "credit_note_taxed",
    "two_refunds",
    "partial_refund",
    "refund_then_dispute",
    "dispute_won",
    "dispute_lost",
    "won_reinstated",
    "uncollectible_then_void",
    "void",
    "row_contra_refund_taken",
    "row_contra_dispute_taken",
    "row_contra_dispute_given_back",
    "row_contra_credit_note_taken",
    "row_contra_void_taken",
    "row_contra_bad_debt_given_back",
    "row_other_loss__taken",
    "row_recovered_dispute_taken",
]


@pytest.fixture(scope="module")
def demo_11():
    return build_account("demo", seed=11, now=FIXED_NOW)


def test_the_small_account_exercises_every_new_case_it_can(small_account):
    """Every case but an open dispute (the demo account has those) and a late payment of an uncollectible
    invoice (the small account marks only one invoice uncollectible)."""
    c = cases(small_account)
    missing = [k for k in ALWAYS if not c[k]]
    assert not missing, missing


def test_the_demo_account_exercises_every_new_case(demo_11):
    c = cases(demo_11)
    needed = [
        *ALWAYS,
        "dispute_open",
        "uncollectible_then_paid",
        "row_contra_bad_debt_taken",
        "row_recovered_bad_debt_taken",
    ]
    missing = [k for k in needed if not c[k]]
    assert not missing, missing
