"""The fake Stripe server driven by the official SDK (stripe==16.1.0) and raw HTTP."""

from __future__ import annotations

import base64
import time
from typing import Any

import orjson
import pytest
import requests
import stripe

from fake_stripe.render import CURRENT_VERSION, LEGACY_VERSION
from fake_stripe.server import FakeStripeServer, mask_key
from fake_stripe.store import EVENT_RETENTION_SECONDS, parse_params
from tests.fake_stripe.conftest import (
    API_KEY,
    BIG_INVOICE,
    BIG_SUBSCRIPTION,
    CONNECTED_ID,
    DAY,
    PLATFORM_ID,
    RESTRICTED_KEY,
    StandInAccount,
    free_port,
    make_platform,
    sdk,
    start_server,
)

LIST_RESOURCES = [
    "charges",
    "customers",
    "invoices",
    "prices",
    "products",
    "subscriptions",
    "balance_transactions",
    "disputes",
    "payouts",
    "credit_notes",
    "refunds",
]
AUTH = {"Authorization": f"Bearer {API_KEY}"}


def order_key(obj: dict) -> tuple[int, str]:
    return (obj["created"], obj["id"])


def expected(account: StandInAccount, resource: str) -> list[dict]:
    """What listing `resource` (all statuses, both `active` values) must return, newest first."""
    if resource == "events":
        objs = [e for e in account.events if e["created"] >= account.now - EVENT_RETENTION_SECONDS]
    else:
        objs = [o for o in account.objects[resource] if not o.get("deleted")]
    return sorted(objs, key=order_key, reverse=True)


def list_all(client: stripe.StripeClient, resource: str, params: dict | None = None, **opts: Any) -> list:
    service = getattr(client.v1, resource)
    params = dict(params or {})
    if resource == "subscriptions":
        params.setdefault("status", "all")
    if resource == "prices" and "active" not in params:
        out = []
        for active in (True, False):
            out += list(service.list({**params, "active": active}, opts or None).auto_paging_iter())
        return out
    return list(service.list(params, opts or None).auto_paging_iter())


def get(server: FakeStripeServer, path: str, headers: dict | None = None, **params: Any) -> requests.Response:
    return requests.get(server.base_url + path, params=params, headers={**AUTH, **(headers or {})}, timeout=10)


# --------------------------------------------------------------------------- lists


@pytest.mark.parametrize("resource", [*LIST_RESOURCES, "events"])
def test_auto_paging_sees_every_object_once_newest_first(client, account, resource):
    got = list_all(client, resource, {"limit": 7})
    want = expected(account, resource)
    ids = [o.id for o in got]
    assert len(ids) == len(set(ids)), "an object was served twice"
    if resource == "prices":  # two listings (active, inactive), each newest first
        assert sorted(ids) == sorted(o["id"] for o in want)
    else:
        assert ids == [o["id"] for o in want]
    assert len(ids) > 3


def test_created_ties_are_ordered_by_id_desc(server, account):
    data = get(server, "/v1/customers", limit=100, created=str(account.objects["customers"][0]["created"])).json()
    ids = [c["id"] for c in data["data"]]
    assert len(ids) == 3 and ids == sorted(ids, reverse=True)


def test_list_envelope(server):
    body = get(server, "/v1/charges", limit=2).json()
    assert body["object"] == "list" and body["url"] == "/v1/charges"
    assert body["has_more"] is True and len(body["data"]) == 2
    assert "total_count" not in body
    assert len(get(server, "/v1/charges").json()["data"]) == 10  # default limit


@pytest.mark.parametrize(
    "flt",
    [
        {"gte": 0},
        {"gt": 1},
        {"lt": 1},
        {"lte": 0},
        {"gte": 0, "lt": 2},
        {"gt": 0, "lte": 1},
    ],
)
def test_created_filters(client, account, flt):
    # bounds taken from real objects so boundaries are exercised exactly
    objs = expected(account, "charges")
    marks = [objs[40]["created"], objs[15]["created"], objs[5]["created"]]
    params = {op: marks[i] for op, i in flt.items()}
    got = [c.id for c in list_all(client, "charges", {"limit": 100, "created": params})]

    def ok(c: dict) -> bool:
        t = c["created"]
        return all({"gt": t > v, "gte": t >= v, "lt": t < v, "lte": t <= v}[op] for op, v in params.items())

    want = [c["id"] for c in objs if ok(c)]
    assert got == want and want


