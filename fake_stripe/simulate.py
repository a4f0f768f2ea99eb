"""Simulate a subscription business day by day and record it as Stripe objects and events.

Each customer's life is a small discrete-event simulation with its own seeded RNG stream (F1), so
customers are independent: the account scales linearly and re-simulating to a later clock
(`advance`) reproduces the past exactly. Object ids come from the customer's RNG; event ids are
hashes of what happened, so recording events (only inside the events window) never shifts the RNG.
"""

from __future__ import annotations

import hashlib
import heapq
import itertools
import random
import string
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from fake_stripe import catalog, clock
from fake_stripe import model as m
from fake_stripe import stripe_json as sj
from fake_stripe.clock import DAY
from fake_stripe.render import CURRENT_VERSION, LEGACY_VERSION, RenderContext, collapse, render
from fake_stripe.revenue_rules import round_half_away_exact

EVENTS_WINDOW = 30 * DAY
_B62 = string.digits + string.ascii_letters
PERSON_KEY = "posthog_person_distinct_id"
GROUP_KEY = "company_id"
CHILD_RANK = {"invoice": 1, "charge": 2, "subscription": 3}  # P1: on equal `created`, this order decides


def round_half_away(x: float) -> int:
    return int(x + 0.5) if x >= 0 else -int(-x + 0.5)


def rid(rng: random.Random, prefix: str, n: int = 14) -> str:
    return prefix + "".join(rng.choice(_B62) for _ in range(n))


def hashed_id(prefix: str, *parts: object, n: int = 24) -> str:
    digest = hashlib.blake2b("|".join(map(str, parts)).encode(), digest_size=18).digest()
    num = int.from_bytes(digest, "big")
    chars = []
    for _ in range(n):
        num, r = divmod(num, 62)
        chars.append(_B62[r])
    return prefix + "".join(chars)


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    return {k: before.get(k) for k in after if before.get(k) != after.get(k)}


@dataclass
class Recorder:
    """Collects events inside the window (now - 30 days, now], each frozen in its API version."""

    now: int
    upgrade_at: int  # events created before this use the legacy shape (the account upgraded then)
    account_id: str
    ctx: RenderContext
    events: list[dict[str, Any]] = field(default_factory=list)
    # occurrences of (object, type, time): part of the event id, and the same whatever the window
    _occurrences: dict[tuple[str, str, int], int] = field(default_factory=dict)

    def in_window(self, t: int) -> bool:
        return self.now - EVENTS_WINDOW < t <= self.now

    def version_at(self, t: int) -> str:
        return LEGACY_VERSION if t < self.upgrade_at else CURRENT_VERSION

    def emit(self, t: int, etype: str, obj: dict[str, Any], previous: dict[str, Any] | None = None) -> None:
        if not self.in_window(t):
            return
        version = self.version_at(t)
        # render first (the legacy shape reads expanded fields), then hide what events never expand
        data: dict[str, Any] = {"object": collapse(render(obj, version, self.ctx))}
        if previous is not None:
            data["previous_attributes"] = diff(collapse(render(previous, version, self.ctx)), data["object"])
        key = (obj["id"], etype, t)
        seq = self._occurrences[key] = self._occurrences.get(key, -1) + 1
        self.events.append(
            {
                "id": hashed_id("evt_", self.account_id, obj["id"], etype, t, seq),
                "object": "event",
                "api_version": version,
                "created": t,
                "data": data,
                "livemode": False,
                "pending_webhooks": 0,
                "request": {"id": None, "idempotency_key": None},
                "type": etype,
            }
        )

    def snapshot(self, t: int, builder: Callable[[Any], dict[str, Any]], obj: Any) -> dict[str, Any] | None:
        return builder(obj) if self.in_window(t) else None

    def updated(
        self, t: int, etype: str, builder: Callable[[Any], dict[str, Any]], obj: Any, before: dict[str, Any] | None
    ) -> None:
        if before is not None:
            self.emit(t, etype, builder(obj), previous=before)


@dataclass
class World:
    """Everything one account holds: catalog, records per resource, and the ground-truth side facts."""

    seed: int
    start: int
    now: int
    rec: Recorder
    origin: int  # the clock the account was first built at: fixed catalog history is dated from it
    products: dict[str, m.Product] = field(default_factory=dict)
    prices: dict[tuple[str, str, str], m.Price] = field(default_factory=dict)  # (product, currency, interval)
    coupons: dict[str, m.Coupon] = field(default_factory=dict)
    tax_rates: dict[str, m.TaxRate] = field(default_factory=dict)  # "vat" (inclusive), "sales_tax" (exclusive)
    customers: list[m.Customer] = field(default_factory=list)
    subscriptions: list[m.Subscription] = field(default_factory=list)
    invoices: list[m.Invoice] = field(default_factory=list)
    charges: list[m.Charge] = field(default_factory=list)
    refunds: list[m.Refund] = field(default_factory=list)
    credit_notes: list[m.CreditNote] = field(default_factory=list)
    disputes: list[m.Dispute] = field(default_factory=list)
    balance_transactions: list[m.BalanceTransaction] = field(default_factory=list)
    payouts: list[m.Payout] = field(default_factory=list)
    deleted_products: list[m.Product] = field(default_factory=list)
    persons: list[dict[str, Any]] = field(default_factory=list)
    groups: dict[str, dict[str, Any]] = field(default_factory=dict)
    person_truth: dict[str, tuple[str, str, str]] = field(default_factory=dict)  # cus -> (distinct, method, src)
    fx: Callable[[str, str, int], float] | None = None  # (from, to, ts) -> major-unit rate


# ---------------------------------------------------------------------------------------------- catalog


