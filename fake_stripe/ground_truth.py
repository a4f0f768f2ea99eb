"""Expected numbers, computed from the simulation's own records (never from its JSON).

What it produces (all money in integer minor units):
- `revenue(basis, deferral)`: per month gross, net, contra by category, cleared, recovered and other
  loss under the revenue rules of issue 14 (R1, R2, R5-R12), for both bases and both deferrals, with
  `deferred(...)` (S7: the balance at each month end) and `invoice_totals(...)` (per invoice or
  invoiceless charge, in its own currency, as of `now`); the rules themselves are revenue_rules.py's;
- `revenue_monthly[mode][YYYY-MM]`: gross and net per month, finalized basis (the older key);
- `mrr(settings)`: customer x month MRR (M1) with its movement, amount and FX part (M2), for the default
  settings and (`mrr_variants`) one setting changed each; `mrr_metrics()`: the month's totals and rates
  (M3); the rules themselves are mrr_rules.py's;
- `persons`: customer -> (distinct_id, match_method, match_source).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from fake_stripe import clock
from fake_stripe import model as m
from fake_stripe import mrr_rules as mr
from fake_stripe import revenue_rules as rr
from fake_stripe.fx import RateTable
from fake_stripe.simulate import World

BASES = ("finalized", "paid")
DEFERRALS = ("monthly", "daily")
MRR_INVOICE_STATUSES = ("paid", "open")  # M1: the invoices whose lines can count
BRIDGE = ("new", "reactivation", "expansion", "contraction", "churn")
classify = mr.classify  # M2, kept here for older imports
FINALIZED_STATUSES = ("open", "paid", "uncollectible", "void")
INQUIRY_STATUSES = ("warning_needs_response", "warning_under_review", "warning_closed", "charge_refunded")
TOTALS = ("billed", "gross", "contra", "cleared", "deferred")


@dataclass(frozen=True)
class LedgerRow:
    """A row of the issue-14 rules. `kind`: gross | contra | cleared | recovered | other_loss; `category`:
    the contra category of its event (R10), empty for gross and other loss. Gross rows are dated by
    their part (`key` is the part's), the others by their event (`key`: the event's id, `at`: its instant).
    Contra is positive when revenue is taken back, negative when given back (R11)."""

    item_id: str  # the invoice, or the invoiceless charge
    line_id: str  # the invoice line (the charge for an invoiceless charge); empty for other loss
    customer_id: str
    kind: str
    category: str
    key: str
    day: date
    at: int | None
    currency: str
    amount: int  # minor units of `currency`
    amount_base: int | None  # converted at `day` (D4), None without a rate

    @property
    def month(self) -> str:
        return clock.month_key(self.day)


@dataclass(frozen=True)
class Item:
    """An invoice or an invoiceless charge as R10 sees it in one basis: billed at `billed_at`, its lines
    (id, net amount L, service period), its total T and its events."""

    id: str
    customer_id: str
    currency: str
    billed_at: int
    total: int
    lines: list[tuple[str, int, date, date]]
    events: list[rr.Event]
    invoiceless: bool = False


@dataclass
class Ledger:
    """Everything one (basis, deferral, won_disputes) gives."""

    rows: list[LedgerRow]
    revenue: dict[str, dict[str, Any]]
    deferred: dict[str, dict[str, int]]
    invoices: dict[str, dict[str, int]]
    balances: dict[str, dict[str, int]]  # item -> month -> deferred balance in its currency (zero ones left out)


def net_line_amounts(inv: m.Invoice) -> list[int]:
    """R2: each line's amount net of its own discounts and its share of invoice-level discounts."""
    own = [line.amount - line.discount_total for line in inv.lines]
    extra = inv.total_discount - sum(line.discount_total for line in inv.lines)
    weights = [(net, line.discountable) for net, line in zip(own, inv.lines, strict=True)]
    shares = rr.allocate_invoice_discount(extra, weights)
    return [a - s for a, s in zip(own, shares, strict=True)]


