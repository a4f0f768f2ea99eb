"""A small Stripe list API on requests-mock, with realistic payloads from Stripe's fixtures3.json.

It implements what the source relies on, the way docs/REFERENCE.md §1 describes Stripe: newest-first
lists, `limit`, `starting_after` (unknown id → 400 resource_missing), `created[gt|gte|lt|lte]`,
`status=all` on subscriptions (canceled ones hidden otherwise), `active` on prices (only active
ones without it), `types[]` on events, embedded first pages of invoice `lines` and subscription
`items`, and a `Date` header carrying the mock's clock (`now`).
"""

from __future__ import annotations

import copy
import email.utils
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests_mock

from tests.stripe_fixtures import canonical

CURRENT = "current"  # Stripe's fixtures3 (tests/fixtures/stripe) in the current ("basil" and later) shapes
LEGACY = "legacy"  # the last shapes before 2025-03-31
LEGACY_API_VERSION = "2024-09-30.acacia"
API_BASE = "https://api.stripe.test"

COLLECTIONS = {
    "customer": "/v1/customers",
    "product": "/v1/products",
    "price": "/v1/prices",
    "subscription": "/v1/subscriptions",
    "invoice": "/v1/invoices",
    "charge": "/v1/charges",
    "refund": "/v1/refunds",
    "dispute": "/v1/disputes",
    "credit_note": "/v1/credit_notes",
    "payout": "/v1/payouts",
    "balance_transaction": "/v1/balance_transactions",
    "event": "/v1/events",
}


def fixture(kind: str, era: str = CURRENT, **overrides: Any) -> dict[str, Any]:
    """A deep copy of Stripe's canonical `kind` object in `era`'s shape, with `overrides` applied."""
    obj = canonical(kind, era)
    obj.update(overrides)
    return obj


def list_object(data: list[dict[str, Any]], has_more: bool = False, url: str = "/v1/x") -> dict[str, Any]:
    return {"object": "list", "data": data, "has_more": has_more, "url": url}


def make_event(
    event_id: str,
    type_: str,
    obj: dict[str, Any],
    created: int,
    api_version: str | None = "2026-10-28.endive",
) -> dict[str, Any]:
    event = fixture("event")
    event.update(
        {
            "id": event_id,
            "type": type_,
            "created": created,
            "api_version": api_version,
            "data": {"object": copy.deepcopy(obj)},
        }
    )
    return event


class MockStripe:
    """In-memory Stripe account served through a requests-mock `Mocker`."""

    def __init__(self, mocker: requests_mock.Mocker, now: int, base: str = API_BASE, embed: int = 2) -> None:
        self.now = now
        self.base = base
        self.embed = embed  # embedded sub-list page size (Stripe embeds the first page only)
        self.objects: dict[str, list[dict[str, Any]]] = {kind: [] for kind in COLLECTIONS}
        self.invoice_lines: dict[str, list[dict[str, Any]]] = {}
        self.subscription_items: dict[str, list[dict[str, Any]]] = {}
        self.fail_next: list[tuple[Any, ...]] = []  # (status, headers, body[, path]) queued
        self.account_id = "acct_mock"  # what GET /v1/account answers
        mocker.get(re.compile(re.escape(base) + r"/v1/.*"), json=self._handle)

    # -- building the account -----------------------------------------------------------------

    def add(self, kind: str, obj: dict[str, Any]) -> dict[str, Any]:
        if kind == "invoice":
            lines = obj.get("lines", {}).get("data", [])
            self.invoice_lines[obj["id"]] = lines
        if kind == "subscription":
            self.subscription_items[obj["id"]] = obj.get("items", {}).get("data", [])
        self.objects[kind] = [o for o in self.objects[kind] if o["id"] != obj["id"]] + [obj]
        return obj

    def remove(self, kind: str, object_id: str) -> None:
        self.objects[kind] = [o for o in self.objects[kind] if o["id"] != object_id]

    def get(self, kind: str, object_id: str) -> dict[str, Any]:
        return next(o for o in self.objects[kind] if o["id"] == object_id)

    def add_event(self, event: dict[str, Any]) -> dict[str, Any]:
        self.objects["event"].append(event)
        return event

    # -- serving --------------------------------------------------------------------------------

    def _next_failure(self, path: str) -> tuple[int, dict[str, str], Any] | None:
        """The first queued failure for `path`: `(status, headers, body)` hits any request but the run's
        account check (GET /v1/account); `(status, headers, body, path)` only requests under that path."""
        for i, entry in enumerate(self.fail_next):
            only = entry[3] if len(entry) > 3 else None
            if path.startswith(only) if only else path != "/v1/account":
                del self.fail_next[i]
                return entry[0], entry[1], entry[2]
        return None

    def _handle(self, request: Any, context: Any) -> Any:
        context.headers["Date"] = email.utils.formatdate(self.now, usegmt=True)
        context.headers["Request-Id"] = "req_mock"
        url = urlsplit(request.url)
        failure = self._next_failure(url.path)
        if failure is not None:
            status, headers, body = failure
            context.status_code = status
            context.headers.update(headers)
            return body
        query = parse_qs(url.query, keep_blank_values=True)
        path = url.path
        if path == "/v1/account":
            return canonical("account", CURRENT) | {"id": self.account_id}
        match = re.fullmatch(r"/v1/invoices/([^/]+)/lines", path)
        if match:
            return self._page(self.invoice_lines.get(match.group(1), []), query, context, path, sort=False)
        if path == "/v1/subscription_items":
            items = self.subscription_items.get(query.get("subscription", [""])[0], [])
            return self._page(items, query, context, path, sort=False)
        retrieve = re.fullmatch(r"(/v1/[a-z_]+)/([^/]+)", path)
        if retrieve and retrieve.group(1) in COLLECTIONS.values():
            kind = next(k for k, p in COLLECTIONS.items() if p == retrieve.group(1))
            found = [o for o in self.objects[kind] if o["id"] == retrieve.group(2)]
            if not found:
                context.status_code = 404
                return {"error": {"type": "invalid_request_error", "code": "resource_missing", "message": "No such"}}
            return self._render(kind, found[0])
        kind = next((k for k, p in COLLECTIONS.items() if p == path), None)
        if kind is None:
            context.status_code = 404
            return {"error": {"type": "invalid_request_error", "message": f"Unrecognized request URL {path}"}}
        objects = list(self.objects[kind])
        if kind == "subscription" and query.get("status", [""])[0] != "all":
            objects = [o for o in objects if o.get("status") != "canceled"]
        if kind == "price":
            active = query.get("active", ["true"])[0] == "true"
            objects = [o for o in objects if bool(o.get("active")) is active]
        if kind == "event" and "types[]" in query:
            types = set(query["types[]"])
            objects = [o for o in objects if o["type"] in types]
        objects = [self._render(kind, o) for o in objects]
        return self._page(objects, query, context, path)

    def _render(self, kind: str, obj: dict[str, Any]) -> dict[str, Any]:
        if kind not in ("invoice", "subscription"):
            return obj
        field, items = (
            ("lines", self.invoice_lines.get(obj["id"], []))
            if kind == "invoice"
            else ("items", self.subscription_items.get(obj["id"], []))
        )
        out = dict(obj)
        out[field] = list_object(items[: self.embed], len(items) > self.embed)
        return out

    def _page(
        self, objects: list[dict[str, Any]], query: dict[str, list[str]], context: Any, path: str, sort: bool = True
    ) -> Any:
        for op, test in (
            ("gt", lambda c, v: c > v),
            ("gte", lambda c, v: c >= v),
            ("lt", lambda c, v: c < v),
            ("lte", lambda c, v: c <= v),
        ):
            key = f"created[{op}]"
            if key in query:
                bound = int(query[key][0])
                objects = [o for o in objects if test(o["created"], bound)]
        if sort:
            objects = sorted(objects, key=lambda o: (o["created"], o["id"]), reverse=True)
        start = 0
        if "starting_after" in query:
            after = query["starting_after"][0]
            ids = [o["id"] for o in objects]
            if after not in ids:
                context.status_code = 400
                return {
                    "error": {
                        "type": "invalid_request_error",
                        "code": "resource_missing",
                        "param": "starting_after",
                        "message": f"No such object: '{after}'",
                    }
                }
            start = ids.index(after) + 1
        limit = int(query.get("limit", ["10"])[0])
        page = objects[start : start + limit]
        return list_object(page, start + limit < len(objects), path)


