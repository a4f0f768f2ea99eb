"""Webhook endpoints on the fake server, Stripe signatures, and delivery of signed events."""

from __future__ import annotations

import time

import orjson
import pytest
import requests
import stripe

from fake_stripe import cli as fake_cli
from fake_stripe.webhooks import deliver, signature_header, verify_signature
from tests.fake_stripe.conftest import (
    CONNECTED_ID,
    PLATFORM_ID,
    RESTRICTED_KEY,
    free_port,
    make_platform,
    sdk,
)


def test_signature_is_what_the_sdk_verifies():
    secret = "whsec_test_secret"
    payload = orjson.dumps({"id": "evt_1", "object": "event", "type": "invoice.paid", "data": {"object": {}}})
    header = signature_header(payload, secret)
    event = stripe.Webhook.construct_event(payload.decode(), header, secret)
    assert event.id == "evt_1"
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(payload.decode().replace("evt_1", "evt_2"), header, secret)
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(payload.decode(), header, "whsec_other")
    old = signature_header(payload, secret, timestamp=int(time.time()) - 600)
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(payload.decode(), old, secret)  # past the 300 s tolerance
    assert verify_signature(payload, header, secret)
    assert not verify_signature(payload, old, secret)
    assert not verify_signature(payload + b" ", header, secret)


def test_endpoint_crud_secret_shown_once(fresh_server):
    client = sdk(fresh_server)
    created = client.v1.webhook_endpoints.create(
        {"url": "http://127.0.0.1:9/hooks", "enabled_events": ["invoice.paid", "customer.created"]}
    )
    assert created.secret.startswith("whsec_") and created.status == "enabled"
    again = client.v1.webhook_endpoints.retrieve(created.id)
    assert again.enabled_events == ["invoice.paid", "customer.created"]
    assert "secret" not in again
    listed = client.v1.webhook_endpoints.list()
    assert [e.id for e in listed.data] == [created.id] and "secret" not in listed.data[0]
    updated = client.v1.webhook_endpoints.update(created.id, {"disabled": True})
    assert updated.status == "disabled"
    assert client.v1.webhook_endpoints.delete(created.id).deleted is True
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.webhook_endpoints.retrieve(created.id)
    assert exc.value.http_status == 404
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.webhook_endpoints.create({"enabled_events": ["*"]})  # type: ignore[typeddict-item]
    assert exc.value.param == "url"
    with pytest.raises(stripe.PermissionError):
        sdk(fresh_server, key=RESTRICTED_KEY).v1.webhook_endpoints.list()


def test_advance_delivers_signed_events(fresh_server, receiver):
    client = sdk(fresh_server)
    endpoint = client.v1.webhook_endpoints.create({"url": receiver.url, "enabled_events": ["*"]})
    connect = client.v1.webhook_endpoints.create(
        {"url": receiver.url, "enabled_events": ["customer.created"], "connect": True}
    )
    disabled = client.v1.webhook_endpoints.create({"url": receiver.url, "enabled_events": ["*"]})
    client.v1.webhook_endpoints.update(disabled.id, {"disabled": True})
    other_types = client.v1.webhook_endpoints.create({"url": receiver.url, "enabled_events": ["charge.failed"]})

    result = fresh_server.advance(3)
    assert result["new_events"] == {PLATFORM_ID: 3, CONNECTED_ID: 3}
    assert result["deliveries"][endpoint.id] == {"delivered": 3, "failed": []}
    assert result["deliveries"][connect.id]["delivered"] == 3
    assert disabled.id not in result["deliveries"] and other_types.id not in result["deliveries"]
    assert len(receiver.received) == 6

    platform_events, connected_events = [], []
    for headers, body in receiver.received:
        assert headers["Content-Type"].startswith("application/json")
        sig = headers["Stripe-Signature"]
        try:
            event = stripe.Webhook.construct_event(body.decode(), sig, endpoint.secret)
            platform_events.append(event)
        except stripe.SignatureVerificationError:
            event = stripe.Webhook.construct_event(body.decode(), sig, connect.secret)
            connected_events.append(event)
    assert len(platform_events) == 3 and len(connected_events) == 3
    assert {e.account for e in connected_events} == {CONNECTED_ID}
    new_ids = {e["id"] for e in fresh_server.account.events[-3:]}
    assert {e.id for e in platform_events} == new_ids
    # the new events are also served by GET /v1/events
    served = {e.id for e in client.v1.events.list({"limit": 100}).auto_paging_iter()}
    assert new_ids <= served


