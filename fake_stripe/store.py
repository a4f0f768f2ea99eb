"""Indexed, serving-ready view of a synthetic `Account` (no HTTP here).

`AccountStore` answers Stripe list/retrieve requests for one account with pre-serialized bytes:

- each list resource is sorted once, newest first (`created` desc, ties by `id` desc), with an
  `id -> position` dict for cursors and a negated-`created` array for binary search on `created`;
- equality filters (`customer=`, `status=`, `active=`, event `type`) are position lists built once
  per field and cached per requested value set;
- every object's JSON is serialized once per (API version, variant) with orjson and cached; a page is
  the join of those bytes inside the list envelope.

The store never mutates the Account. After `Account.advance()` build a new store (the server does).
Stripe semantics implemented here follow docs/REFERENCE.md §1 and Stripe's API reference; the parts that
are Stripe's behaviour rather than ours are cited inline.
"""

from __future__ import annotations

import fnmatch
import re
import threading
import time
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

EVENT_RETENTION_SECONDS = 30 * 86400  # GET /v1/events only sees the last 30 days (Stripe docs)
EMBEDDED_LIST_LIMIT = 10  # an invoice's `lines` / a subscription's `items` embed the first 10
MAX_LIMIT = 100
DEFAULT_LIMIT = 10

# resource (URL segment) -> Stripe `object` name
RESOURCES: dict[str, str] = {
    "charges": "charge",
    "customers": "customer",
    "invoices": "invoice",
    "prices": "price",
    "products": "product",
    "subscriptions": "subscription",
    "balance_transactions": "balance_transaction",
    "disputes": "dispute",
    "payouts": "payout",
    "credit_notes": "credit_note",
    "refunds": "refund",
    "events": "event",
}

# Restricted-key permission each endpoint needs (Stripe's `rak_*` names: prices ride on `plan`,
# refunds on `charge`, subscription items on `subscription`, invoice lines/payments on `invoice`).
PERMISSIONS: dict[str, str] = {
    "charges": "rak_charge_read",
    "refunds": "rak_charge_read",
    "customers": "rak_customer_read",
    "invoices": "rak_invoice_read",
    "invoice_payments": "rak_invoice_read",
    "prices": "rak_plan_read",
    "products": "rak_product_read",
    "subscriptions": "rak_subscription_read",
    "subscription_items": "rak_subscription_read",
    "balance_transactions": "rak_balance_transaction_source_read",
    "disputes": "rak_dispute_read",
    "payouts": "rak_payout_read",
    "credit_notes": "rak_credit_note_read",
    "events": "rak_event_read",
    "webhook_endpoints": "rak_webhook_read",
}

SUBSCRIPTION_STATUSES = (
    "active",
    "all",
    "canceled",
    "ended",
    "incomplete",
    "incomplete_expired",
    "past_due",
    "paused",
    "trialing",
    "unpaid",
)

_LIST_PARAMS = frozenset({"limit", "starting_after", "ending_before", "expand"})


