"""The webhook receiver (ingestion/webhooks.py), the spool (ingestion/spool.py) and the source applying
the spool on its next run (DECISIONS.md I13)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
import requests

from fake_stripe.webhooks import signature_header
from ingestion.stripe import spool as spool_mod
from ingestion.stripe.settings import RESOURCES_BY_NAME
from ingestion.stripe.spool import WebhookSpool, write_event
from ingestion.webhooks import WebhookServer

SECRET = "whsec_" + "ab" * 16


def event(event_id: str = "evt_1", *, created: int = 1_780_000_000, **extra: Any) -> dict[str, Any]:
    return {
        "id": event_id,
        "object": "event",
        "type": "customer.updated",
        "created": created,
        "api_version": "2026-10-28.endive",
        "data": {"object": {"id": "cus_1", "object": "customer", "email": "a@example.com"}},
        **extra,
    }


def spooled(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.is_file())


@pytest.fixture
def receiver(tmp_path: Path) -> Iterator[WebhookServer]:
    server = WebhookServer(tmp_path / "spool", SECRET, port=0).start()
    try:
        yield server
    finally:
        server.stop()


def post(server: WebhookServer, body: bytes, signature: str | None = "sign", **kw: Any) -> requests.Response:
    headers = {"Content-Type": "application/json"}
    if signature == "sign":
        signature = signature_header(body, SECRET, **kw)
    if signature is not None:
        headers["Stripe-Signature"] = signature
    return requests.post(server.url, data=body, headers=headers, timeout=10)


# --------------------------------------------------------------------------- receiver


def test_valid_signature_is_spooled_verbatim(receiver: WebhookServer) -> None:
    body = b'{\n  "id": "evt_1",\n  "object": "event",\n  "type": "customer.updated",\n  "created": 1780000000,\n'
    body += b'  "data": {"object": {"id": "cus_1", "object": "customer"}}\n}'
    resp = post(receiver, body)
    assert resp.status_code == 200, resp.text
    assert spooled(receiver.spool_dir) == ["1780000000-evt_1.json"]
    assert (receiver.spool_dir / "1780000000-evt_1.json").read_bytes() == body  # the raw body, as sent


@pytest.mark.parametrize(
    ("signature", "kw", "reason"),
    [
        (None, {}, "missing Stripe-Signature"),
        ("t=1,v1=deadbeef", {}, "invalid signature"),
        ("garbage", {}, "invalid signature"),
        ("sign", {"timestamp": int(time.time()) - 301}, "stale"),
    ],
)
def test_bad_or_stale_signatures_are_refused(
    receiver: WebhookServer, signature: str | None, kw: dict[str, Any], reason: str
) -> None:
    resp = post(receiver, orjson.dumps(event()), signature, **kw)
    assert resp.status_code == 400
    assert reason in resp.json()["error"]
    assert spooled(receiver.spool_dir) == []


def test_signed_with_another_secret_is_refused(receiver: WebhookServer) -> None:
    body = orjson.dumps(event())
    resp = post(receiver, body, signature_header(body, "whsec_other"))
    assert resp.status_code == 400
    assert spooled(receiver.spool_dir) == []


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b'{"id": "evt_1", "type": ', "malformed JSON"),
        (b"", "malformed JSON"),
        (b"[1, 2]", "not an event"),
        (b'"evt_1"', "not an event"),
        (orjson.dumps({k: v for k, v in event().items() if k != "id"}), "no event id"),
        (orjson.dumps({k: v for k, v in event().items() if k != "type"}), "no event type"),
        (orjson.dumps(event(data={"previous_attributes": {}})), "no data.object"),
        (orjson.dumps(event("../../etc/passwd")), "invalid event id"),
    ],
)
def test_malformed_bodies_are_refused_and_nothing_is_spooled(receiver: WebhookServer, body: bytes, reason: str) -> None:
    resp = post(receiver, body)
    assert resp.status_code == 400
    assert reason in resp.json()["error"]
    assert spooled(receiver.spool_dir) == []
    assert not (receiver.spool_dir.parent / "etc").exists()


def test_duplicate_delivery_is_one_file(receiver: WebhookServer) -> None:
    body = orjson.dumps(event())
    assert post(receiver, body).status_code == 200
    assert post(receiver, body, timestamp=int(time.time()) - 5).status_code == 200  # a retry, signed anew
    assert post(receiver, orjson.dumps(event("evt_2"))).status_code == 200
    assert spooled(receiver.spool_dir) == ["1780000000-evt_1.json", "1780000000-evt_2.json"]


def test_spool_write_is_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    body = orjson.dumps(event())
    path, written = write_event(tmp_path, body, 1_780_000_000, "evt_1")
    assert written and path.read_bytes() == body and spooled(tmp_path) == [path.name]
    assert write_event(tmp_path, body, 1_780_000_000, "evt_1") == (path, False)

    def crash(*_: Any) -> None:
        raise OSError("disk gone")

    monkeypatch.setattr(spool_mod.os, "replace", crash)
    with pytest.raises(OSError):
        write_event(tmp_path, body, 1_780_000_001, "evt_2")
    assert spooled(tmp_path) == [path.name]  # neither a partial final file nor a temp file is left


def test_the_receiver_answers_500_when_the_spool_is_not_writable(
    receiver: WebhookServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    def crash(*_: Any) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(spool_mod.os, "replace", crash)
    assert post(receiver, orjson.dumps(event())).status_code == 500  # Stripe retries later
    assert spooled(receiver.spool_dir) == []


def test_serve_fails_fast_without_a_secret(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from cli import main

    monkeypatch.delenv("SOURCES__STRIPE__WEBHOOK_SECRET", raising=False)
    assert main(["webhooks", "serve", "--port", "0"]) == 2
    assert "SOURCES__STRIPE__WEBHOOK_SECRET" in capsys.readouterr().err


# --------------------------------------------------------------------------- spool reading


def test_spool_reader_rejects_malformed_files_and_skips_other_accounts(tmp_path: Path) -> None:
    spool = tmp_path / "spool"
    spool.mkdir()
    write_event(spool, orjson.dumps(event("evt_2", created=20)), 20, "evt_2")
    write_event(spool, orjson.dumps(event("evt_1", created=10)), 10, "evt_1")
    write_event(spool, orjson.dumps(event("evt_3", account="acct_other")), 30, "evt_3")
    (spool / "40-evt_4.json").write_bytes(b"{truncated")
    (spool / "50-evt_5.json").write_bytes(b'{"id": "evt_5"}')
    (spool / ".tmp-abc.part").write_bytes(b"{half written")  # a receiver mid-write: not ours yet
    warnings: list[str] = []
    reader = WebhookSpool(spool, account_id=None, warn=warnings.append)
    entries = reader.entries()
    assert [e.id for e in entries] == ["evt_1", "evt_2"]  # ordered by created
    assert reader.counts.other_account == 1 and reader.counts.rejected == 2
    assert sorted(p.name for p in (spool / "rejected").iterdir()) == ["40-evt_4.json", "50-evt_5.json"]
    assert len(warnings) == 2 and "40-evt_4.json" in warnings[0]
    # a connected account's run reads only its own events
    assert [e.id for e in WebhookSpool(spool, account_id="acct_other").entries()] == ["evt_3"]

    # a file goes only once every interested resource (customer and event) applied it
    customers = reader.events_for(RESOURCES_BY_NAME["customer"])
    reader.mark_applied("customer", customers)
    assert reader.consumed() == []
    reader.mark_applied("event", reader.events_for(RESOURCES_BY_NAME["event"]))
    assert reader.remove_consumed() == 2
    assert spooled(spool) == [".tmp-abc.part", "30-evt_3.json"]


# --------------------------------------------------------------------------- end to end


@pytest.mark.slow
def test_webhooks_spool_applied_by_the_next_run(
    tmp_path: Path, stripe_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Fake Stripe → signed webhooks → receiver → spool → a run whose /v1/events reads for objects
    return nothing: the updates come from the spool only. A failing run keeps the spool, the next
    applies it (again) and removes it; the event table never holds an event twice."""
    import dlt

    from fake_stripe import server as fake_server
    from fake_stripe.account import build_account
    from ingestion.stripe import client as stripe_client
    from ingestion.webhooks import create_endpoint
    from tests.ingestion.conftest import query, rows, run_pipeline
    from tests.ingestion.test_fake_e2e import API_KEY, FIXED_NOW, listed

    fake = fake_server.FakeStripeServer(build_account("small", seed=7, now=FIXED_NOW), api_key=API_KEY).start()
    receiver = WebhookServer(spool_mod.default_spool_dir(), "whsec_unset", port=0).start()
    monkeypatch.setenv("SOURCES__STRIPE__API_KEY", API_KEY)
    monkeypatch.setenv("SOURCES__STRIPE__API_BASE", fake.base_url)
    try:
        assert receiver.spool_dir == tmp_path / "stripe_webhook_spool"  # next to DUCKDB_PATH
        endpoint = create_endpoint(receiver.url, API_KEY, api_base=fake.base_url)
        receiver.secret = endpoint["secret"]
        first = run_pipeline(tmp_path)
        assert first.stats.spool is not None and first.stats.spool.counts.files == 0

        report = fake.advance(10)
        deliveries = report["deliveries"][endpoint["id"]]
        assert deliveries["delivered"] > 0 and deliveries["failed"] == []
        files = spooled(receiver.spool_dir)
        assert len(files) == deliveries["delivered"]

        want_subs = listed(fake, "/v1/subscriptions?status=all")
        want_invoices = listed(fake, "/v1/invoices")

        def stale() -> dict[str, int]:
            out = {}
            for table, want in (("subscription", want_subs), ("invoice", want_invoices)):
                got = {r["id"]: r["data"]["status"] for r in rows(tmp_path, table)}
                out[table] = sum(1 for i, o in want.items() if i in got and got[i] != o["status"])
            return out

        before = stale()
        assert before["subscription"] > 0, before  # cancellations and plan changes happened since run 1

        # objects' event reads (`types[]`) see nothing: only the spool can bring those changes
        original = stripe_client.StripeClient.list_page

        hide_all_events = [True]  # the failing run reads no event at all: its event table rows come from the spool

        def no_object_events(self: Any, path: str, params: Any = None, **kw: Any) -> Any:
            if path == "/v1/events" and (hide_all_events[0] or (params and "types[]" in params)):
                return stripe_client.ListPage([], False, self.now())
            return original(self, path, params, **kw)

        monkeypatch.setattr(stripe_client.StripeClient, "list_page", no_object_events)

        def broken_load(*_: Any, **__: Any) -> None:
            raise RuntimeError("destination down")

        with monkeypatch.context() as m:
            m.setattr(dlt.Pipeline, "load", broken_load)
            with pytest.raises(Exception, match="destination down"):
                run_pipeline(tmp_path)
        assert spooled(receiver.spool_dir) == files  # a failed run keeps every file
        hide_all_events[0] = False

        result = run_pipeline(tmp_path)
        assert result.stats.resources["subscription"].spool_events > 0
        # the failed run's package (spool applied, objects re-read) was loaded first; applying again changes nothing
        assert result.stats.resources["subscription"].states_skipped > 0
        unexpanded = (
            "select count(*) from stripe_raw.invoice where data->>'$.status' = 'paid' and (data->'$.payments') is null"
        )
        assert query(tmp_path, unexpanded) == [(0,)]  # invoices changed by events re-read with expansions (I3)
        assert stale() == {"subscription": 0, "invoice": 0}
        canceled = [i for i, o in want_subs.items() if o["status"] == "canceled"]
        assert canceled
        got = {r["id"]: r for r in rows(tmp_path, "subscription")}
        assert all(got[i]["data"]["status"] == "canceled" for i in canceled if i in got)
        # every spooled event is in the event table once: written from the spool by the failed run's
        # package, then listed again from /v1/events by this run (merged on id, not appended)
        assert result.stats.resources["event"].listed > 0
        assert query(tmp_path, "select count(*) - count(distinct id) from stripe_raw.event") == [(0,)]
        ids = {f.split("-", 1)[1].removesuffix(".json") for f in files}
        stored = {i for (i,) in query(tmp_path, "select id from stripe_raw.event")}
        assert ids <= stored
        assert spooled(receiver.spool_dir) == []  # applied and loaded: removed
        assert "webhook spool" in result.summary()
    finally:
        receiver.stop()
        fake.stop()
