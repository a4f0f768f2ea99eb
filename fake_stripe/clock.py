"""Calendar helpers on unix seconds (UTC): Stripe's anniversary billing and month boundaries."""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, timedelta

DAY = 86_400


def to_dt(ts: int) -> datetime:
    return datetime.fromtimestamp(ts, tz=UTC)


def to_ts(dt: datetime) -> int:
    return int(dt.timestamp())


def to_date(ts: int) -> date:
    return to_dt(ts).date()


def add_months_date(d: date, months: int) -> date:
    """`d + months`, the day clamped to the month's end (DuckDB's `date + interval` does the same)."""
    total = d.year * 12 + (d.month - 1) + months
    year, month = divmod(total, 12)
    day = min(d.day, calendar.monthrange(year, month + 1)[1])
    return date(year, month + 1, day)


def add_months(anchor: int, months: int) -> int:
    """The `months`-th anniversary of `anchor` (Stripe's billing cycle: same day of month, clamped)."""
    dt = to_dt(anchor)
    d = add_months_date(dt.date(), months)
    return to_ts(datetime(d.year, d.month, d.day, dt.hour, dt.minute, dt.second, tzinfo=UTC))


def month_start(ts: int) -> int:
    dt = to_dt(ts)
    return to_ts(datetime(dt.year, dt.month, 1, tzinfo=UTC))


def month_key(d: date) -> str:
    return f"{d.year:04d}-{d.month:02d}"


def month_ends(first: int, last: int) -> list[tuple[str, int]]:
    """(YYYY-MM, last second of that month) for every month from `first`'s to `last`'s, inclusive."""
    out = []
    d = to_date(first).replace(day=1)
    end = to_date(last).replace(day=1)
    while d <= end:
        nxt = add_months_date(d, 1)
        out.append((month_key(d), to_ts(datetime(nxt.year, nxt.month, 1, tzinfo=UTC)) - 1))
        d = nxt
    return out


def start_of_day(ts: int) -> int:
    return ts - ts % DAY


def today_utc() -> int:
    return start_of_day(int(datetime.now(tz=UTC).timestamp()))


def days_between(a: date, b: date) -> int:
    return (b - a).days


__all__ = [
    "DAY",
    "add_months",
    "add_months_date",
    "days_between",
    "month_ends",
    "month_key",
    "month_start",
    "start_of_day",
    "timedelta",
    "to_date",
    "to_dt",
    "to_ts",
    "today_utc",
]
