"""The revenue rules of DECISIONS.md as pure functions: the ground truth's side of every number.

Money, splitting and deferral (D3, D4, R2, R5, R6), and the reversals of issue 14 (R10, R11): an
invoice's events become shares of what remains (`shares`), and `reverse` plays a line's schedule
against them, in exact fractions, into gross, contra, cleared and recovered rows. Nothing here knows
the simulation's objects (ground_truth.py feeds it), so Stripe's worked examples are unit tests of it.
These are written from DECISIONS.md alone, independently of the dbt models (SQL), on purpose: the
end-to-end tests compare the two implementations to the minor unit. MRR (M1-M3) is mrr_rules.py's.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from fractions import Fraction

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


# ----------------------------------------------------------------------------------- R10 rounding

_MICRO = 10**6
ZERO = Fraction(0)


def round_half_away_exact(x: Fraction) -> int:
    """`x` rounded half away from zero to an integer, exactly."""
    q, r = divmod(abs(x.numerator), x.denominator)
    q += 2 * r >= x.denominator
    return q if x >= 0 else -q


def round_minor(x: Fraction) -> int:
    """R10: a position in minor units, rounded half away from zero to 6 decimals, then to the minor unit."""
    return round_half_away_exact(Fraction(round_half_away_exact(x * _MICRO), _MICRO))


# ------------------------------------------------------------------------------ schedule parts

ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class Part:
    """One part of a line's schedule (R5/R6): `amount` moves evenly over the days [first, stop) and its
    rows are dated `day`. A monthly part moves whole on its date: one day. An instant part (first ==
    stop, an invoiceless charge) moves whole at the start of its day, before that day's events."""

    key: str
    day: date
    amount: int
    first: date
    stop: date


def schedule(line_id: str, amount: int, start: date, end: date, deferral: str) -> list[Part]:
    """The parts of a line of net amount `amount` over [start, end): R5 (`monthly`) or R6 (`daily`)."""
    if deferral == "monthly":
        parts = monthly_parts(amount, start, end)
        return [
            Part(f"{line_id}_{i}" if len(parts) > 1 else line_id, day, a, day, day + ONE_DAY) for i, day, a in parts
        ]
    if deferral != "daily":
        raise ValueError(f"unknown deferral {deferral!r}")
    if end <= start:
        return [Part(f"{line_id}_{month_key(start)}", start, amount, start, start + ONE_DAY)]
    return [
        Part(f"{line_id}_{key}", day, a, day, min(end, add_months_date(day.replace(day=1), 1)))
        for key, day, a in daily_parts(amount, start, end)
    ]


def single_part(key: str, amount: int, day: date) -> list[Part]:
    """R7/R10: an invoiceless charge is one line recognised in full at its own instant, so before any
    reversal of it, even one the same day."""
    return [Part(key, day, amount, day, day)]


# ------------------------------------------------------------------ R10/R11 events and shares

# R10: events at the same instant apply in this order, then by id; R11's recoveries come after them.
EVENT_ORDER = ("refund", "credit_note", "dispute", "void", "bad_debt", "dispute_won", "paid_after_mark")
# the contra category each event books in (a recovery gives back in its reversal's category)
CATEGORY = {
    "refund": "refund",
    "credit_note": "credit_note",
    "dispute": "dispute",
    "void": "void",
    "bad_debt": "bad_debt",
    "dispute_won": "dispute",
    "paid_after_mark": "bad_debt",
}
CONTRA_CATEGORIES = ("refund", "dispute", "credit_note", "void", "bad_debt")
RECOVERIES = ("dispute_won", "paid_after_mark")
REVERSE_CONTRA, RECOVER_AS_GAIN = "reverse_contra", "recover_as_gain"


@dataclass(frozen=True)
class Event:
    """An invoice's (or invoiceless charge's) reversal or recovery, as R10 and R11 list them.

    `amount`: what a refund, dispute or credit note returns; None for a void or an uncollectible mark
    (everything that remains). `ref`: the reversal a recovery undoes (the dispute, the mark), or the
    mark a later void moves to voids."""

    at: int
    kind: str
    id: str
    amount: int | None = None
    ref: str | None = None

    def order(self) -> tuple[int, int, str]:
        return (self.at, EVENT_ORDER.index(self.kind), self.id)


