"""Fixtures for the fake Stripe server tests.

`StandInAccount` is a small hand-made account that follows the `fake_stripe.account.Account`
contract (objects in the current API shape, rendered events, connected accounts, `advance`) without
depending on the generator, so the server is tested on data whose every property we know: ties on
`created`, an invoice with 25 lines, a subscription with 23 items, canceled subscriptions, inactive
prices, events older than the 30-day window, a deleted customer.
"""

from __future__ import annotations

import random
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import stripe

from fake_stripe.render import CURRENT_VERSION, LEGACY_VERSION
from fake_stripe.server import FakeStripeServer

DAY = 86400
NOW = 1_780_000_000  # 2026-05-28
API_KEY = "sk_test_fake_conftest_key"
RESTRICTED_KEY = "rk_test_restricted_abc123"
RESTRICTED_PERMS = ["charge_read", "rak_customer_read"]

BIG_INVOICE = "in_big0000000000000000"
BIG_SUBSCRIPTION = "sub_big000000000000000"
CONNECTED_ID = "acct_1Connected00000000"
PLATFORM_ID = "acct_1Platform000000000"


def _lst(url: str, data: list[dict]) -> dict[str, Any]:
    return {"object": "list", "data": data, "has_more": False, "url": url}


def _price(pid: str, product: str, created: int, active: bool, interval: str | None, amount: int) -> dict:
    return {
        "id": pid,
        "object": "price",
        "active": active,
        "billing_scheme": "per_unit",
        "created": created,
        "currency": "usd",
        "livemode": False,
        "lookup_key": None,
        "metadata": {},
        "nickname": None,
        "product": product,
        "recurring": None
        if interval is None
        else {"interval": interval, "interval_count": 1, "usage_type": "licensed", "meter": None},
        "tax_behavior": "unspecified",
        "type": "one_time" if interval is None else "recurring",
        "unit_amount": amount,
        "unit_amount_decimal": str(amount),
    }


@dataclass
class StandInAccount:
    """Implements the Account contract the server relies on."""

    account_id: str
    now: int
    objects: dict[str, list[dict]]
    events: list[dict]
    connected: dict[str, StandInAccount] = field(default_factory=dict)
    seed: int = 0
    advanced: int = 0

    def advance(self, days: float) -> None:
        """Add one customer and its `customer.created` event per simulated day."""
        rng = random.Random(self.seed * 1000 + self.advanced)
        start = self.now
        self.now = int(self.now + days * DAY)
        for k in range(max(1, int(days))):
            t = start + (k + 1) * DAY - rng.randrange(1, 3600)
            cid = f"cus_adv{self.advanced:03d}{k:03d}{self.seed:02d}"
            customer = _customer(cid, t)
            self.objects["customers"].append(customer)
            self.events.append(_event(f"evt_adv{self.advanced:03d}{k:03d}", "customer.created", t, customer))
        self.advanced += 1


def _customer(cid: str, created: int, email: str | None = None) -> dict:
    return {
        "id": cid,
        "object": "customer",
        "address": None,
        "balance": 0,
        "created": created,
        "currency": "usd",
        "customer_account": None,
        "email": email or f"{cid}@example.com",
        "livemode": False,
        "metadata": {},
        "name": cid.upper(),
    }


def _event(eid: str, etype: str, created: int, obj: dict, version: str = CURRENT_VERSION) -> dict:
    return {
        "id": eid,
        "object": "event",
        "account": None,
        "api_version": version,
        "created": created,
        "data": {"object": obj},
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": etype,
    }