class StripeError(Exception):
    """An error answered in Stripe's shape: `{"error": {"type", "message", "code", "param"}}`."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type_: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type_
        self.code = code
        self.param = param
        self.headers = headers or {}

    def body(self) -> bytes:
        err: dict[str, Any] = {"message": self.message, "type": self.type}
        if self.code:
            err["code"] = self.code
            err["doc_url"] = f"https://stripe.com/docs/error-codes/{self.code.replace('_', '-')}"
        if self.param:
            err["param"] = self.param
        return orjson.dumps({"error": err})


def compact_dumps(obj: Any) -> bytes:
    """orjson.dumps, copied to an exact-size bytes: orjson's result keeps its whole growth buffer
    (several KB per object), which a cache of a million serialized objects cannot afford."""
    return bytes(memoryview(orjson.dumps(obj)))


def invalid(message: str, param: str | None = None, code: str | None = None) -> StripeError:
    return StripeError(400, message, param=param, code=code)


def missing(object_name: str, obj_id: str, param: str = "id", status: int = 404) -> StripeError:
    label = object_name.replace("_", " ")
    return StripeError(status, f"No such {label}: '{obj_id}'", code="resource_missing", param=param)


# --------------------------------------------------------------------------- query parsing


_BRACKET = re.compile(r"^([^\[\]]+)\[([^\[\]]*)\]$")


def parse_params(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """Stripe form/query encoding -> dict: `a=1`, `a[gte]=1` (dict), `a[]=x` / `a[0]=x` (list).

    Keys and values are kept case-sensitive (Stripe ids are).
    """
    out: dict[str, Any] = {}
    for key, value in pairs:
        m = _BRACKET.match(key)
        if not m:
            out[key] = value
            continue
        name, inner = m.group(1), m.group(2)
        if inner == "" or inner.isdigit():
            current = out.get(name)
            if not isinstance(current, list):
                current = []
                out[name] = current
            current.append(value)
        else:
            current = out.get(name)
            if not isinstance(current, dict):
                current = {}
                out[name] = current
            current[inner] = value
    return out


def _as_int(value: Any, param: str) -> int:
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            pass
    raise invalid(f"Invalid integer: {value}", param=param)


def _as_bool(value: Any, param: str) -> bool:
    if value in ("true", "True", "1"):
        return True
    if value in ("false", "False", "0"):
        return False
    raise invalid(f"Invalid boolean: {value}", param=param)


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v) for v in value]
    if isinstance(value, dict):
        return [str(v) for _, v in sorted(value.items())]
    return [str(value)]


@dataclass(frozen=True)
class Page:
    """Cursor arguments shared by every list endpoint."""

    limit: int
    starting_after: str | None
    ending_before: str | None


def parse_page(params: dict[str, Any]) -> Page:
    raw = params.get("limit")
    limit = DEFAULT_LIMIT
    if raw is not None:
        limit = _as_int(raw, "limit")
        if not 1 <= limit <= MAX_LIMIT:
            raise invalid("Invalid limit: must be between 1 and 100.", param="limit")
    sa = params.get("starting_after") or None
    eb = params.get("ending_before") or None
    if sa is not None and eb is not None:
        raise invalid("You may only specify one of these parameters: ending_before, starting_after.")
    for name, value in (("starting_after", sa), ("ending_before", eb)):
        if value is not None and not isinstance(value, str):
            raise invalid(f"Invalid string: {value}", param=name)
    return Page(limit, sa, eb)


def parse_created(value: Any) -> tuple[int | None, int | None]:
    """`created=<int>` or `created[gt|gte|lt|lte]` -> inclusive (low, high) bounds (None = open)."""
    if value is None:
        return None, None
    if isinstance(value, str):
        exact = _as_int(value, "created")
        return exact, exact
    if not isinstance(value, dict):
        raise invalid("Invalid created: must be an integer or a hash of gt, gte, lt, lte", "created")
    low: int | None = None
    high: int | None = None
    for op, raw in value.items():
        n = _as_int(raw, f"created[{op}]")
        if op == "gt":
            low = max(low, n + 1) if low is not None else n + 1
        elif op == "gte":
            low = max(low, n) if low is not None else n
        elif op == "lt":
            high = min(high, n - 1) if high is not None else n - 1
        elif op == "lte":
            high = min(high, n) if high is not None else n
        else:
            raise invalid(f"Received unknown parameter: created[{op}]", param=f"created[{op}]")
    return low, high


def parse_expand(params: dict[str, Any]) -> list[str]:
    return _as_list(params.get("expand"))


def _ref(value: Any) -> Any:
    """An expandable field's id whether it is a string or an expanded object."""
    if isinstance(value, dict):
        return value.get("id")
    return value


def _invoice_subscription(obj: dict) -> Any:
    parent = obj.get("parent") or {}
    details = parent.get("subscription_details") or {}
    return _ref(details.get("subscription")) or _ref(obj.get("subscription"))


# --------------------------------------------------------------------------- resource specs


@dataclass(frozen=True)
class Filter:
    """An equality filter `param=value` on `getter(obj)`."""

    param: str
    getter: Callable[[dict], Any]
    kind: str = "str"  # str | bool


def _field(name: str) -> Callable[[dict], Any]:
    return lambda obj: _ref(obj.get(name))


def _filters(*specs: tuple[str, str] | Filter) -> dict[str, Filter]:
    out: dict[str, Filter] = {}
    for spec in specs:
        if isinstance(spec, Filter):
            out[spec.param] = spec
        else:
            param, kind = spec
            out[param] = Filter(param, _field(param), kind)
    return out