def test_admin_advance_endpoint_delivers(fresh_server, receiver):
    endpoint = sdk(fresh_server).v1.webhook_endpoints.create(
        {"url": receiver.url, "enabled_events": ["customer.created"]}
    )
    r = requests.post(fresh_server.base_url + "/_fake/advance", params={"days": "1"}, timeout=10)
    assert r.status_code == 200 and r.json()["deliveries"][endpoint.id]["delivered"] == 1
    headers, body = receiver.received[0]
    event = stripe.Webhook.construct_event(body.decode(), headers["Stripe-Signature"], endpoint.secret)
    assert event.type == "customer.created"
    r = requests.post(fresh_server.base_url + "/_fake/advance", params={"days": "1", "deliver": "false"}, timeout=10)
    assert r.json()["deliveries"] == {} and len(receiver.received) == 1


def test_deliver_retries_until_accepted(receiver):
    receiver.statuses.extend([500, 503])
    events = [{"id": "evt_a", "object": "event", "type": "x", "created": 1, "data": {"object": {}}}]
    report = deliver(events, receiver.url, "whsec_abc", retries=3, backoff=0.01)
    assert report.delivered == 1 and report.results[0].attempts == 3
    headers, body = receiver.received[0]
    assert stripe.Webhook.construct_event(body.decode(), headers["Stripe-Signature"], "whsec_abc").id == "evt_a"


def test_deliver_gives_up_and_reports(receiver):
    receiver.statuses.extend([500] * 5)
    report = deliver([{"id": "evt_b", "type": "x"}], receiver.url, "whsec_abc", retries=2, backoff=0.01)
    assert report.delivered == 0 and report.failed[0].attempts == 3 and report.failed[0].status == 500
    unreachable = f"http://127.0.0.1:{free_port()}/hooks"
    report = deliver([{"id": "evt_c", "type": "x"}], unreachable, "whsec_abc", retries=1, backoff=0.01)
    assert report.failed[0].status is None and "Connection" in (report.failed[0].error or "")


def test_send_webhooks_command_pushes_the_window(monkeypatch, receiver, capsys):
    account = make_platform()
    import fake_stripe.account

    monkeypatch.setattr(fake_stripe.account, "load_account", lambda size, seed: account, raising=False)
    parser = _parser()
    args = parser.parse_args(
        ["fake-stripe", "send-webhooks", "--url", receiver.url, "--secret", "whsec_cli", "--type", "invoice.*"]
    )
    assert args.func(args) == 0
    window = fake_cli.window_events(account, types=["invoice.*"])
    assert window and len(receiver.received) == len(window)
    got = [
        stripe.Webhook.construct_event(body.decode(), headers["Stripe-Signature"], "whsec_cli").id
        for headers, body in receiver.received
    ]
    assert got == [e["id"] for e in window]  # oldest first
    assert all(e["created"] >= account.now - 30 * 86400 for e in window)
    assert f"delivered {len(window)}/{len(window)}" in capsys.readouterr().out
    with_connected = fake_cli.window_events(account, connected=True)
    assert {e.get("account") for e in with_connected} == {None, CONNECTED_ID}


def _parser():
    import argparse

    parser = argparse.ArgumentParser()
    fake_cli.add_parser(parser.add_subparsers(dest="command"))
    return parser
