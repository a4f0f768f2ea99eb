"""The receiver's server facing the internet (ingestion/webhooks/server.py, app.py; DECISIONS.md W1-W3): timeouts,
body and header limits, the connection cap, many deliveries at once, graceful shutdown, and kill -9 mid-burst
followed by the next pipeline run (every acknowledged event applied exactly once).

Nothing here is a speed test (bench/webhook_receiver.py is): waits are bounded generously, only to fail
rather than hang.
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
import requests

from fake_stripe.webhooks import signature_header
from ingestion.webhooks.app import BodyLimits
from ingestion.webhooks.server import BackgroundReceiver, ReceiverConfig, ServerLimits
from tests.ingestion.test_webhooks import SECRET, event, stored_ids

ROOT = Path(__file__).resolve().parents[2]


def signed(body: bytes) -> str:
    return signature_header(body, SECRET)


def raw_post(body: bytes, *, close: bool = True) -> bytes:
    head = (
        f"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nStripe-Signature: {signed(body)}\r\n"
        f"Content-Length: {len(body)}\r\n" + ("Connection: close\r\n" if close else "") + "\r\n"
    )
    return head.encode() + body


def connect(server: BackgroundReceiver) -> socket.socket:
    host, port = server.sock.getsockname()[:2]
    return socket.create_connection((host, port), timeout=10)


def closed_within(sock: socket.socket, seconds: float) -> tuple[bool, bytes]:
    """Whether the server closed `sock` within `seconds`, and what it sent before."""
    sock.settimeout(seconds)
    got = b""
    try:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                return True, got
            got += chunk
    except ConnectionResetError:
        return True, got
    except TimeoutError:
        return False, got


def deliver(server: BackgroundReceiver, body: bytes, timeout: float = 10) -> int:
    """One delivery on a new connection, as Stripe makes them."""
    resp = requests.post(
        server.url, data=body, headers={"Stripe-Signature": signed(body), "Connection": "close"}, timeout=timeout
    )
    return resp.status_code


def config(tmp_path: Path, **server: Any) -> ReceiverConfig:
    body = {k: server.pop(k) for k in ("read_timeout", "max_body_bytes", "body_budget_bytes") if k in server}
    return ReceiverConfig(
        spool_dir=tmp_path / "spool",
        secret=SECRET,
        port=0,
        body=BodyLimits(**body),
        server=ServerLimits(**server),
    )


@pytest.fixture
def quick(tmp_path: Path) -> Iterator[BackgroundReceiver]:
    """Short timeouts: headers 0.5 s, body 0.5 s, idle 1 s; 10 connections, 4 KB bodies."""
    cfg = config(
        tmp_path, header_timeout=0.5, read_timeout=0.5, idle_timeout=1, max_connections=10, max_body_bytes=4096
    )
    with BackgroundReceiver(cfg) as server:
        yield server


# --------------------------------------------------------------------------- timeouts


def test_a_connection_that_sends_nothing_is_closed_after_the_header_timeout(quick: BackgroundReceiver) -> None:
    silent = connect(quick)
    closed, got = closed_within(silent, 5)
    assert closed and got == b""  # nothing to answer: just closed


def test_headers_sent_too_slowly_are_cut_off(quick: BackgroundReceiver) -> None:
    slow = connect(quick)
    slow.sendall(b"POST / HTTP/1.1\r\nHost: x\r\n")  # and the rest never comes
    assert closed_within(slow, 5)[0]
    # trickling a byte at a time does not extend the deadline either (it runs from the connection's start)
    trickle = connect(quick)
    started = time.monotonic()
    closed = False
    for byte in b"POST / HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"a" * 200:
        try:
            trickle.sendall(bytes([byte]))
        except OSError:
            closed = True
            break
        time.sleep(0.02)
    assert closed or closed_within(trickle, 5)[0]
    assert time.monotonic() - started < 4


def test_a_stalled_body_is_answered_408_and_closed(quick: BackgroundReceiver) -> None:
    stalled = connect(quick)
    stalled.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nStripe-Signature: t=1,v1=0\r\nContent-Length: 3000\r\n\r\n{")
    closed, got = closed_within(stalled, 5)
    assert closed and got.startswith(b"HTTP/1.1 408 ")
    assert quick.receiver.stats.rejected["read_timeout"] == 1


def test_an_idle_kept_alive_connection_is_closed(quick: BackgroundReceiver) -> None:
    conn = connect(quick)
    conn.sendall(raw_post(orjson.dumps(event()), close=False))
    conn.settimeout(5)
    first = conn.recv(65536)
    assert first.startswith(b"HTTP/1.1 200 ")
    assert closed_within(conn, 5)[0]  # idle after its answer: closed after the 1 s keep-alive


# --------------------------------------------------------------------------- size limits


def test_bodies_over_the_limit_are_refused_without_reading_them(quick: BackgroundReceiver) -> None:
    big = orjson.dumps(event(data={"object": {"id": "cus_1", "pad": "x" * 5000}}))
    resp = requests.post(quick.url, data=big, headers={"Stripe-Signature": signed(big)}, timeout=10)
    assert resp.status_code == 413 and "4096" in resp.json()["error"]

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
        for _ in range(10):
            yield b"x" * 1000

    resp = requests.post(quick.url, data=chunks(), headers={"Stripe-Signature": "t=1,v1=0"}, timeout=10)
    assert resp.status_code == 413
    assert stored_ids(quick.spool_dir) == []


def test_headers_over_the_limit_are_refused(quick: BackgroundReceiver) -> None:
    conn = connect(quick)
    try:
        conn.sendall(b"POST / HTTP/1.1\r\nHost: x\r\n" + b"X-Pad: " + b"a" * 60_000 + b"\r\n\r\n")
    except OSError:
        return  # closed while we were still sending: refused too
    closed, got = closed_within(conn, 5)
    assert closed and (got == b"" or got.startswith(b"HTTP/1.1 400 "))


def test_a_body_budget_bounds_the_memory_of_all_requests_together(tmp_path: Path) -> None:
    with BackgroundReceiver(config(tmp_path, body_budget_bytes=10_000, read_timeout=30)) as server:
        holders = []
        for _ in range(3):  # 2,900 bytes of 3,000 sent, then stalled: 8,700 bytes held of the 10,000
            s = connect(server)
            s.sendall(
                b"POST / HTTP/1.1\r\nHost: x\r\nStripe-Signature: t=1,v1=0\r\nContent-Length: 3000\r\n\r\n"
                + b"{" * 2900
            )
            holders.append(s)
        wait_until(lambda: server.receiver._held == 3 * 2900)
        big = b'{"pad": "' + b"x" * 2000 + b'"}'
        resp = requests.post(server.url, data=big, headers={"Stripe-Signature": signed(big)}, timeout=10)
        assert resp.status_code == 503 and resp.headers["Retry-After"] == "5"  # Stripe retries later
        assert deliver(server, orjson.dumps(event())) == 200  # a small event fits in what is left
        for s in holders:
            s.close()


# --------------------------------------------------------------------------- connections


def wait_until(condition: Any, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_connections_over_the_cap_are_closed_at_once_and_the_server_recovers(tmp_path: Path) -> None:
    with BackgroundReceiver(config(tmp_path, header_timeout=20, max_connections=10)) as server:
        held = [connect(server) for _ in range(10)]
        wait_until(lambda: server.receiver.connections() == 10)
        extra = connect(server)  # the kernel accepts it; the receiver closes it before reading anything
        closed, got = closed_within(extra, 10)  # long before the 20 s header timeout
        assert closed and got == b""
        assert all(not closed_within(s, 0.01)[0] for s in held)  # those within the cap are untouched
        for s in held:
            s.close()
        wait_until(lambda: server.receiver.connections() == 0)
        assert deliver(server, orjson.dumps(event())) == 200


def test_idle_and_stalled_connections_do_not_block_valid_deliveries(tmp_path: Path) -> None:
    """300 connections that send nothing or stall mid-body, held for longer than the test: deliveries on
    new connections, one at a time and 20 at once, are answered as usual (the stdlib server's 64 threads
    or files were all taken by them)."""
    cfg = config(tmp_path, header_timeout=60, read_timeout=60, max_connections=1000)
    with BackgroundReceiver(cfg) as server:
        held = []
        for n in range(300):
            s = connect(server)
            if n % 2:
                s.sendall(
                    b"POST / HTTP/1.1\r\nHost: x\r\nStripe-Signature: t=1,v1=0\r\nContent-Length: 5000\r\n\r\n"
                    + b"{" * 100
                )
            held.append(s)
        wait_until(lambda: server.receiver.connections() >= 300)
        for i in range(5):
            assert deliver(server, orjson.dumps(event(f"evt_one_{i}")), timeout=5) == 200
        results: list[int] = []
        threads = [
            threading.Thread(target=lambda i=i: results.append(deliver(server, orjson.dumps(event(f"evt_{i}")), 5)))
            for i in range(20)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert results == [200] * 20
        for s in held:
            s.close()
    assert len(stored_ids(tmp_path / "spool")) == 25


def test_forty_deliveries_of_one_event_on_new_connections_all_succeed(tmp_path: Path) -> None:
    """Stripe opens a new connection per delivery; 40 at once (the stdlib server's listen backlog of 5
    reset 2 of them): every one is answered 200, and the event is stored once."""
    with BackgroundReceiver(config(tmp_path)) as server:
        body = orjson.dumps(event("evt_same"))
        barrier = threading.Barrier(40)
        results: list[int | str] = []

        def one() -> None:
            sock = connect(server)
            barrier.wait()
            try:
                sock.sendall(raw_post(body))
                _, got = closed_within(sock, 10)
                results.append(int(got.split(b" ", 2)[1]))
            except OSError as exc:
                results.append(repr(exc))

        threads = [threading.Thread(target=one) for _ in range(40)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert results == [200] * 40
    assert stored_ids(tmp_path / "spool") == ["evt_same"]


# --------------------------------------------------------------------------- shutdown and kill -9


class ReceiverProcess:
    """`stripe-revenue webhooks serve` in its own process, as users run it."""

    def __init__(self, spool: Path, *extra: str) -> None:
        env = {**os.environ, "SOURCES__STRIPE__WEBHOOK_SECRET": SECRET}
        command = [sys.executable, "-m", "cli", "webhooks", "serve", "--port", "0", "--spool", str(spool), *extra]
        self.log = spool.parent / f"receiver-{time.monotonic_ns()}.log"
        self.proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=self.log.open("wb"), stderr=subprocess.STDOUT)
        status = spool / ".receiver.json"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if status.exists():
                data = orjson.loads(status.read_bytes())
                if data.get("pid") == self.proc.pid:
                    host, port = data["url"].removeprefix("http://").rstrip("/").rsplit(":", 1)
                    self.host, self.port = host, int(port)
                    return
            assert self.proc.poll() is None, self.log.read_text()
            time.sleep(0.05)
        self.proc.kill()
        raise AssertionError(f"the receiver did not start: {self.log.read_text()}")


class Burst:
    """Signed events sent from `threads` kept-alive connections until told to stop or the receiver goes;
    `acked` are the ids answered 200."""

    def __init__(self, host: str, port: int, threads: int = 8, per_thread: int = 2000, tag: str = "b") -> None:
        self.acked: list[str] = []
        self.other: list[Any] = []
        self.stop = threading.Event()
        self._lock = threading.Lock()
        self._threads = [
            threading.Thread(target=self._run, args=(host, port, t, per_thread, tag)) for t in range(threads)
        ]
        for t in self._threads:
            t.start()

    def _run(self, host: str, port: int, t: int, n: int, tag: str) -> None:
        conn = http.client.HTTPConnection(host, port, timeout=10)
        for i in range(n):
            if self.stop.is_set():
                return
            event_id = f"evt_{tag}{t:02d}x{i:05d}"
            body = orjson.dumps(customer_created(event_id, f"cus_{tag}{t:02d}x{i:05d}"))
            try:
                conn.request("POST", "/", body, {"Stripe-Signature": signed(body), "Content-Type": "application/json"})
                resp = conn.getresponse()
                resp.read()
            except (OSError, http.client.HTTPException) as exc:
                with self._lock:
                    self.other.append(type(exc).__name__)
                return  # the receiver is gone
            with self._lock:
                if resp.status == 200:
                    self.acked.append(event_id)
                else:
                    self.other.append(resp.status)

    def wait_for(self, acked: int, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while len(self.acked) < acked and time.monotonic() < deadline:
            time.sleep(0.005)
        assert len(self.acked) >= acked, (len(self.acked), self.other[:5])

    def join(self) -> None:
        for t in self._threads:
            t.join(timeout=30)


def customer_created(event_id: str, customer_id: str) -> dict[str, Any]:
    created = int(time.time()) - 60
    return {
        "id": event_id,
        "object": "event",
        "type": "customer.created",
        "created": created,
        "api_version": "2026-10-28.endive",
        "livemode": False,
        "data": {
            "object": {
                "id": customer_id,
                "object": "customer",
                "created": created,
                "email": f"{customer_id}@example.com",
                "livemode": False,
                "metadata": {},
            }
        },
    }


def test_graceful_shutdown_answers_200_only_for_what_is_durable(tmp_path: Path) -> None:
    """SIGTERM mid-burst: the receiver stops accepting, finishes the requests in flight (their events are
    written first), seals its segment and exits 0. Every event answered 200 is in the spool, sealed."""
    spool = tmp_path / "spool"
    receiver = ReceiverProcess(spool)
    burst = Burst(receiver.host, receiver.port, threads=8)
    burst.wait_for(300)
    receiver.proc.send_signal(signal.SIGTERM)
    assert receiver.proc.wait(timeout=60) == 0, receiver.log.read_text()
    burst.stop.set()
    burst.join()
    acked = set(burst.acked)
    assert acked and set(stored_ids(spool)) >= acked
    assert not [p for p in spool.iterdir() if p.name.startswith(".open-")]  # sealed on the way out
    log = receiver.log.read_text()
    assert "stopped; every event answered 200 is in" in log
    status = orjson.loads((spool / ".receiver.json").read_bytes())
    assert status["stopped_at"] and status["totals"]["accepted"] == len(acked)


@pytest.mark.slow
def test_kill_9_mid_burst_loses_no_acknowledged_event(
    tmp_path: Path, stripe_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The receiver is killed (SIGKILL: no shutdown, no seal) while 8 connections deliver new customers.
    The next pipeline run seals the dead receiver's segment and applies every event that was answered
    200 exactly once: each in the event table once, each customer created."""
    from fake_stripe.account import load_account
    from fake_stripe.server import FakeStripeServer
    from ingestion.stripe.spool import default_spool_dir
    from tests.ingestion.conftest import query, run_pipeline

    spool = default_spool_dir()
    with FakeStripeServer(load_account("tiny", 7), port=0, api_key="sk_test_fake") as fake:
        monkeypatch.setenv("SOURCES__STRIPE__API_KEY", "sk_test_fake")
        monkeypatch.setenv("SOURCES__STRIPE__API_BASE", fake.base_url)
        run_pipeline(tmp_path)  # a first load leaves the spool to the next run: make it before
        receiver = ReceiverProcess(spool)
        burst = Burst(receiver.host, receiver.port, threads=8)
        burst.wait_for(500)
        receiver.proc.kill()
        receiver.proc.wait(timeout=10)
        burst.stop.set()
        burst.join()
        acked = sorted(burst.acked)
        # killed mid-segment (almost always: the segment is renamed once a second and reopened by the next group)
        assert len(acked) >= 500
        result = run_pipeline(tmp_path)
    assert result.stats.spool is not None and result.stats.spool.counts.files >= len(acked)
    ids = ", ".join(f"'{i}'" for i in acked)
    customers = ", ".join(f"'cus_{i.removeprefix('evt_')}'" for i in acked)
    assert query(tmp_path, f"select count(*), count(distinct id) from stripe_raw.event where id in ({ids})") == [
        (len(acked), len(acked))
    ]
    assert query(tmp_path, f"select count(*) from stripe_raw.customer where id in ({customers})") == [(len(acked),)]
    assert query(tmp_path, "select count(*) - count(distinct id) from stripe_raw.event") == [(0,)]
    assert stored_ids(spool) == []  # applied, loaded, removed
