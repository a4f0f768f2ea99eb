"""The server over the generator's account (`fake_stripe.account`, size small, fixed clock)."""

from __future__ import annotations

import pytest
import requests
import stripe

from fake_stripe.render import CURRENT_VERSION, LEGACY_VERSION
from fake_stripe.store import EVENT_RETENTION_SECONDS
from tests.fake_stripe.conftest import API_KEY, sdk, start_server
from tests.fake_stripe.test_server import LIST_RESOURCES, list_all, order_key

pytest.importorskip("fake_stripe.account")


@pytest.fixture(scope="module")
def real_server():
    from fake_stripe.account import build_account
    from tests.conftest import FIXED_NOW

    account = build_account("small", seed=7, now=FIXED_NOW)  # its own copy: the tests advance it
    srv = start_server(account)
    try:
        yield srv
    finally:
        srv.stop()


def test_every_resource_pages_completely(real_server):
    account = real_server.account
    client = sdk(real_server)
    for resource in LIST_RESOURCES:
        got = [o.id for o in list_all(client, resource, {"limit": 100})]
        listed = [o for o in account.objects[resource] if not o.get("deleted")]  # deletion stubs are never listed
        want = [o["id"] for o in sorted(listed, key=order_key, reverse=True)]
        assert sorted(got) == sorted(want), resource
        assert len(got) == len(set(got)), resource
    window = [e for e in account.events if e["created"] >= account.now - EVENT_RETENTION_SECONDS]
    got = [e.id for e in client.v1.events.list({"limit": 100}).auto_paging_iter()]
    assert got == [e["id"] for e in sorted(window, key=order_key, reverse=True)] and got


def test_both_versions_render_every_resource(real_server):
    headers = {"Authorization": f"Bearer {API_KEY}"}
    for version in (CURRENT_VERSION, LEGACY_VERSION):
        for resource in LIST_RESOURCES:
            params = {"limit": 100, **({"status": "all"} if resource == "subscriptions" else {})}
            r = requests.get(
                f"{real_server.base_url}/v1/{resource}",
                params=params,
                headers={**headers, "Stripe-Version": version},
                timeout=10,
            )
            assert r.status_code == 200, (version, resource, r.text[:300])
            data = r.json()["data"]
            if resource == "invoices" and data:
                sample = data[0]
                assert ("subscription" in sample) is (version == LEGACY_VERSION)
                assert "payments" not in sample


def test_invoice_lines_and_payments(real_server):
    account = real_server.account
    client = sdk(real_server)
    invoice = max(account.objects["invoices"], key=lambda i: len(i["lines"]["data"]))
    lines = [line.id for line in client.v1.invoices.line_items.list(invoice["id"], {"limit": 1}).auto_paging_iter()]
    assert lines == [line["id"] for line in invoice["lines"]["data"]]
    paid = next(i for i in account.objects["invoices"] if i["payments"]["data"])
    expanded = client.v1.invoices.retrieve(paid["id"], {"expand": ["payments"]})
    assert [p.id for p in expanded.payments.data] == [p["id"] for p in paid["payments"]["data"]]


def test_connected_accounts_are_scoped(real_server):
    account = real_server.account
    client = sdk(real_server)
    for acct_id, sub in account.connected.items():
        got = {c.id for c in list_all(client, "customers", {"limit": 100}, stripe_account=acct_id)}
        assert got == {c["id"] for c in sub.objects["customers"]}
    with pytest.raises(stripe.PermissionError):
        client.v1.charges.list(options={"stripe_account": "acct_nope"})


def test_advance_serves_the_new_state(real_server, receiver):
    account = real_server.account
    client = sdk(real_server)
    endpoint = client.v1.webhook_endpoints.create({"url": receiver.url, "enabled_events": ["*"]})
    before = account.now
    result = real_server.advance(5)
    assert account.now == before + 5 * 86400 and result["now"] == account.now
    new = result["new_events"][account.account_id]
    assert result["deliveries"].get(endpoint.id, {"delivered": 0})["delivered"] == new
    for headers, body in receiver.received:
        stripe.Webhook.construct_event(body.decode(), headers["Stripe-Signature"], endpoint.secret)
    got = {c.id for c in list_all(client, "charges", {"limit": 100})}
    assert got == {c["id"] for c in account.objects["charges"]}


def test_date_header_is_the_account_clock(real_server):
    import email.utils

    import requests

    resp = requests.get(f"{real_server.base_url}/v1/customers", headers={"Authorization": "Bearer sk_test_fake"})
    assert email.utils.parsedate_to_datetime(resp.headers["Date"]).timestamp() == real_server.account.now