@dataclass(frozen=True)
class Share:
    """What one event does to every line of its invoice: a reversal takes the share `q` of what remains."""

    at: int
    kind: str
    id: str
    q: Fraction = ZERO
    ref: str | None = None


@dataclass(frozen=True)
class Loss:
    """R10 other loss: money returned beyond what was left to return (not contra revenue)."""

    at: int
    id: str
    amount: int


def shares(total: int, events: list[Event]) -> tuple[list[Share], list[Loss]]:
    """R10 "How much" and R11's W: each event's share of what remains, in time order, and the other loss.

    W starts at the invoice `total` T; a reversal of a takes Δ = min(a, W), q = Δ / W, W −= Δ (a void or a
    mark: Δ = W); a recovery gives W back the Δ its reversal took. An invoice with T ≤ 0 has no reversals.
    """
    if total <= 0:
        return [], []
    w, took = total, {}
    out: list[Share] = []
    losses: list[Loss] = []
    for ev in sorted(events, key=Event.order):
        if ev.kind in RECOVERIES:
            w += took.pop(ev.ref, 0)
            out.append(Share(ev.at, ev.kind, ev.id, ref=ev.ref))
            continue
        a = w if ev.amount is None else ev.amount
        delta = min(a, w)
        if a > delta:
            losses.append(Loss(ev.at, ev.id, a - delta))
        out.append(Share(ev.at, ev.kind, ev.id, Fraction(delta, w) if w else ZERO, ev.ref))
        took[ev.id] = delta
        w -= delta
    return out, losses


# ---------------------------------------------------------------------------- R10 per line


@dataclass(frozen=True)
class Row:
    """One row of a line: `gross` (a part, keyed by its key, dated by its date) or, at an event (keyed by
    the event id, dated by its instant `at`), `contra` (category of CONTRA_CATEGORIES; negative = given
    back), `cleared` (deferred revenue cleared) or `recovered` (negative = recoveries reversed)."""

    kind: str
    category: str
    key: str
    day: date
    at: int | None
    amount: int


@dataclass(frozen=True)
class Checkpoint:
    """An instant in day terms: the start of `day`, before or after that day's events. A month end is
    the first of the next month before its events; `now` is its day after its events."""

    day: date
    after_events: bool


@dataclass
class LineResult:
    rows: list[Row]
    # checkpoint -> (rounded deferred position if billed, rounded gross recognised up to it)
    at: dict[Checkpoint, tuple[int, int]]


@dataclass
class _Position:
    """A line's exact positions: U deferred (as if billed), R recognised net of contra, V recovered, C the
    cumulative contra, φ the schedule factor; per reversal what it booked (contra, cleared U, cleared V,
    the contra row)."""

    u: Fraction
    r: Fraction = ZERO
    v: Fraction = ZERO
    c: Fraction = ZERO
    phi: Fraction = Fraction(1)
    booked: dict[str, tuple[Fraction, Fraction, Fraction, int]] = field(default_factory=dict)