def test_created_exact_and_invalid(server, account):
    one = expected(account, "invoices")[5]
    data = get(server, "/v1/invoices", created=one["created"]).json()["data"]
    assert [i["id"] for i in data] == [one["id"]]
    r = get(server, "/v1/invoices", **{"created[gte]": "yesterday"})
    assert r.status_code == 400 and r.json()["error"]["param"] == "created[gte]"


def test_cursors_like_stripe(server, account):
    want = [c["id"] for c in expected(account, "customers")]
    page1 = get(server, "/v1/customers", limit=5).json()
    assert [c["id"] for c in page1["data"]] == want[:5] and page1["has_more"]
    page2 = get(server, "/v1/customers", limit=5, starting_after=want[4]).json()
    assert [c["id"] for c in page2["data"]] == want[5:10]
    back = get(server, "/v1/customers", limit=5, ending_before=want[5]).json()
    assert [c["id"] for c in back["data"]] == want[:5] and back["has_more"] is False
    partial = get(server, "/v1/customers", limit=2, ending_before=want[5]).json()
    assert [c["id"] for c in partial["data"]] == want[3:5] and partial["has_more"] is True
    last = get(server, "/v1/customers", limit=100, starting_after=want[-3]).json()
    assert [c["id"] for c in last["data"]] == want[-2:] and last["has_more"] is False
    assert get(server, "/v1/customers", ending_before=want[0]).json() == {
        "object": "list",
        "data": [],
        "has_more": False,
        "url": "/v1/customers",
    }


def test_sdk_backward_auto_paging_with_ending_before(client, account):
    want = [c["id"] for c in expected(account, "customers")]
    got = [c.id for c in client.v1.customers.list({"ending_before": want[12], "limit": 5}).auto_paging_iter()]
    assert got == list(reversed(want[:12]))


def test_cursor_and_limit_errors(client, server):
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.charges.list({"starting_after": "ch_doesnotexist"})
    assert exc.value.http_status == 400
    assert exc.value.code == "resource_missing" and exc.value.param == "starting_after"
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.charges.list({"ending_before": "ch_DOESNOTEXIST"})
    assert exc.value.param == "ending_before"
    for bad in (0, 101):
        with pytest.raises(stripe.InvalidRequestError) as exc:
            client.v1.charges.list({"limit": bad})
        assert exc.value.param == "limit" and exc.value.http_status == 400
    r = get(server, "/v1/charges", limit=2, starting_after="a", ending_before="b")
    assert r.status_code == 400
    r = get(server, "/v1/charges", colour="blue")
    assert r.status_code == 400 and r.json()["error"]["param"] == "colour"


def test_ids_are_case_sensitive(server, account):
    cid = expected(account, "charges")[0]["id"]
    assert get(server, f"/v1/charges/{cid}").status_code == 200
    assert get(server, f"/v1/charges/{cid.upper()}").status_code == 404


def test_subscriptions_omit_canceled_unless_status_all(client, account):
    subs = account.objects["subscriptions"]
    default = [s.id for s in client.v1.subscriptions.list({"limit": 100}).auto_paging_iter()]
    assert sorted(default) == sorted(s["id"] for s in subs if s["status"] != "canceled")
    everything = [s.id for s in client.v1.subscriptions.list({"status": "all", "limit": 3}).auto_paging_iter()]
    assert sorted(everything) == sorted(s["id"] for s in subs)
    canceled = [s.id for s in client.v1.subscriptions.list({"status": "canceled"}).auto_paging_iter()]
    assert sorted(canceled) == sorted(s["id"] for s in subs if s["status"] == "canceled") and canceled
    ended = [s.id for s in client.v1.subscriptions.list({"status": "ended"}).auto_paging_iter()]
    assert len(ended) == len(canceled) + 1
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.subscriptions.list({"status": "sleeping"})


def test_prices_default_to_active_only(client, account):
    prices = account.objects["prices"]
    default = {p.id for p in client.v1.prices.list({"limit": 100}).auto_paging_iter()}
    assert default == {p["id"] for p in prices if p["active"]}
    inactive = {p.id for p in client.v1.prices.list({"active": False, "limit": 100}).auto_paging_iter()}
    assert inactive == {p["id"] for p in prices if not p["active"]} and inactive


