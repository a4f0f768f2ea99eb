"""A local HTTP server speaking Stripe's REST API (read side + webhook endpoints) for a synthetic account.

Loopback only, stdlib `ThreadingHTTPServer`, HTTP/1.1 keep-alive. Start it in-process with
`FakeStripeServer(account).start()` (tests) or from the console with `stripe-revenue fake-stripe serve`.

API (Stripe's, see docs/REFERENCE.md §1 and fake_stripe/store.py):
  GET  /v1/{charges,customers,invoices,prices,products,subscriptions,balance_transactions,
            disputes,payouts,credit_notes,refunds,events}            list (newest first, cursors, filters)
  GET  /v1/<resource>/{id}                                           retrieve
  GET  /v1/invoices/{id}/lines                                       an invoice's lines, paged
  GET  /v1/subscription_items?subscription=sub_...  and /{id}        a subscription's items, paged
  GET  /v1/invoice_payments?invoice=in_...                           an invoice's payments, paged
  GET  /v1/account, GET /v1/accounts                                 the account / connected accounts
  POST /v1/webhook_endpoints, GET|POST|DELETE /v1/webhook_endpoints/{id}, GET /v1/webhook_endpoints
Headers: `Authorization: Bearer <key>` (or basic auth, key as user), `Stripe-Version` (picks the shape:
2026-10-28.endive default, 2024-09-30.acacia legacy), `Stripe-Account: acct_...` (Connect scope).
Every response carries `Request-Id`.

Admin (no auth, not subject to fault knobs):
  GET  /_fake/info                      account id, clock, connected accounts, counts, knobs
  POST /_fake/advance?days=N[&deliver=false]
                                        simulate N more days of business (Account.advance), rebuild
                                        the indexes, POST the new events, signed, to matching
                                        webhook endpoints; answers {now, new_events, deliveries}
  POST /_fake/config?latency_ms=&rate_limit=&error_rate=&truncate_rate=&fault_seed=
                                        change the fault knobs at run time (empty value = off)

Fault knobs (constructor args, CLI flags, /_fake/config): `latency_ms` per request (slept in the
request's own thread), `rate_limit` requests/s over a sliding 1 s window (excess -> 429 rate_limit),
`error_rate` fraction answered 5xx (500 api_error with `Stripe-Should-Retry: true`, or 503),
`truncate_rate` fraction of 200 answers cut short (Content-Length larger than the bytes sent, or a
well-framed JSON body cut mid-way), then the connection is closed. Draws come from one
`random.Random(fault_seed)`, so a sequential client sees the same faults on every run.

Speed: each object's JSON is serialized once per (API version, expansion) and cached; pages are
joined bytes. `prewarm=True` (the default of `serve()` and the CLI) fills that cache for the default
version in a background thread right after start and after each advance.
"""

from __future__ import annotations

import base64
import contextlib
import email.utils
import random
import re
import string
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TextIO
from urllib.parse import parse_qsl, urlsplit

import orjson

from fake_stripe.store import (
    PERMISSIONS,
    RESOURCES,
    AccountStore,
    Renderer,
    ResourceIndex,
    StoreSet,
    StripeError,
    check_params,
    invalid,
    list_envelope,
    missing,
    parse_page,
    parse_params,
)
from fake_stripe.webhooks import EndpointRegistry, deliver

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
DEFAULT_PORT = 12111
DEFAULT_API_KEY = "sk_test_fake"

_KEY_PREFIX = re.compile(r"^((?:sk|rk|pk)_(?:test|live)_)(.*)$", re.S)
_ALNUM = string.ascii_letters + string.digits


def mask_key(key: str, tail: int = 4) -> str:
    """Stripe's way of echoing a key: prefix kept, middle starred, last characters kept."""
    m = _KEY_PREFIX.match(key)
    prefix, rest = (m.group(1), m.group(2)) if m else ("", key)
    if len(rest) <= tail:
        return prefix + "*" * len(rest)
    return prefix + "*" * (len(rest) - tail) + rest[-tail:]


def normalize_permission(perm: str) -> str:
    perm = perm.strip()
    return perm if perm.startswith("rak_") else f"rak_{perm}"