def build_catalog(world: World) -> None:
    rng = random.Random(f"{world.seed}:catalog")
    rec, t0 = world.rec, world.start - 30 * DAY
    for key, name, description in catalog.PRODUCTS:
        p = m.Product(
            id=rid(rng, "prod_"), name=name, created=t0, updated=t0, description=description, metadata={"key": key}
        )
        world.products[key] = p
        rec.emit(t0, "product.created", sj.product(p))
        for cur in catalog.CURRENCIES:
            if key in catalog.RECURRING:
                usd, _ = catalog.RECURRING[key]
                for ikey, (interval, count, months, factor) in catalog.INTERVALS.items():
                    amount = catalog.local_amount(usd * months * factor, cur)
                    price = m.Price(
                        id=rid(rng, "price_", 24),
                        product=p.id,
                        currency=cur,
                        unit_amount=amount,
                        created=t0,
                        interval=interval,
                        interval_count=count,
                        nickname=f"{name} {ikey}ly {cur.upper()}",
                        active=key != "legacy",
                    )
                    world.prices[(key, cur, ikey)] = price
            else:
                amount = catalog.local_amount(catalog.ONE_TIME[key], cur)
                price = m.Price(
                    id=rid(rng, "price_", 24),
                    product=p.id,
                    currency=cur,
                    unit_amount=amount,
                    created=t0,
                    nickname=f"{name} {cur.upper()}",
                )
                world.prices[(key, cur, "one_time")] = price
        p.default_price = world.prices.get((key, "usd", "month"), world.prices.get((key, "usd", "one_time"))).id
    build_metered_product(world, t0)
    for price in world.prices.values():
        world.rec.ctx.prices[price.id] = sj.price(price)  # type: ignore[index]
        rec.emit(t0, "price.created", sj.price(price))
    for cid, name, duration, pct, amount_off, months in catalog.COUPONS:
        world.coupons[cid] = m.Coupon(
            id=cid,
            name=name,
            created=t0,
            duration=duration,
            percent_off=pct,
            amount_off=amount_off,
            currency="usd" if amount_off else None,
            duration_in_months=months,
        )
    # A product retired and deleted inside the events window, and one renamed, so both reach ingestion.
    beta = m.Product(id=rid(rng, "prod_"), name="Beta feature", created=t0, updated=t0, description="Never launched")
    world.deleted_products.append(beta)
    rec.emit(t0, "product.created", sj.product(beta))
    beta.deleted_at = world.origin - 3 * DAY
    rec.emit(beta.deleted_at, "product.deleted", sj.product(beta))
    pro = world.products["pro"]
    t_rename = world.origin - 5 * DAY
    before = rec.snapshot(t_rename, sj.product, pro)
    pro.name, pro.updated = "Pro (per seat)", t_rename
    rec.updated(t_rename, "product.updated", sj.product, pro, before)
    world.tax_rates = {
        "vat": m.TaxRate(rid(rng, "txr_", 24), "VAT", "VAT 20% (inclusive)", Fraction(20), True, "GB", "GB", "vat", t0),
        "sales_tax": m.TaxRate(
            rid(rng, "txr_", 24),
            "Sales tax",
            "Texas sales tax",
            Fraction("8.25"),
            False,
            "US",
            "TX",
            "sales_tax",
            t0,
            "TX",
        ),
    }


def build_metered_product(world: World, t0: int) -> None:
    """The metered add-on (catalog.METERED): one monthly price per currency, `usage_type: metered`, each on
    a billing meter. Its ids come from a stream of their own, so the catalog's other ids are as they were."""
    rng = random.Random(f"{world.seed}:catalog:metered")
    key, name, description = catalog.METERED
    p = m.Product(
        id=rid(rng, "prod_"), name=name, created=t0, updated=t0, description=description, metadata={"key": key}
    )
    world.products[key] = p
    world.rec.emit(t0, "product.created", sj.product(p))
    meter = rid(rng, "mtr_", 24)
    for cur in catalog.CURRENCIES:
        world.prices[(key, cur, "month")] = m.Price(
            id=rid(rng, "price_", 24),
            product=p.id,
            currency=cur,
            unit_amount=catalog.METERED_UNIT_AMOUNT[cur],
            created=t0,
            interval="month",
            nickname=f"{name} monthly {cur.upper()}",
            usage_type="metered",
            meter=meter,
        )
    p.default_price = world.prices[(key, "usd", "month")].id


# --------------------------------------------------------------------------------------------- customers