FILTERS: dict[str, dict[str, Filter]] = {
    "charges": _filters(("customer", "str"), ("payment_intent", "str")),
    "customers": _filters(("email", "str")),
    "invoices": _filters(
        ("customer", "str"),
        ("status", "str"),
        ("collection_method", "str"),
        Filter("subscription", _invoice_subscription),
    ),
    "prices": _filters(("active", "bool"), ("currency", "str"), ("product", "str"), ("type", "str")),
    "products": _filters(("active", "bool")),
    "subscriptions": _filters(("customer", "str"), ("collection_method", "str")),
    "balance_transactions": _filters(("source", "str"), ("type", "str"), ("currency", "str")),
    "disputes": _filters(("charge", "str"), ("payment_intent", "str")),
    "payouts": _filters(("status", "str")),
    "credit_notes": _filters(("customer", "str"), ("invoice", "str")),
    "refunds": _filters(("charge", "str"), ("payment_intent", "str")),
    "events": {},
}

# params with their own handling (beyond FILTERS and the cursor params)
SPECIAL_PARAMS: dict[str, frozenset[str]] = {
    "subscriptions": frozenset({"status", "created"}),
    "events": frozenset({"type", "types", "created"}),
}


def allowed_list_params(resource: str) -> frozenset[str]:
    return _LIST_PARAMS | {"created"} | FILTERS[resource].keys() | SPECIAL_PARAMS.get(resource, frozenset())


def check_params(params: dict[str, Any], allowed: Iterable[str]) -> None:
    allowed = set(allowed)
    for key in params:
        if key not in allowed:
            raise invalid(f"Received unknown parameter: {key}", param=key)


# --------------------------------------------------------------------------- serialization


# (obj, api_version, expand) -> obj in that version's shape with only `expand`ed fields expanded
Renderer = Callable[[dict, str, frozenset[str]], dict]

# Expandable fields served per object type by default (render.EXPANDABLE overrides through the server)
DEFAULT_EXPANDABLE: dict[str, tuple[str, ...]] = {"invoice": ("payments",)}


def list_envelope(chunks: Sequence[bytes], has_more: bool, url: str) -> bytes:
    return b"".join(
        (
            b'{"object":"list","data":[',
            b",".join(chunks),
            b'],"has_more":',
            b"true" if has_more else b"false",
            b',"url":',
            orjson.dumps(url),
            b"}",
        )
    )


def _embedded(sub: Any, url: str) -> Any:
    """The first page of an embedded list object (lines, items, payments), with Stripe's `url`."""
    if not isinstance(sub, dict) or not isinstance(sub.get("data"), list):
        return sub
    data = sub["data"]
    out = dict(sub)
    out["data"] = data[:EMBEDDED_LIST_LIMIT]
    out["has_more"] = bool(sub.get("has_more")) or len(data) > EMBEDDED_LIST_LIMIT
    out["url"] = url
    out.pop("total_count", None)
    return out


def shape_for_serving(obj: dict, rendered: dict) -> dict:
    """Embedded sub-lists (invoice lines and payments, subscription items) hold their first page."""
    kind = obj.get("object")
    if kind == "invoice":
        out = dict(rendered)
        if "lines" in out:
            out["lines"] = _embedded(out["lines"], f"/v1/invoices/{obj['id']}/lines")
        if "payments" in out:
            out["payments"] = _embedded(out["payments"], f"/v1/invoice_payments?invoice={obj['id']}")
        return out
    if kind == "subscription" and "items" in rendered:
        out = dict(rendered)
        out["items"] = _embedded(out["items"], f"/v1/subscription_items?subscription={obj['id']}")
        return out
    return rendered


# --------------------------------------------------------------------------- indexes


@dataclass
class _SubList:
    ids: list[str]
    pos: dict[str, int]
    chunks: list[bytes]