def test_customer_filter(client, account):
    cust = account.objects["customers"][4]["id"]
    for resource in ("charges", "invoices"):
        got = [o.id for o in list_all(client, resource, {"customer": cust, "limit": 2})]
        want = [o["id"] for o in expected(account, resource) if o["customer"] == cust]
        assert got == want and want
    got = [o.id for o in list_all(client, "subscriptions", {"customer": cust})]
    assert got == [o["id"] for o in expected(account, "subscriptions") if o["customer"] == cust]


# --------------------------------------------------------------------------- events


def test_events_window_and_type_filters(client, server, account):
    window = expected(account, "events")
    assert len(window) < len(account.events)  # some are older than 30 days and hidden
    got = [e.id for e in client.v1.events.list({"type": "invoice.*", "limit": 5}).auto_paging_iter()]
    assert got == [e["id"] for e in window if e["type"].startswith("invoice.")] and got
    types = ["customer.created", "charge.succeeded"]
    got = [e.id for e in client.v1.events.list({"types": types, "limit": 100}).auto_paging_iter()]
    assert got == [e["id"] for e in window if e["type"] in types] and got
    old = min(account.events, key=lambda e: e["created"])
    assert old["created"] < account.now - EVENT_RETENTION_SECONDS
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.events.retrieve(old["id"])
    assert exc.value.http_status == 404
    assert get(server, "/v1/events", type="a", **{"types[]": "b"}).status_code == 400


def test_events_keep_their_own_api_version(server, account):
    for version in (CURRENT_VERSION, LEGACY_VERSION):
        data = get(server, "/v1/events", {"Stripe-Version": version}, limit=100).json()["data"]
        assert {e["api_version"] for e in data} == {CURRENT_VERSION, LEGACY_VERSION}
        stored = {e["id"]: e for e in account.events}
        assert all(e == stored[e["id"]] for e in data)


# --------------------------------------------------------------------------- retrieve & sub-lists


@pytest.mark.parametrize("resource", LIST_RESOURCES)
def test_retrieve_each_resource(client, account, resource):
    obj = expected(account, resource)[-1]
    got = getattr(client.v1, resource).retrieve(obj["id"])
    assert got.id == obj["id"] and got.object == obj["object"]
    with pytest.raises(stripe.InvalidRequestError) as exc:
        getattr(client.v1, resource).retrieve(obj["id"][:3] + "missing")
    assert exc.value.http_status == 404 and exc.value.code == "resource_missing"


def test_deleted_customer_is_retrievable_but_not_listed(server, account):
    body = get(server, "/v1/customers/cus_deleted1").json()
    assert body == {"id": "cus_deleted1", "object": "customer", "deleted": True}


def test_invoice_lines_embedded_first_page_then_paged(client, account):
    invoice = client.v1.invoices.retrieve(BIG_INVOICE)
    stored = next(i for i in account.objects["invoices"] if i["id"] == BIG_INVOICE)
    all_lines = [line["id"] for line in stored["lines"]["data"]]
    assert len(all_lines) == 25
    assert [line.id for line in invoice.lines.data] == all_lines[:10]
    assert invoice.lines.has_more is True and invoice.lines.url == f"/v1/invoices/{BIG_INVOICE}/lines"
    paged = [line.id for line in client.v1.invoices.line_items.list(BIG_INVOICE, {"limit": 4}).auto_paging_iter()]
    assert paged == all_lines
    # the embedded list object pages on from its own url, as the SDK does for `invoice.lines`
    rest = [line.id for line in invoice.lines.auto_paging_iter()]
    assert rest == all_lines
    small = next(i for i in account.objects["invoices"] if len(i["lines"]["data"]) == 2)
    got = client.v1.invoices.retrieve(small["id"]).lines
    assert got.has_more is False and len(got.data) == 2


def test_invoice_lines_errors(server):
    assert get(server, "/v1/invoices/in_nope/lines").status_code == 404
    r = get(server, f"/v1/invoices/{BIG_INVOICE}/lines", starting_after="il_nope")
    assert r.status_code == 400 and r.json()["error"]["code"] == "resource_missing"


