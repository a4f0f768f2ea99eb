"""The ground truth's revenue rules against hand-worked and published vectors (docs/REFERENCE.md §2, §4)."""

from __future__ import annotations

from datetime import date

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


def test_mrr_rate():
    assert rr.mrr_rate(120000, 1, 0, 12) == 10000
    assert rr.mrr_rate(2500, 3, 20, 1) == 6000
    assert rr.mrr_rate(100000, 1, 0, 12) == 8333
    assert rr.mrr_rate(29000, 1, 0, 3) == 9667