class CustomerLife:
    """One customer's whole life, run as a discrete-event simulation up to the account clock."""

    def __init__(self, world: World, index: int, signup: int) -> None:
        self.w, self.rec = world, world.rec
        self.rng = random.Random(f"{world.seed}:customer:{index}")
        # the draws of cases added since (taxes, pre-payment credit notes, late payments, second refunds...):
        # a stream of their own, so adding one leaves every earlier draw, id and event of the account as it was
        self.extra = random.Random(f"{world.seed}:customer:{index}:extra")
        # the draws of the MRR cases (issue 15: repeating coupons, metered usage, invoices left open): a third
        # stream, because a new draw from `extra` would shift the issue-14 draws after it, and those reach
        # `rng` through handlers their handlers schedule (a dispute's review), changing the account's past
        self.extra_mrr = random.Random(f"{world.seed}:customer:{index}:extra:mrr")
        self.index, self.signup = index, signup
        self._queue: list[tuple[int, int, Callable[..., None], tuple[Any, ...]]] = []
        self._seq = itertools.count()
        self.customer: m.Customer | None = None
        self.active_sub: m.Subscription | None = None
        self.person_mode = "none"
        # (created, kind rank, "kind::id", distinct_id): the max is the match (P1)
        self.children_with_person: list[tuple[int, int, str, str]] = []

    # -- scheduling
    def at(self, t: int, fn: Callable[..., None], *args: Any) -> None:
        heapq.heappush(self._queue, (t, next(self._seq), fn, args))

    def run(self) -> None:
        self.at(self.signup, self.sign_up)
        while self._queue and self._queue[0][0] <= self.w.now:
            t, _, fn, args = heapq.heappop(self._queue)
            fn(t, *args)

    def id(self, prefix: str, n: int = 14) -> str:
        return rid(self.rng, prefix, n)

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def extra_chance(self, p: float) -> bool:
        return self.extra.random() < p

    def mrr_chance(self, p: float) -> bool:
        return self.extra_mrr.random() < p

    def at_extra(self, t: int, fn: Callable[..., None], *args: Any) -> None:
        """Schedule a handler of an added case: its draws (ids included) come from the `extra` stream."""
        self.at(t, self._run_extra, fn, *args)

    def _run_extra(self, t: int, fn: Callable[..., None], *args: Any) -> None:
        saved, self.rng = self.rng, self.extra
        try:
            fn(t, *args)
        finally:
            self.rng = saved

    # -- sign-up and profile
    def sign_up(self, t: int) -> None:
        rng = self.rng
        country, cur, _, cities = rng.choices(catalog.COUNTRIES, weights=[c[2] for c in catalog.COUNTRIES])[0]
        first = rng.choice(
            [
                "Ada",
                "Alan",
                "Grace",
                "Linus",
                "Margaret",
                "Ken",
                "Barbara",
                "Yukihiro",
                "Sophie",
                "Hamid",
                "Fatima",
                "Jonas",
                "Chloe",
                "Mateo",
                "Aiko",
                "Omar",
            ]
        )
        last = rng.choice(
            [
                "Lovelace",
                "Turing",
                "Hopper",
                "Torvalds",
                "Hamilton",
                "Thompson",
                "Liskov",
                "Matsumoto",
                "Wilson",
                "Karimi",
                "Haddad",
                "Berg",
                "Martin",
                "Garcia",
                "Sato",
            ]
        )
        cid = self.id("cus_")
        email = f"{first}.{last}.{self.index}@example.{country.lower()}".lower()
        c = m.Customer(
            id=cid,
            index=self.index,
            created=t,
            name=f"{first} {last}",
            email=email,
            phone=f"+1555{rng.randrange(10**6, 10**7)}" if self.chance(0.6) else None,
            country=country,
            city=rng.choice(cities),
            postal_code=str(rng.randrange(10000, 99999)),
            line1=f"{rng.randrange(1, 999)} Main Street",
            currency=cur,
        )
        self.customer = c
        self.w.customers.append(c)
        # How this customer links to a product-analytics person (issue: customers to persons).
        self.person_mode = rng.choices(
            ["customer", "child", "email", "none", "malformed"], weights=[40, 15, 15, 25, 5]
        )[0]
        self.distinct_id = hashed_id("ph_", self.w.seed, self.index, n=16)
        if self.person_mode == "customer":
            c.metadata[PERSON_KEY] = self.distinct_id
        elif self.person_mode == "malformed":
            c.metadata[PERSON_KEY] = rng.choice(["", "   "])
        if cur in ("eur", "gbp") and self.extra_chance(0.25):  # VAT included in the price
            c.tax_rate = self.w.tax_rates["vat"]
        elif cur == "usd" and self.extra_chance(0.2):  # sales tax on top
            c.tax_rate = self.w.tax_rates["sales_tax"]
        self.rec.emit(t, "customer.created", sj.customer(c))
        kind = rng.choices(["subscriber", "one_off", "late"], weights=[72, 18, 10])[0]
        self.b2b = False
        if kind == "subscriber":
            self.at(t, self.start_subscription, False)
        elif kind == "late":
            self.at(t + rng.randrange(DAY, 5 * DAY), self.one_off_charge)
            self.at(t + rng.randrange(30, 120) * DAY, self.start_subscription, False)
        else:
            for _ in range(rng.randrange(1, 4)):
                self.at(t + rng.randrange(0, 200) * DAY + rng.randrange(DAY), self.one_off_charge)
        if self.chance(0.12):
            self.at(t + rng.randrange(10, 400) * DAY, self.update_profile)

    def update_profile(self, t: int) -> None:
        c = self.customer
        assert c is not None
        if c.deleted_at is not None:
            return
        before = self.rec.snapshot(t, sj.customer, c)
        c.name = c.name + " Jr." if self.chance(0.5) else c.name
        c.phone = f"+1555{self.rng.randrange(10**6, 10**7)}"
        self.rec.updated(t, "customer.updated", sj.customer, c, before)

    def delete_customer(self, t: int) -> None:
        c = self.customer
        assert c is not None
        if self.active_sub is not None or c.deleted_at is not None:
            return
        c.deleted_at = t
        self.rec.emit(t, "customer.deleted", sj.customer(c))

    def person_metadata(self, kind: str, obj_id: str, t: int) -> dict[str, str]:
        """Metadata for a child object: customers of mode `child` carry their person id on children."""
        if self.person_mode != "child" or not self.chance(0.7):
            return {}
        # Some children carry an older id (a person merge) so the most recent child decides.
        value = (
            self.distinct_id
            if not self.children_with_person or self.chance(0.6)
            else hashed_id("ph_", self.w.seed, self.index, "old", n=16)
        )
        self.children_with_person.append((t, CHILD_RANK[kind], f"{kind}::{obj_id}", value))
        return {PERSON_KEY: value}

    # -- one-off purchases
    def one_off_charge(self, t: int) -> None:
        c = self.customer
        assert c is not None
        if c.deleted_at is not None:
            return
        price = self.w.prices[(self.rng.choice(["consulting", "onboarding"]), c.currency, "one_time")]
        qty = self.rng.randrange(1, 4) if price.product == self.w.products["consulting"].id else 1
        cid = self.id("ch_", 24)
        ch = m.Charge(
            id=cid,
            customer=c.id,
            currency=c.currency,
            amount=price.unit_amount * qty,
            created=t,
            payment_intent=self.id("pi_", 24),
            status="succeeded",
            description=f"{qty} x one-off",
            metadata=self.person_metadata("charge", cid, t),
        )
        if self.chance(0.06):
            ch.status, ch.failure_code = "failed", "card_declined"
        self.record_charge(t, ch)

    def record_charge(self, t: int, ch: m.Charge) -> None:
        self.w.charges.append(ch)
        if ch.invoice:
            self.rec.ctx.invoice_by_charge[ch.id] = ch.invoice  # type: ignore[index]
        if ch.status == "succeeded":
            self.rec.ctx.charge_by_payment_intent[ch.payment_intent] = ch.id  # type: ignore[index]
            ch.balance_transaction = self.balance_txn(t, ch.amount, ch.currency, "charge", ch.id, fee=True).id
            self.rec.emit(t, "charge.succeeded", sj.charge(ch))
            if self.chance(0.03):
                self.at(t + self.rng.randrange(1, 21) * DAY, self.refund_charge, ch, None)
            elif self.chance(0.008):
                self.at(t + self.rng.randrange(5, 40) * DAY, self.open_dispute, ch)
            elif self.extra_chance(0.01):  # more disputes (won, lost, open) than the first streams drew
                self.at_extra(t + self.extra.randrange(5, 40) * DAY, self.open_dispute, ch)
        else:
            self.rec.emit(t, "charge.failed", sj.charge(ch))

    def balance_txn(
        self,
        t: int,
        amount: int,
        currency: str,
        kind: str,
        source: str,
        fee: bool,
        category: str | None = None,
        extra_fee: int = 0,
    ) -> m.BalanceTransaction:
        """Settle in USD, EUR or GBP; JPY and KWD convert to USD at the day's rate."""
        settle, rate = currency, None
        if currency in ("jpy", "kwd"):
            assert self.w.fx is not None
            rate = self.w.fx(currency, "usd", t)
            major = amount / catalog._MINOR[currency]
            settle, amount = "usd", round_half_away(major * rate * 100)
        fixed = {"usd": 30, "eur": 25, "gbp": 20}[settle]
        fee_amount = (round_half_away(abs(amount) * 0.029) + fixed if fee else 0) + extra_fee
        bt = m.BalanceTransaction(
            id=self.id("txn_", 24),
            amount=amount,
            currency=settle,
            fee=fee_amount,
            created=t,
            available_on=clock.start_of_day(t) + 2 * DAY,
            type=kind,
            reporting_category=category or kind,
            source=source,
            exchange_rate=rate,
        )
        self.w.balance_transactions.append(bt)
        return bt

    # -- subscriptions
    def start_subscription(self, t: int, reactivation: bool) -> None:
        c, rng, w = self.customer, self.rng, self.w
        assert c is not None
        if c.deleted_at is not None or self.active_sub is not None:
            return
        plan = rng.choices(["starter", "pro", "enterprise"], weights=[55, 35, 10])[0]
        ikey = rng.choices(
            ["month", "quarter", "year"], weights=[70, 10, 20] if plan != "enterprise" else [20, 10, 70]
        )[0]
        self.b2b = self.b2b or plan != "starter"
        if self.b2b and GROUP_KEY not in c.metadata and self.chance(0.7):
            group = hashed_id("grp_", w.seed, self.index % 997, n=10)  # several customers per company
            c.metadata[GROUP_KEY] = group
            w.groups[group] = {"group_type": "company", "group_key": group, "name": f"Company {group[-4:]}"}
        sid = self.id("sub_", 24)
        qty = rng.randrange(2, 16) if plan == "pro" else 1
        items = [
            m.SubItem(
                id=self.id("si_"), subscription=sid, price=w.prices[(plan, c.currency, ikey)], quantity=qty, created=t
            )
        ]
        if plan != "enterprise" and self.chance(0.15):
            items.append(
                m.SubItem(
                    id=self.id("si_"),
                    subscription=sid,
                    price=w.prices[("storage", c.currency, ikey)],
                    quantity=rng.randrange(1, 4),
                    created=t,
                )
            )
        trial = not reactivation and plan != "enterprise" and self.chance(0.3)
        sub = m.Subscription(
            id=sid,
            customer=c.id,
            currency=c.currency,
            created=t,
            start_date=t,
            items=items,
            billing_cycle_anchor=t + (14 * DAY if trial else 0),
            metadata=self.person_metadata("subscription", sid, t),
            tax_rate=c.tax_rate,
        )
        if self.chance(0.12):
            sub.discount = m.Discount(
                id=self.id("di_", 24), coupon=w.coupons["LOYAL20"], start=t, customer=c.id, subscription=sid
            )
        elif ikey == "month" and not trial and self.mrr_chance(0.15):
            sub.discount = self.repeating_discount(t, sub, w.coupons["SPRING20"])
        if ikey == "month" and self.mrr_chance(0.2):  # usage-based add-on, billed in arrears
            price = w.prices[(catalog.METERED[0], c.currency, "month")]
            items.append(m.SubItem(rid(self.extra_mrr, "si_"), sid, price, quantity=0, created=t))
        w.subscriptions.append(sub)
        self.active_sub = sub
        if trial:
            sub.status, sub.trial_start, sub.trial_end = "trialing", t, t + 14 * DAY
            self.set_period(sub, t, sub.trial_end)
            self.rec.emit(t, "customer.subscription.created", sj.subscription(sub))
            lines = [self.sub_line(sub, it, t, sub.trial_end, trial=True) for it in sub.licensed_items()]
            inv = self.new_invoice(t, sub, "subscription_create", lines)
            self.finalize(t, inv)
            self.pay_without_charge(t, inv)
            if self.chance(0.25):  # the trial never converts
                self.at(sub.trial_end, self.end_subscription, sub, "trial_ended")
            else:
                self.at(sub.trial_end, self.renew, sub)
            return
        sub.status = "incomplete"
        self.set_period(sub, t, self.period_end(sub, t))
        self.rec.emit(t, "customer.subscription.created", sj.subscription(sub))
        welcome = None if reactivation or not self.chance(0.08) else w.coupons["WELCOME50"]
        if self.chance(0.1):
            self.onboarding_invoice(t)
        self.bill_period(t, sub, "subscription_create", welcome)

    def repeating_discount(self, t: int, sub: m.Subscription, coupon: m.Coupon) -> m.Discount:
        """A repeating coupon's discount from `t`: it ends `duration_in_months` later, as Stripe sets
        `discount.end`. Only on monthly subscriptions without a trial, so it ends on a period boundary."""
        assert coupon.duration_in_months is not None
        end = clock.add_months(t, coupon.duration_in_months)
        return m.Discount(rid(self.extra_mrr, "di_", 24), coupon, t, sub.customer, subscription=sub.id, end=end)

    def period_end(self, sub: m.Subscription, start: int) -> int:
        months = sub.items[0].price.interval_months
        k = round((start - sub.billing_cycle_anchor) / (30.44 * DAY * months))
        return clock.add_months(sub.billing_cycle_anchor, (k + 1) * months)

    def set_period(self, sub: m.Subscription, start: int, end: int) -> None:
        sub.current_period_start, sub.current_period_end = start, end
        for it in sub.live_items():
            it.current_period_start, it.current_period_end = start, end

    def sub_line(self, sub: m.Subscription, item: m.SubItem, start: int, end: int, trial: bool = False) -> m.Line:
        """A licensed item's line for [start, end), invoiced at `start` with the discount in force then."""
        amount = 0 if trial else item.price.unit_amount * item.quantity
        percent_off = sub.percent_off_at(start)
        line = m.Line(
            id=self.id("il_", 24),
            invoice="",
            amount=amount,
            currency=sub.currency,
            description=("Trial period for " if trial else f"{item.quantity} × ")
            + self.w.rec.ctx.prices[item.price.id]["nickname"],
            period_start=start,
            period_end=end,
            quantity=item.quantity,
            price=item.price,
            subscription=sub.id,
            subscription_item=item.id,
            percent_off=percent_off,
        )
        if sub.discount is not None and sub.discount.in_force(start) and amount > 0:
            line.discount_amounts = [(round_half_away(amount * percent_off / 100), sub.discount.id)]
        return line

    def usage_line(self, t: int, sub: m.Subscription, item: m.SubItem, start: int) -> m.Line:
        """A metered item's line on the invoice at `t`: the usage of [start, t), the period just ended (in
        arrears, as Stripe bills metered prices), with the discount in force at `t`. Drawn from `extra_mrr`."""
        quantity = self.extra_mrr.randrange(20, 3000)
        amount = item.price.unit_amount * quantity
        percent_off = sub.percent_off_at(t)
        line = m.Line(
            id=rid(self.extra_mrr, "il_", 24),
            invoice="",
            amount=amount,
            currency=sub.currency,
            description=f"{quantity} × " + self.w.rec.ctx.prices[item.price.id]["nickname"],
            period_start=start,
            period_end=t,
            quantity=quantity,
            price=item.price,
            subscription=sub.id,
            subscription_item=item.id,
            percent_off=percent_off,
        )
        if percent_off:
            assert sub.discount is not None
            line.discount_amounts = [(round_half_away(amount * percent_off / 100), sub.discount.id)]
        return line

    def new_invoice(
        self,
        t: int,
        sub: m.Subscription | None,
        reason: str,
        lines: list[m.Line],
        period: tuple[int, int] | None = None,
    ) -> m.Invoice:
        c = self.customer
        assert c is not None
        c.invoice_seq += 1
        inv = m.Invoice(
            id=self.id("in_", 24),
            customer=c,
            currency=c.currency,
            created=t,
            billing_reason=reason,
            lines=lines,
            period_start=period[0] if period else t,
            period_end=period[1] if period else t,
            number=f"{c.id[4:12].upper()}-{c.invoice_seq:04d}",
            subscription=sub.id if sub else None,
        )
        inv.metadata = self.person_metadata("invoice", inv.id, t)
        for line in lines:
            line.invoice = inv.id
            if c.tax_rate is not None:  # on the amount after the line's own discounts, rounded per line
                line.tax_rate, line.tax = c.tax_rate, c.tax_rate.tax_on(line.amount - line.discount_total)
        self.w.invoices.append(inv)
        if sub is not None:
            sub.latest_invoice = inv.id
        self.rec.emit(t, "invoice.created", sj.invoice(inv))
        return inv

    def finalize(self, t: int, inv: m.Invoice) -> None:
        c = inv.customer
        before = self.rec.snapshot(t, sj.invoice, inv)
        inv.starting_balance = c.balance
        c.balance = inv.ending_balance
        inv.status, inv.finalized_at = "open", t
        self.rec.updated(t, "invoice.finalized", sj.invoice, inv, before)

    def pay_without_charge(self, t: int, inv: m.Invoice) -> None:
        before = self.rec.snapshot(t, sj.invoice, inv)
        inv.status, inv.paid_at = "paid", t
        self.rec.updated(t, "invoice.paid", sj.invoice, inv, before)

    def bill_period(
        self, t: int, sub: m.Subscription, reason: str, coupon: m.Coupon | None = None, usage_since: int | None = None
    ) -> None:
        """The invoice of a new period: its licensed items in advance and, from `usage_since` (the period
        just ended, on a renewal), its metered items' usage in arrears."""
        start, end = sub.current_period_start, sub.current_period_end
        lines = [self.sub_line(sub, it, start, end) for it in sub.licensed_items()]
        if usage_since is not None:
            lines += [self.usage_line(t, sub, it, usage_since) for it in sub.live_items() if it.price.metered]
        inv = self.new_invoice(t, sub, reason, lines, (start, end))
        if coupon is not None:
            net = inv.subtotal - inv.total_discount
            d = m.Discount(id=self.id("di_", 24), coupon=coupon, start=t, customer=inv.customer.id, invoice=inv.id)
            inv.invoice_discounts.append((round_half_away(net * (coupon.percent_off or 0) / 100), d))
        elif inv.currency == "usd" and self.chance(0.02) and reason == "subscription_cycle":
            d = m.Discount(
                id=self.id("di_", 24),
                coupon=self.w.coupons["SORRY10"],
                start=t,
                customer=inv.customer.id,
                invoice=inv.id,
            )
            inv.invoice_discounts.append((min(1000, inv.subtotal - inv.total_discount), d))
        self.at(t + 3600, self.finalize_and_collect, inv, sub)

    def finalize_and_collect(self, t: int, inv: m.Invoice, sub: m.Subscription | None) -> None:
        self.finalize(t, inv)
        if inv.amount_due > 0 and self.extra_chance(0.01):  # credited at finalization, before the customer pays
            self._run_extra(t, self.issue_pre_payment_credit_note, inv)
        self.collect(t, inv, sub)

    def collect(self, t: int, inv: m.Invoice, sub: m.Subscription | None) -> None:
        if inv.amount_due == 0:
            self.pay_without_charge(t, inv)
            self.after_payment(t, inv, sub, True)
            return
        inv.payments.append(
            m.InvoicePayment(id=self.id("inpay_", 24), invoice=inv.id, charge=None, created=t, status="open")
        )
        self.attempt(t, inv, sub, 0)

    def attempt(self, t: int, inv: m.Invoice, sub: m.Subscription | None, n: int) -> None:
        if inv.status != "open":
            return
        c = inv.customer
        p_ok = (0.97 if inv.billing_reason == "subscription_create" else 0.92) if n == 0 else 0.45
        ok = self.chance(p_ok)
        payment = inv.payments[-1]
        pi = payment.charge.payment_intent if payment.charge else self.id("pi_", 24)
        ch = m.Charge(
            id=self.id("ch_", 24),
            customer=c.id,
            currency=inv.currency,
            amount=inv.amount_due,
            created=t,
            payment_intent=pi,
            status="succeeded" if ok else "failed",
            description="Subscription update"
            if inv.billing_reason == "subscription_update"
            else "Subscription creation"
            if inv.billing_reason == "subscription_create"
            else "Subscription cycle"
            if inv.subscription
            else "Invoice payment",
            invoice=inv.id,
            failure_code=None if ok else "card_declined",
        )
        payment.charge = ch
        self.record_charge(t, ch)
        before = self.rec.snapshot(t, sj.invoice, inv)
        inv.attempt_count += 1
        if ok:
            payment.status, payment.paid_at = "paid", t
            inv.status, inv.paid_at, inv.next_payment_attempt = "paid", t, None
            self.rec.updated(t, "invoice.paid", sj.invoice, inv, before)
            self.after_payment(t, inv, sub, True)
            if self.chance(0.02):
                self.at(t + self.rng.randrange(1, 15) * DAY, self.issue_credit_note, inv)
            return
        retry_in = [3, 5, 7]
        if inv.billing_reason == "subscription_create" and sub is not None and sub.status == "incomplete":
            inv.next_payment_attempt = None
            self.rec.updated(t, "invoice.payment_failed", sj.invoice, inv, before)
            self.at(t + 23 * 3600, self.expire_incomplete, inv, sub)
            return
        if n < len(retry_in):
            inv.next_payment_attempt = t + retry_in[n] * DAY
            self.rec.updated(t, "invoice.payment_failed", sj.invoice, inv, before)
            self.at(inv.next_payment_attempt, self.attempt, inv, sub, n + 1)
            if self.extra_chance(0.05):  # the customer complains and gets a credit before the retry
                self.at_extra(t + retry_in[n] * DAY // 2, self.pre_payment_credit_note, inv, sub)
            self.after_payment(t, inv, sub, False)
            return
        inv.next_payment_attempt = None
        self.rec.updated(t, "invoice.payment_failed", sj.invoice, inv, before)
        self.retries_exhausted(t, inv, sub)

    def retries_exhausted(self, t: int, inv: m.Invoice, sub: m.Subscription | None) -> None:
        """The last retry failed. The invoice is marked uncollectible and the subscription canceled, or marked
        `unpaid` and canceled 30 days later; or (issue 15) the subscription is marked `unpaid` for good and
        the invoice left `open` (Stripe's dunning settings "mark the subscription as unpaid" and "leave the
        invoice past due"): the customer's life stops there."""
        fate, later = self.extra.random(), t + self.extra.randrange(10, 120) * DAY + self.extra.randrange(DAY)
        dunning = sub is not None and sub.ended_at is None
        cancel = dunning and self.chance(0.5)
        leave_open = dunning and not cancel and self.mrr_chance(0.5)
        if not leave_open:
            before = self.rec.snapshot(t, sj.invoice, inv)
            inv.status, inv.marked_uncollectible_at = "uncollectible", t
            inv.payments[-1].status = "canceled"
            self.rec.updated(t, "invoice.marked_uncollectible", sj.invoice, inv, before)
            if fate < 0.2:
                self.at_extra(later, self.late_payment, inv)
            elif fate < 0.4:
                self.at_extra(later, self.late_void, inv)
        if sub is None or not dunning:
            return
        if cancel:
            self.end_subscription(t, sub, "payment_failed")
        else:
            self.set_status(t, sub, "unpaid")
            if not leave_open:
                self.at(t + 30 * DAY, self.end_subscription, sub, "payment_failed")

    def late_payment(self, t: int, inv: m.Invoice) -> None:
        """An uncollectible invoice paid after all (R11): a new payment, the invoice `paid`."""
        if inv.status != "uncollectible":
            return
        ch = m.Charge(
            id=self.id("ch_", 24),
            customer=inv.customer.id,
            currency=inv.currency,
            amount=inv.amount_due,
            created=t,
            payment_intent=self.id("pi_", 24),
            status="succeeded",
            description="Invoice payment",
            invoice=inv.id,
        )
        inv.payments.append(
            m.InvoicePayment(id=self.id("inpay_", 24), invoice=inv.id, charge=ch, created=t, status="paid", paid_at=t)
        )
        self.record_charge(t, ch)
        before = self.rec.snapshot(t, sj.invoice, inv)
        inv.status, inv.paid_at = "paid", t
        self.rec.updated(t, "invoice.paid", sj.invoice, inv, before)

    def late_void(self, t: int, inv: m.Invoice) -> None:
        """An uncollectible invoice voided later (R11: its bad debt moves to voids)."""
        if inv.status != "uncollectible":
            return
        before = self.rec.snapshot(t, sj.invoice, inv)
        inv.status, inv.voided_at = "void", t
        self.rec.updated(t, "invoice.voided", sj.invoice, inv, before)

    def expire_incomplete(self, t: int, inv: m.Invoice, sub: m.Subscription) -> None:
        before = self.rec.snapshot(t, sj.invoice, inv)
        inv.status, inv.voided_at = "void", t
        inv.payments[-1].status = "canceled"
        self.rec.updated(t, "invoice.voided", sj.invoice, inv, before)
        before = self.rec.snapshot(t, sj.subscription, sub)
        sub.status, sub.ended_at = "incomplete_expired", t
        self.rec.updated(t, "customer.subscription.updated", sj.subscription, sub, before)
        self.active_sub = None

    def set_status(self, t: int, sub: m.Subscription, status: str) -> None:
        if sub.status == status:
            return
        before = self.rec.snapshot(t, sj.subscription, sub)
        sub.status = status
        self.rec.updated(t, "customer.subscription.updated", sj.subscription, sub, before)

    def after_payment(self, t: int, inv: m.Invoice, sub: m.Subscription | None, ok: bool) -> None:
        if sub is None or sub.ended_at is not None:
            return
        if ok and sub.status in ("incomplete", "past_due", "trialing"):
            self.set_status(t, sub, "active")
        elif not ok and sub.status in ("active", "trialing"):
            self.set_status(t, sub, "past_due")
        if inv.billing_reason in ("subscription_create", "subscription_cycle"):
            self.plan_the_period(t, sub)

    def plan_the_period(self, t: int, sub: m.Subscription) -> None:
        """Once per period: maybe a plan change, maybe a cancellation; always the next renewal."""
        if sub.planned_until >= sub.current_period_end:
            return
        sub.planned_until = sub.current_period_end
        ps, pe = sub.current_period_start, sub.current_period_end
        months = sub.items[0].price.interval_months
        churn = 1 - (1 - 0.035) ** months
        if self.chance(churn):
            self.at(ps + int((pe - ps) * self.rng.uniform(0.1, 0.9)), self.request_cancel, sub)
        elif self.chance(1 - (1 - 0.06) ** min(months, 3)):
            self.at(ps + int((pe - ps) * self.rng.uniform(0.2, 0.8)), self.change_plan, sub)
        self.at(pe, self.renew, sub)

    def renew(self, t: int, sub: m.Subscription) -> None:
        if sub.ended_at is not None:
            return
        if sub.cancel_at_period_end and sub.cancel_at is not None and t >= sub.cancel_at:
            self.end_subscription(t, sub, "cancellation_requested")
            return
        before = self.rec.snapshot(t, sj.subscription, sub)
        ended = sub.current_period_start
        self.set_period(sub, t, self.period_end(sub, t))
        self.rec.updated(t, "customer.subscription.updated", sj.subscription, sub, before)
        if sub.status == "unpaid":
            self.at(sub.current_period_end, self.renew, sub)
            return
        reason = "subscription_create" if sub.trial_end == t else "subscription_cycle"
        self.bill_period(t, sub, reason, usage_since=ended if reason == "subscription_cycle" else None)

    def request_cancel(self, t: int, sub: m.Subscription) -> None:
        if sub.ended_at is not None or sub.cancel_at_period_end:
            return
        if self.chance(0.6):
            before = self.rec.snapshot(t, sj.subscription, sub)
            sub.cancel_at_period_end, sub.cancel_at, sub.canceled_at = True, sub.current_period_end, t
            sub.cancellation_reason = "cancellation_requested"
            self.rec.updated(t, "customer.subscription.updated", sj.subscription, sub, before)
            return
        if self.chance(0.5) and sub.status in ("active", "past_due"):
            lines = [self.proration_line(sub, it, t, credit=True) for it in sub.licensed_items()]
            inv = self.new_invoice(t, sub, "subscription_update", lines, (t, sub.current_period_end))
            self.finalize(t, inv)
            self.pay_without_charge(t, inv)
        self.end_subscription(t, sub, "cancellation_requested")

    def proration_line(self, sub: m.Subscription, item: m.SubItem, t: int, credit: bool) -> m.Line:
        ps, pe = sub.current_period_start, sub.current_period_end
        frac = (pe - t) / (pe - ps)
        percent_off = sub.percent_off_at(t)
        gross = item.price.unit_amount * item.quantity * frac * (100 - percent_off) / 100
        amount = -round_half_away(gross) if credit else round_half_away(gross)
        label = self.w.rec.ctx.prices[item.price.id]["nickname"]
        return m.Line(
            id=self.id("il_", 24),
            invoice="",
            amount=amount,
            currency=sub.currency,
            description=("Unused time on " if credit else "Remaining time on ") + label,
            period_start=t,
            period_end=pe,
            quantity=item.quantity,
            price=item.price,
            proration=True,
            discountable=False,
            subscription=sub.id,
            invoice_item=self.id("ii_", 24),
            percent_off=percent_off,
        )

    def change_plan(self, t: int, sub: m.Subscription) -> None:
        """Upgrade, downgrade or change seats mid-period, prorated and invoiced at once."""
        if sub.ended_at is not None or sub.cancel_at_period_end or sub.status not in ("active", "past_due"):
            return
        w, c = self.w, self.customer
        assert c is not None
        item = sub.live_items()[0]
        key, _, ikey = next(k for k, p in w.prices.items() if p.id == item.price.id)
        credit = self.proration_line(sub, item, t, credit=True)
        before = self.rec.snapshot(t, sj.subscription, sub)
        if key == "pro" and self.chance(0.6):
            item.quantity = max(1, item.quantity + self.rng.choice([-3, -2, -1, 1, 2, 3, 5]))
        elif key == "starter" or (key == "pro" and self.chance(0.5)):
            item.price = w.prices[("pro" if key == "starter" else "enterprise", c.currency, ikey)]
            item.quantity = self.rng.randrange(2, 8) if key == "starter" else 1
        else:
            item.price = w.prices[("starter" if key == "pro" else "pro", c.currency, ikey)]
            item.quantity = 1 if key == "pro" else self.rng.randrange(3, 10)
        if item.quantity == credit.quantity and item.price.id == credit.price.id:
            item.quantity += 1
        debit = self.proration_line(sub, item, t, credit=False)
        self.rec.updated(t, "customer.subscription.updated", sj.subscription, sub, before)
        inv = self.new_invoice(t, sub, "subscription_update", [credit, debit], (t, sub.current_period_end))
        self.at(t + 3600, self.finalize_and_collect, inv, None)

    def end_subscription(self, t: int, sub: m.Subscription, reason: str) -> None:
        if sub.ended_at is not None:
            return
        before = self.rec.snapshot(t, sj.subscription, sub)
        sub.status, sub.ended_at = "canceled", t
        sub.canceled_at = sub.canceled_at or t
        sub.cancellation_reason = sub.cancellation_reason or reason
        if before is not None:
            self.rec.emit(t, "customer.subscription.deleted", sj.subscription(sub), previous=before)
        self.active_sub = None
        if self.chance(0.35):
            self.at(t + self.rng.randrange(30, 180) * DAY, self.start_subscription, True)
        elif self.chance(0.15):
            self.at(t + self.rng.randrange(30, 90) * DAY, self.delete_customer)

    def onboarding_invoice(self, t: int) -> None:
        c = self.customer
        assert c is not None
        price = self.w.prices[("onboarding", c.currency, "one_time")]
        line = m.Line(
            id=self.id("il_", 24),
            invoice="",
            amount=price.unit_amount,
            currency=c.currency,
            description="Onboarding",
            period_start=t,
            period_end=t,
            quantity=1,
            price=price,
            invoice_item=self.id("ii_", 24),
        )
        inv = self.new_invoice(t, None, "manual", [line])
        self.at(t + 3600, self.finalize_and_collect, inv, None)

    # -- money going back
    def refund_charge(self, t: int, ch: m.Charge, amount: int | None) -> m.Refund | None:
        left = ch.amount - ch.amount_refunded
        if left <= 0 or ch.disputed:
            return None
        if amount is None:
            amount = left if self.chance(0.6) else max(1, round_half_away(left * self.rng.uniform(0.2, 0.8)))
        amount = min(amount, left)
        r = m.Refund(
            id=self.id("re_", 24),
            charge=ch,
            amount=amount,
            created=t,
            reason=self.rng.choice(["requested_by_customer", "duplicate", None]),
        )
        r.balance_transaction = self.balance_txn(t, -amount, ch.currency, "refund", r.id, fee=False).id
        self.w.refunds.append(r)
        before = self.rec.snapshot(t, sj.charge, ch)
        ch.amount_refunded += amount
        self.rec.updated(t, "charge.refunded", sj.charge, ch, before)
        self.rec.emit(t, "refund.created", sj.refund(r))
        if amount < left and self.extra_chance(0.35):  # a second refund of part of the rest
            self.at_extra(t + self.extra.randrange(1, 20) * DAY, self.refund_charge, ch, None)
        if self.extra_chance(0.25):  # the cardholder disputes the payment anyway (R10's other loss)
            self.at_extra(t + self.extra.randrange(5, 40) * DAY, self.open_dispute, ch, True)
        return r

    def credit_note(self, t: int, inv: m.Invoice, limit: int, pre_payment: bool) -> m.CreditNote | None:
        """A credit note for part of one line, tax included in proportion, at most `limit`."""
        # metered lines are never credited: the choice below draws from the original stream
        positive = [line for line in inv.lines if line.amount - line.discount_total > 0 and not line.price.metered]
        if not positive or limit <= 0:
            return None
        line = self.rng.choice(positive)
        line_total = line.amount - line.discount_total + line.exclusive_tax
        amount = min(limit, max(1, round_half_away(line_total * self.rng.uniform(0.2, 1.0))))
        cn = m.CreditNote(
            id=self.id("cn_", 24),
            invoice=inv,
            number=f"{inv.number}-CN-{inv.credit_note_count + 1:02d}",
            created=t,
            amount=amount,
            reason=self.rng.choice(["product_unsatisfactory", "order_change"]),
            lines=[],
            pre_payment=pre_payment,
            tax_rate=line.tax_rate,
            tax=round_half_away_exact(Fraction(amount * line.tax, line_total)) if line.tax else 0,
        )
        cn.lines = [(self.id("cnli_", 24), line, cn.subtotal)]
        inv.credit_note_count += 1
        return cn

    def issue_pre_payment_credit_note(self, t: int, inv: m.Invoice) -> None:
        """A credit note on an open invoice (Stripe's pre-payment credit note): `amount_due` drops by its
        amount, and the payment that follows is for the rest."""
        cn = self.credit_note(t, inv, inv.amount_due, True) if inv.status == "open" else None
        if cn is not None:
            before = self.rec.snapshot(t, sj.invoice, inv)
            inv.pre_payment_credit_notes_amount += cn.amount
            self.w.credit_notes.append(cn)
            self.rec.emit(t, "credit_note.created", sj.credit_note(cn))
            self.rec.updated(t, "invoice.updated", sj.invoice, inv, before)

    def pre_payment_credit_note(self, t: int, inv: m.Invoice, sub: m.Subscription | None) -> None:
        """A pre-payment credit note between payment attempts; one that credits everything settles the invoice."""
        self.issue_pre_payment_credit_note(t, inv)
        if inv.status == "open" and inv.amount_due == 0:  # credited in full: nothing left to collect
            inv.payments[-1].status = "canceled"
            self.pay_without_charge(t, inv)
            self.after_payment(t, inv, sub, True)

    def issue_credit_note(self, t: int, inv: m.Invoice) -> None:
        """A credit note on a paid invoice: refunded on its charge, or credited to the customer balance."""
        limit = inv.total - inv.pre_payment_credit_notes_amount - inv.post_payment_credit_notes_amount
        cn = self.credit_note(t, inv, limit, False)
        if cn is None:
            return
        charge = next((p.charge for p in inv.payments if p.status == "paid"), None)
        if charge is not None and self.chance(0.5) and charge.amount - charge.amount_refunded >= cn.amount:
            cn.refund = self.refund_charge(t, charge, cn.amount)
        if cn.refund is None:
            cn.credit_amount = cn.amount
            inv.customer.balance -= cn.amount
        before = self.rec.snapshot(t, sj.invoice, inv)
        inv.post_payment_credit_notes_amount += cn.amount
        self.w.credit_notes.append(cn)
        self.rec.emit(t, "credit_note.created", sj.credit_note(cn))
        self.rec.updated(t, "invoice.updated", sj.invoice, inv, before)

    def open_dispute(self, t: int, ch: m.Charge, after_refund: bool = False) -> None:
        """The cardholder disputes the whole charge; a refunded one only when `after_refund`."""
        if ch.disputed or (ch.amount_refunded > 0 and not after_refund):
            return
        d = m.Dispute(
            id=self.id("dp_", 24),
            charge=ch,
            amount=ch.amount,
            created=t,
            reason=self.rng.choice(["fraudulent", "product_not_received", "subscription_canceled"]),
        )
        bt = self.balance_txn(
            t, -ch.amount, ch.currency, "adjustment", d.id, fee=False, category="dispute", extra_fee=1500
        )
        d.balance_transactions.append(bt)
        before = self.rec.snapshot(t, sj.charge, ch)
        ch.disputed = True
        self.w.disputes.append(d)
        self.rec.updated(t, "charge.updated", sj.charge, ch, before)
        self.rec.emit(t, "charge.dispute.created", sj.dispute(d))
        self.at(t + 7 * DAY, self.review_dispute, d)

    def review_dispute(self, t: int, d: m.Dispute) -> None:
        before = self.rec.snapshot(t, sj.dispute, d)
        d.status = "under_review"
        self.rec.updated(t, "charge.dispute.updated", sj.dispute, d, before)
        self.at(t + self.rng.randrange(10, 50) * DAY, self.close_dispute, d)

    def close_dispute(self, t: int, d: m.Dispute) -> None:
        before = self.rec.snapshot(t, sj.dispute, d)
        d.status, d.closed_at = ("won" if self.chance(0.5) else "lost"), t
        if d.status == "won":
            bt = self.balance_txn(
                t, d.amount, d.charge.currency, "adjustment", d.id, fee=False, category="dispute_reversal"
            )
            d.balance_transactions.append(bt)  # the funds reinstated: R11's moment of a won dispute
        self.rec.updated(t, "charge.dispute.closed", sj.dispute, d, before)

    def finish(self) -> None:
        """Record the persons file rows and the expected match (P1) once the life is over (up to `now`)."""
        c, w = self.customer, self.w
        if c is None:
            return
        mode = self.person_mode
        if mode == "customer":
            w.person_truth[c.id] = (self.distinct_id, "customer_metadata", f"customer::{c.id}")
            w.persons.append(self.person(self.distinct_id, c.email))
        elif mode == "child" and self.children_with_person:
            _, _, source, value = max(self.children_with_person)
            w.person_truth[c.id] = (value, "child_metadata", source)
            for v in sorted({v for *_, v in self.children_with_person}):
                w.persons.append(self.person(v, None))
        elif mode in ("child", "email", "malformed"):
            # matched by email only: the persons file spells it with other case and spaces
            variant = f"  {c.email.upper()} " if self.chance(0.5) else c.email
            w.person_truth[c.id] = (self.distinct_id, "email", f"customer::{c.id}")
            w.persons.append(self.person(self.distinct_id, variant))

    def person(self, distinct_id: str, email: str | None) -> dict[str, Any]:
        c = self.customer
        assert c is not None
        return {
            "distinct_id": distinct_id,
            "person_id": hashed_id("", "person", self.w.seed, distinct_id, n=20),
            "email": email,
            "company_id": c.metadata.get(GROUP_KEY),
        }


# ----------------------------------------------------------------------------------------------- payouts


def build_payouts(world: World, available: list[tuple[int, str, int]] | None = None) -> None:
    """Weekly automatic payouts per settlement currency of everything that became available.

    `available` is (available_on, currency, net) of every balance transaction; by default the world's.
    """
    rng = random.Random(f"{world.seed}:payouts")
    if available is None:
        available = [(b.available_on, b.currency, b.net) for b in world.balance_transactions]
    txns = sorted(available)
    week = 7 * DAY
    first = clock.start_of_day(world.start) + week
    pending: dict[str, int] = {}
    i = 0
    t = first
    while t <= world.now:
        while i < len(txns) and txns[i][0] <= t:
            pending[txns[i][1]] = pending.get(txns[i][1], 0) + txns[i][2]
            i += 1
        for cur in sorted(pending):
            amount = pending[cur]
            if amount <= 0:
                continue
            pid = rid(rng, "po_", 24)
            bt = m.BalanceTransaction(
                id=rid(rng, "txn_", 24),
                amount=-amount,
                currency=cur,
                fee=0,
                created=t,
                available_on=t,
                type="payout",
                reporting_category="payout",
                source=pid,
            )
            p = m.Payout(
                id=pid,
                amount=amount,
                currency=cur,
                created=t,
                arrival_date=t + 2 * DAY,
                balance_transaction=bt.id,
                status="in_transit",
            )
            world.balance_transactions.append(bt)
            world.payouts.append(p)
            world.rec.emit(t, "payout.created", sj.payout(p))
            if p.arrival_date <= world.now:
                before = world.rec.snapshot(p.arrival_date, sj.payout, p)
                p.status = "paid"
                world.rec.updated(p.arrival_date, "payout.paid", sj.payout, p, before)
            pending[cur] = 0
        t += week


def signup_times(seed: int, start: int, now: int, customers_per_month: float) -> list[int]:
    """Customer arrivals: a Poisson process with a growing rate, fixed by the seed, cut at `now`."""
    rng = random.Random(f"{seed}:arrivals")
    out, t = [], start
    month = 30.44 * DAY
    while True:
        months_in = (t - start) / month
        rate = customers_per_month * (0.6 + 0.04 * months_in) / month
        t += int(rng.expovariate(rate)) + 1
        if t > now:
            return out
        out.append(t)
