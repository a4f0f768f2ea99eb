"""The HTTP server around the receiver app: uvicorn (uvloop, httptools) with bounded resources (W1).

uvicorn brings the event loop, HTTP parsing, keep-alive (idle) timeout, graceful shutdown and a
concurrency limit. It has no timeout for a connection that sends no request or sends its headers
slowly, and httptools has no header size limit, so `LimitedHttpProtocol` adds both, plus a hard
cap on open connections (the ones above it are closed at once, before anything is read): 1,000
stalled connections cost a few KB each and delay nobody, and none lives longer than its timeout.
The body's limits (size, read timeout, memory budget) are the app's (`app.py`).

Shutdown (SIGTERM, Ctrl-C): the listening socket closes, idle connections close, requests in flight
finish (their events are written by the group commit before they are answered) for up to
`shutdown_timeout` seconds; requests still reading a body then are dropped unanswered. Nothing is
answered 200 that is not durable, so Stripe redelivers whatever was not.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import resource
import signal
import socket
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from ingestion.webhooks.app import BodyLimits, Receiver
from ingestion.webhooks.verify import TOLERANCE_SECONDS

logger = logging.getLogger("ingestion.webhooks")


@dataclass(frozen=True)
class ServerLimits:
    header_timeout: float = 10.0  # from connect (or the end of the previous response) to complete headers
    idle_timeout: float = 5.0  # a kept-alive connection with no new request
    max_header_bytes: int = 32 * 1024  # request line and headers
    max_connections: int = 4096  # open at once; above it new ones are closed at once
    shutdown_timeout: float = 30.0  # for requests in flight to finish on shutdown
    backlog: int = 2048  # the listen queue (the stdlib server's was 5)


@dataclass(frozen=True)
class ReceiverConfig:
    spool_dir: Path
    secret: str
    host: str = "127.0.0.1"
    port: int = 8787
    tolerance: int = TOLERANCE_SECONDS
    body: BodyLimits = field(default_factory=BodyLimits)
    server: ServerLimits = field(default_factory=ServerLimits)
    log_seconds: float = 60.0


class LimitedHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a header timeout, a header size limit and a connection cap."""

    limits: ServerLimits = ServerLimits()  # set per server by `make_protocol`

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._header_bytes = 0
        self._in_headers = True
        self._header_timer: asyncio.TimerHandle | None = None
        if len(self.connections) > self.limits.max_connections:
            logger.debug("connection cap (%d) reached: closing a new connection", self.limits.max_connections)
            transport.abort()
            return
        self._arm_header_timer()

    def _arm_header_timer(self) -> None:
        self._cancel_header_timer()
        self._header_timer = self.loop.call_later(self.limits.header_timeout, self._header_timeout)

    def _cancel_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _header_timeout(self) -> None:
        self._header_timer = None
        if not self.transport.is_closing():
            self.transport.abort()  # no request, or its headers too slow: nothing to answer

    def data_received(self, data: bytes) -> None:
        if self._in_headers:
            self._header_bytes += len(data)
            if self._header_bytes > self.limits.max_header_bytes + self.limits.max_header_bytes // 2:
                # headers and the body's start arrive together: only a clear excess is refused
                self._cancel_header_timer()
                self.send_400_response("Request headers too large.")
                return
        super().data_received(data)

    def on_headers_complete(self) -> None:
        self._in_headers = False
        self._cancel_header_timer()
        super().on_headers_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing() and not self.pipeline:
            self._in_headers = True  # the next request's headers have their own deadline
            self._header_bytes = 0
            self._arm_header_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_header_timer()
        super().connection_lost(exc)


def make_protocol(limits: ServerLimits) -> type[LimitedHttpProtocol]:
    return type("LimitedHttpProtocol", (LimitedHttpProtocol,), {"limits": limits})


