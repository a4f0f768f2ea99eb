"""Expected revenue numbers, computed from the simulation's own records (never from its JSON).

What it produces (all money in integer minor units):
- `revenue_rows[mode]`: every recognised revenue row (R1-R9) under `monthly` and `daily` deferral;
- `revenue_monthly[mode][YYYY-MM]`: gross and net per month, in the base currency and per currency;
- `mrr`: customer x month MRR (M1, M2) with the movement class;
- `persons`: customer -> (distinct_id, match_method, match_source).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

from fake_stripe import clock
from fake_stripe import model as m
from fake_stripe import revenue_rules as rr
from fake_stripe.fx import RateTable
from fake_stripe.simulate import World

DEFERRALS = ("monthly", "daily")
MRR_INVOICE_STATUSES = ("paid", "open")


@dataclass(frozen=True)
class RevenueRow:
    id: str
    kind: str  # invoice_line | invoiceless_charge | refund | credit_note | dispute
    customer_id: str
    day: date
    currency: str
    amount: int  # minor units of `currency`
    amount_base: int | None  # minor units of the base currency, None without a rate

    @property
    def month(self) -> str:
        return clock.month_key(self.day)


def net_line_amounts(inv: m.Invoice) -> list[int]:
    """R2: each line's amount net of its own discounts and its share of invoice-level discounts."""
    own = [line.amount - line.discount_total for line in inv.lines]
    extra = inv.total_discount - sum(line.discount_total for line in inv.lines)
    weights = [(net, line.discountable) for net, line in zip(own, inv.lines, strict=True)]
    shares = rr.allocate_invoice_discount(extra, weights)
    return [a - s for a, s in zip(own, shares, strict=True)]