def _load_render_module() -> Any:
    from fake_stripe import render as render_mod

    return render_mod


def render_context(account: Any, render_mod: Any) -> Any:
    """The facts the legacy shape shows inline (render.RenderContext) for one account.

    Taken from the Account when it carries one (`render_context` or `ctx`, object or callable),
    otherwise derived from its objects: prices by id, charge of each payment intent, and the
    invoice of each charge (through the invoice's payments).
    """
    for name in ("render_context", "ctx"):
        value = getattr(account, name, None)
        if value is not None:
            return value() if callable(value) else value
    objects = account.objects
    prices = {p["id"]: p for p in objects.get("prices", [])}
    charge_by_pi: dict[str, str] = {}
    for ch in objects.get("charges", []):
        pi = ch.get("payment_intent")
        pi = pi.get("id") if isinstance(pi, dict) else pi
        if pi:
            charge_by_pi[pi] = ch["id"]
    invoice_by_charge: dict[str, str] = {}
    for inv in objects.get("invoices", []):
        for payment in (inv.get("payments") or {}).get("data", []):
            ref = payment.get("payment") or {}
            charge = ref.get("charge") or charge_by_pi.get(ref.get("payment_intent") or "")
            if charge:
                invoice_by_charge[charge] = inv["id"]
    return render_mod.RenderContext(
        prices=prices, invoice_by_charge=invoice_by_charge, charge_by_payment_intent=charge_by_pi
    )


def default_collapse(obj: dict, expand: frozenset[str]) -> dict:
    """Without render.collapse: `invoice.payments` is includable, absent unless expanded."""
    if obj.get("object") == "invoice" and "payments" in obj and "payments" not in expand:
        return {k: v for k, v in obj.items() if k != "payments"}
    return obj


class _AccountRenderer:
    """render(obj, version[, ctx]) then collapse(obj, expand), bound to one account.

    The legacy shape is rendered from the full object (it derives `invoice.charge` from the
    payments) and collapsed afterwards; the RenderContext is built on first legacy use.
    """

    def __init__(
        self,
        account: Any,
        render: Callable[..., dict],
        collapse: Callable[[dict, frozenset[str]], dict],
        current: str,
        render_mod: Any,
    ) -> None:
        self._account = account
        self._render = render
        self._collapse = collapse
        self._current = current
        self._mod = render_mod
        self._takes_ctx = render_mod is not None and hasattr(render_mod, "RenderContext")
        self._ctx: Any = None
        self._lock = threading.Lock()

    def __call__(self, obj: dict, version: str, expand: frozenset[str]) -> dict:
        materialize = getattr(obj, "materialize", None)  # large accounts keep objects as JSON bytes
        if materialize is not None:
            obj = materialize()
        if version == self._current or not self._takes_ctx:
            rendered = self._render(obj, version)
        else:
            if self._ctx is None:
                with self._lock:
                    if self._ctx is None:
                        self._ctx = render_context(self._account, self._mod)
            rendered = self._render(obj, version, self._ctx)
        return self._collapse(rendered, expand)


# --------------------------------------------------------------------------- concurrency helpers


