"""The receiver as an ASGI app (Starlette): a POST is read within limits, verified, stored, then answered (W1, W2).

- `POST <any path>`: the body is read within `max_body_bytes` (413) and `read_timeout` (408), while all
  requests together hold at most `body_budget_bytes` of bodies (503, Stripe retries later); then it is
  verified (400 with the reason) and handed to the group commit; 200 only once it is durable, 500 when
  it could not be stored, 503 while shutting down. Refusals close the connection.
- `GET /` or `/health`: 200 with the spool folder and what is waiting to be written.

The lifespan starts the group commit and the ticker (status file, one log line per minute) and, on
shutdown, writes what is queued before stopping. The HTTP server around it is `server.py`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import orjson
from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from ingestion.webhooks.commit import GroupCommitter
from ingestion.webhooks.stats import (
    HEARTBEAT_SECONDS,
    ReceiverStats,
    minute_line,
    status_payload,
    write_status,
)
from ingestion.webhooks.verify import TOLERANCE_SECONDS, Rejected, verify

logger = logging.getLogger("ingestion.webhooks")

_OK = orjson.dumps({"received": True})
_JSON = "application/json"
_CLOSE = {"connection": "close"}


@dataclass(frozen=True)
class BodyLimits:
    max_body_bytes: int = 1024 * 1024  # Stripe's events are far smaller (the largest fake one is ~20 KB)
    read_timeout: float = 10.0  # seconds to receive the whole body once the headers are in
    body_budget_bytes: int = 64 * 1024 * 1024  # bodies held at once, all requests together


class Receiver:
    """The app and its state: spool, secret, limits, group commit, counters."""

    def __init__(
        self,
        spool_dir: Path,
        secret: str,
        *,
        tolerance: int = TOLERANCE_SECONDS,
        limits: BodyLimits = BodyLimits(),
        url: str = "",
        log_seconds: float = HEARTBEAT_SECONDS,
    ) -> None:
        self.spool_dir = spool_dir
        self.secret = secret
        self.tolerance = tolerance
        self.limits = limits
        self.url = url
        self.log_seconds = log_seconds
        self.stats = ReceiverStats()
        self.committer = GroupCommitter(spool_dir)
        self.connections: Callable[[], int] = lambda: 0  # set by the server
        self._held = 0  # body bytes held by requests being read or verified
        self._warned: set[str] = set()  # refusal kinds logged this minute (one line each, then counted)
        self.app = Starlette(
            routes=[
                Route("/", self.health, methods=["GET", "HEAD"]),
                Route("/health", self.health, methods=["GET", "HEAD"]),
            ],
            lifespan=self._lifespan,
        )

    # -- requests ------------------------------------------------------------------------------------

    async def health(self, request: Request) -> Response:
        payload = {"ok": True, "spool": str(self.spool_dir), "pending": self.committer.pending}
        return Response(orjson.dumps(payload), media_type=_JSON)

    def _refuse(self, status: int, kind: str, reason: str) -> tuple[int, bytes, bool]:
        self.stats.refused(kind)
        if kind not in self._warned:  # an attacker cannot flood the log: one line per kind and minute
            self._warned.add(kind)
            logger.warning(
                "refused a webhook (%d %s): %s; further ones this minute are only counted", status, kind, reason
            )
        return status, orjson.dumps({"error": reason}), True

    async def handle(
        self, declared: str | None, signature: str | None, chunks: AsyncIterator[bytes]
    ) -> tuple[int, bytes, bool]:
        """`(status, JSON body, close the connection)` for a POST with this Content-Length, signature and body."""
        started = time.perf_counter()
        limits = self.limits
        if declared is not None:
            if not declared.isdigit():
                return self._refuse(400, "bad_length", "bad Content-Length")
            if int(declared) > limits.max_body_bytes:
                return self._refuse(413, "too_large", f"body over {limits.max_body_bytes} bytes")
        if self._held + int(declared or 0) > limits.body_budget_bytes:
            return self._refuse(503, "busy", "too many bodies being received; retry later")
        body = bytearray()
        held = 0
        try:
            async with asyncio.timeout(limits.read_timeout):
                async for chunk in chunks:
                    body += chunk
                    held += len(chunk)
                    self._held += len(chunk)
                    if len(body) > limits.max_body_bytes:
                        return self._refuse(413, "too_large", f"body over {limits.max_body_bytes} bytes")
                    if self._held > limits.body_budget_bytes:
                        return self._refuse(503, "busy", "too many bodies being received; retry later")
            raw = bytes(body)
            try:
                _, event_id, event_type, created = verify(raw, signature, self.secret, self.tolerance)
            except Rejected as exc:
                return self._refuse(400, exc.kind, str(exc))
        except TimeoutError:
            return self._refuse(408, "read_timeout", f"body not received within {limits.read_timeout:g} s")
        except ClientDisconnect:
            self.stats.refused("disconnected")
            return 400, b"", True  # nobody is listening
        finally:
            self._held -= held
        try:
            written = await self.committer.store(event_id, created, raw)
        except RuntimeError:
            return self._refuse(503, "shutting_down", "the receiver is shutting down; retry later")
        except OSError as exc:  # not stored: a 5xx makes Stripe retry later
            self.stats.failed += 1
            logger.error("could not store %s %s: %s", event_id, event_type, exc)
            return 500, orjson.dumps({"error": "could not store the event"}), False
        self.stats.stored(event_id, event_type, created, written, time.perf_counter() - started)
        logger.debug("%s %s %s", "stored" if written else "duplicate", event_id, event_type)
        return 200, _OK, False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """A POST to any path goes straight to `handle` (W1: the hot path skips Starlette's middleware stack,
        routing and Request object); everything else (health, lifespan, 404) goes through Starlette."""
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        declared = signature = None
        for name, value in scope["headers"]:
            if name == b"content-length":
                declared = value.decode("latin-1")
            elif name == b"stripe-signature":
                signature = value.decode("latin-1")
        status, body, close = await self.handle(declared, signature, _chunks(receive))
        headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
        if close:
            headers.append((b"connection", b"close"))
        if status == 503:
            headers.append((b"retry-after", b"5"))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    # -- lifespan: the group commit and the ticker ----------------------------------------------------

    @contextlib.asynccontextmanager
    async def _lifespan(self, app: Starlette) -> AsyncIterator[None]:
        await self.committer.start()
        self._write_status()
        ticker = asyncio.get_running_loop().create_task(self._tick(), name="receiver-ticker")
        try:
            yield
        finally:
            ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await ticker
            await self.committer.close()  # what was queued is written; nothing else is answered 200
            self._log_minute()
            self._write_status(stopped=True)

    def _write_status(self, stopped: bool = False) -> None:
        payload = status_payload(
            self.stats,
            url=self.url,
            spool_dir=self.spool_dir,
            batches=self.committer.stats.batches,
            commit_seconds=self.committer.stats.commit_seconds,
            stopped=stopped,
        )
        write_status(self.spool_dir, payload)

    _minute_totals: dict | None = None
    _minute_batches = 0
    _minute_started = 0.0

    def _log_minute(self) -> None:
        now = self.stats.totals()
        before = self._minute_totals or {}
        batches = self.committer.stats.batches - self._minute_batches
        seconds = time.monotonic() - (self._minute_started or time.monotonic())
        logger.info(minute_line(now, before, self.stats.take_latencies(), batches, self.connections(), seconds or 0.0))
        self._minute_totals = now
        self._minute_batches = self.committer.stats.batches
        self._minute_started = time.monotonic()
        self._warned.clear()

    async def _tick(self) -> None:
        """Status file each second something changed (and each minute regardless), a log line a minute."""
        self._minute_started = time.monotonic()
        self._minute_totals = self.stats.totals()
        last_written = (self.stats.accepted, self.stats.duplicates, sum(self.stats.rejected.values()))
        last_heartbeat = time.monotonic()
        while True:
            await asyncio.sleep(min(1.0, self.log_seconds))
            seen = (self.stats.accepted, self.stats.duplicates, sum(self.stats.rejected.values()))
            if time.monotonic() - self._minute_started >= self.log_seconds:
                self._log_minute()
            if seen != last_written or time.monotonic() - last_heartbeat >= HEARTBEAT_SECONDS:
                self._write_status()
                last_written, last_heartbeat = seen, time.monotonic()


async def _chunks(receive: Receive) -> AsyncIterator[bytes]:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect()
        yield message.get("body", b"")
        if not message.get("more_body", False):
            return


__all__ = ["BodyLimits", "Receiver"]