def make_account(account_id: str = PLATFORM_ID, seed: int = 1, n_customers: int = 60) -> StandInAccount:
    rng = random.Random(seed)
    start = NOW - 700 * DAY
    ts = lambda: start + rng.randrange(0, 700 * DAY)  # noqa: E731

    products = [
        {
            "id": f"prod_{i:02d}{seed}",
            "object": "product",
            "active": i != 4,
            "created": start + i * 1000,
            "name": f"Product {i}",
            "updated": start + i * 1000,
            "livemode": False,
            "metadata": {},
        }
        for i in range(5)
    ]
    prices = [
        _price(
            f"price_{i:02d}{seed}",
            products[i % 5]["id"],
            start + i * 500,
            i not in (2, 5, 7),
            ("month", "year", None)[i % 3],
            1000 + 100 * i,
        )
        for i in range(8)
    ]

    customers = [_customer(f"cus_{i:04d}s{seed}", ts()) for i in range(n_customers)]
    # ties on `created`: three customers share one second (order must fall back to id desc)
    for c in customers[:3]:
        c["created"] = start + 12345
    customers.append({"id": f"cus_deleted{seed}", "object": "customer", "deleted": True})

    subscriptions = []
    statuses = ["active"] * 12 + ["canceled"] * 5 + ["trialing", "past_due", "unpaid", "incomplete_expired"]
    for i, status in enumerate(statuses):
        sid = BIG_SUBSCRIPTION if (i == 0 and seed == 1) else f"sub_{i:04d}s{seed}"
        created = ts()
        n_items = 23 if sid == BIG_SUBSCRIPTION else 1 + i % 3
        items = []
        for k in range(n_items):
            price = prices[(i + k) % 8 if prices[(i + k) % 8]["recurring"] else 0]
            items.append(
                {
                    "id": f"si_{i:03d}{k:03d}s{seed}",
                    "object": "subscription_item",
                    "created": created + k,
                    "current_period_start": NOW - 10 * DAY,
                    "current_period_end": NOW + 20 * DAY,
                    "discounts": [],
                    "metadata": {},
                    "plan": None,
                    "price": price,
                    "quantity": 1 + k % 2,
                    "subscription": sid,
                }
            )
        subscriptions.append(
            {
                "id": sid,
                "object": "subscription",
                "created": created,
                "customer": customers[i % n_customers]["id"],
                "currency": "usd",
                "discounts": [],
                "items": _lst(f"/v1/subscription_items?subscription={sid}", items),
                "livemode": False,
                "metadata": {},
                "start_date": created,
                "status": status,
            }
        )

    charges, invoices = [], []
    for i in range(80):
        iid = BIG_INVOICE if (i == 0 and seed == 1) else f"in_{i:04d}s{seed}"
        created = ts()
        cust = customers[i % n_customers]["id"]
        sub = subscriptions[i % len(subscriptions)]
        n_lines = 25 if iid == BIG_INVOICE else 1 + i % 4
        lines = []
        for k in range(n_lines):
            price = prices[k % 8]
            lines.append(
                {
                    "id": f"il_{i:03d}{k:03d}s{seed}",
                    "object": "line_item",
                    "amount": price["unit_amount"],
                    "currency": "usd",
                    "description": f"line {k}",
                    "discount_amounts": [],
                    "discountable": True,
                    "discounts": [],
                    "invoice": iid,
                    "livemode": False,
                    "metadata": {},
                    "parent": {
                        "type": "subscription_item_details",
                        "subscription_item_details": {
                            "invoice_item": None,
                            "proration": k == 1,
                            "subscription": sub["id"],
                            "subscription_item": sub["items"]["data"][0]["id"],
                        },
                        "invoice_item_details": None,
                    },
                    "period": {"start": created, "end": created + 30 * DAY},
                    "pricing": {
                        "type": "price_details",
                        "price_details": {"price": price["id"], "product": price["product"]},
                        "unit_amount_decimal": str(price["unit_amount"]),
                    },
                    "quantity": 1,
                    "subtotal": price["unit_amount"],
                    "taxes": [],
                }
            )
        pi = f"pi_{i:04d}s{seed}"
        charge_id = f"ch_{i:04d}s{seed}"
        charges.append(
            {
                "id": charge_id,
                "object": "charge",
                "amount": 1000 + i,
                "amount_captured": 1000 + i,
                "amount_refunded": 0,
                "created": created + 60,
                "currency": "usd",
                "customer": cust,
                "livemode": False,
                "metadata": {},
                "paid": True,
                "payment_intent": pi,
                "status": "succeeded",
            }
        )
        invoices.append(
            {
                "id": iid,
                "object": "invoice",
                "amount_paid": 1000 + i,
                "created": created,
                "currency": "usd",
                "customer": cust,
                "collection_method": "charge_automatically",
                "discounts": [],
                "lines": _lst(f"/v1/invoices/{iid}/lines", lines),
                "livemode": False,
                "parent": {
                    "type": "subscription_details",
                    "quote_details": None,
                    "subscription_details": {"metadata": {}, "subscription": sub["id"]},
                },
                "payments": _lst(
                    f"/v1/invoice_payments?invoice={iid}",
                    [
                        {
                            "id": f"inpay_{i:04d}s{seed}",
                            "object": "invoice_payment",
                            "amount_paid": 1000 + i,
                            "created": created + 60,
                            "currency": "usd",
                            "invoice": iid,
                            "is_default": True,
                            "livemode": False,
                            "payment": {"type": "payment_intent", "payment_intent": pi},
                            "status": "paid",
                        }
                    ],
                ),
                "status": ("paid", "open", "void", "paid")[i % 4],
                "total": 1000 + i,
                "total_taxes": [],
            }
        )
    for i in range(10):  # invoiceless charges
        charges.append(
            {
                "id": f"ch_x{i:03d}s{seed}",
                "object": "charge",
                "amount": 500,
                "amount_captured": 500,
                "created": ts(),
                "currency": "usd",
                "customer": customers[i]["id"],
                "livemode": False,
                "metadata": {},
                "payment_intent": f"pi_x{i:03d}s{seed}",
                "status": "succeeded" if i % 3 else "failed",
            }
        )

    def simple(prefix: str, obj: str, n: int, **extra: Any) -> list[dict]:
        return [
            {"id": f"{prefix}_{i:04d}s{seed}", "object": obj, "created": ts(), "livemode": False, **extra}
            for i in range(n)
        ]

    refunds = simple("re", "refund", 12, amount=100, charge=charges[0]["id"], status="succeeded")
    disputes = simple("dp", "dispute", 4, amount=1000, charge=charges[1]["id"], status="lost")
    payouts = simple("po", "payout", 15, amount=50000, status="paid")
    balance_transactions = simple("txn", "balance_transaction", 30, amount=1000, fee=59, net=941, type="charge")
    credit_notes = simple("cn", "credit_note", 6, total=200, invoice=invoices[3]["id"], customer=customers[3]["id"])

    events = []
    for i in range(150):
        t = NOW - rng.randrange(0, 45 * DAY)  # a third fall outside the 30-day window
        etype = (
            "invoice.paid",
            "invoice.created",
            "customer.created",
            "charge.succeeded",
            "customer.subscription.updated",
        )[i % 5]
        obj = {
            "invoice.paid": invoices[i % 80],
            "invoice.created": invoices[(i + 1) % 80],
            "customer.created": customers[i % n_customers],
            "charge.succeeded": charges[i % 80],
            "customer.subscription.updated": subscriptions[i % len(subscriptions)],
        }[etype]
        version = LEGACY_VERSION if t < NOW - 20 * DAY else CURRENT_VERSION
        events.append(_event(f"evt_{i:04d}s{seed}", etype, t, obj, version))

    return StandInAccount(
        account_id=account_id,
        now=NOW,
        seed=seed,
        objects={
            "charges": charges,
            "customers": customers,
            "invoices": invoices,
            "prices": prices,
            "products": products,
            "subscriptions": subscriptions,
            "balance_transactions": balance_transactions,
            "disputes": disputes,
            "payouts": payouts,
            "credit_notes": credit_notes,
            "refunds": refunds,
        },
        events=events,
        connected={},
    )


