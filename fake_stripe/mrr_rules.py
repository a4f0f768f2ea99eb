"""The MRR rules of DECISIONS.md (M1, M2, M3) as pure functions: the ground truth's side of MRR.

M1: which invoice lines count at an instant T and at what monthly rate (`contribution`, `customer_mrr`);
M2: a customer's movement, its amount and the FX part between two month ends (`movement`); M3: the
month's rates (`month_metrics`). Nothing here knows the simulation's objects: ground_truth.py turns them
into `Line`s, so the published examples (docs/sources/mrr_definitions.md) are unit tests of these
functions. Written from DECISIONS.md alone, independently of the dbt models (SQL), on purpose: the
end-to-end tests compare the two implementations to the minor unit.

Readings of the text where it leaves a choice (the SQL must read it the same way):
- a line "belongs to a subscription" when it names one: a subscription item's line, and a proration
  line, whose subscription is in `invoice_item_details.subscription` (legacy: the line's `subscription`);
- "in force at T": `start <= T`, and for a once / repeating coupon `T < end`; such a coupon without an
  `end` is never in force (SQL's `T < null` is not true); a forever coupon's `end` is never read;
- the line's own discount is the percent-off coupon of a discount in its `discount_amounts`; invoice-level
  discounts that no line carries (the fake's WELCOME50, SORRY10) are no line's own;
- `forever_only`: the line's own discount when its coupon is forever, else the subscription's forever
  coupon in force at T;
- the rate is computed exactly and rounded half away from zero after rounding to 6 decimals, as R10
  rounds (a double-precision SQL gets the same integer);
- an invoice's or subscription's status is the one it has now (the only one observable).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction

from fake_stripe.revenue_rules import round_minor

WHILE_ACTIVE, FOREVER_ONLY = "while_active", "forever_only"
PERIOD_END, CANCELLATION = "period_end", "cancellation"
MOVEMENTS = ("new", "reactivation", "expansion", "contraction", "churn", "flat")
UP, DOWN = ("new", "reactivation", "expansion"), ("contraction", "churn")


@dataclass(frozen=True)
class Settings:
    """The vars of M1: `mrr_discounts`, `mrr_churn_at`, `mrr_include_metered`."""

    discounts: str = WHILE_ACTIVE
    churn_at: str = PERIOD_END
    include_metered: bool = False

    def __post_init__(self) -> None:
        if self.discounts not in (WHILE_ACTIVE, FOREVER_ONLY) or self.churn_at not in (PERIOD_END, CANCELLATION):
            raise ValueError(f"unknown MRR settings {self}")


DEFAULTS = Settings()
# one setting changed from the defaults each: the `mrr_variants` of the ground truth
VARIANTS = {
    "forever_only": Settings(discounts=FOREVER_ONLY),
    "cancellation": Settings(churn_at=CANCELLATION),
    "metered": Settings(include_metered=True),
}


@dataclass(frozen=True)
class Coupon:
    """A discount as M1 sees it: its coupon's percent off (None for an amount off), duration and the
    discount's `start` and `end`."""

    percent_off: float | None
    duration: str  # forever | once | repeating
    start: int
    end: int | None = None

    def in_force(self, t: int) -> bool:
        if t < self.start:
            return False
        return self.duration == "forever" or (self.end is not None and t < self.end)


@dataclass(frozen=True)
class Subscription:
    """What M1 reads of a line's subscription, as it is now."""

    status: str = "active"
    ended_at: int | None = None
    trial_end: int | None = None
    canceled_at: int | None = None
    coupon: Coupon | None = None  # its discount


@dataclass(frozen=True)
class Line:
    """What M1 reads of an invoice line: its price (unit amount, interval in months, recurring, metered),
    quantity, period, amount, own discounts, inclusive tax, proration flag, invoice status, subscription."""

    unit_amount: int
    quantity: int
    interval_months: int
    period_start: int
    period_end: int
    amount: int
    subscription: Subscription | None = Subscription()
    invoice_status: str = "paid"
    discount_total: int = 0  # Σ discount_amounts
    coupon: Coupon | None = None  # the coupon of the line's own percent-off discount
    inclusive_tax: int = 0
    proration: bool = False
    recurring: bool = True
    metered: bool = False