class ResourceIndex:
    """One list resource, sorted newest first, with lazily serialized bytes per variant."""

    def __init__(self, resource: str, objects: Iterable[dict], renderer: Renderer | None) -> None:
        self.resource = resource
        self.object_name = RESOURCES.get(resource, resource.rstrip("s"))
        self.url = f"/v1/{resource}"
        self._renderer = renderer
        every = list(objects)
        self.all_by_id: dict[str, dict] = {o["id"]: o for o in every}
        live = [o for o in every if not o.get("deleted")]
        live.sort(key=lambda o: (o.get("created") or 0, o["id"]), reverse=True)
        self.items: list[dict] = live
        self.ids: list[str] = [o["id"] for o in live]
        self.neg_created: list[int] = [-(o.get("created") or 0) for o in live]
        self.pos: dict[str, int] = {oid: i for i, oid in enumerate(self.ids)}
        self._groups: dict[str, dict[Any, list[int]]] = {}
        self._selections: dict[Any, list[int]] = {}
        self._bytes: dict[Any, list[bytes | None]] = {}
        self._lock = threading.Lock()
        # Objects kept as JSON bytes (large accounts) are re-serialized per request instead of cached:
        # one cached copy per variant of a million objects would not fit in memory.
        self.cacheable = not (live and hasattr(live[0], "materialize"))

    def __len__(self) -> int:
        return len(self.items)

    # -- serialization
    def serialize(self, obj: dict, version: str, expand: frozenset[str] = frozenset()) -> bytes:
        if self._renderer is None:  # events keep their own api_version shape
            return compact_dumps(obj)
        rendered = self._renderer(obj, version, expand)
        return compact_dumps(shape_for_serving(obj, rendered))

    def chunk(self, i: int, version: str, expand: frozenset[str] = frozenset()) -> bytes:
        if not self.cacheable:
            return self.serialize(self.items[i], version, expand)
        variant = (version, expand) if self._renderer is not None else None
        cache = self._bytes.get(variant)
        if cache is None:
            with self._lock:
                cache = self._bytes.setdefault(variant, [None] * len(self.items))
        b = cache[i]
        if b is None:
            b = cache[i] = self.serialize(self.items[i], version, expand)
        return b

    def retrieve(self, obj_id: str, version: str, expand: frozenset[str] = frozenset()) -> bytes:
        i = self.pos.get(obj_id)
        if i is not None:
            return self.chunk(i, version, expand)
        obj = self.all_by_id.get(obj_id)
        if obj is None:
            raise missing(self.object_name, obj_id)
        return self.serialize(obj, version, expand)  # a deleted stub

    # -- selection
    def _group(self, name: str, getter: Callable[[dict], Any]) -> dict[Any, list[int]]:
        groups = self._groups.get(name)
        if groups is None:
            with self._lock:
                groups = self._groups.get(name)
                if groups is None:
                    groups = {}
                    for i, obj in enumerate(self.items):
                        groups.setdefault(getter(obj), []).append(i)
                    self._groups[name] = groups
        return groups

    def group_keys(self, name: str, getter: Callable[[dict], Any]) -> list[Any]:
        return list(self._group(name, getter))

    def select(self, conditions: Sequence[tuple[str, Callable[[dict], Any], frozenset]]) -> Sequence[int]:
        """Sorted positions of objects whose field values are in the given value sets."""
        if not conditions:
            return range(len(self.items))
        key = tuple((name, values) for name, _, values in conditions)
        cached = self._selections.get(key)
        if cached is not None:
            return cached
        (name, getter, values), *rest = sorted(
            conditions, key=lambda c: sum(len(self._group(c[0], c[1]).get(v, ())) for v in c[2])
        )
        groups = self._group(name, getter)
        lists = [groups[v] for v in values if v in groups]
        positions = lists[0] if len(lists) == 1 else sorted(p for lst in lists for p in lst)
        for _, other_getter, other_values in rest:
            positions = [p for p in positions if other_getter(self.items[p]) in other_values]
        if len(self._selections) > 512:
            self._selections.clear()
        self._selections[key] = positions
        return positions

    def created_bounds(self, low: int | None, high: int | None) -> tuple[int, int]:
        """Position range [start, stop) of objects with low <= created <= high."""
        start, stop = 0, len(self.items)
        if high is not None:
            start = bisect_left(self.neg_created, -high)
        if low is not None:
            stop = bisect_right(self.neg_created, -low)
        return start, stop

    def page(
        self,
        positions: Sequence[int],
        bounds: tuple[int, int],
        page: Page,
    ) -> tuple[list[int], bool]:
        """Stripe cursor semantics over a sorted position sequence.

        `starting_after=X` gives the objects after X in list order (older), `ending_before=X` the
        `limit` objects just before X (newer), still in list order; `has_more` says whether more
        exist in the direction of travel.
        """
        lo = bisect_left(positions, bounds[0])
        hi = bisect_left(positions, bounds[1], lo)
        if page.starting_after is not None:
            p = self._cursor(page.starting_after, "starting_after")
            lo = max(lo, bisect_right(positions, p, lo, hi))
            lo = min(lo, hi)
        elif page.ending_before is not None:
            p = self._cursor(page.ending_before, "ending_before")
            hi = min(hi, bisect_left(positions, p, lo, hi))
            hi = max(hi, lo)
            start = max(lo, hi - page.limit)
            return [positions[k] for k in range(start, hi)], start > lo
        stop = min(hi, lo + page.limit)
        return [positions[k] for k in range(lo, stop)], stop < hi

    def _cursor(self, obj_id: str, param: str) -> int:
        p = self.pos.get(obj_id)
        if p is None:
            raise missing(self.object_name, obj_id, param=param, status=400)
        return p


