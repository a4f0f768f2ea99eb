"""The webhook receiver: verified Stripe events into the durable spool the next run applies (I13).

Each POST is verified with the pinned SDK (`stripe.Webhook.construct_event`, 300 s tolerance), checked
to be an event, and answered 200 only once its raw body is fsynced in the spool (`spool.write_event`);
anything else gets a 400 with a short reason, so Stripe retries what was not stored. The receiver never
opens the warehouse: DuckDB has one writer, the pipeline, whose next run applies the spool.

`create_endpoint` registers an endpoint (`POST /v1/webhook_endpoints`); its answer holds the signing
secret, which Stripe shows only once. The commands (`stripe-revenue webhooks serve|create`) are
`cli/webhooks.py`.
"""

from __future__ import annotations

import logging
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import orjson

from ingestion.stripe.spool import NotAnEvent, check_event, default_spool_dir, write_event

logger = logging.getLogger(__name__)

SECRET_ENV = "SOURCES__STRIPE__WEBHOOK_SECRET"
SPOOL_ENV = "SOURCES__STRIPE__WEBHOOK_SPOOL"
TOLERANCE_SECONDS = 300
MAX_BODY_BYTES = 8 * 1024 * 1024  # Stripe events are far smaller


class Rejected(Exception):
    """A request answered 400; `str()` is the reason sent back and logged."""


def verify(body: bytes, signature: str | None, secret: str, tolerance: int = TOLERANCE_SECONDS) -> dict[str, Any]:
    """The event in `body` if its `Stripe-Signature` is valid and recent and it is an event; else `Rejected`."""
    import stripe

    if not signature:
        raise Rejected("missing Stripe-Signature header")
    try:
        stripe.Webhook.construct_event(body, signature, secret, tolerance=tolerance)
    except stripe.SignatureVerificationError as exc:
        message = str(getattr(exc, "user_message", None) or exc)
        if "tolerance" in message:
            raise Rejected("stale timestamp (older than the 300 s tolerance)") from None
        raise Rejected("invalid signature") from None
    except ValueError:  # json.JSONDecodeError, UnicodeDecodeError
        raise Rejected("malformed JSON") from None
    except Exception:  # the SDK could not build an event from valid JSON (e.g. a list)
        raise Rejected("not an event") from None
    try:
        event = orjson.loads(body)
        check_event(event)
    except orjson.JSONDecodeError:
        raise Rejected("malformed JSON") from None
    except NotAnEvent as exc:
        raise Rejected(f"not an event: {exc}") from None
    return event


class _Handler(BaseHTTPRequestHandler):
    server: WebhookServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # one line per event is logged instead
        logger.debug("%s " + format, self.address_string(), *args)

    def _answer(self, status: int, payload: dict[str, Any]) -> None:
        body = orjson.dumps(payload)
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        if self.path.rstrip("/") in ("", "/health"):
            self._answer(200, {"ok": True, "spool": str(self.server.spool_dir)})
        else:
            self._answer(404, {"error": "not found"})

    def do_POST(self) -> None:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0 or length > MAX_BODY_BYTES:
            self.close_connection = True
            logger.warning("rejected a webhook: bad Content-Length")
            self._answer(400, {"error": "bad Content-Length"})
            return
        body = self.rfile.read(length)
        try:
            event = verify(body, self.headers.get("Stripe-Signature"), self.server.secret, self.server.tolerance)
        except Rejected as exc:
            logger.warning("rejected a webhook: %s", exc)
            self._answer(400, {"error": str(exc)})
            return
        event_id, event_type, created = check_event(event)
        try:
            _, written = write_event(self.server.spool_dir, body, created, event_id)
        except OSError as exc:  # not stored: a 5xx makes Stripe retry later
            logger.error("could not spool %s %s: %s", event_id, event_type, exc)
            self._answer(500, {"error": "could not store the event"})
            return
        logger.info("%s %s %s", "spooled" if written else "duplicate", event_id, event_type)
        self._answer(200, {"received": True})


class WebhookServer(ThreadingHTTPServer):
    """The receiver: a stdlib threading HTTP server writing verified events to `spool_dir`."""

    daemon_threads = True

    def __init__(
        self,
        spool_dir: str | os.PathLike[str],
        secret: str,
        host: str = "127.0.0.1",
        port: int = 8787,
        tolerance: int = TOLERANCE_SECONDS,
    ) -> None:
        if not secret:
            raise ValueError(f"no webhook signing secret: set {SECRET_ENV} or pass --secret")
        self.spool_dir = Path(spool_dir).absolute()
        self.spool_dir.mkdir(parents=True, exist_ok=True)
        self.secret = secret
        self.tolerance = tolerance
        self._thread: threading.Thread | None = None
        super().__init__((host, port), _Handler)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}/"

    def start(self) -> WebhookServer:
        """Serve in a background thread (tests, embedding)."""
        self._thread = threading.Thread(target=self.serve_forever, args=(0.05,), name="stripe-webhooks", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)


def configured_spool(spool: str | os.PathLike[str] | None = None) -> Path:
    """The spool folder: `spool`, else `$SOURCES__STRIPE__WEBHOOK_SPOOL`, else `stripe_webhook_spool`
    next to `DUCKDB_PATH` (where the pipeline looks for it too)."""
    return Path(spool or os.environ.get(SPOOL_ENV) or default_spool_dir())


def serve(spool: str | os.PathLike[str], secret: str, host: str = "127.0.0.1", port: int = 8787) -> None:
    """Receive webhooks into `spool` until Ctrl-C, logging one line per event. Raises `OSError` when
    it cannot listen on `host:port` or write the spool."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    server = WebhookServer(spool, secret, host=host, port=port)
    logger.info("receiving Stripe webhooks on %s, spooling to %s", server.url, server.spool_dir)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


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

    from ingestion.stripe.client import DEFAULT_API_BASE, STRIPE_API_VERSION

    data: dict[str, Any] = {
        "url": url,
        "enabled_events[]": enabled_events or ["*"],
        "api_version": STRIPE_API_VERSION,
        "description": "stripe-revenue webhook receiver",
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


__all__ = ["Rejected", "WebhookServer", "configured_spool", "create_endpoint", "serve", "verify"]