# ----------------------------------------------------------------------------------------------- M1


# M1: the statuses whose open invoices do not count (Stripe counts active and past_due)
NOT_COUNTED = frozenset({"unpaid", "incomplete", "incomplete_expired", "paused"})


def counts(line: Line, t: int, s: Settings = DEFAULTS) -> bool:
    """M1: does the line count at T?"""
    sub = line.subscription
    if sub is None or not line.recurring or (line.metered and not s.include_metered):
        return False
    if not line.period_start <= t < line.period_end:
        return False
    if not (line.invoice_status == "paid" or (line.invoice_status == "open" and sub.status not in NOT_COUNTED)):
        return False
    if (sub.ended_at is not None and sub.ended_at <= t) or (sub.trial_end is not None and t < sub.trial_end):
        return False
    return not (s.churn_at == CANCELLATION and sub.canceled_at is not None and sub.canceled_at <= t)


def percent_off(line: Line, t: int, s: Settings = DEFAULTS) -> Fraction:
    """M1 `percent_off`: the line's own percent-off discount, else the subscription's percent-off coupon in
    force at T; with `forever_only` only forever coupons count. Amount-off coupons never do."""

    def counted(c: Coupon | None) -> bool:
        return c is not None and c.percent_off is not None and (s.discounts == WHILE_ACTIVE or c.duration == "forever")

    own, sub = line.coupon, line.subscription.coupon if line.subscription else None
    if counted(own):
        return Fraction(own.percent_off)
    if counted(sub) and sub.in_force(t):
        return Fraction(sub.percent_off)
    return Fraction(0)


def tax_share(line: Line) -> Fraction:
    """M1 `tax_share`: inclusive tax over the amount net of the line's own discounts (0 without one)."""
    net = line.amount - line.discount_total
    return Fraction(line.inclusive_tax, net) if line.inclusive_tax and net else Fraction(0)


def rate(line: Line, t: int, s: Settings = DEFAULTS) -> int:
    """M1: the line's monthly rate (before its sign), rounded half away from zero."""
    if line.metered:
        return round_minor(Fraction(line.amount - line.discount_total - line.inclusive_tax, line.interval_months))
    exact = line.unit_amount * line.quantity * (100 - percent_off(line, t, s)) / 100
    return round_minor(exact * (1 - tax_share(line)) / line.interval_months)


def contribution(line: Line, t: int, s: Settings = DEFAULTS) -> int:
    """sign × rate when the line counts at T, else 0: a proration credit (negative amount) subtracts."""
    if not counts(line, t, s):
        return 0
    return -rate(line, t, s) if line.proration and line.amount < 0 else rate(line, t, s)


def customer_mrr(lines: Iterable[Line], t: int, s: Settings = DEFAULTS) -> int:
    """M1: a customer's MRR at T in their currency, never negative."""
    return max(0, sum(contribution(line, t, s) for line in lines))


# ----------------------------------------------------------------------------------------------- M2


def classify(previous: int, current: int, ever_positive: bool) -> str:
    """M2: the movement of a customer's MRR, in their own currency, from one month end to the next."""
    if previous == 0 and current > 0:
        return "reactivation" if ever_positive else "new"
    if previous > 0 and current == 0:
        return "churn"
    if current > previous:
        return "expansion"
    if current < previous:
        return "contraction"
    return "flat"