def bind(host: str, port: int, backlog: int) -> socket.socket:
    """The listening socket (port 0: any free port). Raises `OSError` when the address is taken."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(backlog)
    except OSError:
        sock.close()
        raise
    sock.setblocking(False)
    return sock


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}/" if ":" in host else f"http://{host}:{port}/"


def raise_open_files_limit(needed: int) -> None:
    """Each connection is a file descriptor: lift the soft limit toward the hard one when it is lower."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
    if soft != resource.RLIM_INFINITY and soft < want:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    if soft != resource.RLIM_INFINITY and soft < needed:
        logger.warning(
            "open files limit is %d, below the %d the connection cap needs: raise it (ulimit -n, LimitNOFILE=)",
            soft,
            needed,
        )


def build(config: ReceiverConfig, sock: socket.socket) -> tuple[uvicorn.Server, Receiver]:
    """The uvicorn server and the receiver app for `config`, to serve on the bound `sock`."""
    config.spool_dir.mkdir(parents=True, exist_ok=True)
    receiver = Receiver(
        config.spool_dir.absolute(),
        config.secret,
        tolerance=config.tolerance,
        limits=config.body,
        url=url_of(sock),
        log_seconds=config.log_seconds,
    )
    limits = config.server
    uv_config = uvicorn.Config(
        receiver,
        http=make_protocol(limits),
        loop="auto",  # uvloop where installed
        lifespan="on",
        timeout_keep_alive=max(1, round(limits.idle_timeout)),
        timeout_graceful_shutdown=max(1, round(limits.shutdown_timeout)),
        limit_concurrency=limits.max_connections + 1,  # tasks too; connections are capped by the protocol
        backlog=limits.backlog,
        log_config=None,
        access_log=False,
        server_header=False,
        proxy_headers=False,
    )
    server = uvicorn.Server(uv_config)
    receiver.connections = lambda: len(server.server_state.connections)
    return server, receiver


def _validate(config: ReceiverConfig) -> None:
    if not config.secret:
        from ingestion.webhooks import SECRET_ENV

        raise ValueError(f"no webhook signing secret: set {SECRET_ENV} or pass --secret")


def serve(config: ReceiverConfig) -> None:
    """Receive webhooks until SIGTERM or Ctrl-C (then shut down gracefully). Raises `OSError` when it
    cannot listen or write the spool."""
    _validate(config)
    config.spool_dir.mkdir(parents=True, exist_ok=True)
    raise_open_files_limit(config.server.max_connections + 256)
    sock = bind(config.host, config.port, config.server.backlog)
    server, receiver = build(config, sock)
    logger.info(
        "receiving Stripe webhooks on %s, spooling to %s (at most %d connections, %d-byte bodies)",
        receiver.url,
        receiver.spool_dir,
        config.server.max_connections,
        config.body.max_body_bytes,
    )
    # uvicorn re-raises the signal that stopped it once it has shut down; absorb it and return normally
    previous = {sig: signal.signal(sig, lambda *_: None) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        server.run(sockets=[sock])
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        sock.close()
    logger.info("stopped; every event answered 200 is in %s", receiver.spool_dir)


class BackgroundReceiver:
    """The receiver served from a thread of this process (tests, embedding): `start()`, `url`, `stop()`."""

    def __init__(self, config: ReceiverConfig) -> None:
        _validate(config)
        self.config = config
        self.sock = bind(config.host, config.port, config.server.backlog)
        self.server, self.receiver = build(config, self.sock)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return self.receiver.url

    @property
    def spool_dir(self) -> Path:
        return self.receiver.spool_dir

    def start(self) -> BackgroundReceiver:
        self._thread = threading.Thread(target=self._run, name="stripe-webhooks", daemon=True)
        self._thread.start()
        for _ in range(500):
            if self.server.started:
                return self
            if not self._thread.is_alive():
                raise RuntimeError("the webhook receiver did not start")
            threading.Event().wait(0.01)
        raise RuntimeError("the webhook receiver did not start within 5 s")

    def _run(self) -> None:
        self.server.run(sockets=[self.sock])

    def stop(self, timeout: float = 10.0) -> None:
        self.server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=timeout)
        self.sock.close()

    def __enter__(self) -> BackgroundReceiver:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()


__all__ = ["BackgroundReceiver", "LimitedHttpProtocol", "ReceiverConfig", "ServerLimits", "bind", "build", "serve"]
