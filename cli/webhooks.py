"""`stripe-revenue webhooks serve|create`: arguments for the webhook receiver (`ingestion.webhooks`)."""

from __future__ import annotations

import argparse
import os
import sys

from ingestion.webhooks import SECRET_ENV, SPOOL_ENV


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "webhooks",
        help="receive Stripe webhooks into a spool the next `run` applies",
        description="Real-time updates: a receiver writes verified events to a spool folder; the next "
        "`dlt pipeline stripe run` applies them (DECISIONS.md I13).",
    )
    sub = parser.add_subparsers(dest="webhooks_command", required=True)
    serve = sub.add_parser("serve", help="run the webhook receiver (never opens the warehouse)")
    serve.add_argument("--port", type=int, default=8787, help="port to listen on (default 8787)")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument(
        "--spool",
        default=None,
        metavar="DIR",
        help=f"spool folder (default ${SPOOL_ENV}, else stripe_webhook_spool next to DUCKDB_PATH)",
    )
    serve.add_argument("--secret", default=None, help=f"endpoint signing secret (default ${SECRET_ENV})")
    serve.set_defaults(func=_serve)
    create = sub.add_parser("create", help="register a webhook endpoint and print its signing secret")
    create.add_argument("--url", required=True, help="public URL forwarding to the receiver")
    create.add_argument("--events", nargs="+", default=None, metavar="TYPE", help="event types (default: *)")
    create.add_argument("--connect", action="store_true", help="receive connected accounts' events")
    create.set_defaults(func=_create)
    return parser


def _serve(args: argparse.Namespace) -> int:
    from ingestion.webhooks import configured_spool, serve

    secret = args.secret or os.environ.get(SECRET_ENV, "")
    if not secret:
        print(
            f"error: no webhook signing secret: set {SECRET_ENV}=whsec_... (Stripe shows it when the endpoint "
            "is created: Dashboard → Developers → Webhooks, or `stripe-revenue webhooks create`) or pass --secret",
            file=sys.stderr,
        )
        return 2
    spool = configured_spool(args.spool)
    try:
        serve(spool, secret, host=args.host, port=args.port)
    except OSError as exc:
        print(f"error: cannot listen on {args.host}:{args.port} or write {spool}: {exc}", file=sys.stderr)
        return 1
    return 0


def _create(args: argparse.Namespace) -> int:
    from ingestion.webhooks import create_endpoint

    api_key = os.environ.get("SOURCES__STRIPE__API_KEY", "")
    if not api_key:
        print("error: set SOURCES__STRIPE__API_KEY (a key with Webhook: Write)", file=sys.stderr)
        return 2
    try:
        endpoint = create_endpoint(
            args.url,
            api_key,
            api_base=os.environ.get("SOURCES__STRIPE__API_BASE"),
            enabled_events=args.events,
            connect=args.connect,
        )
    except Exception as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"created {endpoint.get('id')} → {endpoint.get('url')}")
    print(f"export {SECRET_ENV}={endpoint.get('secret')}   # shown once: keep it")
    return 0
