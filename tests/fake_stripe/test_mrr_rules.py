"""M1, M2 and M3 (fake_stripe/mrr_rules.py) on the published examples of docs/sources/mrr_definitions.md,
with their numbers: Stripe's MRR and bridge, ChartMogul's Syncalytics customer and churn rates, and the
cases M1 settles (finite coupons, metered prices, inclusive tax, `unpaid`, cancellation timing)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from fake_stripe import mrr_rules as mr
from fake_stripe.mrr_rules import CANCELLATION, FOREVER_ONLY, Coupon, Line, Settings, Subscription

YEAR = 2026


def at(month: int, day: int = 1, year: int = YEAR) -> int:
    return int(datetime(year + (month - 1) // 12, (month - 1) % 12 + 1, day, tzinfo=UTC).timestamp())


def end_of(month: int, year: int = YEAR) -> int:
    """T of a month: its last second (months past 12 run into the next year)."""
    return at(month + 1, 1, year) - 1


def monthly_line(month: int, amount: int = 10000, sub: Subscription | None = None, **kw) -> Line:
    """A monthly plan's period line for `month`."""
    return Line(amount, 1, 1, at(month), at(month + 1), amount, sub or Subscription(), **kw)


def mrr_by_month(lines: list[Line], months: range, s: Settings = mr.DEFAULTS) -> list[int]:
    return [mr.customer_mrr(lines, end_of(k), s) for k in months]


def movements(values: list[int]) -> list[mr.Movement]:
    """M2 over a single-currency customer's month-end MRR (no FX: start = previous, end = current)."""
    out, previous, ever = [], 0, False
    for current in values:
        out.append(mr.movement(previous, current, ever, previous, current, previous))
        previous, ever = current, ever or current > 0
    return out


# ------------------------------------------------------------------------------------------- M1, Stripe


def test_stripe_mrr_100_plan_a_and_50_plan_b_is_12500_usd():
    """MRR-STRIPE-DEF (S2): (100 × 100 USD) + (50 × (600 USD / 12)) = 12,500 USD."""
    t = end_of(1)
    plan_a = monthly_line(1, 10000)
    plan_b = Line(60000, 1, 12, at(1), at(13), 60000)
    assert 100 * mr.customer_mrr([plan_a], t) + 50 * mr.customer_mrr([plan_b], t) == 1_250_000


def test_an_annual_plan_of_1200_usd_is_100_a_month():
    """MRR-STRIPE-DEF (S3), MRR-BM-DEF: 1,200 USD a year → 100 USD MRR, in each of its 12 months."""
    annual = Line(120000, 1, 12, at(1), at(13), 120000)
    assert mrr_by_month([annual], range(1, 13)) == [10000] * 12
    assert mr.customer_mrr([annual], end_of(13)) == 0


def test_rates_are_normalised_to_a_month_and_rounded_half_away_from_zero():
    def rate(unit: int, quantity: int, months: int, coupon: Coupon | None = None) -> int:
        return mr.rate(Line(unit, quantity, months, at(1), at(13), unit * quantity, coupon=coupon), end_of(1))

    assert rate(120000, 1, 12) == 10000
    assert rate(2500, 3, 1, Coupon(20.0, "forever", 0)) == 6000
    assert rate(100000, 1, 12) == 8333
    assert rate(29000, 1, 3) == 9667
    assert rate(3, 1, 2) == 2  # 1.5


def test_a_50_percent_forever_coupon_halves_mrr_in_both_settings():
    """MRR-STRIPE-COUPON (S4): 50 % off, duration forever → MRR × 0.5, whether the line carries the
    discount or only the subscription does (a proration line)."""
    forever = Coupon(50.0, "forever", at(1))
    own = monthly_line(1, discount_total=5000, coupon=forever)
    via_sub = monthly_line(1, sub=Subscription(coupon=forever))
    for s in (mr.DEFAULTS, Settings(discounts=FOREVER_ONLY)):
        assert mr.customer_mrr([own], end_of(1), s) == mr.customer_mrr([via_sub], end_of(1), s) == 5000


def test_a_repeating_coupon_counts_while_it_lasts_and_its_end_is_expansion():
    """MRR-STRIPE-COUPON / MRR-CM-COUPON: 20 % off for 3 months on 100 USD a month. `forever_only`
    (Stripe's legacy default): MRR stays 100. `while_active`: 80 while it is in force, 100 after, and its
    end is an expansion of 20 (ChartMogul: "a discount that ends")."""
    spring = Coupon(20.0, "repeating", at(1), end=at(4))
    sub = Subscription(coupon=spring)
    lines = [monthly_line(k, sub=sub, discount_total=2000, coupon=spring) for k in (1, 2, 3)]
    lines.append(monthly_line(4, sub=sub))  # invoiced at the discount's end: no longer in force
    assert mrr_by_month(lines, range(1, 5), Settings(discounts=FOREVER_ONLY)) == [10000] * 4
    values = mrr_by_month(lines, range(1, 5))
    assert values == [8000, 8000, 8000, 10000]
    april = movements(values)[3]
    assert (april.movement, april.amount) == ("expansion", 2000)