def make_platform() -> StandInAccount:
    platform = make_account(PLATFORM_ID, seed=1)
    platform.connected[CONNECTED_ID] = make_account(CONNECTED_ID, seed=2, n_customers=15)
    return platform


def start_server(account: Any, **options: Any) -> FakeStripeServer:
    options.setdefault("api_key", API_KEY)
    options.setdefault("restricted_keys", {RESTRICTED_KEY: RESTRICTED_PERMS})
    options.setdefault("webhook_backoff", 0.01)
    return FakeStripeServer(account, port=0, **options).start()


def sdk(server: FakeStripeServer, key: str = API_KEY, **options: Any) -> stripe.StripeClient:
    options.setdefault("max_network_retries", 0)
    return stripe.StripeClient(key, base_addresses={"api": server.base_url}, **options)


@pytest.fixture(scope="session")
def account() -> StandInAccount:
    """The read-only stand-in account (never advanced)."""
    return make_platform()


@pytest.fixture(scope="session")
def server(account: StandInAccount) -> Iterator[FakeStripeServer]:
    srv = start_server(account)
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture
def client(server: FakeStripeServer) -> stripe.StripeClient:
    return sdk(server)


@pytest.fixture
def fresh_server() -> Iterator[FakeStripeServer]:
    """A server over its own account, for tests that advance it or change knobs."""
    srv = start_server(make_platform())
    try:
        yield srv
    finally:
        srv.stop()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Receiver:
    """A local webhook receiver recording (headers, raw body); answers `statuses` in turn, then 200."""

    url: str
    received: list[tuple[dict[str, str], bytes]]
    statuses: list[int]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    received: list[tuple[dict[str, str], bytes]] = []
    statuses: list[int] = []
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with lock:
                status = statuses.pop(0) if statuses else 200
                if status == 200:
                    received.append((dict(self.headers.items()), body))
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield Receiver(f"http://127.0.0.1:{httpd.server_address[1]}/hooks", received, statuses)
    finally:
        httpd.shutdown()
        httpd.server_close()