def day_of(ts: int) -> date:
    return date(1970, 1, 1) + timedelta(days=ts // 86_400)


def _apply(pos: _Position, s: Share, won_disputes: str) -> list[Row]:
    """One event on one line, with its rows (steps of the rounded cumulative series)."""
    before = (round_minor(pos.c), round_minor(pos.u), round_minor(pos.v))
    moved: list[Row] = []
    if s.kind in RECOVERIES:
        contra, cleared_u, cleared_v, _ = pos.booked.get(s.ref or "", (ZERO, ZERO, ZERO, 0))
        if s.kind == "dispute_won" and won_disputes == RECOVER_AS_GAIN:
            pos.v += contra + cleared_u + cleared_v
        else:
            pos.r, pos.c, pos.v = pos.r + contra, pos.c - contra, pos.v + cleared_u + cleared_v
    else:
        if s.kind == "void" and s.ref in pos.booked:  # R11: an uncollectible invoice voided later
            bad_debt = pos.booked[s.ref][3]
            moved = [_row("contra", "bad_debt", s, -bad_debt), _row("contra", "void", s, bad_debt)]
        contra, cleared_u, cleared_v = s.q * pos.r, s.q * pos.u, s.q * pos.v
        pos.r, pos.u, pos.v, pos.c = pos.r - contra, pos.u - cleared_u, pos.v - cleared_v, pos.c + contra
        pos.phi *= 1 - s.q
    c, u, v = round_minor(pos.c), round_minor(pos.u), round_minor(pos.v)
    if s.kind not in RECOVERIES:
        pos.booked[s.id] = (contra, cleared_u, cleared_v, c - before[0])
    rows = [
        _row("contra", CATEGORY[s.kind], s, c - before[0]),
        _row("cleared", CATEGORY[s.kind], s, before[1] - u),
        _row("recovered", CATEGORY[s.kind], s, v - before[2]),
    ]
    return [row for row in moved + rows if row.amount]


def _row(kind: str, category: str, s: Share, amount: int) -> Row:
    return Row(kind, category, s.id, day_of(s.at), s.at, amount)


class _Sweep:
    """`reverse`'s walk over a line's day boundaries: the positions, and the part whose days are moving
    (its open segment starts at rounded U `start`)."""

    def __init__(self, parts: list[Part]) -> None:
        self.pos = _Position(u=Fraction(sum(p.amount for p in parts)))
        self.gross = dict.fromkeys((p.key for p in parts), 0)
        self.done = 0  # the gross of closed segments
        self.open: tuple[Part, int] | None = None

    def start(self, part: Part) -> None:
        self.open = (part, round_minor(self.pos.u))

    def move(self, first: date, stop: date, split: bool) -> Part | None:
        """Move the open part's days [first, stop) from U to R at φ. Its segment closes at the part's
        end, or before events inside it (`split`): then the part is returned, to start again after them."""
        if self.open is None:
            return None
        part, start = self.open
        moved = self.pos.phi * part.amount * (stop - first).days / (part.stop - part.first).days
        self.pos.u, self.pos.r = self.pos.u - moved, self.pos.r + moved
        if stop < part.stop and not split:
            return None
        drop = start - round_minor(self.pos.u)
        self.gross[part.key] += drop
        self.done += drop
        self.open = None
        return part if stop < part.stop else None

    def at_once(self, part: Part) -> None:
        """An instant part moves whole now."""
        self.start(part)
        moved = self.pos.phi * part.amount
        self.pos.u, self.pos.r = self.pos.u - moved, self.pos.r + moved
        drop = self.open[1] - round_minor(self.pos.u) if self.open else 0
        self.gross[part.key] += drop
        self.done += drop
        self.open = None

    def reading(self) -> tuple[int, int]:
        """(rounded U, gross recognised so far: closed segments and the open one's drop)."""
        u = round_minor(self.pos.u)
        return u, self.done + (self.open[1] - u if self.open else 0)


def reverse(
    parts: list[Part],
    events: list[Share],
    won_disputes: str = REVERSE_CONTRA,
    checkpoints: tuple[Checkpoint, ...] | list[Checkpoint] = (),
) -> LineResult:
    """R10/R11 for one line: its parts (in date order, never overlapping) played against its invoice's
    shares (`shares`, in order). Between events the schedule moves each part from U to R at φ times its
    amount, day by day; an event on day d comes before that day's move (so it splits a part it falls
    inside). Gross rows are the drops of rounded U over each part outside events (one row per part)."""
    sweep = _Sweep(parts)
    by_day: dict[date, list[Share]] = defaultdict(list)
    for s in events:
        by_day[day_of(s.at)].append(s)
    at_day: dict[date, list[Checkpoint]] = defaultdict(list)
    for cp in checkpoints:
        at_day[cp.day].append(cp)
    starts = {p.first: p for p in parts if p.stop > p.first}
    instants = {p.first: p for p in parts if p.stop == p.first}
    rows: list[Row] = []
    out: dict[Checkpoint, tuple[int, int]] = {}
    prev = None
    for b in sorted(set(starts) | {p.stop for p in parts} | set(by_day) | set(at_day)):
        split = sweep.move(prev, b, b in by_day) if prev is not None else None
        out.update((cp, sweep.reading()) for cp in at_day[b] if not cp.after_events)
        if b in instants:  # after the month-end reading (the 1st, before events), before the day's events
            sweep.at_once(instants[b])
        for s in by_day[b]:
            rows += _apply(sweep.pos, s, won_disputes)
        out.update((cp, sweep.reading()) for cp in at_day[b] if cp.after_events)
        if split or b in starts:
            sweep.start(split or starts[b])
        prev = b
    gross_rows = [Row("gross", "", p.key, p.day, None, sweep.gross[p.key]) for p in parts]
    return LineResult(gross_rows + rows, out)