def test_a_coupon_is_in_force_from_its_start_until_before_its_end():
    spring = Coupon(20.0, "repeating", at(1), end=at(4))
    assert [spring.in_force(t) for t in (at(1) - 1, at(1), at(4) - 1, at(4))] == [False, True, True, False]
    assert not Coupon(20.0, "once", at(1)).in_force(at(2))  # a finite coupon without an end: never
    assert Coupon(20.0, "forever", at(1), end=at(2)).in_force(at(3))  # a forever coupon's end is not read
    proration = Line(10000, 1, 1, at(2, 10), at(3), 6786, Subscription(coupon=spring), proration=True)
    assert mr.rate(proration, end_of(2)) == 8000  # no discount of its own: the subscription's at T


def test_amount_off_coupons_do_not_change_mrr():
    ten_off = Coupon(None, "forever", at(1))
    line = monthly_line(1, sub=Subscription(coupon=ten_off), discount_total=1000, coupon=ten_off)
    assert mr.customer_mrr([line], end_of(1)) == 10000


def test_metered_prices_are_left_out_unless_included():
    """MRR-STRIPE-METERED: usage (150 GB × 0.10 USD = 15.00 USD) is not MRR; with `mrr_include_metered`
    the line's amount net of discounts and inclusive tax, per month of its interval."""
    plan = monthly_line(1)
    usage = Line(10, 150, 1, at(1), at(2), 1500, metered=True)
    assert mr.customer_mrr([plan, usage], end_of(1)) == 10000
    assert mr.customer_mrr([plan, usage], end_of(1), Settings(include_metered=True)) == 11500
    taxed = Line(10, 150, 1, at(1), at(2), 1500, discount_total=300, inclusive_tax=200, metered=True)
    assert mr.rate(taxed, end_of(1), Settings(include_metered=True)) == 1000


def test_mrr_never_includes_tax():
    """MRR-STRIPE-TAX: a 110 USD price with 10 USD of tax included is 100 USD of MRR; exclusive tax is
    never in the unit amount."""
    inclusive = monthly_line(1, 11000, inclusive_tax=1000)
    assert mr.customer_mrr([inclusive], end_of(1)) == 10000
    discounted = monthly_line(1, 11000, discount_total=2200, inclusive_tax=800, coupon=Coupon(20.0, "forever", 0))
    assert mr.rate(discounted, end_of(1)) == 8000  # the share is of the amount net of the line's discounts


def test_unpaid_is_churn_and_past_due_is_not():
    """MRR-STRIPE-DELINQUENCY: the February invoice failed; the subscription went `unpaid` in February and
    its invoice stays open: churn in February. Still `past_due`, it counts."""
    for status, february in (("unpaid", 0), ("past_due", 10000), ("active", 10000)):
        sub = Subscription(status=status)
        lines = [monthly_line(1, sub=sub), monthly_line(2, sub=sub, invoice_status="open")]
        assert mrr_by_month(lines, range(1, 3)) == [10000, february], status
    sub = Subscription(status="unpaid")
    lines = [monthly_line(1, sub=sub), monthly_line(2, sub=sub, invoice_status="open")]
    assert [m.movement for m in movements(mrr_by_month(lines, range(1, 3)))] == ["new", "churn"]
    for status in ("void", "uncollectible", "draft"):
        assert mr.customer_mrr([monthly_line(1, invoice_status=status)], end_of(1)) == 0, status


def test_cancel_at_period_end_churns_at_the_end_or_at_the_request():
    """MRR-STRIPE-CANCEL / MRR-CM-CANCEL-TIMING: cancellation requested March 10 with
    `cancel_at_period_end`, the subscription ends April 1: churn in April (`period_end`, the default) or
    in March (`cancellation`, Stripe's)."""
    sub = Subscription(status="canceled", canceled_at=at(3, 10), ended_at=at(4))
    lines = [monthly_line(k, sub=sub) for k in (1, 2, 3)]
    for s, values in ((mr.DEFAULTS, [10000, 10000, 10000, 0]), (Settings(churn_at=CANCELLATION), [10000, 10000, 0, 0])):
        got = mrr_by_month(lines, range(1, 5), s)
        assert got == values
        churn = [k for k, mv in zip(range(1, 5), movements(got), strict=True) if mv.movement == "churn"]
        assert churn == [4 if s == mr.DEFAULTS else 3]


