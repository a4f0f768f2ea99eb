"""The ground truth's revenue rules against hand-worked and published vectors (docs/REFERENCE.md §2, §4)."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction

import pytest

from fake_stripe import revenue_rules as rr


@pytest.mark.parametrize(
    "start, end, months",
    [
        (date(2024, 1, 1), date(2024, 1, 31), 1),
        (date(2024, 1, 1), date(2024, 2, 15), 1),
        (date(2024, 1, 1), date(2024, 2, 16), 2),
        (date(2024, 1, 1), date(2024, 3, 31), 3),
        (date(2024, 1, 1), date(2024, 12, 31), 12),
        (date(2024, 12, 1), date(2025, 1, 31), 2),
        (date(2021, 1, 1), date(2022, 12, 31), 24),
    ],
)
def test_reference_month_count_truth_table(start, end, months):
    assert rr.month_count(start, end) == months


def test_monthly_parts_are_anniversary_dated_and_exact():
    parts = rr.monthly_parts(1000, date(2024, 1, 31), date(2024, 4, 30))  # 90 days -> 3 months
    assert [(i, d) for i, d, _ in parts] == [(0, date(2024, 1, 31)), (1, date(2024, 2, 29)), (2, date(2024, 3, 31))]
    assert [p for *_, p in parts] == [334, 333, 333]
    assert [p for *_, p in rr.monthly_parts(-1000, date(2024, 1, 31), date(2024, 4, 30))] == [-334, -333, -333]


def test_day_vectors():
    # Monthly 31 USD starting 2019-01-15, period Jan 15 -> Feb 14: January 17.00, February 14.00
    assert [(k, p) for k, _, p in rr.daily_parts(3100, date(2019, 1, 15), date(2019, 2, 15))] == [
        ("2019-01", 1700),
        ("2019-02", 1400),
    ]
    # Annual 365 USD from 2019-01-01: January 31.00, February 28.00, March 31.00, ...
    parts = rr.daily_parts(36500, date(2019, 1, 1), date(2020, 1, 1))
    assert [p for *_, p in parts][:3] == [3100, 2800, 3100]
    assert len(parts) == 12 and sum(p for *_, p in parts) == 36500
    assert rr.daily_parts(500, date(2019, 3, 3), date(2019, 3, 3)) == [("2019-03", date(2019, 3, 3), 500)]


def test_largest_remainder_sums_exactly_and_breaks_ties_by_index():
    assert rr.largest_remainder(100, [1, 1, 1]) == [34, 33, 33]
    assert rr.largest_remainder(10, [3, 3, 4]) == [3, 3, 4]
    assert rr.largest_remainder(7, [1, 2]) == [2, 5]  # 2.33 / 4.67 -> remainders .33 .67
    assert rr.largest_remainder(-7, [1, 2]) == [-2, -5]
    assert rr.largest_remainder(5, [0, 0]) == [0, 0]


def test_invoice_discount_allocation_skips_credits_and_non_discountable_lines():
    lines = [(1000, True), (3000, True), (-500, True), (700, False)]
    assert rr.allocate_invoice_discount(401, lines) == [100, 301, 0, 0]


def test_invoice_discount_allocation_weighs_lines_net_of_their_own_discounts_and_is_capped():
    """The reference product's cases (docs/sources/reference_product.md 1.4): in_mixed, a line of 1000
    with 100 of its own discount and one of 900 share 500 equally; more discount than the discountable
    lines hold spreads only what they hold."""
    assert rr.allocate_invoice_discount(500, [(900, True), (900, True)]) == [250, 250]
    assert rr.allocate_invoice_discount(1000, [(1000, True), (2000, True)]) == [333, 667]
    assert rr.allocate_invoice_discount(300, [(100, True), (50, False)]) == [100, 0]


@pytest.mark.parametrize(
    "currency, exponent",
    [("usd", 2), ("JPY", 0), ("KWD", 3), ("BHD", 3), ("ISK", 2), ("UGX", 2), ("HUF", 2), ("XOF", 0)],
)
def test_currency_exponents(currency, exponent):
    assert rr.exponent(currency) == exponent


def test_conversion_uses_each_currencys_exponent():
    rates = {"EUR": 1.0, "USD": 1.1, "JPY": 165.0, "KWD": 0.335}
    assert rr.convert(500, "JPY", "USD", rates) == 333  # 500 yen = 3.33 USD
    assert rr.convert(12345, "KWD", "USD", rates) == 4054  # 12.345 / 0.335 * 1.1 = 40.5358 USD
    assert rr.convert(1000, "USD", "JPY", rates) == 1500
    assert rr.convert(1000, "XYZ", "USD", rates) is None


# ------------------------------------------------------------------ R10/R11 on Stripe's worked examples
# docs/sources/stripe_revenue_recognition.md; amounts in cents, dates in 2026 (not a leap year), events at
# 00:00 UTC. `book` plays one line against its events and reports per month: gross, contra per category,
# cleared, recovered, other loss, and the deferred balance D at the month end.

Y = 2026


def at(month: int, day: int = 1, year: int = Y) -> int:
    return int(datetime(year, month, day, tzinfo=UTC).timestamp())


def book(
    amount: int,
    start: date,
    end: date,
    events: list[rr.Event],
    deferral: str = "daily",
    won: str = rr.REVERSE_CONTRA,
    total: int | None = None,
    months: int = 6,
) -> dict[str, dict[str, int]]:
    parts = rr.schedule("il_1", amount, start, end, deferral)
    shares, losses = rr.shares(amount if total is None else total, events)
    ends = [rr.Checkpoint(rr.add_months_date(start.replace(day=1), k), False) for k in range(1, months + 1)]
    result = rr.reverse(parts, shares, won, ends)
    out: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in result.rows:
        out[rr.month_key(row.day)][row.category if row.kind == "contra" else row.kind] += row.amount
    for loss in losses:
        out[rr.month_key(rr.day_of(loss.at))]["other_loss"] += loss.amount
    for cp in ends:
        out[rr.month_key(cp.day - timedelta(days=1))]["deferred"] = result.at[cp][0]
    return {k: {x: n for x, n in v.items() if n} for k, v in sorted(out.items()) if any(v.values())}


Q1 = (date(Y, 1, 1), date(Y, 4, 1))  # a three-month subscription at 90 USD: 31, 28 and 31 days


def test_rr_contra_3_full_refund():
    assert book(9000, *Q1, [rr.Event(at(2), "refund", "re_1", 9000)]) == {
        "2026-01": {"gross": 3100, "deferred": 5900},
        "2026-02": {"refund": 3100, "cleared": 5900},
    }


def test_rr_contra_4_partial_refund_scales_the_rest_of_the_schedule():
    assert book(9000, *Q1, [rr.Event(at(2), "refund", "re_1", 900)]) == {
        "2026-01": {"gross": 3100, "deferred": 5900},
        "2026-02": {"gross": 2520, "refund": 310, "cleared": 590, "deferred": 2790},
        "2026-03": {"gross": 2790},
    }


@pytest.mark.parametrize("kind", ["void", "bad_debt"])
def test_rr_contra_5_and_6_void_and_uncollectible_take_everything_left(kind):
    assert book(9000, *Q1, [rr.Event(at(2), kind, "in_1/x")]) == {
        "2026-01": {"gross": 3100, "deferred": 5900},
        "2026-02": {kind: 3100, "cleared": 5900},
    }


MARK = rr.Event(at(2), "bad_debt", "in_1/marked_uncollectible")


def test_rr_contra_6a_uncollectible_then_paid_gives_back_bad_debt_and_recovers_the_rest():
    paid = rr.Event(at(4), "paid_after_mark", "in_1/paid", ref=MARK.id)
    assert book(9000, *Q1, [MARK, paid]) == {
        "2026-01": {"gross": 3100, "deferred": 5900},
        "2026-02": {"bad_debt": 3100, "cleared": 5900},
        "2026-04": {"bad_debt": -3100, "recovered": 5900},
    }


def test_rr_contra_6b_uncollectible_then_voided_moves_bad_debt_to_voids():
    void = rr.Event(at(4), "void", "in_1/voided", ref=MARK.id)
    assert book(9000, *Q1, [MARK, void]) == {
        "2026-01": {"gross": 3100, "deferred": 5900},
        "2026-02": {"bad_debt": 3100, "cleared": 5900},
        "2026-04": {"bad_debt": -3100, "void": 3100},
    }


def test_rr_contra_9_uncollectible_paid_then_disputed():
    paid = rr.Event(at(4), "paid_after_mark", "in_1/paid", ref=MARK.id)
    dispute = rr.Event(at(5), "dispute", "dp_1", 9000)
    assert book(9000, *Q1, [MARK, paid, dispute]) == {
        "2026-01": {"gross": 3100, "deferred": 5900},
        "2026-02": {"bad_debt": 3100, "cleared": 5900},
        "2026-04": {"bad_debt": -3100, "recovered": 5900},
        "2026-05": {"dispute": 3100, "recovered": -5900},
    }


DISPUTE_WON = [rr.Event(at(2), "dispute", "dp_1", 9000), rr.Event(at(4), "dispute_won", "txn_1", ref="dp_1")]


def test_rr_contra_10_won_dispute_recovered_as_gain():
    assert book(9000, *Q1, DISPUTE_WON, won=rr.RECOVER_AS_GAIN) == {
        "2026-01": {"gross": 3100, "deferred": 5900},
        "2026-02": {"dispute": 3100, "cleared": 5900},
        "2026-04": {"recovered": 9000},
    }


def test_rr_contra_10_won_dispute_reverses_its_contra_by_default():
    assert book(9000, *Q1, DISPUTE_WON) == {
        "2026-01": {"gross": 3100, "deferred": 5900},
        "2026-02": {"dispute": 3100, "cleared": 5900},
        "2026-04": {"dispute": -3100, "recovered": 5900},  # +31 revenue back; the service does not restart
    }


def test_rr_contra_11_other_loss_per_month():
    """100 USD over 10 months in monthly deferral; 80 refunded on Feb 1, 80 disputed on Mar 1."""
    events = [rr.Event(at(2), "refund", "re_1", 8000), rr.Event(at(3), "dispute", "dp_1", 8000)]
    assert book(10000, date(Y, 1, 1), date(Y, 11, 1), events, deferral="monthly") == {
        "2026-01": {"gross": 1000, "deferred": 9000},
        "2026-02": {"gross": 200, "refund": 800, "cleared": 7200, "deferred": 1600},
        "2026-03": {"dispute": 400, "cleared": 1600, "other_loss": 6000},
    }


def test_rr_cn_1_pre_payment_credit_note_at_finalization_is_never_recognised():
    cn = rr.Event(at(1), "credit_note", "cn_1", 3000)  # issued at finalization, before any service
    assert book(12000, *Q1, [cn]) == {
        "2026-01": {"gross": 3100, "cleared": 3000, "deferred": 5900},
        "2026-02": {"gross": 2800, "deferred": 3100},
        "2026-03": {"gross": 3100},
    }


def test_rr_cn_2_refund_and_credit_note_split_the_contra_in_proportion():
    """45 USD credited on Feb 1: 15 refunded, 30 to balances (the credit note's event is total minus
    its refund). Stripe prints 5.10 / 10.40; in proportion it is 5.17 / 10.33, the same 15.50 together."""
    events = [rr.Event(at(2), "credit_note", "cn_1", 3000), rr.Event(at(2), "refund", "re_1", 1500)]
    result = book(9000, *Q1, events)
    assert result["2026-02"] == {"gross": 1400, "refund": 517, "credit_note": 1033, "cleared": 2950, "deferred": 1550}
    assert result["2026-02"]["refund"] + result["2026-02"]["credit_note"] == 1550
    assert result["2026-03"] == {"gross": 1550}


def test_rr_si_7_credit_note_on_an_unpaid_invoice():
    assert book(9000, *Q1, [rr.Event(at(2), "credit_note", "cn_1", 4500)]) == {
        "2026-01": {"gross": 3100, "deferred": 5900},
        "2026-02": {"gross": 1400, "credit_note": 1550, "cleared": 2950, "deferred": 1550},
        "2026-03": {"gross": 1550},
    }


def test_rr_cn_3_credit_note_without_lines_on_a_six_month_invoice():
    """181 USD over Jan-Jun (181 days); 90.50 credited on Feb 1. Deferred ends March at 45.50 (Stripe
    prints 0.00, which its own rows contradict)."""
    result = book(18100, date(Y, 1, 1), date(Y, 7, 1), [rr.Event(at(2), "credit_note", "cn_1", 9050)])
    assert result["2026-01"] == {"gross": 3100, "deferred": 15000}
    assert result["2026-02"] == {"gross": 1400, "credit_note": 1550, "cleared": 7500, "deferred": 6100}
    assert result["2026-03"] == {"gross": 1550, "deferred": 4550}


JAN15 = (date(Y, 1, 15), date(Y, 2, 15))  # a monthly subscription at 31 USD: 17 days in January, 14 in February


@pytest.mark.parametrize("kind", ["bad_debt", "void"])
def test_rr_si_5_and_6_uncollectible_or_void_mid_period(kind):
    assert book(3100, *JAN15, [rr.Event(at(2), kind, "in_1/x")]) == {
        "2026-01": {"gross": 1700, "deferred": 1400},
        "2026-02": {kind: 1700, "cleared": 1400},
    }


def test_rr_contra_1_a_credit_balance_changes_nothing():
    """The invoice total is 31 whatever paid it (11 of credit balance, 20 of cash): no event, no contra."""
    assert book(3100, *JAN15, []) == {"2026-01": {"gross": 1700, "deferred": 1400}, "2026-02": {"gross": 1400}}


def test_rr_contra_2_a_negative_line_is_negative_revenue_not_contra():
    assert book(-3100, *JAN15, [], total=-3100) == {
        "2026-01": {"gross": -1700, "deferred": -1400},
        "2026-02": {"gross": -1400},
    }
    assert rr.shares(-3100, [rr.Event(at(2), "refund", "re_1", 100)]) == ([], [])  # total <= 0: no reversals


def test_annual_plan_refunded_at_the_start_of_its_third_month_monthly_deferral():
    """R10's own example: 120 USD a year, refunded in full on the first day of month 3: 20 contra, 100
    cleared, nothing recognised after."""
    result = book(
        12000, date(Y, 1, 1), date(Y + 1, 1, 1), [rr.Event(at(3), "refund", "re_1", 12000)], "monthly", months=12
    )
    assert result == {
        "2026-01": {"gross": 1000, "deferred": 11000},
        "2026-02": {"gross": 1000, "deferred": 10000},
        "2026-03": {"refund": 2000, "cleared": 10000},
    }


def test_rr_rd_1_one_time_payment_refunded():
    parts = rr.single_part("ch_1", 9000, date(Y, 1, 1))
    shares, _ = rr.shares(9000, [rr.Event(at(2), "refund", "re_1", 9000)])
    rows = [(r.kind, r.category, r.day.month, r.amount) for r in rr.reverse(parts, shares).rows]
    assert rows == [("gross", "", 1, 9000), ("contra", "refund", 2, 9000)]


def test_a_charge_refunded_the_same_day_was_recognised_first():
    """R10: an invoiceless charge is recognised at its own instant: a refund an hour later is refunds
    contra, not a gross that never was (a same-day refund of an invoice's first day is, by days)."""
    parts = rr.single_part("ch_1", 9000, date(Y, 1, 1))
    shares, _ = rr.shares(9000, [rr.Event(at(1, 1) + 3600, "refund", "re_1", 9000)])
    rows = [(r.kind, r.category, r.amount) for r in rr.reverse(parts, shares).rows]
    assert rows == [("gross", "", 9000), ("contra", "refund", 9000)]


def test_an_event_inside_a_part_splits_it_and_one_on_its_first_day_comes_before_it():
    half = [rr.Event(at(1, 16), "refund", "re_1", 1550)]  # 15 days at 1 USD, then 16 days at 0.50
    assert book(3100, date(Y, 1, 1), date(Y, 2, 1), half) == {"2026-01": {"gross": 2300, "refund": 750, "cleared": 800}}
    same_day = [rr.Event(at(1, 1) + 3600, "refund", "re_1", 1550)]  # 01:00 on the first day: before the part
    assert book(3100, date(Y, 1, 1), date(Y, 2, 1), same_day) == {"2026-01": {"gross": 1550, "cleared": 1550}}


def test_same_instant_events_apply_refund_credit_note_dispute_void_bad_debt_then_id():
    t = at(2)
    kinds = ["bad_debt", "void", "dispute", "credit_note", "refund"]
    events = [rr.Event(t, k, f"x_{k}", None if k in ("void", "bad_debt") else 100) for k in kinds]
    events.append(rr.Event(t, "refund", "a_refund", 100))
    shares, _ = rr.shares(1000, events)
    assert [s.id for s in shares] == ["a_refund", "x_refund", "x_credit_note", "x_dispute", "x_void", "x_bad_debt"]
    assert [s.q for s in shares] == [Fraction(1, 10), Fraction(1, 9), Fraction(1, 8), Fraction(1, 7), 1, 0]


def test_shares_track_what_is_left_and_the_other_loss():
    events = [
        rr.Event(at(2), "refund", "re_1", 600),
        rr.Event(at(3), "dispute", "dp_1", 1000),  # 400 left: 600 is other loss
        rr.Event(at(4), "dispute_won", "txn_1", ref="dp_1"),  # gives the 400 back
        rr.Event(at(5), "refund", "re_2", 100),
    ]
    shares, losses = rr.shares(1000, events)
    assert [s.q for s in shares] == [Fraction(6, 10), 1, 0, Fraction(1, 4)]
    assert losses == [rr.Loss(at(3), "dp_1", 600)]
    assert rr.shares(1000, [rr.Event(at(2), "void", "v"), rr.Event(at(3), "refund", "re_1", 50)])[1] == [
        rr.Loss(at(3), "re_1", 50)
    ]


@pytest.mark.parametrize(
    "x, expected",
    [
        (Fraction(1, 2), 1),
        (Fraction(-1, 2), -1),
        (Fraction(5, 2), 3),
        (Fraction(4999995, 10**7), 1),  # 0.4999995 is 0.500000 at 6 decimals, then 1
        (Fraction(4999994, 10**7), 0),
        (Fraction(-4999995, 10**7), -1),
        (Fraction(1, 3), 0),
    ],
)
def test_r10_rounding_goes_through_six_decimals(x, expected):
    assert rr.round_minor(x) == expected


def test_checkpoints_read_deferred_and_gross_so_far_inside_a_part():
    parts = rr.schedule("il_1", 3100, date(Y, 1, 1), date(Y, 2, 1), "daily")
    mid, after = rr.Checkpoint(date(Y, 1, 11), True), rr.Checkpoint(date(Y, 2, 1), False)
    result = rr.reverse(parts, [], checkpoints=[mid, after])
    assert result.at == {mid: (2100, 1000), after: (0, 3100)}
