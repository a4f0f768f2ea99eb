"""`stripe-revenue webhooks serve|create|status`: arguments for the webhook receiver (`ingestion.webhooks`)."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from ingestion.webhooks import SECRET_ENV, SPOOL_ENV

_SPOOL_HELP = f"spool folder (default ${SPOOL_ENV}, else stripe_webhook_spool next to DUCKDB_PATH)"


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "webhooks",
        help="receive Stripe webhooks into a spool the next `run` applies",
        description="Real-time updates: a receiver writes verified events to a spool folder; the next "
        "`dlt pipeline stripe run` applies them (DECISIONS.md I13, W1-W5).",
    )
    sub = parser.add_subparsers(dest="webhooks_command", required=True)

    serve = sub.add_parser(
        "serve",
        help="run the webhook receiver (never opens the warehouse)",
        description="Serve the receiver (uvicorn). Put it behind an HTTPS reverse proxy: docs/webhooks-deploy.md.",
    )
    serve.add_argument("--port", type=int, default=8787, help="port to listen on (default 8787)")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--spool", default=None, metavar="DIR", help=_SPOOL_HELP)
    serve.add_argument("--secret", default=None, help=f"endpoint signing secret (default ${SECRET_ENV})")
    limits = serve.add_argument_group("limits")
    limits.add_argument("--max-connections", type=int, default=4096, help="connections open at once (4096)")
    limits.add_argument("--max-body", type=int, default=1024 * 1024, metavar="BYTES", help="request body (1 MiB)")
    limits.add_argument("--header-timeout", type=float, default=10.0, metavar="S", help="to send headers (10 s)")
    limits.add_argument("--read-timeout", type=float, default=10.0, metavar="S", help="to send the body (10 s)")
    limits.add_argument("--idle-timeout", type=float, default=5.0, metavar="S", help="kept-alive, idle (5 s)")
    limits.add_argument(
        "--shutdown-timeout", type=float, default=30.0, metavar="S", help="for requests in flight on shutdown (30 s)"
    )
    serve.add_argument("--log-level", default="info", choices=["debug", "info", "warning"], help="default info")
    serve.set_defaults(func=_serve)

    create = sub.add_parser("create", help="register a webhook endpoint and print its signing secret")
    create.add_argument("--url", required=True, help="public URL forwarding to the receiver")
    create.add_argument("--events", nargs="+", default=None, metavar="TYPE", help="event types (default: *)")
    create.add_argument("--connect", action="store_true", help="receive connected accounts' events")
    create.set_defaults(func=_create)

    status = sub.add_parser(
        "status",
        help="the endpoint at Stripe, the receiver, the spool; exit 1 when deliveries look stuck",
        description="Both sides of the webhook. Exit 0: deliveries flow; 1: something looks stuck or needs a "
        "look (each problem says what to do); 2: Stripe's side could not be read.",
    )
    status.add_argument("--spool", default=None, metavar="DIR", help=_SPOOL_HELP)
    status.add_argument("--url", default=None, help="the endpoint's public URL, to pick it among several")
    status.add_argument(
        "--max-lag", type=int, default=900, metavar="S", help="Stripe events older than this not received: stuck (900)"
    )
    status.add_argument(
        "--max-backlog-age",
        type=int,
        default=25 * 3600,
        metavar="S",
        help="events waiting in the spool longer than this: no run applies them (90000 = 25 h)",
    )
    status.set_defaults(func=_status)
    return parser


def _serve(args: argparse.Namespace) -> int:
    from ingestion.webhooks import configured_spool
    from ingestion.webhooks.app import BodyLimits
    from ingestion.webhooks.server import ReceiverConfig, ServerLimits, serve

    secret = args.secret or os.environ.get(SECRET_ENV, "")
    if not secret:
        print(
            f"error: no webhook signing secret: set {SECRET_ENV}=whsec_... (Stripe shows it when the endpoint "
            "is created: Dashboard → Developers → Webhooks, or `stripe-revenue webhooks create`) or pass --secret",
            file=sys.stderr,
        )
        return 2
    for name in ("max_connections", "max_body", "header_timeout", "read_timeout", "idle_timeout", "shutdown_timeout"):
        if getattr(args, name) <= 0:
            print(f"error: --{name.replace('_', '-')} must be positive", file=sys.stderr)
            return 2
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(message)s")
    spool = configured_spool(args.spool)
    config = ReceiverConfig(
        spool_dir=Path(spool),
        secret=secret,
        host=args.host,
        port=args.port,
        body=BodyLimits(max_body_bytes=args.max_body, read_timeout=args.read_timeout),
        server=ServerLimits(
            header_timeout=args.header_timeout,
            idle_timeout=args.idle_timeout,
            max_connections=args.max_connections,
            shutdown_timeout=args.shutdown_timeout,
        ),
    )
    try:
        serve(config)
    except OSError as exc:
        print(f"error: cannot listen on {args.host}:{args.port} or write {spool}: {exc}", file=sys.stderr)
        return 1
    return 0


def _create(args: argparse.Namespace) -> int:
    from ingestion.webhooks.endpoints import create_endpoint

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


def _status(args: argparse.Namespace) -> int:
    from ingestion.webhooks import configured_spool
    from ingestion.webhooks.status import collect

    status = collect(
        Path(configured_spool(args.spool)).absolute(),
        api_key=os.environ.get("SOURCES__STRIPE__API_KEY") or None,
        api_base=os.environ.get("SOURCES__STRIPE__API_BASE") or None,
        account_id=os.environ.get("SOURCES__STRIPE__ACCOUNT_ID") or None,
        url=args.url,
        max_lag=args.max_lag,
        max_backlog_age=args.max_backlog_age,
    )
    for line in status.lines():
        print(line)
    return status.exit_code
