"""Stripe's side of the webhooks: endpoints (create, list) and the events Stripe holds (I13, W5).

`create_endpoint` registers an endpoint (`POST /v1/webhook_endpoints`); its answer holds the signing
secret, which Stripe shows only once. The reads go through the source's `StripeClient` (retries, the
`Date` clock, errors that name the missing permission: Webhook Endpoints and Events, Read).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from typing import Any

from ingestion.stripe.client import DEFAULT_API_BASE, STRIPE_API_VERSION, StripeClient
from ingestion.stripe.settings import RESOURCES

DESCRIPTION = "stripe-revenue webhook receiver"


def create_endpoint(
    url: str,
    api_key: str,
    *,
    api_base: str | None = None,
    enabled_events: list[str] | None = None,
    connect: bool = False,
) -> dict[str, Any]:
    """`POST /v1/webhook_endpoints`; the response holds the signing `secret` (shown once)."""
    import requests

    data: dict[str, Any] = {
        "url": url,
        "enabled_events[]": enabled_events or ["*"],
        "api_version": STRIPE_API_VERSION,
        "description": DESCRIPTION,
    }
    if connect:
        data["connect"] = "true"
    resp = requests.post(
        f"{(api_base or DEFAULT_API_BASE).rstrip('/')}/v1/webhook_endpoints",
        data=data,
        headers={"Authorization": f"Bearer {api_key}"},
        timeout=30,
    )
    body = resp.json()
    if resp.status_code != 200:
        raise RuntimeError((body.get("error") or {}).get("message") or f"HTTP {resp.status_code}")
    return body


def list_endpoints(client: StripeClient) -> list[dict[str, Any]]:
    """Every webhook endpoint of the account (`GET /v1/webhook_endpoints`, all pages)."""
    out: list[dict[str, Any]] = []
    for page in client.list_pages("/v1/webhook_endpoints"):
        out.extend(page.data)  # type: ignore[arg-type]
    return out


def events_between(client: StripeClient, after: int, until: int, limit: int = 100) -> list[dict[str, Any]]:
    """Up to `limit` events with `after < created <= until`, newest first (one request)."""
    page = client.list_page("/v1/events", {"created[gt]": after, "created[lte]": until}, limit=limit)
    return list(page.data)  # type: ignore[arg-type]


def needed_event_types() -> list[str]:
    """The event types the source applies (every mutable resource's), sorted."""
    return sorted({t for r in RESOURCES if r.mutable for t in r.event_types})


def subscribed(event_type: str, enabled_events: Iterable[str]) -> bool:
    """Whether an endpoint with `enabled_events` receives `event_type` (`*` is every type)."""
    return any(p == "*" or p == event_type or fnmatch.fnmatchcase(event_type, p) for p in enabled_events)


__all__ = ["DESCRIPTION", "create_endpoint", "events_between", "list_endpoints", "needed_event_types", "subscribed"]
