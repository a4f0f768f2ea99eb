"""`stripe-revenue webhooks status` (ingestion/webhooks/status.py, DECISIONS.md W5): the endpoint at Stripe, the
receiver's last event and heartbeat, the spool's backlog and rejected files; exit 1 when deliveries look stuck."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
import requests

from ingestion.stripe.spool import write_batch
from ingestion.webhooks.endpoints import create_endpoint
from ingestion.webhooks.server import BackgroundReceiver, ReceiverConfig
from ingestion.webhooks.stats import ReceiverStats, read_status, status_payload, write_status
from ingestion.webhooks.status import collect
from tests.ingestion.test_webhooks import SECRET, event, record

API_KEY = "sk_test_fake"
FIXED_NOW = 1_793_491_200  # 2026-11-01, the fake account's clock (Stripe's, for the status)


def receiver_status(spool: Path, *, started: float, updated: float, stopped: bool = False, **stats: Any) -> None:
    """A status file as a receiver writes it, with the given clock readings."""
    spool.mkdir(parents=True, exist_ok=True)
    s = ReceiverStats(started_at=started)
    for key, value in stats.items():
        setattr(s, key, value)
    payload = status_payload(s, url="http://127.0.0.1:8787/", spool_dir=spool, batches=0, stopped=stopped)
    payload["updated_at"] = updated
    if stopped:
        payload["stopped_at"] = updated
    write_status(spool, payload)


@pytest.fixture(scope="module")
def fake_account() -> Any:
    from fake_stripe.account import load_account

    return load_account("tiny", 7, now=FIXED_NOW)


@pytest.fixture
def fake(fake_account: Any) -> Iterator[Any]:
    import copy

    from fake_stripe.server import FakeStripeServer

    with FakeStripeServer(copy.deepcopy(fake_account), port=0, api_key=API_KEY) as server:
        yield server


# --------------------------------------------------------------------------- the receiver's side


def test_no_receiver_ever_ran(tmp_path: Path) -> None:
    status = collect(tmp_path / "spool")
    assert status.exit_code == 1
    text = "\n".join(status.lines())
    assert "no receiver has run with this spool" in text
    assert "start `stripe-revenue webhooks serve` with this spool" in text
    assert "Stripe: not read (set SOURCES__STRIPE__API_KEY" in text


def test_a_running_receiver_with_nothing_waiting_is_ok(tmp_path: Path) -> None:
    now = time.time()
    last = {"id": "evt_9", "type": "invoice.paid", "created": int(now) - 70, "received_at": now - 65}
    receiver_status(tmp_path, started=now - 3000, updated=now - 20, last_event=last, accepted=12, duplicates=1)
    status = collect(tmp_path, now=now)
    assert status.exit_code == 0, status.problems
    text = "\n".join(status.lines())
    assert "running on http://127.0.0.1:8787/" in text and "started 50 min ago" in text
    assert "last event evt_9 (invoice.paid) received 65 s ago" in text
    assert "since start: 12 stored, 1 duplicates, 0 refused, 0 failed" in text
    assert "spool: 0 events waiting in 0 file(s); 0 unreadable, 0 in rejected/" in text
    assert text.endswith("OK: deliveries flow")


@pytest.mark.parametrize(
    ("kw", "problem"),
    [
        ({"stopped": True}, "the receiver stopped 30 s ago"),
        ({"updated_offset": 200}, "the receiver's last heartbeat was 3 min ago"),
    ],
)
def test_a_stopped_or_silent_receiver_is_a_problem(tmp_path: Path, kw: dict[str, Any], problem: str) -> None:
    now = time.time()
    offset = kw.pop("updated_offset", 30)
    receiver_status(tmp_path, started=now - 7200, updated=now - offset, **kw)
    status = collect(tmp_path, now=now)
    assert status.exit_code == 1
    assert any(problem in p for p in status.problems), status.problems


def test_the_backlog_and_rejected_files_are_shown_and_old_ones_are_problems(tmp_path: Path) -> None:
    import os

    now = time.time()
    receiver_status(tmp_path, started=now - 86400 * 3, updated=now - 10)
    old = write_batch(tmp_path, [record("evt_1"), record("evt_2"), record("evt_1")])
    os.utime(old, (now - 26 * 3600, now - 26 * 3600))
    write_batch(tmp_path, [record("evt_3")])
    fresh = collect(tmp_path, now=now, max_backlog_age=27 * 3600)
    assert fresh.exit_code == 0, fresh.problems
    assert "spool: 3 events waiting in 2 file(s), the oldest since 26.0 h ago" in "\n".join(fresh.lines())

    stuck = collect(tmp_path, now=now)  # 25 h by default: a daily schedule and some
    assert stuck.exit_code == 1
    assert any("3 events have waited in the spool since 26.0 h ago: no run applied them" in p for p in stuck.problems)

    (tmp_path / "rejected").mkdir()
    (tmp_path / "rejected" / "1-x.events").write_bytes(b"junk")
    (tmp_path / "9-y.events").write_bytes(b"junk")
    damaged = collect(tmp_path, now=now, max_backlog_age=27 * 3600)
    assert damaged.exit_code == 1
    text = "\n".join(damaged.lines())
    assert "1 unreadable, 1 in rejected/" in text
    assert "1 unreadable file(s) in the spool: the next run moves them to rejected/" in text
    assert f"1 file(s) in {tmp_path / 'rejected'}: look at them" in text


def test_a_serving_receiver_writes_the_status_the_command_reads(tmp_path: Path) -> None:
    from fake_stripe.webhooks import signature_header

    spool = tmp_path / "spool"
    with BackgroundReceiver(ReceiverConfig(spool_dir=spool, secret=SECRET, port=0)) as server:
        body = orjson.dumps(event("evt_42"))
        resp = requests.post(server.url, data=body, headers={"Stripe-Signature": signature_header(body, SECRET)})
        assert resp.status_code == 200
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and "evt_42" not in (spool / ".receiver.json").read_text():
            time.sleep(0.05)  # the status file is rewritten each second something changed
        running = collect(spool)
        assert running.exit_code == 0, running.problems
        assert f"running on {server.url}" in "\n".join(running.lines())
        assert "last event evt_42 (customer.updated) received" in "\n".join(running.lines())
        assert "1 events waiting in 1 file(s)" in "\n".join(running.lines())  # its open segment, counted
    stopped = collect(spool)
    assert stopped.exit_code == 1 and "stopped" in stopped.problems[0]


# --------------------------------------------------------------------------- Stripe's side


def test_the_endpoint_at_stripe_and_deliveries_that_flow(tmp_path: Path, fake: Any) -> None:
    spool = tmp_path / "spool"
    config = ReceiverConfig(spool_dir=spool, secret="whsec_later", port=0)
    with BackgroundReceiver(config) as server:
        endpoint = create_endpoint(server.url, API_KEY, api_base=fake.base_url)
        server.receiver.secret = endpoint["secret"]
        delivered = fake.advance(10)["deliveries"][endpoint["id"]]
        assert delivered["failed"] == [] and delivered["delivered"] > 0
        deadline = time.monotonic() + 5  # the status file is rewritten each second something changed
        while time.monotonic() < deadline and read_status(spool)["totals"]["accepted"] < delivered["delivered"]:
            time.sleep(0.05)
        status = collect(spool, api_key=API_KEY, api_base=fake.base_url)
    assert status.exit_code == 0, status.problems
    text = "\n".join(status.lines())
    assert "Stripe: 1 webhook endpoint(s), 1 created by `webhooks create`" in text
    assert f"{endpoint['id']}  {server.url}  enabled  events: *" in text
    assert f"since start: {delivered['delivered']} stored, 0 duplicates" in text
    assert "Stripe's events: none older than the lag limit that the receiver has not received" in text


def test_deliveries_that_do_not_arrive_look_stuck(tmp_path: Path, fake: Any) -> None:
    """Stripe holds events older than the lag limit that an enabled endpoint should have sent, and the
    receiver (alive, heartbeat fresh) never got them: exit 1, and what to check."""
    spool = tmp_path / "spool"
    endpoint = create_endpoint("http://127.0.0.1:9/", API_KEY, api_base=fake.base_url, enabled_events=["invoice.*"])
    fake.advance(10, deliver_webhooks=False)  # as if nothing listened at that url
    now = time.time()
    receiver_status(spool, started=FIXED_NOW - 86400, updated=now - 5)
    status = collect(spool, api_key=API_KEY, api_base=fake.base_url, now=now)
    assert status.exit_code == 1
    assert status.unreceived and all(e["type"].startswith("invoice.") for e in status.unreceived)
    assert all(e["created"] > endpoint["created"] for e in status.unreceived)  # only what it should have sent
    text = "\n".join(status.lines())
    assert "problem: deliveries look stuck: Stripe has events from" in text
    assert "does not receive these types the source applies: charge.captured" in text  # `invoice.*` only


def test_no_enabled_endpoint_is_a_problem(tmp_path: Path, fake: Any) -> None:
    endpoint = create_endpoint("https://example.com/hooks", API_KEY, api_base=fake.base_url)
    requests.post(
        f"{fake.base_url}/v1/webhook_endpoints/{endpoint['id']}",
        data={"disabled": "true"},
        headers={"Authorization": f"Bearer {API_KEY}"},
        timeout=10,
    ).raise_for_status()
    now = time.time()
    receiver_status(tmp_path, started=now - 60, updated=now - 5)
    status = collect(tmp_path, api_key=API_KEY, api_base=fake.base_url, now=now)
    assert status.exit_code == 1
    assert "no enabled webhook endpoint at Stripe, so Stripe sends nothing" in status.problems[0]


def test_stripe_unreadable_is_exit_2(tmp_path: Path, fake: Any) -> None:
    now = time.time()
    receiver_status(tmp_path, started=now - 60, updated=now - 5)
    status = collect(tmp_path, api_key="sk_test_wrong", api_base=fake.base_url, now=now)
    assert status.exit_code == 2 and status.stripe_error
    assert "Stripe: not read:" in status.lines()[0]
    assert status.lines()[-1] == "receiver OK; Stripe's side unknown"


def test_the_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from cli import main

    monkeypatch.delenv("SOURCES__STRIPE__API_KEY", raising=False)
    now = time.time()
    receiver_status(tmp_path, started=now - 60, updated=now - 5)
    assert main(["webhooks", "status", "--spool", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert f"receiver (spool {tmp_path}):" in out and out.strip().endswith("OK: deliveries flow")
    assert main(["webhooks", "status", "--spool", str(tmp_path / "elsewhere")]) == 1