def test_subscription_items_paging(client, server, account):
    stored = next(s for s in account.objects["subscriptions"] if s["id"] == BIG_SUBSCRIPTION)
    all_items = [i["id"] for i in stored["items"]["data"]]
    sub = client.v1.subscriptions.retrieve(BIG_SUBSCRIPTION)
    assert [i.id for i in sub["items"].data] == all_items[:10] and sub["items"].has_more is True
    assert sub["items"].url == f"/v1/subscription_items?subscription={BIG_SUBSCRIPTION}"
    paged = [
        i.id
        for i in client.v1.subscription_items.list({"subscription": BIG_SUBSCRIPTION, "limit": 5}).auto_paging_iter()
    ]
    assert paged == all_items
    assert [i.id for i in sub["items"].auto_paging_iter()] == all_items
    assert client.v1.subscription_items.retrieve(all_items[17]).id == all_items[17]
    r = get(server, "/v1/subscription_items")
    assert r.status_code == 400 and r.json()["error"]["param"] == "subscription"


def test_invoice_payments_only_when_expanded(client, server):
    plain = get(server, "/v1/invoices", limit=3).json()["data"]
    assert all("payments" not in i for i in plain)
    expanded = client.v1.invoices.list({"limit": 3, "expand": ["data.payments"]})
    assert all(i.payments.data[0].object == "invoice_payment" for i in expanded.data)
    one = client.v1.invoices.retrieve(BIG_INVOICE, {"expand": ["payments"]})
    assert one.payments.data[0].invoice == BIG_INVOICE
    payments = client.v1.invoice_payments.list({"invoice": BIG_INVOICE})
    assert [p.invoice for p in payments.data] == [BIG_INVOICE]
    assert get(server, "/v1/invoices", **{"expand[]": "data.customer"}).status_code == 400


# --------------------------------------------------------------------------- versions & Connect


def test_stripe_version_picks_the_shape(server, account):
    cur = get(server, f"/v1/invoices/{BIG_INVOICE}", {"Stripe-Version": CURRENT_VERSION}).json()
    old = get(server, f"/v1/invoices/{BIG_INVOICE}", {"Stripe-Version": LEGACY_VERSION}).json()
    assert "subscription" not in cur and cur["parent"]["subscription_details"]["subscription"]
    assert old["subscription"] == cur["parent"]["subscription_details"]["subscription"] and "parent" not in old
    assert "pricing" in cur["lines"]["data"][0] and "price" not in cur["lines"]["data"][0]
    assert old["lines"]["data"][0]["price"]["id"] == cur["lines"]["data"][0]["pricing"]["price_details"]["price"]
    assert old["lines"]["data"][0]["type"] == "subscription"
    legacy_lines = get(server, f"/v1/invoices/{BIG_INVOICE}/lines", {"Stripe-Version": LEGACY_VERSION}, limit=100)
    assert all("proration" in line for line in legacy_lines.json()["data"])
    sub = get(server, f"/v1/subscriptions/{BIG_SUBSCRIPTION}", {"Stripe-Version": LEGACY_VERSION}).json()
    assert "current_period_end" in sub
    assert "current_period_end" not in get(server, f"/v1/subscriptions/{BIG_SUBSCRIPTION}").json()
    charge = get(server, "/v1/charges/ch_0003s1", {"Stripe-Version": LEGACY_VERSION}).json()
    assert charge["invoice"] == "in_0003s1"  # linked through the invoice's payment intent
    assert "invoice" not in get(server, "/v1/charges/ch_0003s1").json()
    r = get(server, "/v1/charges", {"Stripe-Version": "2099-01-01.nope"})
    assert r.status_code == 400 and "Invalid Stripe API version: 2099-01-01.nope" in r.json()["error"]["message"]
    assert r.headers["Request-Id"].startswith("req_")


def test_sdk_with_legacy_version(server):
    legacy = sdk(server, stripe_version=LEGACY_VERSION)
    inv = legacy.v1.invoices.retrieve(BIG_INVOICE)
    assert inv.subscription == BIG_SUBSCRIPTION