def revenue_line_amounts(inv: m.Invoice) -> list[int]:
    """R2 and R8: each line's net amount L, without the tax included in it."""
    return [net - line.inclusive_tax for net, line in zip(net_line_amounts(inv), inv.lines, strict=True)]


def monthly(rows: list[LedgerRow]) -> dict[str, dict[str, Any]]:
    """Rows summed per month in the base currency (net = gross − contra), and gross and net per currency."""
    zero = ("gross", "net", *rr.CONTRA_CATEGORIES, "cleared", "recovered", "other_loss", "unconverted")
    out: dict[str, dict[str, Any]] = defaultdict(
        lambda: {**dict.fromkeys(zero, 0), "by_currency": defaultdict(lambda: {"gross": 0, "net": 0})}
    )
    for row in rows:
        month = out[row.month]
        month["unconverted"] += row.amount_base is None
        base = row.amount_base or 0
        cur = month["by_currency"][row.currency]
        if row.kind == "gross":
            month["gross"] += base
            month["net"] += base
            cur["gross"] += row.amount
            cur["net"] += row.amount
        elif row.kind == "contra":
            month[row.category] += base
            month["net"] -= base
            cur["net"] -= row.amount
        else:
            month[row.kind] += base
    return {k: {**v, "by_currency": {c: dict(x) for c, x in v["by_currency"].items()}} for k, v in sorted(out.items())}