class _RWLock:
    """Many readers (requests) or one writer (advance)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._readers = 0
        self._writer = False

    @contextlib.contextmanager
    def read(self) -> Iterator[None]:
        with self._cond:
            while self._writer:
                self._cond.wait()
            self._readers += 1
        try:
            yield
        finally:
            with self._cond:
                self._readers -= 1
                if not self._readers:
                    self._cond.notify_all()

    @contextlib.contextmanager
    def write(self) -> Iterator[None]:
        with self._cond:
            while self._writer:
                self._cond.wait()
            self._writer = True
            while self._readers:
                self._cond.wait()
        try:
            yield
        finally:
            with self._cond:
                self._writer = False
                self._cond.notify_all()


@dataclass
class Faults:
    latency_ms: float = 0.0
    rate_limit: float | None = None
    error_rate: float = 0.0
    truncate_rate: float = 0.0
    fault_seed: int = 0


@dataclass(frozen=True)
class _Draw:
    latency: float
    rate_limited: bool
    error: int | None  # 500 / 503
    should_retry: bool
    truncate: str | None  # "short" | "cut"


class _FaultInjector:
    def __init__(self, faults: Faults) -> None:
        self._lock = threading.Lock()
        self._window: deque[float] = deque()
        self.configure(faults)

    def configure(self, faults: Faults) -> None:
        with self._lock:
            self.faults = faults
            self._rng = random.Random(faults.fault_seed)
            self._window.clear()

    def draw(self) -> _Draw:
        with self._lock:
            f = self.faults
            r_err, r_kind, r_trunc, r_mode = (self._rng.random() for _ in range(4))
            limited = False
            if f.rate_limit:
                now = time.monotonic()
                while self._window and self._window[0] <= now - 1.0:
                    self._window.popleft()
                if len(self._window) >= f.rate_limit:
                    limited = True
                else:
                    self._window.append(now)
        error = None
        if r_err < f.error_rate:
            error = 500 if r_kind < 0.7 else 503
        truncate = None
        if r_trunc < f.truncate_rate:
            truncate = "short" if r_mode < 0.5 else "cut"
        return _Draw(f.latency_ms / 1000.0, limited, error, r_kind < 0.35, truncate)


# --------------------------------------------------------------------------- the server


class FakeStripeServer:
    """Serves `account` (and its connected accounts) on `http://host:port`.

    Use as a context manager or call `start()` / `stop()`; `serve_forever()` blocks instead.
    """

    def __init__(
        self,
        account: Any,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        api_key: str = DEFAULT_API_KEY,
        restricted_keys: dict[str, Sequence[str]] | None = None,
        latency_ms: float = 0.0,
        rate_limit: float | None = None,
        error_rate: float = 0.0,
        truncate_rate: float = 0.0,
        fault_seed: int = 0,
        renderer: Callable[..., dict] | None = None,  # render(obj, version); default fake_stripe.render
        versions: Sequence[str] | None = None,
        verbose: bool = False,
        prewarm: bool = False,
        webhook_retries: int = 3,
        webhook_backoff: float = 0.5,
    ) -> None:
        if host not in LOOPBACK_HOSTS:
            raise ValueError(f"the fake Stripe server only listens on loopback, not {host!r}")
        render_mod = None
        if renderer is None or versions is None:
            render_mod = _load_render_module()
        if versions is None:
            versions = [render_mod.CURRENT_VERSION, render_mod.LEGACY_VERSION]
            versions += [v for v in getattr(render_mod, "SUPPORTED_VERSIONS", ()) if v not in versions]
        if renderer is None:
            renderer = render_mod.render
        self.account = account
        self.api_key = api_key
        self.restricted_keys = {k: {normalize_permission(p) for p in v} for k, v in (restricted_keys or {}).items()}
        self.versions: list[str] = list(versions)
        self.default_version = self.versions[0]
        self._render = renderer
        # the lead's render takes a RenderContext for the legacy shape; a custom renderer does not
        self._render_mod = render_mod if render_mod is not None and renderer is render_mod.render else None
        self._collapse = getattr(self._render_mod, "collapse", None) or default_collapse
        expandable = getattr(self._render_mod, "EXPANDABLE", None)
        self.expandable: dict[str, tuple[str, ...]] | None = (
            {k: tuple(v) for k, v in expandable.items()} if expandable is not None else None
        )
        self.verbose = verbose
        self.webhook_retries = webhook_retries
        self.webhook_backoff = webhook_backoff
        self.webhooks = EndpointRegistry()
        self.faults = _FaultInjector(Faults(latency_ms, rate_limit, error_rate, truncate_rate, fault_seed))
        self._rw = _RWLock()
        self._build_lock = threading.RLock()
        self.stores = StoreSet.build(account, self.renderer_for, self._build_lock, self.expandable)
        self._accounts_index: ResourceIndex | None = None
        self._httpd = _HTTPServer((host, port), _Handler)
        self._httpd.fake = self
        self._thread: threading.Thread | None = None
        self._activity = threading.Lock()
        self._in_flight = 0
        self._last_activity = 0.0
        self.prewarm_enabled = prewarm
        if prewarm:
            self.start_prewarm()

    def renderer_for(self, account: Any) -> Renderer:
        """`(obj, version) -> obj in that version's shape` for one account (current = identity)."""
        return _AccountRenderer(account, self._render, self._collapse, self.default_version, self._render_mod)

    def start_prewarm(self) -> threading.Thread:
        """Serialize the current stores' objects (default version) in a background thread."""
        stores = self.stores

        def run() -> None:
            for store in (stores.platform, *stores.connected.values()):
                store.prewarm(self.default_version, lambda: self.stores is stores, self._wait_idle)

        thread = threading.Thread(target=run, name="fake-stripe-prewarm", daemon=True)
        thread.start()
        return thread

    def _request_started(self) -> None:
        with self._activity:
            self._in_flight += 1

    def _request_finished(self) -> None:
        with self._activity:
            self._in_flight -= 1
            self._last_activity = time.monotonic()

    def _wait_idle(self, quiet: float = 0.002) -> None:
        """Block while requests are in flight or one finished less than `quiet` seconds ago."""
        while True:
            with self._activity:
                busy = self._in_flight > 0 or time.monotonic() - self._last_activity < quiet
            if not busy:
                return
            time.sleep(quiet)

    # -- lifecycle
    @property
    def host(self) -> str:
        return str(self._httpd.server_address[0])

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def start(self) -> FakeStripeServer:
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.1}, name="fake-stripe", daemon=True
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._httpd.serve_forever(poll_interval=0.2)

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> FakeStripeServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- knobs
    def set_faults(self, **changes: Any) -> Faults:
        current = self.faults.faults
        updated = Faults(**{**current.__dict__, **changes})
        self.faults.configure(updated)
        return updated

    # -- state
    def accounts(self) -> dict[str, Any]:
        out = {self.account.account_id: self.account}
        out.update(getattr(self.account, "connected", None) or {})
        return out

    def info(self) -> dict[str, Any]:
        with self._rw.read():
            stores = self.stores
            connected = {acct: store.counts() for acct, store in stores.connected.items()}
            return {
                "account": stores.platform.account_id,
                "now": stores.platform.now,
                "base_url": self.base_url,
                "api_versions": self.versions,
                "counts": stores.platform.counts(),
                "connected": connected,
                "webhook_endpoints": len(self.webhooks.all()),
                "faults": dict(self.faults.faults.__dict__),
            }

    def advance(self, days: float, *, deliver_webhooks: bool = True) -> dict[str, Any]:
        """Simulate `days` more days (Account.advance), rebuild the indexes, deliver new events.

        Connected accounts whose clock did not move with the platform's are advanced too.
        Returns `{"now", "new_events": {acct: n}, "deliveries": {endpoint_id: report}}`.
        """
        with self._rw.write():
            accounts = self.accounts()
            seen = {acct: {e["id"] for e in a.events} for acct, a in accounts.items()}
            clocks = {acct: a.now for acct, a in accounts.items()}
            self.account.advance(days)
            for acct, sub in (getattr(self.account, "connected", None) or {}).items():
                if acct in clocks and sub.now == clocks[acct]:
                    sub.advance(days)
            new: dict[str, list[dict]] = {}
            for acct, a in self.accounts().items():
                # new = unseen id and created after the previous clock (an event re-identified by
                # re-simulation, or backfilled into the past, is not news)
                known = seen.get(acct, set())
                since = clocks.get(acct, -1)
                new[acct] = sorted(
                    (e for e in a.events if e["id"] not in known and (e.get("created") or 0) > since),
                    key=lambda e: (e.get("created") or 0, e["id"]),
                )
            self.stores = StoreSet.build(self.account, self.renderer_for, self._build_lock, self.expandable)
            self._accounts_index = None
        if self.prewarm_enabled:
            self.start_prewarm()
        deliveries = self._deliver(new) if deliver_webhooks else {}
        return {
            "now": self.account.now,
            "new_events": {acct: len(evts) for acct, evts in new.items()},
            "deliveries": deliveries,
        }

    def _deliver(self, new: dict[str, list[dict]]) -> dict[str, Any]:
        platform = self.account.account_id
        per_endpoint: dict[str, list[dict]] = {}
        for acct, events in new.items():
            connected = acct != platform
            for event in events:
                payload = event
                if connected and not event.get("account"):
                    payload = {**event, "account": acct}
                for endpoint in self.webhooks.targets(payload, connected=connected):
                    per_endpoint.setdefault(endpoint.id, []).append(payload)
        out: dict[str, Any] = {}
        for endpoint_id, events in per_endpoint.items():
            endpoint = self.webhooks.get(endpoint_id)
            if endpoint is None:
                continue
            events.sort(key=lambda e: (e.get("created") or 0, e["id"]))
            report = deliver(
                events,
                endpoint.url,
                endpoint.secret,
                retries=self.webhook_retries,
                backoff=self.webhook_backoff,
            )
            out[endpoint_id] = report.as_dict()
        return out

    def accounts_index(self) -> ResourceIndex:
        idx = self._accounts_index
        if idx is None:
            rows = [
                {
                    "id": acct,
                    "object": "account",
                    "type": "standard",
                    "created": int(getattr(sub, "created", 0) or 0),
                    "livemode": False,
                }
                for acct, sub in (getattr(self.account, "connected", None) or {}).items()
            ]
            idx = self._accounts_index = ResourceIndex("accounts", rows, lambda o, v, e: o)
        return idx


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128
    fake: FakeStripeServer


