"""A fake Stripe account: build it from the simulation, cache it on disk, advance its clock.

`load_account(size)` is what the server, the demo, the tests and the benchmarks use. The platform
account has two connected accounts (Connect), each a smaller business of its own.
"""

from __future__ import annotations

import csv
import os
import pickle
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from fake_stripe import clock
from fake_stripe import stripe_json as sj
from fake_stripe.clock import DAY
from fake_stripe.fx import FAKE_ACCOUNT_OVERRIDES, RateTable
from fake_stripe.ground_truth import GroundTruth
from fake_stripe.render import RenderContext
from fake_stripe.simulate import CustomerLife, Recorder, World, build_catalog, build_payouts, hashed_id, signup_times
from fake_stripe.store import compact_dumps

CACHE_VERSION = 4  # bump whenever the simulation changes: cached accounts are reused by (size, seed, now)


@dataclass(frozen=True)
class Size:
    months: int
    customers_per_month: float
    connected_share: float  # connected accounts are this fraction of the platform's size


SIZES: dict[str, Size] = {
    "tiny": Size(months=6, customers_per_month=3, connected_share=0.0),
    "small": Size(months=12, customers_per_month=5, connected_share=0.3),
    "demo": Size(months=24, customers_per_month=19, connected_share=0.1),
    "large": Size(months=36, customers_per_month=2300, connected_share=0.0),
}

RESOURCES = (
    "charges",
    "customers",
    "invoices",
    "prices",
    "products",
    "subscriptions",
    "balance_transactions",
    "disputes",
    "payouts",
    "credit_notes",
    "refunds",
)