class GroundTruth:
    def __init__(self, world: World, rates: RateTable, base_currency: str = "USD") -> None:
        self.w, self.rates, self.base = world, rates, base_currency.upper()
        self._rate_cache: dict[tuple[str, date], float | None] = {}
        self._ledgers: dict[tuple[str, str, str], Ledger] = {}
        self._index: dict[str, dict[str, list[Any]]] | None = None
        self._mrr_lines: dict[str, list[mr.Line]] | None = None
        self._movements: dict[mr.Settings, dict[str, list[tuple[str, mr.Movement]]]] = {}

    def _convert(self, amount: int, currency: str, day: date) -> int | None:
        rate_of = {c: self._rate(c, day) for c in (currency.upper(), self.base)}
        return rr.convert(amount, currency, self.base, rate_of)

    def _rate(self, currency: str, day: date) -> float | None:
        key = (currency, day)
        if key not in self._rate_cache:
            self._rate_cache[key] = self.rates.rate(currency, day)
        return self._rate_cache[key]

    # -- what counts and what happens to it (R1, R7, R10, R11)
    def _by(self) -> dict[str, dict[str, list[Any]]]:
        """Refunds and disputes per charge, credit notes and charges per invoice."""
        if self._index is None:
            index: dict[str, dict[str, list[Any]]] = {k: defaultdict(list) for k in ("rf", "dp", "cn", "ch")}
            for r in self.w.refunds:
                index["rf"][r.charge.id].append(r)
            for d in self.w.disputes:
                index["dp"][d.charge.id].append(d)
            for cn in self.w.credit_notes:
                index["cn"][cn.invoice.id].append(cn)
            for ch in self.w.charges:
                if ch.invoice is not None:
                    index["ch"][ch.invoice].append(ch)
            self._index = index
        return self._index

    def _charge_events(self, charge: m.Charge) -> list[rr.Event]:
        """R10: succeeded refunds, disputes that withdrew funds; R11: the reinstatement of a won dispute."""
        by = self._by()
        events = [rr.Event(r.created, "refund", r.id, r.amount) for r in by["rf"][charge.id] if r.status == "succeeded"]
        for d in by["dp"][charge.id]:
            if d.status in INQUIRY_STATUSES:
                continue
            events.append(rr.Event(d.created, "dispute", d.id, d.amount))
            if d.status == "won":
                bt = next((b for b in d.balance_transactions if b.reporting_category == "dispute_reversal"), None)
                at, eid = (bt.created, bt.id) if bt else (d.closed_at or self.w.now, f"{d.id}/won")
                events.append(rr.Event(at, "dispute_won", eid, ref=d.id))
        return events

    def _invoice_events(self, inv: m.Invoice, basis: str) -> list[rr.Event]:
        """R10: its charges' events and its credit notes; in the finalized basis its void and its
        uncollectible mark (R11: paid after the mark, or voided after it)."""
        events = [e for ch in self._by()["ch"][inv.id] for e in self._charge_events(ch)]
        for cn in self._by()["cn"][inv.id]:
            amount = cn.amount - (cn.refund.amount if cn.refund else 0)
            if cn.status != "void" and amount:
                events.append(rr.Event(cn.created, "credit_note", cn.id, amount))
        if basis != "finalized":
            return events
        marked, mark = inv.marked_uncollectible_at, None
        if marked is not None:
            mark = f"{inv.id}/marked_uncollectible"
            events.append(rr.Event(marked, "bad_debt", mark))
            if inv.paid_at is not None and inv.paid_at > marked:
                events.append(rr.Event(inv.paid_at, "paid_after_mark", f"{inv.id}/paid", ref=mark))
        if inv.voided_at is not None:
            events.append(rr.Event(inv.voided_at, "void", f"{inv.id}/voided", ref=mark))
        return events

    def items(self, basis: str) -> list[Item]:
        """R1: the invoices that count in `basis`, then the succeeded invoiceless charges (R7)."""
        if basis not in BASES:
            raise ValueError(f"unknown revenue basis {basis!r}")
        out = []
        for inv in self.w.invoices:
            billed = inv.finalized_at if basis == "finalized" else inv.paid_at
            if billed is None or inv.status not in (FINALIZED_STATUSES if basis == "finalized" else ("paid",)):
                continue
            lines = [
                (line.id, amount, clock.to_date(line.period_start), clock.to_date(line.period_end))
                for line, amount in zip(inv.lines, revenue_line_amounts(inv), strict=True)
            ]
            events = self._invoice_events(inv, basis)
            out.append(Item(inv.id, inv.customer.id, inv.currency, billed, inv.total, lines, events))
        for ch in self.w.charges:
            if ch.status == "succeeded" and ch.invoice is None:
                day = clock.to_date(ch.created)
                lines = [(ch.id, ch.amount_captured, day, day)]
                events = self._charge_events(ch)
                out.append(Item(ch.id, ch.customer, ch.currency, ch.created, ch.amount_captured, lines, events, True))
        return out

    # -- one (basis, deferral, won_disputes)
    def ledger(self, basis: str, deferral: str, won_disputes: str = rr.REVERSE_CONTRA) -> Ledger:
        key = (basis, deferral, won_disputes)
        if key not in self._ledgers:
            self._ledgers[key] = self._compute(basis, deferral, won_disputes)
        return self._ledgers[key]

    def _month_ends(self) -> list[tuple[str, int, rr.Checkpoint]]:
        """(YYYY-MM, its last second, its checkpoint) of every month that ended by `now`."""
        ends = [(k, t) for k, t in clock.month_ends(self.w.start, self.w.now) if t <= self.w.now]
        return [(k, t, rr.Checkpoint(clock.to_date(t + 1), False)) for k, t in ends]

    def _compute(self, basis: str, deferral: str, won_disputes: str) -> Ledger:
        month_ends = self._month_ends()
        now = rr.Checkpoint(clock.to_date(self.w.now), True)
        ledger = Ledger([], {}, {}, {}, defaultdict(lambda: defaultdict(int)))
        deferred = dict.fromkeys((k for k, _, _ in month_ends), 0)
        owed: dict[tuple[str, int, str], int] = defaultdict(int)  # (month, its end, currency) -> balance
        for item in self.items(basis):
            shares, losses = rr.shares(item.total, item.events)
            ledger.invoices[item.id] = dict.fromkeys(TOTALS, 0)
            for line_id, amount, start, end in item.lines:
                if item.invoiceless:
                    parts = rr.single_part(line_id, amount, start)
                else:
                    parts = rr.schedule(line_id, amount, start, end, deferral)
                ends = _line_month_ends(item, parts, month_ends)
                result = rr.reverse(parts, shares, won_disputes, [*(cp for _, _, cp in ends), now])
                self._book_line(ledger, item, line_id, amount, result, now)
                for key, t, cp in ends:  # S7: D at the month end, billed or not yet
                    balance = result.at[cp][0] - (amount if item.billed_at > t else 0)
                    ledger.balances[item.id][key] += balance
                    owed[key, t, item.currency.upper()] += balance
            for loss in losses:
                day = clock.to_date(loss.at)
                ledger.rows.append(self._ledger_row(item, "", "other_loss", "", loss.id, day, loss.at, loss.amount))
        for (key, t, currency), balance in owed.items():  # S7: each currency's balance at the month end's rate
            deferred[key] += self._convert(balance, currency, clock.to_date(t)) or 0
        ledger.revenue = monthly(ledger.rows)
        ledger.deferred = {k: {"balance": v} for k, v in deferred.items()}
        return ledger

    def _book_line(
        self, ledger: Ledger, item: Item, line_id: str, amount: int, result: rr.LineResult, now: rr.Checkpoint
    ) -> None:
        """A line's rows into the ledger, and its totals into its item's (as of `now`)."""
        totals = ledger.invoices[item.id]
        deferred_now, gross_now = result.at[now]
        totals["billed"] += amount
        totals["gross"] += gross_now
        totals["deferred"] += deferred_now
        for r in result.rows:
            ledger.rows.append(self._ledger_row(item, line_id, r.kind, r.category, r.key, r.day, r.at, r.amount))
            if r.kind in ("contra", "cleared"):
                totals[r.kind] += r.amount

    def _ledger_row(
        self, item: Item, line_id: str, kind: str, category: str, key: str, day: date, at: int | None, amount: int
    ) -> LedgerRow:
        cur = item.currency.upper()
        base = self._convert(amount, cur, day)
        return LedgerRow(item.id, line_id, item.customer_id, kind, category, key, day, at, cur, amount, base)

    def revenue(
        self, basis: str = "finalized", deferral: str = "daily", won_disputes: str = rr.REVERSE_CONTRA
    ) -> dict[str, dict[str, Any]]:
        """Per month: gross, net, contra per category, cleared, recovered, other loss (base currency)."""
        return self.ledger(basis, deferral, won_disputes).revenue

    def deferred(
        self, basis: str = "finalized", deferral: str = "daily", won_disputes: str = rr.REVERSE_CONTRA
    ) -> dict[str, dict[str, int]]:
        """S7: the deferred balance at each month end that has passed (base currency)."""
        return self.ledger(basis, deferral, won_disputes).deferred

    def invoice_totals(
        self, basis: str = "finalized", deferral: str = "daily", won_disputes: str = rr.REVERSE_CONTRA
    ) -> dict[str, dict[str, int]]:
        """Per invoice (or invoiceless charge), in its currency, as of `now`: billed (Σ L), gross recognised,
        contra, cleared and deferred (D)."""
        return self.ledger(basis, deferral, won_disputes).invoices

    def revenue_rows(
        self, basis: str = "finalized", deferral: str = "daily", won_disputes: str = rr.REVERSE_CONTRA
    ) -> list[LedgerRow]:
        """Every row: gross parts (future ones too, at today's schedule factor) and event rows."""
        return self.ledger(basis, deferral, won_disputes).rows

    def revenue_json(self, won_disputes: str = rr.REVERSE_CONTRA) -> dict[str, Any]:
        """The `revenue`, `deferred` and `revenue_invoices` keys of `to_json`, for either `won_disputes`."""
        ledgers = {f"{b}/{d}": self.ledger(b, d, won_disputes) for b in BASES for d in DEFERRALS}
        return {
            "revenue": {k: v.revenue for k, v in ledgers.items()},
            "deferred": {k: v.deferred for k, v in ledgers.items()},
            "revenue_invoices": {k: v.invoices for k, v in ledgers.items()},
        }

    def revenue_monthly(self, deferral: str) -> dict[str, dict[str, Any]]:
        """Gross and net per month in the finalized basis (the key older tests read)."""
        keep = ("gross", "net", "unconverted", "by_currency")
        return {k: {x: v[x] for x in keep} for k, v in self.revenue("finalized", deferral).items()}

    # -- MRR (M1, M2, M3)
    def mrr_months(self) -> list[tuple[str, int]]:
        """(YYYY-MM, T) of every month whose end T (its last second) is at or before `now`."""
        return [(k, t) for k, t in clock.month_ends(self.w.start, self.w.now) if t <= self.w.now]

    def mrr_lines(self) -> dict[str, list[mr.Line]]:
        """Per customer, the subscription lines of their paid and open invoices as M1 reads them."""
        if self._mrr_lines is None:
            discounts = {s.discount.id: s.discount for s in self.w.subscriptions if s.discount is not None}
            subs = {s.id: _mrr_subscription(s) for s in self.w.subscriptions}
            out: dict[str, list[mr.Line]] = defaultdict(list)
            for inv in self.w.invoices:
                if inv.status not in MRR_INVOICE_STATUSES:
                    continue
                for line in inv.lines:
                    if line.subscription is not None:
                        out[inv.customer.id].append(_mrr_line(line, inv.status, subs[line.subscription], discounts))
            self._mrr_lines = dict(out)
        return self._mrr_lines

    def mrr_movements(self, settings: mr.Settings = mr.DEFAULTS) -> dict[str, list[tuple[str, mr.Movement]]]:
        """M1 and M2 per customer: (month, movement) for every month where the customer's start, end or FX
        is not zero. MRR is converted at its month end's date (D4)."""
        if settings not in self._movements:
            currency_of = {c.id: c.currency for c in self.w.customers}
            months = self.mrr_months()
            out = {}
            for customer_id, lines in sorted(self.mrr_lines().items()):
                moves = self._customer_movements(lines, currency_of[customer_id], months, settings)
                if moves:
                    out[customer_id] = moves
            self._movements[settings] = out
        return self._movements[settings]

    def _customer_movements(
        self, lines: list[mr.Line], currency: str, months: list[tuple[str, int]], settings: mr.Settings
    ) -> list[tuple[str, mr.Movement]]:
        moves = []
        previous, start, ever = 0, 0, False
        for key, t in months:
            current = mr.customer_mrr((x for x in lines if x.period_start <= t < x.period_end), t, settings)
            day = clock.to_date(t)
            end = self._convert(current, currency, day) or 0
            previous_now = self._convert(previous, currency, day) or 0
            mv = mr.movement(previous, current, ever, start, end, previous_now)
            assert mv.balances(), (key, mv)
            if mv.start or mv.end or mv.fx:
                moves.append((key, mv))
            previous, start, ever = current, end, ever or current > 0
        return moves

    def mrr(self, settings: mr.Settings = mr.DEFAULTS) -> list[dict[str, Any]]:
        """M1/M2 rows per customer per complete month: MRR in the customer's currency (`mrr_original`) and
        in the base currency (`mrr`, `previous_mrr`), the movement, its amount (≥ 0) and the FX part."""
        currency_of = {c.id: c.currency.upper() for c in self.w.customers}
        return [
            {
                "customer_id": customer_id,
                "month": key,
                "currency": currency_of[customer_id],
                "mrr_original": mv.current,
                "mrr": mv.end,
                "previous_mrr": mv.start,
                "movement": mv.movement,
                "movement_amount": mv.amount,
                "fx": mv.fx,
            }
            for customer_id, moves in self.mrr_movements(settings).items()
            for key, mv in moves
        ]

    def mrr_metrics(self, settings: mr.Settings = mr.DEFAULTS) -> dict[str, dict[str, Any]]:
        """M3 per complete month: customer counts, the bridge's totals and the rates."""
        by_month: dict[str, list[mr.Movement]] = defaultdict(list)
        for moves in self.mrr_movements(settings).values():
            for key, mv in moves:
                by_month[key].append(mv)
        out, active_before = {}, 0
        for key, _ in self.mrr_months():
            out[key] = mr.month_metrics(by_month[key], active_before)
            active_before = out[key]["active_customers"]
        return out

    def persons(self) -> dict[str, tuple[str, str, str]]:
        return dict(self.w.person_truth)

    def to_json(self) -> dict[str, Any]:
        return {
            "base_currency": self.base,
            "now": self.w.now,
            "revenue_monthly": {mode: self.revenue_monthly(mode) for mode in DEFERRALS},
            **self.revenue_json(),
            "mrr": self.mrr(),
            "mrr_variants": {name: self.mrr(settings) for name, settings in mr.VARIANTS.items()},
            "mrr_metrics": self.mrr_metrics(),
            "persons": {k: list(v) for k, v in self.persons().items()},
        }