def small_account(mock: MockStripe, now: int) -> dict[str, list[str]]:
    """A small account mixing both API shapes. Returns the ids per kind."""
    day = 86400
    ids: dict[str, list[str]] = {}

    def put(kind: str, obj: dict[str, Any]) -> None:
        mock.add(kind, obj)
        ids.setdefault(kind, []).append(obj["id"])

    for i in range(3):
        era = CURRENT if i != 1 else LEGACY
        put("customer", fixture("customer", era, id=f"cus_{i}", created=now - (30 - i) * day, email=f"c{i}@x.test"))
    for i in range(2):
        put("product", fixture("product", id=f"prod_{i}", created=now - 40 * day + i))
    for i, active in enumerate((True, True, False)):
        put("price", fixture("price", id=f"price_{i}", created=now - 39 * day + i, active=active))
    # subscriptions: one active with 3 items (beyond the embedded page of 2), one canceled, one legacy
    for i, (status, n_items, era) in enumerate(
        (("active", 3, CURRENT), ("canceled", 1, CURRENT), ("active", 1, LEGACY))
    ):
        sub = fixture("subscription", era, id=f"sub_{i}", created=now - (20 - i) * day, status=status)
        items = [
            fixture("subscription_item", era, id=f"si_{i}_{k}", subscription=sub["id"], created=sub["created"])
            for k in range(n_items)
        ]
        sub["items"] = list_object(items, False, "/v1/subscription_items")
        put("subscription", sub)
    # invoices: one with 5 lines (beyond the embedded page of 2), one legacy, one current
    for i, (n_lines, era) in enumerate(((5, CURRENT), (1, LEGACY), (2, CURRENT))):
        inv = fixture("invoice", era, id=f"in_{i}", created=now - (10 - i) * day, status="paid")
        lines = [fixture("line_item", era, id=f"il_{i}_{k}", invoice=inv["id"]) for k in range(n_lines)]
        inv["lines"] = list_object(lines, False, f"/v1/invoices/{inv['id']}/lines")
        put("invoice", inv)
    for i in range(3):
        era = LEGACY if i == 0 else CURRENT
        put("charge", fixture("charge", era, id=f"ch_{i}", created=now - (9 - i) * day))
    put("refund", fixture("refund", id="re_0", created=now - 5 * day, charge="ch_0"))
    put("dispute", fixture("dispute", id="dp_0", created=now - 4 * day, charge="ch_1"))
    put("credit_note", fixture("credit_note", id="cn_0", created=now - 3 * day, invoice="in_0"))
    put("payout", fixture("payout", id="po_0", created=now - 2 * day))
    for i in range(3):
        put("balance_transaction", fixture("balance_transaction", id=f"txn_{i}", created=now - (8 - i) * day))
    return ids


def ids_of(rows: Iterable[dict[str, Any]]) -> list[str]:
    return sorted(r["id"] for r in rows)
