"""`stripe-revenue webhooks status`: the webhook from both sides, and whether deliveries look stuck (W5).

Stripe's side (when an API key is set): the endpoints registered (url, status, enabled events, and the
event types the source applies that an endpoint does not receive), and whether Stripe holds events
older than `max_lag` that the receiver has not received. The receiver's side: its status file
(running or not, heartbeat, the last event and its age, totals), the events waiting in the spool
(how many, since when) and the files in `rejected/`.

Exit code: 0 when deliveries flow, 1 when something looks stuck or needs a look (each problem is a
line saying what to do), 2 when Stripe's side could not be read and nothing else is wrong.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ingestion.stripe.spool import Backlog, backlog
from ingestion.webhooks.endpoints import DESCRIPTION, events_between, list_endpoints, needed_event_types, subscribed
from ingestion.webhooks.stats import read_status

MAX_LAG_SECONDS = 900  # Stripe has an event this old the receiver has not seen: stuck
MAX_BACKLOG_SECONDS = 25 * 3600  # events wait longer than a daily schedule and some: no run applies them
HEARTBEAT_GRACE = 2.5  # heartbeats (a minute each) missed before the receiver counts as not running


@dataclass
class WebhookStatus:
    spool_dir: Path
    now: float
    receiver: dict[str, Any] | None = None
    spool: Backlog = field(default_factory=Backlog)
    endpoints: list[dict[str, Any]] | None = None  # None: not read (no key, or an error)
    endpoint_note: str = ""
    missing_types: dict[str, list[str]] = field(default_factory=dict)  # endpoint id → types it does not receive
    stripe_error: str | None = None
    unreceived: list[dict[str, Any]] = field(default_factory=list)  # Stripe's events the receiver lacks
    stripe_now: int | None = None
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        if self.problems:
            return 1
        return 2 if self.stripe_error else 0

    def lines(self) -> list[str]:
        out: list[str] = []
        if self.endpoints is not None:
            out.append(f"Stripe: {len(self.endpoints)} webhook endpoint(s){self.endpoint_note}")
            for e in self.endpoints:
                events = ", ".join(e.get("enabled_events") or []) or "-"
                if len(events) > 70:
                    events = f"{len(e.get('enabled_events') or [])} types"
                out.append(f"  {e.get('id')}  {e.get('url')}  {e.get('status')}  events: {events}")
                missing = self.missing_types.get(str(e.get("id")))
                if missing:
                    more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
                    out.append(f"    does not receive these types the source applies: {', '.join(missing[:5])}{more}")
        elif self.stripe_error:
            out.append(f"Stripe: not read: {self.stripe_error}")
        else:
            out.append(
                "Stripe: not read (set SOURCES__STRIPE__API_KEY to see the endpoints and Stripe's newest events)"
            )
        out.append(f"receiver (spool {self.spool_dir}):")
        r = self.receiver
        if r is None:
            out.append("  no receiver has run with this spool")
        else:
            state = "stopped" if r.get("stopped_at") else "running"
            out.append(
                f"  {state} on {r.get('url')} (pid {r.get('pid')} on {r.get('host')}), "
                f"started {_ago(self.now, r.get('started_at'))}, last heartbeat {_ago(self.now, r.get('updated_at'))}"
            )
            last = r.get("last_event")
            if last:
                received = _ago(self.now, last.get("received_at"))
                out.append(f"  last event {last.get('id')} ({last.get('type')}) received {received}")
            else:
                out.append("  no event received since it started")
            t = r.get("totals") or {}
            refused = t.get("rejected") or {}
            detail = ", ".join(f"{k} {v}" for k, v in sorted(refused.items()))
            out.append(
                f"  since start: {t.get('accepted', 0)} stored, {t.get('duplicates', 0)} duplicates, "
                f"{sum(refused.values())} refused"
                + (f" ({detail})" if detail else "")
                + f", {t.get('failed', 0)} failed"
            )
        s = self.spool
        waiting = f"{s.distinct} events waiting in {s.files} file(s)"
        if s.oldest_file_at is not None:
            waiting += f", the oldest since {_ago(self.now, s.oldest_file_at)}"
        out.append(f"spool: {waiting}; {s.unreadable} unreadable, {s.rejected} in rejected/")
        if self.stripe_now is not None and not self.stripe_error:
            if self.unreceived:
                oldest = min(int(e.get("created") or 0) for e in self.unreceived)
                many = "100+" if len(self.unreceived) >= 100 else str(len(self.unreceived))
                out.append(
                    f"Stripe's events: {many} older than the lag limit not received, the oldest from "
                    f"{_ago(self.stripe_now, oldest)}"
                )
            else:
                out.append("Stripe's events: none older than the lag limit that the receiver has not received")
        for w in self.warnings:
            out.append(f"warning: {w}")
        for p in self.problems:
            out.append(f"problem: {p}")
        if not self.problems:
            out.append("OK: deliveries flow" if not self.stripe_error else "receiver OK; Stripe's side unknown")
        return out


def _ago(now: float, then: Any) -> str:
    if not isinstance(then, int | float):
        return "never"
    seconds = max(0, int(now - then))
    if seconds < 120:
        return f"{seconds} s ago"
    if seconds < 7200:
        return f"{seconds // 60} min ago"
    if seconds < 172800:
        return f"{seconds / 3600:.1f} h ago"
    return f"{seconds / 86400:.1f} days ago"


def collect(
    spool_dir: Path,
    *,
    api_key: str | None = None,
    api_base: str | None = None,
    account_id: str | None = None,
    url: str | None = None,
    max_lag: int = MAX_LAG_SECONDS,
    max_backlog_age: int = MAX_BACKLOG_SECONDS,
    now: float | None = None,
) -> WebhookStatus:
    """Both sides of the webhook; nothing is written."""
    status = WebhookStatus(spool_dir=spool_dir, now=time.time() if now is None else now)
    status.receiver = read_status(spool_dir)
    status.spool = backlog(spool_dir)
    _check_receiver(status)
    _check_spool(status, max_backlog_age)
    if api_key:
        _check_stripe(status, api_key, api_base, account_id, url, max_lag)
    return status


def _check_receiver(status: WebhookStatus) -> None:
    r = status.receiver
    if r is None:
        status.problems.append(
            f"no receiver status in {status.spool_dir}: start `stripe-revenue webhooks serve` with this spool "
            "(--spool or SOURCES__STRIPE__WEBHOOK_SPOOL), or point --spool at the one it writes"
        )
        return
    if r.get("stopped_at"):
        stopped = _ago(status.now, r.get("stopped_at"))
        status.problems.append(f"the receiver stopped {stopped}: Stripe's deliveries fail until it runs again")
        return
    heartbeat = float(r.get("heartbeat_seconds") or 60)
    updated = r.get("updated_at")
    if not isinstance(updated, int | float) or status.now - updated > HEARTBEAT_GRACE * heartbeat:
        status.problems.append(
            f"the receiver's last heartbeat was {_ago(status.now, updated)} (one a minute when running): it was "
            "killed or hangs; restart `stripe-revenue webhooks serve` (its service manager should)"
        )


def _check_spool(status: WebhookStatus, max_backlog_age: int) -> None:
    s = status.spool
    if s.oldest_file_at is not None and status.now - s.oldest_file_at > max_backlog_age:
        status.problems.append(
            f"{s.distinct} events have waited in the spool since {_ago(status.now, s.oldest_file_at)}: no run applied "
            "them; check that `dlt pipeline stripe run` runs on schedule with the same spool (a first load leaves "
            "the spool for the next run; another Connect account's events wait for that account's run)"
        )
    if s.unreadable:
        status.problems.append(f"{s.unreadable} unreadable file(s) in the spool: the next run moves them to rejected/")
    if s.rejected:
        status.problems.append(
            f"{s.rejected} file(s) in {status.spool_dir / 'rejected'}: look at them (the run's warning says why), "
            "then delete them"
        )


def _check_stripe(
    status: WebhookStatus, api_key: str, api_base: str | None, account_id: str | None, url: str | None, max_lag: int
) -> None:
    from ingestion.stripe.client import DEFAULT_API_BASE, StripeClient
    from ingestion.stripe.errors import StripeError

    base = api_base or DEFAULT_API_BASE
    platform = StripeClient(api_key, api_base=base, max_requests_per_second=0)
    try:
        endpoints = list_endpoints(platform)
        account = platform if not account_id else StripeClient(api_key, api_base=base, account_id=account_id)
        stripe_now = account.sync_clock("/v1/events")
        status.stripe_now = stripe_now
        r = status.receiver or {}
        since = int(r.get("newest_created") or r.get("started_at") or stripe_now - 86400)
        unreceived = events_between(account, since, stripe_now - max_lag) if since < stripe_now - max_lag else []
    except StripeError as exc:
        status.stripe_error = str(exc)
        return
    if url:
        ours = [e for e in endpoints if e.get("url") == url]
        status.endpoint_note = f", {len(ours)} with the url {url}" if ours else f" (none with the url {url})"
    else:
        ours = [e for e in endpoints if e.get("description") == DESCRIPTION]
        status.endpoint_note = f", {len(ours)} created by `webhooks create`" if ours else ""
    status.endpoints = endpoints
    watched = ours or ([] if url else endpoints)
    enabled = [e for e in watched if e.get("status") == "enabled"]
    if not enabled:
        where = f"with the url {url} " if url else ""
        status.problems.append(
            f"no enabled webhook endpoint {where}at Stripe, so Stripe sends nothing: create one "
            "(`stripe-revenue webhooks create --url https://.../`) or enable it (Dashboard → Developers → Webhooks)"
        )
    needed = needed_event_types()
    for e in watched:
        missing = [t for t in needed if not subscribed(t, e.get("enabled_events") or [])]
        if missing:
            status.missing_types[str(e.get("id"))] = missing
    if status.missing_types:
        status.warnings.append(
            "an endpoint does not receive event types the source applies (listed above): those changes wait for "
            "the next run's /v1/events read; add them, or `*`, to the endpoint"
        )
    # only what an enabled endpoint would have been sent since it existed and the receiver last heard
    since = max(since, min(int(e.get("created") or 0) for e in enabled)) if enabled else since
    patterns = [p for e in enabled for p in e.get("enabled_events") or []]
    status.unreceived = [
        e for e in unreceived if int(e.get("created") or 0) > since and subscribed(str(e.get("type")), patterns)
    ]
    if status.unreceived:
        oldest = min(int(e.get("created") or 0) for e in status.unreceived)
        status.problems.append(
            f"deliveries look stuck: Stripe has events from {_ago(stripe_now, oldest)} (older than {max_lag} s) "
            "that the receiver has not received; check the endpoint's url, the proxy in front of the receiver, "
            "its TLS certificate, and the endpoint's delivery attempts in the Dashboard (Developers → Webhooks)"
        )


__all__ = ["MAX_BACKLOG_SECONDS", "MAX_LAG_SECONDS", "WebhookStatus", "collect"]