def test_stripe_account_scopes_to_connected_account(client, account):
    sub = account.connected[CONNECTED_ID]
    got = [c.id for c in client.v1.customers.list({"limit": 100}, {"stripe_account": CONNECTED_ID}).auto_paging_iter()]
    assert got == [c["id"] for c in expected(sub, "customers")]
    assert not set(got) & {c["id"] for c in account.objects["customers"]}
    with pytest.raises(stripe.InvalidRequestError):  # a platform object is not visible there
        client.v1.customers.retrieve(account.objects["customers"][0]["id"], options={"stripe_account": CONNECTED_ID})
    with pytest.raises(stripe.PermissionError) as exc:
        client.v1.customers.list(options={"stripe_account": "acct_unknown"})
    assert exc.value.json_body["error"]["code"] == "account_invalid" and exc.value.http_status == 403
    assert "acct_unknown" in str(exc.value)
    accounts = client.v1.accounts.list()
    assert [a.id for a in accounts.data] == [CONNECTED_ID]


# --------------------------------------------------------------------------- auth


def test_wrong_or_missing_key(server):
    with pytest.raises(stripe.AuthenticationError) as exc:
        sdk(server, key="sk_test_wrong_key_xyz9").v1.charges.list()
    msg = exc.value.user_message or str(exc.value)
    assert "Invalid API Key provided: sk_test_" in msg and msg.endswith("xyz9") and "wrong_key" not in msg
    assert exc.value.http_status == 401
    r = requests.get(server.base_url + "/v1/charges", timeout=5)
    assert r.status_code == 401 and "You did not provide an API key" in r.json()["error"]["message"]
    basic = base64.b64encode(f"{API_KEY}:".encode()).decode()
    r = requests.get(server.base_url + "/v1/charges", headers={"Authorization": f"Basic {basic}"}, timeout=5)
    assert r.status_code == 200


def test_restricted_key_permissions(server):
    rk = sdk(server, key=RESTRICTED_KEY)
    assert rk.v1.charges.list({"limit": 1}).data
    assert rk.v1.refunds.list({"limit": 1}).data  # refunds ride on charge_read
    assert rk.v1.customers.list({"limit": 1}).data
    for resource, perm in (
        ("invoices", "rak_invoice_read"),
        ("prices", "rak_plan_read"),
        ("balance_transactions", "rak_balance_transaction_source_read"),
        ("events", "rak_event_read"),
    ):
        with pytest.raises(stripe.PermissionError) as exc:
            getattr(rk.v1, resource).list()
        message = str(exc.value)
        assert f"Having the '{perm}' permission would allow this request to continue." in message
        assert f"on account '{PLATFORM_ID}'" in message
        assert RESTRICTED_KEY not in message and "rk_test_" in message
        assert exc.value.http_status == 403


def test_mask_key():
    assert mask_key("sk_test_abcdefgh1234") == "sk_test_********1234"
    assert mask_key("whatever") == "****ever"


def test_every_response_has_a_request_id(server):
    for path in ("/v1/charges", "/v1/nothing", "/v1/charges/ch_missing"):
        assert get(server, path).headers["Request-Id"].startswith("req_")
    r = get(server, "/v1/nothing")
    assert r.status_code == 404 and "Unrecognized request URL" in r.json()["error"]["message"]


# --------------------------------------------------------------------------- faults


def test_rate_limit_answers_429():
    srv = start_server(make_platform(), rate_limit=3)
    try:
        client = sdk(srv)
        for _ in range(3):
            client.v1.charges.list({"limit": 1})
        with pytest.raises(stripe.RateLimitError) as exc:
            client.v1.charges.list({"limit": 1})
        assert exc.value.http_status == 429 and exc.value.json_body["error"]["code"] == "rate_limit"
        time.sleep(1.05)
        assert client.v1.charges.list({"limit": 1}).data
    finally:
        srv.stop()


def test_error_rate_is_seeded_and_retryable(monkeypatch):
    monkeypatch.setattr(stripe._http_client.HTTPClient, "INITIAL_DELAY", 0.01)  # fast SDK retries

    def statuses(seed: int) -> list[int]:
        srv = start_server(make_platform(), error_rate=0.5, fault_seed=seed)
        try:
            out = []
            for _ in range(30):
                r = get(srv, "/v1/customers", limit=1)
                out.append(r.status_code)
                if r.status_code >= 500:
                    assert r.json()["error"]["type"] == "api_error"
                    assert r.headers["Request-Id"].startswith("req_")
            return out
        finally:
            srv.stop()

    first = statuses(3)
    assert first == statuses(3)
    assert {200, 500} <= set(first) and 5 < first.count(200) < 25

    srv = start_server(make_platform(), error_rate=1.0)
    try:
        with pytest.raises(stripe.APIError) as exc:
            sdk(srv).v1.charges.list()
        assert exc.value.http_status in (500, 503)
        srv.set_faults(error_rate=0.3, fault_seed=1)
        # the SDK's own retries get through transient 5xx
        got = list_all(sdk(srv, max_network_retries=10), "customers", {"limit": 10})
        assert len(got) == 60
    finally:
        srv.stop()