class GroundTruth:
    def __init__(self, world: World, rates: RateTable, base_currency: str = "USD") -> None:
        self.w, self.rates, self.base = world, rates, base_currency.upper()
        self._rate_cache: dict[tuple[str, date], float | None] = {}

    def _convert(self, amount: int, currency: str, day: date) -> int | None:
        rate_of = {c: self._rate(c, day) for c in (currency.upper(), self.base)}
        return rr.convert(amount, currency, self.base, rate_of)

    def _rate(self, currency: str, day: date) -> float | None:
        key = (currency, day)
        if key not in self._rate_cache:
            self._rate_cache[key] = self.rates.rate(currency, day)
        return self._rate_cache[key]

    def _row(self, rid: str, kind: str, customer: str, day: date, currency: str, amount: int) -> RevenueRow:
        cur = currency.upper()
        return RevenueRow(rid, kind, customer, day, cur, amount, self._convert(amount, cur, day))

    # -- revenue
    def gross_rows(self, deferral: str) -> list[RevenueRow]:
        rows: list[RevenueRow] = []
        for inv in self.w.invoices:
            if inv.status != "paid":
                continue
            for line, net in zip(inv.lines, net_line_amounts(inv), strict=True):
                start, end = clock.to_date(line.period_start), clock.to_date(line.period_end)
                if deferral == "monthly":
                    parts = rr.monthly_parts(net, start, end)
                    for i, day, amount in parts:
                        rid = f"{line.id}_{i}" if len(parts) > 1 else line.id
                        rows.append(self._row(rid, "invoice_line", inv.customer.id, day, inv.currency, amount))
                else:
                    for key, day, amount in rr.daily_parts(net, start, end):
                        rows.append(
                            self._row(f"{line.id}_{key}", "invoice_line", inv.customer.id, day, inv.currency, amount)
                        )
        for ch in self.w.charges:
            if ch.status == "succeeded" and ch.invoice is None:
                rows.append(
                    self._row(
                        ch.id,
                        "invoiceless_charge",
                        ch.customer,
                        clock.to_date(ch.created),
                        ch.currency,
                        ch.amount_captured,
                    )
                )
        return rows

    def negative_rows(self) -> list[RevenueRow]:
        """R8: refunds, the unrefunded part of credit notes, lost disputes; each on its own date."""
        rows = []
        for r in self.w.refunds:
            if r.status == "succeeded":
                rows.append(
                    self._row(r.id, "refund", r.charge.customer, clock.to_date(r.created), r.charge.currency, -r.amount)
                )
        for cn in self.w.credit_notes:
            if cn.status != "void":
                refunded = cn.refund.amount if cn.refund else 0
                if cn.amount - refunded:
                    rows.append(
                        self._row(
                            cn.id,
                            "credit_note",
                            cn.invoice.customer.id,
                            clock.to_date(cn.created),
                            cn.invoice.currency,
                            -(cn.amount - refunded),
                        )
                    )
        for d in self.w.disputes:
            if d.status == "lost":
                rows.append(
                    self._row(
                        d.id, "dispute", d.charge.customer, clock.to_date(d.created), d.charge.currency, -d.amount
                    )
                )
        return rows

    def revenue_monthly(self, deferral: str) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = defaultdict(
            lambda: {"gross": 0, "net": 0, "unconverted": 0, "by_currency": defaultdict(lambda: {"gross": 0, "net": 0})}
        )
        for sign_kind, rows in (("gross", self.gross_rows(deferral)), ("negative", self.negative_rows())):
            for row in rows:
                month = out[row.month]
                if row.amount_base is None:
                    month["unconverted"] += 1
                base = row.amount_base or 0
                cur = month["by_currency"][row.currency]
                if sign_kind == "gross":
                    month["gross"] += base
                    cur["gross"] += row.amount
                month["net"] += base
                cur["net"] += row.amount
        return {
            k: {**v, "by_currency": {c: dict(x) for c, x in v["by_currency"].items()}} for k, v in sorted(out.items())
        }

    # -- MRR
    def mrr(self) -> list[dict[str, Any]]:
        """M1/M2 per customer per complete month (month end <= now), with the movement class."""
        w = self.w
        months = [(k, t) for k, t in clock.month_ends(w.start, w.now) if t <= w.now]
        subs = {s.id: s for s in w.subscriptions}
        by_customer: dict[str, list[tuple[m.Line, m.Subscription]]] = defaultdict(list)
        for inv in w.invoices:
            if inv.status not in MRR_INVOICE_STATUSES:
                continue
            for line in inv.lines:
                if line.subscription and line.price.recurring:
                    by_customer[inv.customer.id].append((line, subs[line.subscription]))
        rows = []
        currency_of = {c.id: c.currency for c in w.customers}
        for customer_id in sorted(by_customer):
            lines = by_customer[customer_id]
            previous, ever = 0, False
            for key, t in months:
                total = 0
                for line, sub in lines:
                    if not line.period_start <= t < line.period_end:
                        continue
                    if (sub.ended_at is not None and sub.ended_at <= t) or (sub.trial_end and t < sub.trial_end):
                        continue
                    sign = -1 if line.proration and line.amount < 0 else 1
                    total += sign * rr.mrr_rate(
                        line.price.unit_amount, line.quantity, line.percent_off, line.price.interval_months
                    )
                total = max(0, total)  # M2: a credit never makes MRR negative
                currency = currency_of[customer_id]
                base = self._convert(total, currency, clock.to_date(t)) or 0
                movement = classify(previous, base, ever)
                if base or previous:
                    rows.append(
                        {
                            "customer_id": customer_id,
                            "month": key,
                            "currency": currency.upper(),
                            "mrr_original": total,
                            "mrr": base,
                            "previous_mrr": previous,
                            "movement": movement,
                        }
                    )
                ever = ever or base > 0
                previous = base
        return rows

    def persons(self) -> dict[str, tuple[str, str, str]]:
        return dict(self.w.person_truth)

    def to_json(self) -> dict[str, Any]:
        return {
            "base_currency": self.base,
            "now": self.w.now,
            "revenue_monthly": {mode: self.revenue_monthly(mode) for mode in DEFERRALS},
            "mrr": self.mrr(),
            "persons": {k: list(v) for k, v in self.persons().items()},
        }


def classify(previous: int, current: int, ever_positive: bool) -> str:
    """M2: the movement of one customer's MRR from one month end to the next."""
    if previous == 0 and current > 0:
        return "reactivation" if ever_positive else "new"
    if previous > 0 and current == 0:
        return "churn"
    if current > previous:
        return "expansion"
    if current < previous:
        return "contraction"
    return "flat"


def movement_amounts(previous: int, current: int, movement: str) -> dict[str, int]:
    """The bridge columns of one customer-month; start + in - out = end by construction."""
    delta = current - previous
    out = dict.fromkeys(("new", "reactivation", "expansion", "contraction", "churn"), 0)
    if movement in ("new", "reactivation", "expansion"):
        out[movement] = delta
    elif movement in ("contraction", "churn"):
        out[movement] = -delta
    return out
