"""The webhook receiver's rules (ingestion/webhooks/: what is accepted and answered), the spool's format and
reading (ingestion/stripe/spool.py), and the source applying the spool on its next run (DECISIONS.md I13, W2-W4).

The server's limits (timeouts, connection cap, shutdown, kill -9) are tests/ingestion/test_webhook_server.py.
"""

from __future__ import annotations

import logging
import os
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
from ingestion.stripe.spool import (
    BadBatch,
    NotAnEvent,
    SegmentWriter,
    SpoolRecord,
    WebhookSpool,
    check_event,
    decode_batch,
    encode_batch,
    encode_records,
    read_file,
    seal_abandoned,
    spool_files,
    write_batch,
)
from ingestion.webhooks.server import BackgroundReceiver, ReceiverConfig

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


def record(event_id: str, created: int = 1_780_000_000, **extra: Any) -> SpoolRecord:
    return SpoolRecord(event_id, created, orjson.dumps(event(event_id, created=created, **extra)))


def stored(spool: Path) -> list[SpoolRecord]:
    """Every record in the spool: sealed files and the receiver's open segment (its complete records)."""
    out: list[SpoolRecord] = []
    for path in [*spool_files(spool), *spool_mod.open_segments(spool)]:
        try:
            out.extend(read_file(path))
        except BadBatch as exc:
            out.extend(exc.records)
    return out


def stored_ids(spool: Path) -> list[str]:
    return sorted(r.id for r in stored(spool))


@pytest.fixture
def receiver(tmp_path: Path) -> Iterator[BackgroundReceiver]:
    with BackgroundReceiver(ReceiverConfig(spool_dir=tmp_path / "spool", secret=SECRET, port=0)) as server:
        yield server


def post(server: BackgroundReceiver, body: bytes, signature: str | None = "sign", **kw: Any) -> requests.Response:
    headers = {"Content-Type": "application/json"}
    if signature == "sign":
        signature = signature_header(body, SECRET, **kw)
    if signature is not None:
        headers["Stripe-Signature"] = signature
    return requests.post(server.url, data=body, headers=headers, timeout=10)


# --------------------------------------------------------------------------- what is accepted


def test_valid_signature_is_stored_verbatim_before_the_200(receiver: BackgroundReceiver) -> None:
    body = b'{\n  "id": "evt_1",\n  "object": "event",\n  "type": "customer.updated",\n  "created": 1780000000,\n'
    body += b'  "data": {"object": {"id": "cus_1", "object": "customer"}}\n}'
    resp = post(receiver, body)
    assert resp.status_code == 200, resp.text
    # when the 200 arrived the record was in the spool already (its segment, fdatasynced: W2)
    assert stored(receiver.spool_dir) == [SpoolRecord("evt_1", 1_780_000_000, body)]  # the raw body, as sent


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
    receiver: BackgroundReceiver, signature: str | None, kw: dict[str, Any], reason: str
) -> None:
    resp = post(receiver, orjson.dumps(event()), signature, **kw)
    assert resp.status_code == 400
    assert reason in resp.json()["error"]
    assert stored_ids(receiver.spool_dir) == []


def test_the_signature_rules_are_unchanged(receiver: BackgroundReceiver) -> None:
    """As the SDK's `construct_event`: 299 s old is fine, a clock ahead is not checked (the SDK checks only
    age), and any one of several `v1` signatures matches (while a secret rolls)."""
    body = orjson.dumps(event())
    assert post(receiver, body, timestamp=int(time.time()) - 299).status_code == 200
    assert post(receiver, orjson.dumps(event("evt_0")), timestamp=int(time.time()) + 400).status_code == 200
    from fake_stripe.webhooks import compute_signature

    body2 = orjson.dumps(event("evt_2"))
    ts2 = int(time.time())
    rolled = f"t={ts2},v1={compute_signature(body2, 'whsec_old', ts2)},v1={compute_signature(body2, SECRET, ts2)}"
    assert post(receiver, body2, rolled).status_code == 200
    assert post(receiver, body, signature_header(body, "whsec_other")).status_code == 400
    assert stored_ids(receiver.spool_dir) == ["evt_0", "evt_1", "evt_2"]


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
        # the id check is a full match: `$` would admit a trailing newline (issue 18)
        (orjson.dumps(event("evt_x\n")), "invalid event id"),
        (orjson.dumps(event("evt_x\r\n")), "invalid event id"),
        (orjson.dumps(event("cus_1")), "invalid event id"),
        (orjson.dumps(event("evt_" + "a" * 252)), "invalid event id"),
        (orjson.dumps(event(type="customer.updated\n")), "invalid event type"),
        (orjson.dumps(event(type="customer")), "invalid event type"),
        (orjson.dumps(event(type="Customer.Updated")), "invalid event type"),
        (orjson.dumps(event(account="acct_1\n")), "invalid account"),
        (orjson.dumps(event(object="v2.core.event")), "snapshot event"),
        (orjson.dumps(event(created=True)), "no created timestamp"),
    ],
)
def test_malformed_bodies_are_refused_and_nothing_is_stored(
    receiver: BackgroundReceiver, body: bytes, reason: str
) -> None:
    resp = post(receiver, body)
    assert resp.status_code == 400
    assert reason in resp.json()["error"]
    assert stored_ids(receiver.spool_dir) == []
    assert not (receiver.spool_dir.parent / "etc").exists()