def _line_month_ends(
    item: Item, parts: list[rr.Part], month_ends: list[tuple[str, int, rr.Checkpoint]]
) -> list[tuple[str, int, rr.Checkpoint]]:
    """The month ends at which a line's deferred balance can differ from zero: from its billing, first
    move or first event to the last of them (before, nothing is billed or moved; after, nothing is left)."""
    days = [clock.to_date(item.billed_at), parts[0].first, parts[-1].stop, *(clock.to_date(e.at) for e in item.events)]
    lo, hi = min(days), max(days)
    return [(k, t, cp) for k, t, cp in month_ends if lo < cp.day and (cp.day - timedelta(days=1)).replace(day=1) <= hi]


def _coupon(d: m.Discount | None) -> mr.Coupon | None:
    if d is None:
        return None
    return mr.Coupon(d.coupon.percent_off, d.coupon.duration, d.start, d.end)


def _mrr_subscription(s: m.Subscription) -> mr.Subscription:
    return mr.Subscription(s.status, s.ended_at, s.trial_end, s.canceled_at, _coupon(s.discount))


def _mrr_line(line: m.Line, status: str, sub: mr.Subscription, discounts: dict[str, m.Discount]) -> mr.Line:
    """An invoice line as M1 reads it: its own discount is the first of its discounts with a percent off."""
    own = (discounts.get(d) for _, d in line.discount_amounts)
    coupon = next((_coupon(d) for d in own if d is not None and d.coupon.percent_off is not None), None)
    return mr.Line(
        unit_amount=line.price.unit_amount,
        quantity=line.quantity,
        interval_months=line.price.interval_months,
        period_start=line.period_start,
        period_end=line.period_end,
        amount=line.amount,
        subscription=sub,
        invoice_status=status,
        discount_total=line.discount_total,
        coupon=coupon,
        inclusive_tax=line.inclusive_tax,
        proration=line.proration,
        recurring=line.price.recurring,
        metered=line.price.metered,
    )


def movement_amounts(previous: int, current: int, movement: str, fx: int = 0) -> dict[str, int]:
    """The bridge columns of one customer-month (base currency): start + in − out + fx = end by construction."""
    delta = current - previous - fx
    out = dict.fromkeys(BRIDGE, 0)
    if movement in mr.UP:
        out[movement] = delta
    elif movement in mr.DOWN:
        out[movement] = -delta
    return out