@dataclass(frozen=True)
class Movement:
    """One customer-month of M2: `previous` / `current` MRR in the customer's currency, `start` / `end`
    in the base currency, the movement, its amount (≥ 0: an increase for new, reactivation and expansion,
    the decrease for contraction and churn) and the FX part (signed)."""

    previous: int
    current: int
    start: int
    end: int
    movement: str
    amount: int
    fx: int

    def column(self, name: str) -> int:
        """The bridge column `name` (new, reactivation, expansion, contraction, churn)."""
        return self.amount if self.movement == name else 0

    def balances(self) -> bool:
        """start + new + reactivation + expansion − contraction − churn + fx = end."""
        signed = self.amount if self.movement in UP else -self.amount
        return self.start + signed + self.fx == self.end


def movement(previous: int, current: int, ever_positive: bool, start: int, end: int, previous_now: int) -> Movement:
    """M2: `start` is last month's end (base), `end` this month's (base), `previous_now` last month's MRR
    converted at this month's date; FX is what the rate alone moved, when both months are positive."""
    kind = classify(previous, current, ever_positive)
    fx = previous_now - start if previous > 0 and current > 0 else 0
    delta = end - start - fx
    amount = -delta if kind in DOWN else delta
    if amount < 0 or (kind == "flat" and amount):
        raise AssertionError(f"M2: {kind} of {amount} from {previous} to {current}")
    return Movement(previous, current, start, end, kind, amount, fx)


# ----------------------------------------------------------------------------------------------- M3


def ratio(numerator: int, denominator: int) -> float | None:
    """A rate as a fraction, None when its denominator is 0."""
    return numerator / denominator if denominator else None


def subscriber_churn_rate(churned: int, active_before: int, new: int) -> float | None:
    """Stripe: churned customers / (customers active at the previous month end + new customers)."""
    return ratio(churned, active_before + new)


def mrr_churn_rate(churn: int, contraction: int, starting: int) -> float | None:
    """ChartMogul's gross MRR churn rate: (churn + contraction) / starting MRR."""
    return ratio(churn + contraction, starting)


def net_mrr_churn_rate(churn: int, contraction: int, expansion: int, reactivation: int, starting: int) -> float | None:
    """(churn + contraction − expansion − reactivation) / starting MRR; can be negative."""
    return ratio(churn + contraction - expansion - reactivation, starting)


def net_mrr_retention(churn: int, contraction: int, expansion: int, reactivation: int, starting: int) -> float | None:
    """(starting + expansion + reactivation − contraction − churn) / starting MRR."""
    return ratio(starting + expansion + reactivation - contraction - churn, starting)


def month_metrics(moves: Iterable[Movement], active_before: int) -> dict[str, int | float | None]:
    """M3 for one month from its customer-months; `active_before`: customers with MRR at the previous
    month end. Amounts in base minor units; FX is in no rate."""
    moves = list(moves)
    total = {name: sum(mv.column(name) for mv in moves) for name in (*UP, *DOWN)}
    count = {name: sum(mv.movement == name for mv in moves) for name in ("new", "reactivation", "churn")}
    starting = sum(mv.start for mv in moves)
    churn, contraction = total["churn"], total["contraction"]
    expansion, reactivation = total["expansion"], total["reactivation"]
    return {
        "active_customers": sum(mv.current > 0 for mv in moves),
        "new_customers": count["new"],
        "reactivated_customers": count["reactivation"],
        "churned_customers": count["churn"],
        "starting_mrr": starting,
        "new_mrr": total["new"],
        "reactivation_mrr": reactivation,
        "expansion_mrr": expansion,
        "contraction_mrr": contraction,
        "churned_mrr": churn,
        "fx_mrr": sum(mv.fx for mv in moves),
        "ending_mrr": sum(mv.end for mv in moves),
        "subscriber_churn_rate": subscriber_churn_rate(count["churn"], active_before, count["new"]),
        "mrr_churn_rate": mrr_churn_rate(churn, contraction, starting),
        "net_mrr_churn_rate": net_mrr_churn_rate(churn, contraction, expansion, reactivation, starting),
        "net_mrr_retention": net_mrr_retention(churn, contraction, expansion, reactivation, starting),
        "churned_revenue": churn + contraction,
    }