# --------------------------------------------------------------------------- request handling


@dataclass
class _Response:
    status: int
    body: bytes
    headers: dict[str, str]


def _json(status: int, payload: Any, **headers: str) -> _Response:
    return _Response(status, orjson.dumps(payload), dict(headers))


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-stripe"
    disable_nagle_algorithm = True
    timeout = 60
    server: _HTTPServer

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.fake.verbose:
            super().log_message(format, *args)

    # -- plumbing
    def _dispatch(self, method: str) -> None:
        fake = self.server.fake
        request_id = "req_" + "".join(random.choices(_ALNUM, k=14))
        length = int(self.headers.get("Content-Length") or 0)
        raw_body = self.rfile.read(length) if length > 0 else b""
        split = urlsplit(self.path)
        path = split.path
        truncate: str | None = None
        try:
            params = parse_params(parse_qsl(split.query, keep_blank_values=True))
            if raw_body and "x-www-form-urlencoded" in (self.headers.get("Content-Type") or ""):
                params.update(parse_params(parse_qsl(raw_body.decode("utf-8"), keep_blank_values=True)))
            if path.startswith("/_fake/"):
                resp = self._admin(method, path, params)
            else:
                fake._request_started()
                try:
                    resp, truncate = self._faulty_api(method, path, params)
                finally:
                    fake._request_finished()
        except StripeError as err:
            resp = _Response(err.status, err.body(), dict(err.headers))
        except Exception as exc:  # a bug in the fake: answer like Stripe would, keep serving
            if fake.verbose:
                import traceback

                traceback.print_exc()
            resp = _json(500, {"error": {"type": "api_error", "message": f"fake-stripe internal error: {exc}"}})
        resp.headers["Request-Id"] = request_id
        # Stripe's clock is the account's: clients read "now" from Date (the events window, cursors)
        resp.headers["Date"] = email.utils.formatdate(fake.account.now, usegmt=True)
        self._send(resp, truncate)

    def _faulty_api(self, method: str, path: str, params: dict[str, Any]) -> tuple[_Response, str | None]:
        """The API behind the fault knobs: latency, rate limit, 5xx, truncation."""
        fake = self.server.fake
        draw = fake.faults.draw()
        if draw.latency > 0:
            time.sleep(draw.latency)
        if draw.rate_limited:
            raise StripeError(
                429,
                "Too many requests hit the API too quickly. We recommend an exponential backoff of your requests.",
                code="rate_limit",
            )
        if draw.error is not None:
            headers = {"Stripe-Should-Retry": "true"} if draw.should_retry else {}
            raise StripeError(
                draw.error,
                "An unknown error occurred",
                type_="api_error",
                headers=headers,
            )
        with fake._rw.read():
            resp = self._api(method, path, params)
        return resp, (draw.truncate if resp.status == 200 else None)

    def _send(self, resp: _Response, truncate: str | None) -> None:
        body = resp.body
        declared = len(body)
        if truncate == "short":  # promise more bytes than we send, then hang up
            declared = len(body) + max(64, len(body) // 2)
            body = body[: len(body) // 2]
        elif truncate == "cut":  # a well-framed body whose JSON stops mid-way
            body = body[: max(1, len(body) // 2)]
            declared = len(body)
        try:
            phrase = HTTPStatus(resp.status).phrase
        except ValueError:
            phrase = ""
        lines = [
            f"HTTP/1.1 {resp.status} {phrase}",
            "Content-Type: application/json",
            f"Content-Length: {declared}",
            f"Server: {self.server_version}",
            "Access-Control-Allow-Origin: *",
        ]
        lines += [f"{k}: {v}" for k, v in resp.headers.items()]
        if truncate or self.close_connection:
            lines.append("Connection: close")
            self.close_connection = True
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        self.log_request(resp.status, len(body))
        try:
            self.wfile.write(head + body)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    # -- auth & scope
    def _auth(self) -> set[str] | None:
        """None for the full secret key, the permission set for a restricted key."""
        fake = self.server.fake
        header = self.headers.get("Authorization") or ""
        key = ""
        if header.startswith("Bearer "):
            key = header[7:].strip()
        elif header.startswith("Basic "):
            try:
                key = base64.b64decode(header[6:].strip()).decode("utf-8").split(":", 1)[0]
            except (ValueError, UnicodeDecodeError):
                key = ""
        if not key:
            raise StripeError(
                401,
                "You did not provide an API key. You need to provide your API key in the Authorization "
                "header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See "
                "https://stripe.com/docs/api#authentication for details, or we can help at "
                "https://support.stripe.com/.",
            )
        self._key = key
        if key == fake.api_key:
            return None
        if key in fake.restricted_keys:
            return fake.restricted_keys[key]
        raise StripeError(401, f"Invalid API Key provided: {mask_key(key)}")

    def _require(self, perms: set[str] | None, permission: str, account_id: str) -> None:
        if perms is None or permission in perms:
            return
        raise StripeError(
            403,
            f"The provided key '{mask_key(self._key, 6)}' does not have the required permissions for this "
            f"endpoint on account '{account_id}'. Having the '{permission}' permission would allow this "
            "request to continue.",
        )

    def _scope(self) -> AccountStore:
        fake = self.server.fake
        acct = (self.headers.get("Stripe-Account") or "").strip() or None
        store = fake.stores.get(acct)
        if store is None:
            raise StripeError(
                403,
                f"The provided key '{mask_key(self._key)}' does not have access to account '{acct}' (or "
                "that account does not exist). Application access may have been revoked.",
                code="account_invalid",
            )
        return store

    def _version(self) -> str:
        fake = self.server.fake
        version = (self.headers.get("Stripe-Version") or "").strip()
        if not version:
            return fake.default_version
        if version not in fake.versions:
            raise invalid(f"Invalid Stripe API version: {version}")
        return version

    # -- routes
    def _api(self, method: str, path: str, params: dict[str, Any]) -> _Response:
        perms = self._auth()
        store = self._scope()
        version = self._version()
        parts = [p for p in path.split("/") if p]
        if not parts or parts[0] != "v1":
            raise self._unrecognized(method, path)
        parts = parts[1:]
        acct = store.account_id
        vh = {"Stripe-Version": version}

        def ok(body: bytes) -> _Response:
            return _Response(200, body, dict(vh))

        if parts and parts[0] == "webhook_endpoints":
            return self._webhook_endpoints(method, parts[1:], params, perms, acct)
        if method != "GET":
            raise self._unrecognized(method, path)
        if len(parts) == 1 and parts[0] in RESOURCES:
            self._require(perms, PERMISSIONS[parts[0]], acct)
            return ok(store.list(parts[0], params, version))
        if len(parts) == 2 and parts[0] in RESOURCES:
            self._require(perms, PERMISSIONS[parts[0]], acct)
            return ok(store.retrieve(parts[0], parts[1], params, version))
        if len(parts) == 3 and parts[0] == "invoices" and parts[2] == "lines":
            self._require(perms, PERMISSIONS["invoices"], acct)
            return ok(store.invoice_lines(parts[1], params, version))
        if parts == ["subscription_items"]:
            self._require(perms, PERMISSIONS["subscription_items"], acct)
            return ok(store.subscription_items(params, version))
        if len(parts) == 2 and parts[0] == "subscription_items":
            self._require(perms, PERMISSIONS["subscription_items"], acct)
            return ok(store.subscription_item(parts[1], params, version))
        if parts == ["invoice_payments"]:
            self._require(perms, PERMISSIONS["invoice_payments"], acct)
            return ok(store.invoice_payments(params, version))
        if parts == ["account"]:
            check_params(params, {"expand"})
            if perms is not None:  # as Stripe: no restricted-key permission reads the account
                raise StripeError(
                    403,
                    f"The provided key '{mask_key(self._key, 6)}' does not have the required permissions for "
                    f"this endpoint on account '{acct}'. This is a restricted API key, but the required "
                    "permissions are not available for use by restricted keys.",
                )
            return _json(200, {"id": acct, "object": "account", "type": "standard", "livemode": False}, **vh)
        if parts == ["accounts"]:
            self._require(perms, "rak_connected_account_read", acct)
            if store is not self.server.fake.stores.platform:
                raise invalid("Only Stripe Connect platforms can list connected accounts.")
            check_params(params, {"limit", "starting_after", "ending_before", "created", "expand"})
            idx = self.server.fake.accounts_index()
            page = parse_page(params)
            selected, has_more = idx.page(range(len(idx)), (0, len(idx)), page)
            return ok(list_envelope([idx.chunk(i, version) for i in selected], has_more, "/v1/accounts"))
        raise self._unrecognized(method, path)

    def _unrecognized(self, method: str, path: str) -> StripeError:
        return StripeError(
            404,
            f"Unrecognized request URL ({method}: {path}). Please see https://stripe.com/docs or we can "
            "help at https://support.stripe.com/.",
        )

    def _webhook_endpoints(
        self, method: str, rest: list[str], params: dict[str, Any], perms: set[str] | None, acct: str
    ) -> _Response:
        fake = self.server.fake
        registry = fake.webhooks
        if method == "GET":
            self._require(perms, "rak_webhook_read", acct)
        else:
            self._require(perms, "rak_webhook_write", acct)
        if not rest and method == "POST":
            check_params(
                params,
                {"url", "enabled_events", "api_version", "description", "connect", "metadata", "expand"},
            )
            url = params.get("url")
            if not isinstance(url, str) or not url:
                raise invalid("Missing required param: url.", param="url")
            events = params.get("enabled_events")
            if isinstance(events, str):
                events = [events]
            if not isinstance(events, list) or not events:
                raise invalid("Missing required param: enabled_events.", param="enabled_events")
            api_version = params.get("api_version")
            if api_version is not None and api_version not in fake.versions:
                raise invalid(f"Invalid Stripe API version: {api_version}", param="api_version")
            endpoint = registry.create(
                url,
                events,
                api_version=api_version,
                description=params.get("description"),
                connect=params.get("connect") == "true",
                metadata=params.get("metadata") if isinstance(params.get("metadata"), dict) else None,
                created=int(fake.account.now),  # Stripe's clock, the one its events are created on
            )
            return _json(200, endpoint.to_dict(with_secret=True))
        if not rest and method == "GET":
            check_params(params, {"limit", "starting_after", "ending_before", "expand"})
            page = parse_page(params)
            rows = [e.to_dict() for e in registry.all()]
            idx = ResourceIndex("webhook_endpoints", rows, lambda o, v, e: o)
            selected, has_more = idx.page(range(len(idx)), (0, len(idx)), page)
            return _Response(
                200,
                list_envelope([idx.chunk(i, "") for i in selected], has_more, "/v1/webhook_endpoints"),
                {},
            )
        if len(rest) == 1:
            endpoint = registry.get(rest[0])
            if endpoint is None:
                raise missing("webhook_endpoint", rest[0])
            if method == "GET":
                return _json(200, endpoint.to_dict())
            if method == "DELETE":
                registry.delete(endpoint.id)
                return _json(200, {"id": endpoint.id, "object": "webhook_endpoint", "deleted": True})
            check_params(params, {"url", "enabled_events", "description", "disabled", "metadata", "expand"})
            if isinstance(params.get("url"), str):
                endpoint.url = params["url"]
            if isinstance(params.get("enabled_events"), list):
                endpoint.enabled_events = list(params["enabled_events"])
            if isinstance(params.get("description"), str):
                endpoint.description = params["description"]
            if "disabled" in params:
                endpoint.status = "disabled" if params["disabled"] == "true" else "enabled"
            return _json(200, endpoint.to_dict())
        raise self._unrecognized(method, "/v1/webhook_endpoints/" + "/".join(rest))

    # -- admin
    def _admin(self, method: str, path: str, params: dict[str, Any]) -> _Response:
        fake = self.server.fake
        if path == "/_fake/info" and method == "GET":
            return _json(200, fake.info())
        if path == "/_fake/advance" and method == "POST":
            try:
                days = float(params.get("days", "1"))
            except (TypeError, ValueError) as exc:
                raise invalid("days must be a number", param="days") from exc
            return _json(200, fake.advance(days, deliver_webhooks=params.get("deliver", "true") != "false"))
        if path == "/_fake/config" and method == "POST":
            changes: dict[str, Any] = {}
            casts: dict[str, Callable[[str], Any]] = {
                "latency_ms": float,
                "rate_limit": float,
                "error_rate": float,
                "truncate_rate": float,
                "fault_seed": int,
            }
            for name, value in params.items():
                if name not in casts:
                    raise invalid(f"Received unknown parameter: {name}", param=name)
                if value in ("", "none", "off"):
                    changes[name] = None if name == "rate_limit" else 0
                else:
                    try:
                        changes[name] = casts[name](value)
                    except ValueError as exc:
                        raise invalid(f"Invalid {name}: {value}", param=name) from exc
            return _json(200, dict(fake.set_faults(**changes).__dict__))
        return _json(404, {"error": {"type": "invalid_request_error", "message": f"no admin route {path}"}})


# --------------------------------------------------------------------------- entry point


def describe(server: FakeStripeServer) -> str:
    """A human summary of what the server serves (printed by `serve`)."""
    info = server.info()
    lines = [
        f"fake Stripe API for account {info['account']} (clock {info['now']}, "
        f"{time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime(info['now']))})",
        f"  base URL     {server.base_url}    (SOURCES__STRIPE__API_BASE={server.base_url})",
        f"  API key      {server.api_key}",
        f"  API versions {', '.join(server.versions)} (default {server.default_version})",
    ]
    for key, perms in server.restricted_keys.items():
        lines.append(f"  restricted   {key}: {', '.join(sorted(perms))}")
    lines.append("  objects      " + ", ".join(f"{r}={n}" for r, n in info["counts"].items()))
    if info["connected"]:
        lines.append(f"  connected    {len(info['connected'])} account(s) (send Stripe-Account):")
        for acct, counts in info["connected"].items():
            lines.append(f"    {acct}: " + ", ".join(f"{r}={n}" for r, n in counts.items()))
    faults = info["faults"]
    active = {k: v for k, v in faults.items() if v and k != "fault_seed"}
    lines.append("  faults       " + (", ".join(f"{k}={v}" for k, v in active.items()) or "none"))
    lines.append("  admin        GET /_fake/info, POST /_fake/advance?days=N, POST /_fake/config?...")
    return "\n".join(lines)


def serve(
    account: Any = None,
    *,
    size: str = "demo",
    seed: int = 7,
    host: str = "127.0.0.1",
    port: int = DEFAULT_PORT,
    out: TextIO | None = None,
    **options: Any,
) -> None:
    """Load (or take) an account, print what is served, and serve until Ctrl-C."""
    stream = out or sys.stdout
    if account is None:
        from fake_stripe.account import load_account

        print(f"loading the {size} account (seed {seed})...", file=stream, flush=True)
        account = load_account(size, seed)
    options.setdefault("prewarm", True)
    server = FakeStripeServer(account, host=host, port=port, **options)
    print(describe(server), file=stream, flush=True)
    print("serving; Ctrl-C to stop", file=stream, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("\nstopped", file=stream, flush=True)
    finally:
        server._httpd.server_close()
