"""The revenue rules of DECISIONS.md in plain Python: the ground truth's side of every number.

These are written independently of the dbt models (SQL) on purpose: the end-to-end tests compare
the two implementations to the minor unit.
"""

from __future__ import annotations

import math
from datetime import date

from fake_stripe.clock import add_months_date, month_key

# Stripe's currency exponents (docs/REFERENCE.md §1 Money); everything else has two decimals.
ZERO_DECIMAL = {"BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF", "VND", "VUV", "XAF", "XOF", "XPF"}
THREE_DECIMAL = {"BHD", "JOD", "KWD", "OMR", "TND"}


def exponent(currency: str) -> int:
    cur = currency.upper()
    if cur in ZERO_DECIMAL:
        return 0
    return 3 if cur in THREE_DECIMAL else 2  # UGX and ISK: two decimals in Stripe's API


def round_half_away(x: float) -> int:
    return int(math.copysign(math.floor(abs(x) + 0.5), x))


def convert(amount: int, currency: str, base: str, rate_of: dict[str, float | None]) -> int | None:
    """D4: minor units of `currency` to minor units of `base`, given both currencies' rates per EUR."""
    rc, rb = rate_of.get(currency.upper()), rate_of.get(base.upper())
    if rc is None or rb is None:
        return None
    return round_half_away(amount / 10 ** exponent(currency) * (rb / rc) * 10 ** exponent(base))


def largest_remainder(total: int, weights: list[int]) -> list[int]:
    """Split `total` in proportion to non-negative `weights`; parts sum to `total` exactly.

    Floors first, then one unit each to the largest fractional remainders (ties: lower index).
    Sign-aware: a negative total is the negated split of its absolute value.
    """
    if not weights:
        return []
    if total < 0:
        return [-p for p in largest_remainder(-total, weights)]
    wsum = sum(weights)
    if wsum == 0:
        return [0] * len(weights)
    exact = [total * w for w in weights]  # numerators over wsum: integer arithmetic, no float error
    parts = [e // wsum for e in exact]
    left = total - sum(parts)
    order = sorted(range(len(weights)), key=lambda i: (-(exact[i] % wsum), i))
    for i in order[:left]:
        parts[i] += 1
    return parts


def month_count(start: date, end: date) -> int:
    """R5: max(1, round_half_away(days / 30.44))."""
    return max(1, round_half_away((end - start).days / 30.44))


def monthly_parts(amount: int, start: date, end: date) -> list[tuple[int, date, int]]:
    """R5: (index, date, amount) parts, equal split, remainder to the earliest parts."""
    months = month_count(start, end)
    parts = largest_remainder(amount, [1] * months)
    return [(i, add_months_date(start, i), p) for i, p in enumerate(parts)]


def daily_parts(amount: int, start: date, end: date) -> list[tuple[str, date, int]]:
    """R6: one part per calendar month of [start, end), weighted by days; empty range -> one part."""
    if end <= start:
        return [(month_key(start), start, amount)]
    months: list[tuple[str, date, int]] = []
    d = start
    while d < end:
        nxt = add_months_date(d.replace(day=1), 1)
        stop = min(nxt, end)
        months.append((month_key(d), d, (stop - d).days))
        d = stop
    parts = largest_remainder(amount, [days for _, _, days in months])
    return [(key, day, p) for (key, day, _), p in zip(months, parts, strict=True)]


def allocate_invoice_discount(extra: int, lines: list[tuple[int, bool]]) -> list[int]:
    """R2: the invoice-level discount not carried by lines, over the discountable lines weighted by their
    amount net of their own discounts (`lines`: (that net amount, discountable)); at most the sum of the
    weights is spread (Stripe applies line discounts first)."""
    weights = [max(net, 0) if discountable else 0 for net, discountable in lines]
    if extra <= 0 or sum(weights) == 0:
        return [0] * len(lines)
    return largest_remainder(min(extra, sum(weights)), weights)


def mrr_rate(unit_amount: int, quantity: int, percent_off: float, interval_months: int) -> int:
    """M1: a line's monthly rate in minor units, rounded half away from zero."""
    numerator = unit_amount * quantity * (100 - percent_off)
    return round_half_away(numerator / (100 * interval_months))