def test_truncated_bodies():
    srv = start_server(make_platform(), truncate_rate=1.0, fault_seed=5)
    try:
        failures = 0
        for _ in range(6):
            try:
                r = get(srv, "/v1/invoices", limit=5)
                orjson.loads(r.content)
            except (requests.exceptions.RequestException, orjson.JSONDecodeError):
                failures += 1
        assert failures == 6
        with pytest.raises((stripe.APIConnectionError, stripe.APIError)):
            sdk(srv).v1.invoices.list()
        # errors are never truncated: only 200 answers are
        assert get(srv, "/v1/nothing").status_code == 404
    finally:
        srv.stop()


def test_latency_does_not_block_other_requests():
    srv = start_server(make_platform(), latency_ms=300)
    try:
        import concurrent.futures

        started = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            codes = list(pool.map(lambda _: get(srv, "/v1/products").status_code, range(4)))
        elapsed = time.monotonic() - started
        assert codes == [200] * 4 and 0.3 <= elapsed < 1.0
    finally:
        srv.stop()


def test_admin_config_changes_knobs(fresh_server):
    r = requests.post(fresh_server.base_url + "/_fake/config", params={"error_rate": "1"}, timeout=5)
    assert r.json()["error_rate"] == 1.0
    assert get(fresh_server, "/v1/charges").status_code >= 500
    requests.post(fresh_server.base_url + "/_fake/config", params={"error_rate": ""}, timeout=5)
    assert get(fresh_server, "/v1/charges").status_code == 200


# --------------------------------------------------------------------------- server lifecycle


def test_refuses_non_loopback_host():
    with pytest.raises(ValueError, match="loopback"):
        FakeStripeServer(make_platform(), host="0.0.0.0", port=free_port())


def test_parse_params_keeps_case_and_shapes():
    got = parse_params([("expand[0]", "data.Payments"), ("created[gte]", "5"), ("types[]", "a"), ("x", "Y")])
    assert got == {"expand": ["data.Payments"], "created": {"gte": "5"}, "types": ["a"], "x": "Y"}


def test_advance_rebuilds_indexes_and_keeps_cursors(fresh_server):
    acct = fresh_server.account
    before = [c["id"] for c in expected(acct, "customers")]
    cursor = before[3]
    result = requests.post(fresh_server.base_url + "/_fake/advance", params={"days": "2"}, timeout=10).json()
    assert result["now"] == acct.now and acct.now > 0
    assert result["new_events"][PLATFORM_ID] == 2 and result["new_events"][CONNECTED_ID] == 2
    after = [c["id"] for c in get(fresh_server, "/v1/customers", limit=100).json()["data"]]
    assert after == [c["id"] for c in expected(acct, "customers")] and len(after) == len(before) + 2
    nxt = get(fresh_server, "/v1/customers", limit=3, starting_after=cursor).json()["data"]
    assert [c["id"] for c in nxt] == before[4:7]
    assert acct.connected[CONNECTED_ID].now == acct.now  # connected accounts advanced too
    info = requests.get(fresh_server.base_url + "/_fake/info", timeout=5).json()
    assert info["now"] == acct.now and info["counts"]["customers"] == len(after)


def test_events_window_moves_with_the_clock(fresh_server):
    acct = fresh_server.account
    n_before = len(get(fresh_server, "/v1/events", limit=100).json()["data"])
    fresh_server.advance(10, deliver_webhooks=False)
    window = [e["id"] for e in get(fresh_server, "/v1/events", limit=100).json()["data"]]
    assert window == [e["id"] for e in expected(acct, "events")]
    assert len(window) != n_before + 10  # old events fell out while new ones arrived
    assert acct.now - 10 * DAY > 0