class AccountStore:
    """Everything needed to answer list/retrieve requests for one account."""

    def __init__(
        self,
        account: Any,
        renderer: Renderer,
        lock: threading.RLock | None = None,
        expandable: dict[str, tuple[str, ...]] | None = None,
    ) -> None:
        self.account = account
        self.account_id: str = account.account_id
        self.now: int = int(account.now)
        self._renderer = renderer
        self.expandable = DEFAULT_EXPANDABLE if expandable is None else expandable
        self._lock = lock or threading.RLock()
        self._indexes: dict[str, ResourceIndex] = {}
        self._sublists: dict[Any, _SubList] = {}
        self._item_owner: dict[str, str] | None = None

    # -- indexes
    def index(self, resource: str) -> ResourceIndex:
        idx = self._indexes.get(resource)
        if idx is None:
            with self._lock:
                idx = self._indexes.get(resource)
                if idx is None:
                    idx = self._build(resource)
                    self._indexes[resource] = idx
        return idx

    def _build(self, resource: str) -> ResourceIndex:
        if resource == "events":
            since = self.now - EVENT_RETENTION_SECONDS
            events = [e for e in self.account.events if (e.get("created") or 0) >= since]
            return ResourceIndex("events", events, None)
        return ResourceIndex(resource, self.account.objects.get(resource, []), self._renderer)

    def warm(self, resources: Iterable[str] = RESOURCES) -> None:
        """Build the indexes (sorting) up front."""
        for r in resources:
            self.index(r)

    def prewarm(
        self,
        version: str,
        keep_going: Callable[[], bool],
        wait_idle: Callable[[], None] | None = None,
        batch: int = 64,
    ) -> None:
        """Serialize every listed object in `version` ahead of requests (plain, and invoices with
        `payments` expanded, as the ingestion asks for them), newest first. Before each batch it calls
        `wait_idle()` (the server blocks it while requests are being served) and stops as soon as
        `keep_going()` turns false (the store was replaced)."""
        variants: list[tuple[str, frozenset[str]]] = [(r, frozenset()) for r in RESOURCES]
        if "payments" in self.expandable.get("invoice", ()):
            variants.insert(3, ("invoices", frozenset({"payments"})))
        for resource, expand in variants:
            idx = self.index(resource)
            if not idx.cacheable:
                continue
            for start in range(0, len(idx), batch):
                if wait_idle is not None:
                    wait_idle()
                if not keep_going():
                    return
                for i in range(start, min(start + batch, len(idx))):
                    idx.chunk(i, version, expand)
                time.sleep(0)  # let request threads in

    def counts(self) -> dict[str, int]:
        """Objects each list endpoint serves (deleted objects and events past the window excluded)."""
        return {r: len(self.index(r)) for r in RESOURCES}

    # -- lists
    def list(self, resource: str, params: dict[str, Any], version: str) -> bytes:
        check_params(params, allowed_list_params(resource))
        page = parse_page(params)
        idx = self.index(resource)
        expand = self._expand(idx, params, "data.") if resource != "events" else frozenset()
        conditions = self._conditions(resource, params, idx)
        low, high = parse_created(params.get("created"))
        positions = idx.select(conditions)
        selected, has_more = idx.page(positions, idx.created_bounds(low, high), page)
        chunks = [idx.chunk(i, version, expand) for i in selected]
        return list_envelope(chunks, has_more, idx.url)

    def _expand(self, idx: ResourceIndex, params: dict[str, Any], prefix: str) -> frozenset[str]:
        """`expand[]` paths (`data.payments` on lists, `payments` on retrieve) -> field names."""
        allowed = self.expandable.get(idx.object_name, ())
        fields = set()
        for path in parse_expand(params):
            name = path[len(prefix) :] if path.startswith(prefix) else None
            if name not in allowed:
                raise invalid(f"This property cannot be expanded ({path}) on the fake Stripe API.", "expand")
            fields.add(name)
        return frozenset(fields)

    def _conditions(
        self, resource: str, params: dict[str, Any], idx: ResourceIndex
    ) -> list[tuple[str, Callable[[dict], Any], frozenset]]:
        conditions: list[tuple[str, Callable[[dict], Any], frozenset]] = []
        for name, flt in FILTERS[resource].items():
            if name not in params:
                continue
            raw = params[name]
            if not isinstance(raw, str):
                raise invalid(f"Invalid {name}: must be a string", param=name)
            value: Any = _as_bool(raw, name) if flt.kind == "bool" else raw
            conditions.append((name, flt.getter, frozenset([value])))
        if resource == "prices" and "active" not in params:
            # "Returns a list of your active prices ... For the list of inactive prices, set active
            # to false." (Stripe API reference, List all prices)
            conditions.append(("active", _field("active"), frozenset([True])))
        if resource == "subscriptions":
            conditions.extend(_subscription_status(params.get("status")))
        if resource == "events":
            cond = self._event_types(params, idx)
            if cond is not None:
                conditions.append(cond)
        return conditions

    def _event_types(
        self, params: dict[str, Any], idx: ResourceIndex
    ) -> tuple[str, Callable[[dict], Any], frozenset] | None:
        if "type" in params and "types" in params:
            raise invalid("You may only specify one of these parameters: type, types.", param="types")
        if "type" in params:
            patterns = _as_list(params["type"])
        elif "types" in params:
            patterns = _as_list(params["types"])
            if len(patterns) > 20:
                raise invalid("You may pass at most 20 event types.", param="types")
        else:
            return None
        getter = _field("type")
        known = idx.group_keys("type", getter)
        wanted = {t for t in known for pat in patterns if t == pat or fnmatch.fnmatchcase(t, pat)}
        return ("type", getter, frozenset(wanted))

    # -- retrieve
    def retrieve(self, resource: str, obj_id: str, params: dict[str, Any], version: str) -> bytes:
        check_params(params, {"expand"})
        idx = self.index(resource)
        expand = self._expand(idx, params, "") if resource != "events" else frozenset()
        return idx.retrieve(obj_id, version, expand)

    # -- sub-lists: invoice lines, subscription items, invoice payments
    def _parent(self, resource: str, parent_id: str, param: str, status: int) -> dict:
        idx = self.index(resource)
        obj = idx.all_by_id.get(parent_id)
        if obj is None:
            raise missing(idx.object_name, parent_id, param=param, status=status)
        return obj

    def _sublist(self, key: Any, build: Callable[[], list[dict]]) -> _SubList:
        sub = self._sublists.get(key)
        if sub is None:
            data = build()
            ids = [d["id"] for d in data]
            sub = _SubList(ids, {oid: i for i, oid in enumerate(ids)}, [compact_dumps(d) for d in data])
            with self._lock:
                if len(self._sublists) > 4096:
                    self._sublists.clear()
                self._sublists[key] = sub
        return sub

    def _render_field(self, obj: dict, name: str, version: str) -> list[dict]:
        rendered = self._renderer(obj, version, frozenset([name]))
        sub = rendered.get(name)
        if isinstance(sub, dict) and isinstance(sub.get("data"), list):
            return sub["data"]
        return []

    def invoice_lines(self, invoice_id: str, params: dict[str, Any], version: str) -> bytes:
        check_params(params, _LIST_PARAMS)
        page = parse_page(params)
        if parse_expand(params):
            raise invalid("This property cannot be expanded on the fake Stripe API.", "expand")
        invoice = self._parent("invoices", invoice_id, "invoice", 404)
        sub = self._sublist(("lines", invoice_id, version), lambda: self._render_field(invoice, "lines", version))
        return self._page_sublist(sub, page, f"/v1/invoices/{invoice_id}/lines", "line_item")

    def subscription_items(self, params: dict[str, Any], version: str) -> bytes:
        check_params(params, _LIST_PARAMS | {"subscription"})
        page = parse_page(params)
        sub_id = params.get("subscription")
        if not isinstance(sub_id, str) or not sub_id:
            raise invalid("Missing required param: subscription.", param="subscription")
        subscription = self._parent("subscriptions", sub_id, "subscription", 404)
        sub = self._sublist(("items", sub_id, version), lambda: self._render_field(subscription, "items", version))
        # the url keeps its query, like the embedded `items.url`: the SDK pages on from it
        return self._page_sublist(sub, page, f"/v1/subscription_items?subscription={sub_id}", "subscription_item")

    def subscription_item(self, item_id: str, params: dict[str, Any], version: str) -> bytes:
        check_params(params, {"expand"})
        owner = self._item_owners().get(item_id)
        if owner is None:
            raise missing("subscription_item", item_id)
        subscription = self.index("subscriptions").all_by_id[owner]
        for item in self._render_field(subscription, "items", version):
            if item.get("id") == item_id:
                return compact_dumps(item)
        raise missing("subscription_item", item_id)

    def _item_owners(self) -> dict[str, str]:
        if self._item_owner is None:
            owners: dict[str, str] = {}
            for sub in self.account.objects.get("subscriptions", []):
                for item in (sub.get("items") or {}).get("data", []):
                    owners[item["id"]] = sub["id"]
            self._item_owner = owners
        return self._item_owner

    def invoice_payments(self, params: dict[str, Any], version: str) -> bytes:
        check_params(params, _LIST_PARAMS | {"invoice"})
        page = parse_page(params)
        invoice_id = params.get("invoice")
        if not isinstance(invoice_id, str) or not invoice_id:
            raise invalid("The fake Stripe API only lists invoice payments by invoice.", param="invoice")
        invoice = self._parent("invoices", invoice_id, "invoice", 404)
        sub = self._sublist(("payments", invoice_id, version), lambda: self._render_field(invoice, "payments", version))
        return self._page_sublist(sub, page, f"/v1/invoice_payments?invoice={invoice_id}", "invoice_payment")

    @staticmethod
    def _page_sublist(sub: _SubList, page: Page, url: str, object_name: str) -> bytes:
        n = len(sub.ids)
        if page.starting_after is not None:
            p = sub.pos.get(page.starting_after)
            if p is None:
                raise missing(object_name, page.starting_after, param="starting_after", status=400)
            start = p + 1
            stop = min(n, start + page.limit)
            return list_envelope(sub.chunks[start:stop], stop < n, url)
        if page.ending_before is not None:
            p = sub.pos.get(page.ending_before)
            if p is None:
                raise missing(object_name, page.ending_before, param="ending_before", status=400)
            start = max(0, p - page.limit)
            return list_envelope(sub.chunks[start:p], start > 0, url)
        stop = min(n, page.limit)
        return list_envelope(sub.chunks[:stop], stop < n, url)