@dataclass
class Account:
    account_id: str
    now: int
    seed: int
    size: str
    customers_per_month: float
    months: int
    origin: int  # the clock at first build: the API upgrade and catalog history are dated from it
    objects: dict[str, list[dict[str, Any]]]
    events: list[dict[str, Any]]
    render_context: RenderContext
    world: World
    connected: dict[str, Account] = field(default_factory=dict)

    @property
    def start(self) -> int:
        return self.world.start

    def advance(self, days: float) -> None:
        """Simulate `days` more business: new objects, updates, cancellations and their events."""
        fresh = build_account(
            self.size,
            self.seed,
            self.now + int(days * DAY),
            account_id=self.account_id,
            customers_per_month=self.customers_per_month,
            months=self.months,
            start=self.world.start,
            origin=self.origin,
            with_connected=False,
        )
        self.now, self.objects, self.events = fresh.now, fresh.objects, fresh.events
        self.render_context, self.world = fresh.render_context, fresh.world
        for acct in self.connected.values():
            acct.advance(days)

    def ground_truth(self, base_currency: str = "USD") -> GroundTruth:
        return GroundTruth(self.world, rate_table(), base_currency)

    def write_reference_files(self, directory: Path) -> dict[str, Path]:
        """The persons and groups files a user would export from product analytics, and the ground
        truth the end-to-end tests compare against, written next to the cached account."""
        directory.mkdir(parents=True, exist_ok=True)
        paths = {name: directory / f"{name}.csv" for name in ("persons", "groups")}
        with paths["persons"].open("w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=["distinct_id", "person_id", "email", "company_id"])
            writer.writeheader()
            writer.writerows(self.world.persons)
        with paths["groups"].open("w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=["group_type", "group_key", "name"])
            writer.writeheader()
            writer.writerows(self.world.groups[k] for k in sorted(self.world.groups))
        paths["fx_rates"] = directory / "fx_rates.csv"  # rates the ECB does not publish (KWD)
        with paths["fx_rates"].open("w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(["date", "currency", "rate"])
            writer.writerows((since.isoformat(), currency, rate) for currency, rate, since in FAKE_ACCOUNT_OVERRIDES)
        if self.size != "large":  # the large account keeps no records to compute it from
            paths["ground_truth"] = directory / "ground_truth.json"
            paths["ground_truth"].write_bytes(orjson.dumps(self.ground_truth().to_json(), option=orjson.OPT_INDENT_2))
        return paths

    def counts(self) -> dict[str, int]:
        return {k: len(v) for k, v in self.objects.items()} | {"events": len(self.events)}


_RATES: RateTable | None = None


def rate_table() -> RateTable:
    global _RATES
    if _RATES is None:
        _RATES = RateTable(FAKE_ACCOUNT_OVERRIDES)
    return _RATES


def build_account(
    size: str = "demo",
    seed: int = 7,
    now: int | None = None,
    *,
    account_id: str | None = None,
    customers_per_month: float | None = None,
    months: int | None = None,
    start: int | None = None,
    origin: int | None = None,
    with_connected: bool = True,
) -> Account:
    spec = SIZES[size]
    now = clock.today_utc() if now is None else now
    months = months or spec.months
    cpm = customers_per_month or spec.customers_per_month
    start = start if start is not None else clock.add_months(clock.month_start(now), -months)
    account_id = account_id or hashed_id("acct_", "platform", seed, n=16)
    ctx = RenderContext(prices={}, invoice_by_charge={}, charge_by_payment_intent={})
    origin = now if origin is None else origin
    rec = Recorder(now=now, upgrade_at=origin - 15 * DAY, account_id=account_id, ctx=ctx)
    world = World(seed=seed, start=start, now=now, rec=rec, origin=origin)
    world.fx = rate_table().major_rate
    build_catalog(world)
    arrivals = signup_times(seed, start, now, cpm)
    if size == "large":  # too big to keep as records and dicts: stream chunks of customers into bytes
        objects = _simulate_streaming(world, arrivals)
    else:
        for index, t in enumerate(arrivals):
            life = CustomerLife(world, index, t)
            life.run()
            life.finish()
        build_payouts(world)
        objects = render_objects(world)
    acct = Account(
        account_id=account_id,
        now=now,
        seed=seed,
        size=size,
        customers_per_month=cpm,
        months=months,
        origin=origin,
        objects=objects,
        events=rec.events,
        render_context=ctx,
        world=world,
    )
    if with_connected and spec.connected_share > 0:
        for n in (1, 2):
            sub = build_account(
                size,
                seed * 1000 + n,
                now,
                account_id=hashed_id("acct_", "connected", seed, n, n=16),
                customers_per_month=cpm * spec.connected_share,
                months=months,
                start=start,
                origin=origin,
                with_connected=False,
            )
            acct.connected[sub.account_id] = sub
    return acct


class StoredObject(Mapping[str, Any]):
    """A Stripe object kept as JSON bytes (large accounts): `id`, `object`, `created` at hand, the rest
    decoded on use. Readers that need the whole object call `materialize()` once."""

    __slots__ = ("blob", "created", "id", "object")

    def __init__(self, obj: dict[str, Any]) -> None:
        self.id, self.object, self.created = obj["id"], obj.get("object"), obj.get("created")
        self.blob = compact_dumps(obj)

    def materialize(self) -> dict[str, Any]:
        return orjson.loads(self.blob)

    def __getitem__(self, key: str) -> Any:
        if key in ("id", "object", "created"):
            return getattr(self, key)
        return self.materialize()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.materialize())

    def __len__(self) -> int:
        return len(self.materialize())


def render_objects(world: World) -> dict[str, list[dict[str, Any]]]:
    """Every object in the current shape as of `now`."""
    return {
        # deleted objects stay retrievable as Stripe's `{"id", "object", "deleted": true}` stubs (never listed)
        "products": [sj.product(p) for p in world.products.values()]
        + [sj.deleted(p.id, "product") for p in world.deleted_products],
        "prices": [sj.price(p) for p in world.prices.values()],
        "customers": [
            sj.customer(c) if c.deleted_at is None else sj.deleted(c.id, "customer") for c in world.customers
        ],
        "subscriptions": [sj.subscription(s) for s in world.subscriptions],
        "invoices": [sj.invoice(i) for i in world.invoices],
        "charges": [sj.charge(c) for c in world.charges],
        "refunds": [sj.refund(r) for r in world.refunds],
        "credit_notes": [sj.credit_note(c) for c in world.credit_notes],
        "disputes": [sj.dispute(d) for d in world.disputes],
        "balance_transactions": [sj.balance_transaction(b) for b in world.balance_transactions],
        "payouts": [sj.payout(p) for p in world.payouts],
    }


def _simulate_streaming(world: World, arrivals: list[int], chunk: int = 2000) -> dict[str, list[Any]]:
    """Simulate customers chunk by chunk, keeping only each object's JSON bytes (no ground truth)."""
    objects: dict[str, list[Any]] = {name: [] for name in RESOURCES}
    available: list[tuple[int, str, int]] = []
    lists = (
        "customers",
        "subscriptions",
        "invoices",
        "charges",
        "refunds",
        "credit_notes",
        "disputes",
        "balance_transactions",
    )
    for first in range(0, len(arrivals), chunk):
        for index in range(first, min(first + chunk, len(arrivals))):
            life = CustomerLife(world, index, arrivals[index])
            life.run()
            life.finish()
        rendered = render_objects(world)
        for name in lists:
            objects[name].extend(StoredObject(o) for o in rendered[name])
        available.extend((b.available_on, b.currency, b.net) for b in world.balance_transactions)
        for name in lists:
            getattr(world, name).clear()
        world.persons.clear()
    build_payouts(world, available)
    rendered = render_objects(world)
    for name in ("products", "prices", "payouts", "balance_transactions"):
        objects[name].extend(StoredObject(o) for o in rendered[name])
    return objects


def cache_dir() -> Path:
    root = os.environ.get("FAKE_STRIPE_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "stripe-revenue", "fake_stripe"
    )
    path = Path(root)
    path.mkdir(parents=True, exist_ok=True)
    return path


def load_account(size: str = "demo", seed: int = 7, now: int | None = None) -> Account:
    """The account for (size, seed, now), generated once and cached on disk with its ground truth."""
    now = clock.today_utc() if now is None else now
    path = cache_dir() / f"{size}-s{seed}-{now}-v{CACHE_VERSION}.pickle"
    if path.exists():
        with path.open("rb") as f:
            return pickle.load(f)
    acct = build_account(size, seed, now)
    acct.write_reference_files(path.with_suffix(""))
    tmp = path.with_suffix(".tmp")
    with tmp.open("wb") as f:
        pickle.dump(acct, f, protocol=pickle.HIGHEST_PROTOCOL)
    tmp.replace(path)
    return acct
