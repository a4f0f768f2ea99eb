"""Webhook endpoints, Stripe signatures and delivery of signed events.

Signature (Stripe docs, "Verify webhook signatures"): header
`Stripe-Signature: t=<unix>,v1=<hex>` where `<hex>` = HMAC-SHA256 over `f"{t}.{raw_body}"` keyed with
the whole `whsec_...` secret as UTF-8. `stripe.Webhook.construct_event` verifies exactly this.

Delivery is a POST of the event JSON to the endpoint URL, retried on connection errors and non-2xx
answers with exponential backoff (Stripe retries for days; we retry a few times, quickly).
"""

from __future__ import annotations

import fnmatch
import hashlib
import hmac
import secrets
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
import requests

USER_AGENT = "Stripe/1.0 (+https://stripe.com/docs/webhooks)"


def compute_signature(payload: bytes | str, secret: str, timestamp: int) -> str:
    body = payload.decode("utf-8") if isinstance(payload, bytes) else payload
    return hmac.new(secret.encode("utf-8"), f"{timestamp}.{body}".encode(), hashlib.sha256).hexdigest()


def signature_header(payload: bytes | str, secret: str, timestamp: int | None = None) -> str:
    """The `Stripe-Signature` header value for `payload`."""
    t = int(time.time()) if timestamp is None else int(timestamp)
    return f"t={t},v1={compute_signature(payload, secret, t)}"


def verify_signature(payload: bytes | str, header: str, secret: str, tolerance: int = 300) -> bool:
    """True when any `v1` matches and `t` is within `tolerance` seconds (same rules as the SDK)."""
    try:
        parts = [p.split("=", 1) for p in header.split(",")]
        t = int(next(v for k, v in parts if k == "t"))
    except (StopIteration, ValueError):
        return False
    expected = compute_signature(payload, secret, t)
    if not any(k == "v1" and hmac.compare_digest(v, expected) for k, v in parts):
        return False
    return not (tolerance and t < time.time() - tolerance)


def new_secret() -> str:
    return "whsec_" + secrets.token_hex(16)


def event_matches(event_type: str, enabled_events: Iterable[str]) -> bool:
    return any(p == "*" or p == event_type or fnmatch.fnmatchcase(event_type, p) for p in enabled_events)


# --------------------------------------------------------------------------- delivery


@dataclass
class DeliveryResult:
    event_id: str
    url: str
    ok: bool
    attempts: int
    status: int | None = None
    error: str | None = None


@dataclass
class DeliveryReport:
    results: list[DeliveryResult] = field(default_factory=list)

    @property
    def delivered(self) -> int:
        return sum(1 for r in self.results if r.ok)

    @property
    def failed(self) -> list[DeliveryResult]:
        return [r for r in self.results if not r.ok]

    def as_dict(self) -> dict[str, Any]:
        return {
            "delivered": self.delivered,
            "failed": [{"event": r.event_id, "url": r.url, "status": r.status, "error": r.error} for r in self.failed],
        }


def deliver(
    events: Sequence[dict],
    url: str,
    secret: str,
    *,
    retries: int = 3,
    backoff: float = 0.5,
    timeout: float = 10.0,
    session: requests.Session | None = None,
) -> DeliveryReport:
    """POST each event (in the given order) to `url`, signed with `secret`.

    An attempt succeeds on any 2xx. Connection errors, timeouts and other statuses are retried
    `retries` times with exponential backoff (`backoff`, 2×`backoff`, ...). Each attempt is signed
    with a fresh timestamp, as Stripe does.
    """
    own = session is None
    http = session or requests.Session()
    report = DeliveryReport()
    try:
        for event in events:
            body = orjson.dumps(event)
            result = DeliveryResult(event_id=str(event.get("id")), url=url, ok=False, attempts=0)
            for attempt in range(retries + 1):
                if attempt:
                    time.sleep(backoff * (2 ** (attempt - 1)))
                result.attempts = attempt + 1
                headers = {
                    "Content-Type": "application/json; charset=utf-8",
                    "User-Agent": USER_AGENT,
                    "Stripe-Signature": signature_header(body, secret),
                }
                try:
                    resp = http.post(url, data=body, headers=headers, timeout=timeout)
                except requests.RequestException as exc:
                    result.status, result.error = None, f"{type(exc).__name__}: {exc}"
                    continue
                result.status = resp.status_code
                if 200 <= resp.status_code < 300:
                    result.ok, result.error = True, None
                    break
                result.error = f"HTTP {resp.status_code}"
            report.results.append(result)
    finally:
        if own:
            http.close()
    return report


# --------------------------------------------------------------------------- endpoints registry


@dataclass
class WebhookEndpoint:
    id: str
    url: str
    enabled_events: list[str]
    secret: str
    created: int
    api_version: str | None = None
    description: str | None = None
    status: str = "enabled"
    connect: bool = False  # receives events of connected accounts instead of the platform's
    metadata: dict[str, str] = field(default_factory=dict)
    application: str | None = None

    def to_dict(self, with_secret: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "object": "webhook_endpoint",
            "api_version": self.api_version,
            "application": self.application,
            "created": self.created,
            "description": self.description,
            "enabled_events": list(self.enabled_events),
            "livemode": False,
            "metadata": dict(self.metadata),
            "status": self.status,
            "url": self.url,
        }
        if with_secret:  # Stripe shows the secret only in the create response
            out["secret"] = self.secret
        return out


class EndpointRegistry:
    """Webhook endpoints created through `POST /v1/webhook_endpoints` (per server, newest first)."""

    def __init__(self) -> None:
        self._endpoints: dict[str, WebhookEndpoint] = {}
        self._lock = threading.Lock()

    def create(
        self,
        url: str,
        enabled_events: Sequence[str],
        *,
        api_version: str | None = None,
        description: str | None = None,
        connect: bool = False,
        metadata: dict[str, str] | None = None,
        secret: str | None = None,
        created: int | None = None,
    ) -> WebhookEndpoint:
        endpoint = WebhookEndpoint(
            id="we_" + secrets.token_hex(12),
            url=url,
            enabled_events=list(enabled_events),
            secret=secret or new_secret(),
            created=int(time.time()) if created is None else created,
            api_version=api_version,
            description=description,
            connect=connect,
            metadata=dict(metadata or {}),
        )
        with self._lock:
            self._endpoints[endpoint.id] = endpoint
        return endpoint

    def get(self, endpoint_id: str) -> WebhookEndpoint | None:
        return self._endpoints.get(endpoint_id)

    def delete(self, endpoint_id: str) -> WebhookEndpoint | None:
        with self._lock:
            return self._endpoints.pop(endpoint_id, None)

    def all(self) -> list[WebhookEndpoint]:
        with self._lock:
            return sorted(self._endpoints.values(), key=lambda e: (e.created, e.id), reverse=True)

    def targets(self, event: dict, *, connected: bool) -> list[WebhookEndpoint]:
        etype = str(event.get("type", ""))
        return [
            e
            for e in self.all()
            if e.status == "enabled" and e.connect == connected and event_matches(etype, e.enabled_events)
        ]