def _subscription_status(raw: Any) -> list[tuple[str, Callable[[dict], Any], frozenset]]:
    """`GET /v1/subscriptions`: no status -> everything but canceled; `all`; `ended` = canceled or
    incomplete_expired; else that one status (Stripe API reference, List subscriptions)."""
    getter = _field("status")
    every = frozenset(s for s in SUBSCRIPTION_STATUSES if s not in ("all", "ended"))
    if raw is None:
        return [("status", getter, every - {"canceled"})]
    if not isinstance(raw, str) or raw not in SUBSCRIPTION_STATUSES:
        raise invalid(
            "Invalid status: must be one of " + ", ".join(SUBSCRIPTION_STATUSES[:-1]) + ", or unpaid",
            param="status",
        )
    if raw == "all":
        return []
    if raw == "ended":
        return [("status", getter, frozenset({"canceled", "incomplete_expired"}))]
    return [("status", getter, frozenset({raw}))]


@dataclass
class StoreSet:
    """The platform store plus one store per connected account."""

    platform: AccountStore
    connected: dict[str, AccountStore] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        account: Any,
        make_renderer: Callable[[Any], Renderer],
        lock: threading.RLock | None = None,
        expandable: dict[str, tuple[str, ...]] | None = None,
    ) -> StoreSet:
        """`make_renderer(account)` gives each account its renderer (legacy shapes need per-account facts)."""
        connected = {
            acct_id: AccountStore(sub, make_renderer(sub), lock, expandable)
            for acct_id, sub in (getattr(account, "connected", None) or {}).items()
        }
        return cls(AccountStore(account, make_renderer(account), lock, expandable), connected)

    def get(self, account_id: str | None) -> AccountStore | None:
        if not account_id or account_id == self.platform.account_id:
            return self.platform
        return self.connected.get(account_id)