def test_trials_and_ended_subscriptions_count_nothing():
    trial = Subscription(status="trialing", trial_end=at(2))
    assert mr.customer_mrr([Line(10000, 1, 1, at(1), at(2), 0, trial)], end_of(1)) == 0
    ended = Subscription(status="canceled", ended_at=end_of(1))
    assert mr.customer_mrr([monthly_line(1, sub=ended)], end_of(1)) == 0  # ended at T: gone at T
    assert mr.customer_mrr([Line(10000, 1, 1, at(1), at(2), 10000, None)], end_of(1)) == 0  # no subscription
    one_time = Line(10000, 1, 1, at(1), at(2), 10000, recurring=False)
    assert mr.customer_mrr([one_time], end_of(1)) == 0


def test_an_upgrade_mid_period_shows_at_once_through_its_proration_lines():
    """The credit for the unused old plan (negative, sign −1) cancels the old period line; the new plan's
    proration line carries the new rate: 100 → 150 USD in January, expansion of 50."""
    old = monthly_line(1)
    credit = Line(10000, 1, 1, at(1, 15), at(2), -5484, proration=True)
    debit = Line(15000, 1, 1, at(1, 15), at(2), 8226, proration=True)
    assert mr.customer_mrr([old, credit, debit], end_of(1)) == 15000
    assert mr.customer_mrr([old, credit], end_of(1)) == 0
    assert mr.customer_mrr([credit], end_of(1)) == 0  # a credit never makes MRR negative


# ------------------------------------------------------------------------------- M2, ChartMogul, Stripe


def test_chartmogul_syncalytics_steps_1_to_4():
    """MRR-CM-WALKTHROUGH: 4 Gold yearly (2,000 USD) → new 166.67; 2 Silver monthly (60 USD) → expansion
    60; Silver canceled mid-cycle while Gold stays → contraction 60; Gold canceled near the end of its year
    with `cancel_at_period_end` → churn of 166.67 at the period end (`period_end`) or at the request."""
    gold_sub = Subscription(status="canceled", canceled_at=at(12, 20), ended_at=at(13, 5))
    silver_sub = Subscription(status="canceled", canceled_at=at(3, 17), ended_at=at(3, 17))
    gold = Line(50000, 4, 12, at(1, 5), at(13, 5), 200000, gold_sub)
    silver = [Line(3000, 2, 1, at(k, 3), at(k + 1, 3), 6000, silver_sub) for k in (2, 3)]
    months = range(1, 14)  # January 2026 to January 2027
    values = mrr_by_month([gold, *silver], months)
    assert values[:4] == [16667, 22667, 16667, 16667] and values[-2:] == [16667, 0]
    moves = {k: mv for k, mv in zip(months, movements(values), strict=True) if mv.movement != "flat"}
    assert {k: (mv.movement, mv.amount) for k, mv in moves.items()} == {
        1: ("new", 16667),
        2: ("expansion", 6000),
        3: ("contraction", 6000),
        13: ("churn", 16667),
    }
    at_request = mrr_by_month([gold, *silver], months, Settings(churn_at=CANCELLATION))
    assert at_request[-2:] == [0, 0] and at_request[-3] == 16667  # churn in December


def test_stripe_bridge_1000_to_1045_with_an_fx_adjustment_of_minus_5():
    """MRR-STRIPE-GROWTH: 1,000 + 100 (new) + 50 (expansion) − 40 (contraction) − 60 (churn) − 5 (FX)
    = 1,045 USD. The FX: a Plan A customer paying in a foreign currency was worth 100 USD; after the rate
    moved the same plan is worth 95 USD: unchanged, with an FX amount, never a contraction."""
    usd = [  # (previous, current, ever positive) in USD cents: converted = original
        (10000, 15000, True),  # Plan A → Plan C
        (10000, 6000, True),  # Plan A → Plan B
        (6000, 0, True),  # leaves Plan B
        (64000, 64000, True),  # everyone else
        (0, 10000, False),  # a trial converts to Plan A
    ]
    moves = [mr.movement(p, c, e, p, c, p) for p, c, e in usd]
    foreign = mr.movement(9200, 9200, True, start=10000, end=9500, previous_now=9500)  # 92 EUR, both months
    assert (foreign.movement, foreign.amount, foreign.fx) == ("flat", 0, -500)
    moves.append(foreign)
    assert all(mv.balances() for mv in moves)
    month = mr.month_metrics(moves, active_before=5)
    assert {k: month[k] for k in ("starting_mrr", "new_mrr", "expansion_mrr", "contraction_mrr")} == {
        "starting_mrr": 100000,
        "new_mrr": 10000,
        "expansion_mrr": 5000,
        "contraction_mrr": 4000,
    }
    assert (month["churned_mrr"], month["fx_mrr"], month["ending_mrr"]) == (6000, -500, 104500)
    assert month["starting_mrr"] + 10000 + 5000 - 4000 - 6000 - 500 == month["ending_mrr"]


