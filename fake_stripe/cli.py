"""`stripe-revenue fake-stripe ...`: serve the synthetic account, or push its events to a webhook URL."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from fake_stripe.server import DEFAULT_API_KEY, DEFAULT_PORT, LOOPBACK_HOSTS, normalize_permission

SIZES = ("small", "demo", "large")


def _fraction(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"{text} is not a fraction between 0 and 1")
    return value


def _restricted(text: str) -> tuple[str, list[str]]:
    key, sep, perms = text.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(f"expected KEY=perm1,perm2, got {text!r}")
    return key.strip(), [normalize_permission(p) for p in perms.split(",") if p.strip()]


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register `fake-stripe serve` and `fake-stripe send-webhooks` on the console script."""
    parser = subparsers.add_parser(
        "fake-stripe",
        help="a local Stripe-compatible API serving a synthetic account",
        description="A local Stripe-compatible API serving a deterministic synthetic account.",
    )
    sub = parser.add_subparsers(dest="fake_command", required=True)

    serve_p = sub.add_parser(
        "serve",
        help="serve the synthetic account over Stripe's REST API until Ctrl-C",
        description=(
            "Serve a synthetic Stripe account on loopback. Point the pipeline at it with "
            "SOURCES__STRIPE__API_BASE=http://127.0.0.1:PORT and SOURCES__STRIPE__API_KEY=<api key>. "
            "Admin: GET /_fake/info, POST /_fake/advance?days=N (simulate more business and deliver "
            "new events to webhook endpoints), POST /_fake/config?error_rate=...&rate_limit=..."
        ),
    )
    _account_args(serve_p)
    serve_p.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})")
    serve_p.add_argument("--host", default="127.0.0.1", help="loopback address only (default 127.0.0.1)")
    serve_p.add_argument("--api-key", default=DEFAULT_API_KEY, help=f"secret key (default {DEFAULT_API_KEY})")
    serve_p.add_argument(
        "--restricted-key",
        action="append",
        type=_restricted,
        default=[],
        metavar="KEY=PERM,...",
        help="a restricted key and its read permissions, e.g. rk_test_abc=charge_read,customer_read "
        "(rak_ prefix optional); repeatable",
    )
    serve_p.add_argument("--latency-ms", type=float, default=0.0, help="added latency per request")
    serve_p.add_argument("--rate-limit", type=float, default=None, help="requests/s; excess answered 429")
    serve_p.add_argument("--error-rate", type=_fraction, default=0.0, help="fraction of requests answered 5xx")
    serve_p.add_argument(
        "--truncate-rate", type=_fraction, default=0.0, help="fraction of 200 answers with a truncated body"
    )
    serve_p.add_argument("--fault-seed", type=int, default=0, help="seed of the fault draws (default 0)")
    serve_p.add_argument("--verbose", action="store_true", help="log every request")
    serve_p.add_argument(
        "--no-prewarm",
        dest="prewarm",
        action="store_false",
        help="do not serialize every object in the background at start (lower memory, slower first pass)",
    )
    serve_p.set_defaults(func=_serve)

    hooks_p = sub.add_parser(
        "send-webhooks",
        help="POST the account's events window (last 30 days), signed, to a webhook URL",
        description=(
            "Push the synthetic account's events (the 30-day window, oldest first) to URL, each signed "
            "with Stripe-Signature using SECRET, retrying failed deliveries."
        ),
    )
    _account_args(hooks_p)
    hooks_p.add_argument("--url", required=True, help="the webhook receiver URL")
    hooks_p.add_argument("--secret", required=True, help="the endpoint's signing secret (whsec_...)")
    hooks_p.add_argument(
        "--type", action="append", default=[], dest="types", help="only these event types (wildcards ok)"
    )
    hooks_p.add_argument("--limit", type=int, default=None, help="send at most this many events")
    hooks_p.add_argument(
        "--connected", action="store_true", help="also send connected accounts' events (with `account`)"
    )
    hooks_p.add_argument("--retries", type=int, default=3, help="retries per event (default 3)")
    hooks_p.set_defaults(func=_send_webhooks)
    return parser


def _account_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--size", choices=SIZES, default="demo", help="account size (default demo)")
    parser.add_argument("--seed", type=int, default=7, help="generator seed (default 7)")


def _serve(args: argparse.Namespace) -> int:
    if args.host not in LOOPBACK_HOSTS:
        print(
            f"error: --host {args.host} refused: the fake Stripe API only listens on loopback "
            f"({', '.join(sorted(LOOPBACK_HOSTS))})",
            file=sys.stderr,
        )
        return 2
    from fake_stripe.server import serve

    serve(
        size=args.size,
        seed=args.seed,
        host=args.host,
        port=args.port,
        api_key=args.api_key,
        restricted_keys=dict(args.restricted_key),
        latency_ms=args.latency_ms,
        rate_limit=args.rate_limit,
        error_rate=args.error_rate,
        truncate_rate=args.truncate_rate,
        fault_seed=args.fault_seed,
        verbose=args.verbose,
        prewarm=args.prewarm,
    )
    return 0


def window_events(account: Any, *, connected: bool = False, types: list[str] | None = None) -> list[dict]:
    """The account's events of the last 30 days (Stripe's retention), oldest first."""
    from fake_stripe.store import EVENT_RETENTION_SECONDS
    from fake_stripe.webhooks import event_matches

    since = account.now - EVENT_RETENTION_SECONDS
    events = [e for e in account.events if (e.get("created") or 0) >= since]
    if connected:
        for acct, sub in (getattr(account, "connected", None) or {}).items():
            events += [
                e if e.get("account") else {**e, "account": acct}
                for e in sub.events
                if (e.get("created") or 0) >= sub.now - EVENT_RETENTION_SECONDS
            ]
    if types:
        events = [e for e in events if event_matches(str(e.get("type", "")), types)]
    events.sort(key=lambda e: (e.get("created") or 0, e["id"]))
    return events


def _send_webhooks(args: argparse.Namespace) -> int:
    from fake_stripe.account import load_account
    from fake_stripe.webhooks import deliver

    account = load_account(args.size, args.seed)
    events = window_events(account, connected=args.connected, types=args.types)
    if args.limit is not None:
        events = events[: args.limit]
    print(f"sending {len(events)} events of {account.account_id} to {args.url}", flush=True)
    report = deliver(events, args.url, args.secret, retries=args.retries)
    print(f"delivered {report.delivered}/{len(events)}", flush=True)
    for failure in report.failed[:20]:
        print(f"  failed {failure.event_id}: {failure.error} after {failure.attempts} attempts", file=sys.stderr)
    return 0 if not report.failed else 1