def test_check_event_accepts_what_stripe_sends() -> None:
    assert check_event(event("evt_1NG8Du2eZvKYlo2CUI79vXWy", type="invoice.payment_succeeded")) == (
        "evt_1NG8Du2eZvKYlo2CUI79vXWy",
        "invoice.payment_succeeded",
        1_780_000_000,
    )
    assert check_event(event("evt_1", type="checkout.session.async_payment_succeeded", account="acct_1Ab"))[1]
    with pytest.raises(NotAnEvent, match="invalid event id"):
        check_event(event("evt_1\n"))


def test_a_redelivery_is_answered_200_and_stored_once(receiver: BackgroundReceiver) -> None:
    body = orjson.dumps(event())
    assert post(receiver, body).status_code == 200
    assert post(receiver, body, timestamp=int(time.time()) - 5).status_code == 200  # a retry, signed anew
    assert post(receiver, orjson.dumps(event("evt_2"))).status_code == 200
    assert stored_ids(receiver.spool_dir) == ["evt_1", "evt_2"]
    assert receiver.receiver.stats.accepted == 2 and receiver.receiver.stats.duplicates == 1


def test_the_receiver_answers_500_when_the_spool_is_not_writable(
    receiver: BackgroundReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    with monkeypatch.context() as m:
        m.setattr(spool_mod.os, "fdatasync", full)
        resp = post(receiver, orjson.dumps(event()))
    assert resp.status_code == 500 and "could not store" in resp.json()["error"]  # Stripe retries later
    assert stored_ids(receiver.spool_dir) == []  # the group's bytes were cut off again
    assert post(receiver, orjson.dumps(event())).status_code == 200  # the retry, once the disk has room
    assert stored_ids(receiver.spool_dir) == ["evt_1"]


def test_health_and_unknown_paths(receiver: BackgroundReceiver) -> None:
    health = requests.get(receiver.url + "health", timeout=5)
    assert health.status_code == 200 and health.json()["spool"] == str(receiver.spool_dir)
    assert requests.get(receiver.url + "nope", timeout=5).status_code == 404


def test_serve_fails_fast_without_a_secret(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from cli import main

    monkeypatch.delenv("SOURCES__STRIPE__WEBHOOK_SECRET", raising=False)
    assert main(["webhooks", "serve", "--port", "0"]) == 2
    assert "SOURCES__STRIPE__WEBHOOK_SECRET" in capsys.readouterr().err
    monkeypatch.setenv("SOURCES__STRIPE__WEBHOOK_SECRET", SECRET)
    assert main(["webhooks", "serve", "--port", "0", "--read-timeout", "0"]) == 2
    assert "--read-timeout must be positive" in capsys.readouterr().err


def test_one_log_line_per_minute_of_counts(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """`webhooks serve` logs its counts once a minute (here every 0.3 s), one line however many events."""
    config = ReceiverConfig(spool_dir=tmp_path / "spool", secret=SECRET, port=0, log_seconds=0.3)
    with caplog.at_level(logging.INFO, logger="ingestion.webhooks"), BackgroundReceiver(config) as server:
        for i in range(3):
            assert post(server, orjson.dumps(event(f"evt_{i}"))).status_code == 200
        assert post(server, orjson.dumps(event("evt_0"))).status_code == 200
        assert post(server, orjson.dumps(event()), "t=1,v1=00").status_code == 400
        deadline = time.monotonic() + 5
        while not any("stored" in r.message for r in caplog.records) and time.monotonic() < deadline:
            time.sleep(0.05)
    lines = [r.message for r in caplog.records if r.message.startswith("last ")]
    first = next(line for line in lines if " 3 stored" in line)
    assert "1 duplicates, 1 refused (signature 1), 0 failed" in first
    assert " ms" in first and "connections open" in first  # p50 / p99 of the 200s
    # each refusal kind is logged once a minute (not once per request: anyone can send garbage)
    assert sum("refused a webhook" in r.message for r in caplog.records) == 1


def test_minute_line_counts_differences() -> None:
    from ingestion.webhooks.stats import minute_line

    before = {"accepted": 10, "duplicates": 1, "rejected": {"signature": 2}, "failed": 0}
    now = {"accepted": 25, "duplicates": 1, "rejected": {"signature": 5, "stale": 1}, "failed": 1}
    line = minute_line(now, before, [0.002, 0.004, 0.010], batches=4, connections=3, seconds=60)
    assert line == (
        "last 60 s: 15 stored, 0 duplicates, 4 refused (signature 3, stale 1), 1 failed; 4 batches; "
        "p50 4 ms, p99 10 ms; 3 connections open"
    )


# --------------------------------------------------------------------------- the spool's format


def test_batch_format_round_trips_and_detects_damage() -> None:
    records = [record("evt_1"), record("evt_2", 5), SpoolRecord("evt_3", 7, b'{"x": "a\nb"}')]
    data = encode_batch(records)
    assert data.startswith(b"stripe-webhook-spool 1\n")
    assert decode_batch(data) == records
    with pytest.raises(BadBatch, match="truncated") as torn:
        decode_batch(data[:-3])
    assert torn.value.records == records[:2]  # a torn tail: the complete records before it are readable
    flipped = bytearray(data)
    flipped[data.index(b"a\nb")] = ord("c")
    with pytest.raises(BadBatch, match="checksum") as bad:
        decode_batch(bytes(flipped))
    assert bad.value.records == records[:2]
    with pytest.raises(BadBatch, match="no spool header"):
        decode_batch(b'{"id": "evt_1"}')


def test_write_batch_is_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_batch(tmp_path, [record("evt_1")])
    assert spool_files(tmp_path) == [path] and [r.id for r in read_file(path)] == ["evt_1"]

    def crash(*_: Any) -> None:
        raise OSError("disk gone")

    monkeypatch.setattr(spool_mod.os, "replace", crash)
    with pytest.raises(OSError):
        write_batch(tmp_path, [record("evt_2")])
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]  # no partial file, no temp file left


def test_segments_are_sealed_by_their_writer_or_after_its_death(tmp_path: Path) -> None:
    writer = SegmentWriter(tmp_path, seal_seconds=3600)
    writer.append(encode_records([record("evt_1"), record("evt_2")]))
    writer.append(encode_records([record("evt_3")]))
    (segment,) = spool_mod.open_segments(tmp_path)
    assert spool_files(tmp_path) == []  # a run does not read an open segment...
    assert seal_abandoned(tmp_path) == 0 and segment.exists()  # ...nor seals it while its writer lives (flock)
    writer.seal()
    (sealed,) = spool_files(tmp_path)
    assert [r.id for r in read_file(sealed)] == ["evt_1", "evt_2", "evt_3"]

    # a writer killed mid-group: its lock is gone with it, and a torn last record was never acknowledged
    dead = SegmentWriter(tmp_path, seal_seconds=3600)
    dead.append(encode_records([record("evt_4")]))
    assert dead._fd is not None
    os.write(dead._fd, encode_records([record("evt_5")])[:-20])  # the kill came mid-write
    os.close(dead._fd)  # what the kernel does for a killed process: the flock is released
    assert seal_abandoned(tmp_path) == 1
    assert spool_mod.open_segments(tmp_path) == []
    assert sorted(r.id for p in spool_files(tmp_path) for r in read_file(p)) == ["evt_1", "evt_2", "evt_3", "evt_4"]


def test_an_empty_segment_leaves_nothing(tmp_path: Path) -> None:
    writer = SegmentWriter(tmp_path, seal_seconds=0)
    writer._open()
    writer.seal()
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- reading, for a run


def test_spool_reader_rejects_unreadable_files_and_skips_other_accounts(tmp_path: Path) -> None:
    spool = tmp_path / "spool"
    spool.mkdir()
    write_batch(spool, [record("evt_2", 20), record("evt_1", 10), record("evt_3", 30, account="acct_other")])
    write_batch(spool, [record("evt_1", 10)])  # a redelivery stored again after a restart: read once
    (spool / "40-evt_4.json").write_bytes(b"{truncated")  # the first receiver's one-event files
    (spool / "45-evt_6.json").write_bytes(orjson.dumps(event("evt_6", created=45)))
    (spool / "50-evt_5.events").write_bytes(b"not a batch")
    damaged = encode_batch([record("evt_7", 70)]) + b"99 00000000 1 evt_8\n{"
    (spool / "60-x.events").write_bytes(damaged)  # a readable record, then damage: the record is kept
    (spool / ".tmp-abc.part").write_bytes(b"half written")  # a batch being written: not ours yet
    warnings: list[str] = []
    reader = WebhookSpool(spool, account_id=None, warn=warnings.append)
    assert [e.id for e in reader.entries()] == ["evt_1", "evt_2", "evt_6", "evt_7"]  # by created, each once
    assert reader.counts.other_account == 1 and reader.counts.rejected == 3
    assert sorted(p.name for p in (spool / "rejected").iterdir()) == ["40-evt_4.json", "50-evt_5.events", "60-x.events"]
    assert len(warnings) == 3 and any("60-x.events" in w and "1 readable events were kept" in w for w in warnings)
    # a connected account's run reads only its own events
    assert [e.id for e in WebhookSpool(spool, account_id="acct_other").entries()] == ["evt_3"]

    # an event goes only once every interested resource (customer and event) applied it
    customers = reader.events_for(RESOURCES_BY_NAME["customer"])
    reader.mark_applied("customer", customers)
    assert reader.consumed() == []
    reader.mark_applied("event", reader.events_for(RESOURCES_BY_NAME["event"]))
    assert sorted(reader.consumed()) == ["evt_1", "evt_2", "evt_6", "evt_7"]
    assert reader.remove_consumed() == 5  # evt_1 twice
    # what is left: the other account's event, rewritten into a batch of its own; the temp file
    assert stored_ids(spool) == ["evt_3"]
    assert sorted(p.name for p in spool.iterdir() if p.is_file() and p.name.startswith(".")) == [".tmp-abc.part"]


def test_a_run_seals_a_killed_receivers_segment(tmp_path: Path) -> None:
    dead = SegmentWriter(tmp_path, seal_seconds=3600)
    dead.append(encode_records([record("evt_1"), record("evt_2")]))
    assert dead._fd is not None
    os.close(dead._fd)
    reader = WebhookSpool(tmp_path)
    assert [e.id for e in reader.entries()] == ["evt_1", "evt_2"]  # acknowledged: applied by this run


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
    from ingestion.webhooks.endpoints import create_endpoint
    from tests.ingestion.conftest import query, rows, run_pipeline
    from tests.ingestion.test_fake_e2e import API_KEY, FIXED_NOW, listed

    fake = fake_server.FakeStripeServer(build_account("small", seed=7, now=FIXED_NOW), api_key=API_KEY).start()
    config = ReceiverConfig(spool_dir=spool_mod.default_spool_dir(), secret="whsec_unset", port=0)
    receiver = BackgroundReceiver(config)
    monkeypatch.setenv("SOURCES__STRIPE__API_KEY", API_KEY)
    monkeypatch.setenv("SOURCES__STRIPE__API_BASE", fake.base_url)
    try:
        assert receiver.spool_dir == tmp_path / "stripe_webhook_spool"  # next to DUCKDB_PATH
        endpoint = create_endpoint(receiver.url, API_KEY, api_base=fake.base_url)
        receiver.receiver.secret = endpoint["secret"]
        receiver.start()
        first = run_pipeline(tmp_path)
        assert first.stats.spool is not None and first.stats.spool.counts.files == 0

        report = fake.advance(10)
        deliveries = report["deliveries"][endpoint["id"]]
        assert deliveries["delivered"] > 0 and deliveries["failed"] == []
        ids = set(stored_ids(receiver.spool_dir))
        assert len(ids) == deliveries["delivered"]

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
        assert set(stored_ids(receiver.spool_dir)) == ids  # a failed run keeps every event
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
        in_table = {i for (i,) in query(tmp_path, "select id from stripe_raw.event")}
        assert ids <= in_table
        assert stored_ids(receiver.spool_dir) == []  # applied and loaded: removed
        assert "webhook spool" in result.summary()
    finally:
        receiver.stop()
        fake.stop()