def test_movements_classify_in_the_customers_currency():
    assert [mr.classify(p, c, e) for p, c, e in [(0, 5, False), (0, 5, True), (5, 0, True), (5, 5, True)]] == [
        "new",
        "reactivation",
        "churn",
        "flat",
    ]
    # 10,000 JPY both months, worth 6,700 then 6,500 cents: unchanged, FX −200
    flat = mr.movement(10000, 10000, True, start=6700, end=6500, previous_now=6500)
    assert (flat.movement, flat.amount, flat.fx) == ("flat", 0, -200)
    # 10,000 → 12,000 JPY while the yen weakened: expansion at this month's rate, the rest is FX
    up = mr.movement(10000, 12000, True, start=6700, end=7800, previous_now=6500)
    assert (up.movement, up.amount, up.fx) == ("expansion", 1300, -200) and up.balances()
    # new and churn carry no FX: the whole change is the movement
    assert mr.movement(0, 10000, False, 0, 6500, 0).fx == mr.movement(10000, 0, True, 6700, 0, 6500).fx == 0


# ------------------------------------------------------------------------------------------------- M3


def test_stripe_subscriber_churn_rate_100_over_1000_plus_100():
    """MRR-STRIPE-SUB-CHURN-RATE (S2): 1,000 active, 100 new, 100 churned → 100 / 1,100 = 9.1 %;
    reactivated customers are in neither part."""
    assert round(mr.subscriber_churn_rate(100, 1000, 100), 3) == 0.091
    moves = [mr.movement(0, 10, False, 0, 10, 0)] * 100 + [mr.movement(10, 0, True, 10, 0, 10)] * 100
    moves += [mr.movement(10, 10, True, 10, 10, 10)] * 900 + [mr.movement(0, 10, True, 0, 10, 0)] * 7
    month = mr.month_metrics(moves, active_before=1000)
    assert month["subscriber_churn_rate"] == 100 / 1100
    assert (month["new_customers"], month["reactivated_customers"], month["churned_customers"]) == (100, 7, 100)
    assert month["active_customers"] == 1007


def test_chartmogul_gross_and_net_mrr_churn_rates():
    """MRR-CM-GROSS-MRR-CHURN and MRR-CM-NET-MRR-CHURN: start 100 USD, 10 churned, 10 contracted, one
    customer +10 → gross (10 + 10) / 100 = 20 %, net ((10 + 10) − (10 + 0)) / 100 = 10 %; Stripe's churned
    revenue is churn + contraction."""
    moves = movements_of([(1000, 0), (3000, 2000), (6000, 7000)])
    month = mr.month_metrics(moves, active_before=3)
    assert month["mrr_churn_rate"] == pytest.approx(0.20)
    assert month["net_mrr_churn_rate"] == pytest.approx(0.10)
    assert month["net_mrr_retention"] == pytest.approx(0.90)
    assert month["churned_revenue"] == 2000


def test_stripe_churned_revenue_35_usd():
    """MRR-STRIPE-CHURNED-REVENUE: a 120 USD / year plan canceled (10) and a 50 → 25 USD downgrade (25)."""
    month = mr.month_metrics(movements_of([(1000, 0), (5000, 2500)]), active_before=2)
    assert month["churned_revenue"] == 3500


def test_rates_are_none_without_a_denominator():
    month = mr.month_metrics([mr.movement(0, 5000, False, 0, 5000, 0)], active_before=0)
    assert month["new_customers"] == 1 and month["subscriber_churn_rate"] == 0.0
    assert month["mrr_churn_rate"] is month["net_mrr_churn_rate"] is month["net_mrr_retention"] is None
    assert mr.month_metrics([], active_before=0)["subscriber_churn_rate"] is None


def test_unknown_settings_are_refused():
    with pytest.raises(ValueError):
        Settings(discounts="all")


def movements_of(pairs: list[tuple[int, int]]) -> list[mr.Movement]:
    return [mr.movement(p, c, True, p, c, p) for p, c in pairs]
