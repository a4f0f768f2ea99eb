"""Request-level behaviour of the HTTP client: headers, paging, retries, errors, rate limit."""

from __future__ import annotations

import email.utils
import random
import threading
import time
from typing import Any

import pytest
import requests
import requests_mock

from ingestion.stripe.client import STRIPE_API_VERSION, RateLimiter, RetryPolicy, StripeClient
from ingestion.stripe.errors import (
    StripeAuthError,
    StripePermissionError,
    StripeRequestError,
    StripeRetryError,
    permission_advice,
)
from tests.ingestion.stripe_mock import list_object

BASE = "https://api.stripe.test"
KEY = "sk_test_51SECRETsecretSECRET"
URL = BASE + "/v1/charges"


class Sleeps:
    """Records sleeps and advances a fake clock instead of waiting."""

    def __init__(self) -> None:
        self.calls: list[float] = []
        self.now = 0.0

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now


def client(sleep: Sleeps | None = None, **kwargs: Any) -> StripeClient:
    kwargs.setdefault("max_requests_per_second", 0)
    kwargs.setdefault("retry", RetryPolicy(max_attempts=5, max_elapsed=60, backoff_base=0.01, backoff_max=0.05))
    sleep = sleep or Sleeps()
    return StripeClient(KEY, api_base=BASE, sleep=sleep, clock=sleep.clock, rng=random.Random(1), **kwargs)


@pytest.fixture
def http():
    with requests_mock.Mocker(case_sensitive=True) as m:
        yield m


def test_headers_pin_version_and_authenticate(http: requests_mock.Mocker) -> None:
    http.get(URL, json=list_object([]))
    client().get("/v1/charges")
    sent = http.last_request.headers
    assert sent["Stripe-Version"] == STRIPE_API_VERSION == "2026-10-28.endive"
    assert sent["Authorization"] == f"Bearer {KEY}"
    assert "Stripe-Account" not in sent


def test_connect_account_header(http: requests_mock.Mocker) -> None:
    http.get(URL, json=list_object([]))
    client(account_id="acct_1Conn3ct").get("/v1/charges")
    assert http.last_request.headers["Stripe-Account"] == "acct_1Conn3ct"


def test_list_pages_follows_starting_after(http: requests_mock.Mocker) -> None:
    http.get(
        URL,
        [
            {"json": list_object([{"id": "ch_3"}, {"id": "ch_2"}], True)},
            {"json": list_object([{"id": "ch_1"}], False)},
        ],
    )
    pages = list(client().list_pages("/v1/charges", {"created[gte]": 5}, limit=2))
    assert [o["id"] for p in pages for o in p.data] == ["ch_3", "ch_2", "ch_1"]
    first, second = http.request_history
    assert "starting_after" not in first.qs
    assert second.url.endswith("starting_after=ch_2") or "starting_after=ch_2" in second.url
    assert "created%5Bgte%5D=5" in second.url and "limit=2" in second.url


@pytest.mark.parametrize(
    "failure",
    [
        {"status_code": 429, "json": {"error": {"type": "rate_limit_error", "message": "Too many requests"}}},
        {"status_code": 500, "json": {"error": {"type": "api_error"}}},
        {"status_code": 503, "text": "upstream unavailable"},
        {"status_code": 409, "json": {"error": {"type": "idempotency_error"}}},
        {"status_code": 200, "text": '{"object": "list", "data": [{"id": "ch_1", "amo'},  # truncated body
        {"status_code": 200, "text": "<html>gateway</html>"},  # not JSON
        {"exc": requests.exceptions.ConnectTimeout},
        {"exc": requests.exceptions.ReadTimeout},
        {"exc": requests.exceptions.ChunkedEncodingError},
        {"exc": requests.exceptions.ConnectionError},
    ],
)
def test_retryable_failures_are_retried(http: requests_mock.Mocker, failure: dict[str, Any]) -> None:
    sleeps = Sleeps()
    http.get(URL, [failure, failure, {"json": list_object([{"id": "ch_1"}])}])
    body = client(sleeps).get("/v1/charges")
    assert body["data"] == [{"id": "ch_1"}]
    assert http.call_count == 3
    assert len(sleeps.calls) == 2


def test_should_retry_false_is_honoured(http: requests_mock.Mocker) -> None:
    sleeps = Sleeps()
    http.get(URL, status_code=500, headers={"Stripe-Should-Retry": "false"}, json={"error": {"message": "no"}})
    with pytest.raises(StripeRequestError, match="HTTP 500"):
        client(sleeps).get("/v1/charges")
    assert http.call_count == 1 and sleeps.calls == []


def test_should_retry_true_retries_a_4xx(http: requests_mock.Mocker) -> None:
    http.get(
        URL,
        [
            {"status_code": 400, "headers": {"Stripe-Should-Retry": "true"}, "json": {"error": {}}},
            {"json": list_object([])},
        ],
    )
    client().get("/v1/charges")
    assert http.call_count == 2


def test_plain_4xx_is_not_retried(http: requests_mock.Mocker) -> None:
    http.get(
        URL,
        status_code=400,
        json={"error": {"code": "resource_missing", "param": "starting_after", "message": "No such object: 'x'"}},
    )
    with pytest.raises(StripeRequestError) as info:
        client().get("/v1/charges")
    assert http.call_count == 1
    assert info.value.code == "resource_missing" and info.value.param == "starting_after"
    assert "No such object" in str(info.value)


def test_gives_up_after_max_attempts_with_a_clear_message(http: requests_mock.Mocker) -> None:
    sleeps = Sleeps()
    http.get(URL, status_code=503, headers={"Request-Id": "req_123"}, json={"error": {"message": "down"}})
    with pytest.raises(StripeRetryError) as info:
        client(sleeps, retry=RetryPolicy(max_attempts=4, max_elapsed=60, backoff_base=0.01)).get("/v1/charges")
    assert http.call_count == 4 and len(sleeps.calls) == 3
    message = str(info.value)
    assert "after 4 attempts" in message and "giving up" in message and "HTTP 503" in message
    assert KEY not in message
    assert info.value.request_id == "req_123"


def test_gives_up_within_the_time_bound(http: requests_mock.Mocker) -> None:
    """Backoff doubles; retrying stops before the total sleep would pass `max_elapsed`."""
    sleeps = Sleeps()
    http.get(URL, status_code=429, json={})
    policy = RetryPolicy(max_attempts=100, max_elapsed=10.0, backoff_base=1.0, backoff_max=4.0)
    with pytest.raises(StripeRetryError):
        client(sleeps, retry=policy).get("/v1/charges")
    assert sum(sleeps.calls) <= 10.0
    assert 3 <= len(sleeps.calls) < 10


def test_backoff_is_exponential_with_jitter() -> None:
    policy = RetryPolicy(backoff_base=0.5, backoff_max=30)
    rng = random.Random(3)
    for n in range(8):
        ceiling = min(30, 0.5 * 2**n)
        delays = {policy.delay(n, rng) for _ in range(20)}
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert len(delays) > 1  # jittered


def test_401_says_the_key_is_invalid_without_showing_it(http: requests_mock.Mocker) -> None:
    http.get(
        URL,
        status_code=401,
        json={"error": {"type": "invalid_request_error", "message": f"Invalid API Key provided: {KEY[:12]}****"}},
    )
    with pytest.raises(StripeAuthError) as info:
        client().get("/v1/charges")
    message = str(info.value)
    assert "invalid" in message and "SOURCES__STRIPE__API_KEY" in message
    assert KEY[:12] not in message
    assert http.call_count == 1


def test_403_names_the_permission_and_where_to_add_it(http: requests_mock.Mocker) -> None:
    http.get(
        URL,
        status_code=403,
        json={
            "error": {
                "type": "invalid_request_error",
                "message": "The provided key 'rk_test_***abc' does not have the required permissions for this "
                "endpoint on account 'acct_1'. Having the 'rak_charge_read' permission would allow this request "
                "to continue.",
            }
        },
    )
    with pytest.raises(StripePermissionError) as info:
        client().get("/v1/charges")
    message = str(info.value)
    assert info.value.permission == "Charges: Read (Core)"
    assert "'Charges: Read (Core)'" in message
    assert "Developers → API keys" in message and "Edit key" in message
    assert http.call_count == 1


@pytest.mark.parametrize(
    ("message", "path", "label"),
    [
        (
            "Having the 'rak_credit_note_read' permission would allow this request to continue.",
            "/v1/x",
            "Credit notes: Read (Billing)",
        ),
        ("Having the 'rak_subscription_read' permission would allow", "/v1/x", "Subscriptions: Read (Billing)"),
        (
            "Having the 'rak_balance_transaction_source_read' permission",
            "/v1/x",
            "Balance transaction sources: Read (Core)",
        ),
        ("Having the 'rak_invoice_read' permission", "/v1/x", "Invoices: Read (Billing)"),
        ("Having the 'rak_price_read' permission", "/v1/x", "Prices: Read (Billing)"),
        ("", "/v1/disputes", "Disputes: Read (Core)"),
        ("forbidden", "/v1/invoices/in_1/lines", "Invoices: Read (Billing)"),
        ("Having the 'rak_shiny_thing_read' permission", "/v1/x", "Shiny things: Read"),
    ],
)
def test_permission_advice(message: str, path: str, label: str) -> None:
    found, advice = permission_advice(message, path)
    assert found == label
    assert label in advice


def test_date_header_sets_the_clock(http: requests_mock.Mocker) -> None:
    server_now = 1_700_000_000
    http.get(URL, json=list_object([]), headers={"Date": email.utils.formatdate(server_now, usegmt=True)})
    c = client()
    assert not c.clock_synced
    page = c.list_page("/v1/charges")
    assert c.clock_synced
    assert abs(c.now() - server_now) <= 2
    assert server_now - 2 <= page.requested_at <= server_now


def test_sync_clock_makes_one_cheap_request(http: requests_mock.Mocker) -> None:
    http.get(URL, json=list_object([]), headers={"Date": email.utils.formatdate(1_700_000_000, usegmt=True)})
    c = client()
    c.sync_clock("/v1/charges", {"status": "all"})
    c.sync_clock("/v1/charges")
    assert http.call_count == 1
    assert http.last_request.qs == {"status": ["all"], "limit": ["1"]}


def test_no_fixed_cap_by_default() -> None:
    """I15: the pace follows the server's 429s; a configured rate is a cap; 0 never paces."""
    assert StripeClient("sk_test_x").limiter.rate == float("inf")
    assert StripeClient("sk_test_x").limiter.adaptive
    capped = StripeClient("sk_live_x", max_requests_per_second=7).limiter
    assert capped.rate == 7 and capped.ceiling == 7
    off = StripeClient("sk_live_x", max_requests_per_second=0).limiter
    assert off.rate == float("inf") and not off.adaptive


def test_a_429_paces_under_the_rate_the_server_accepted() -> None:
    """Uncapped until the first 429; then a little under what was answered in the last second; a
    second 429 within the cooldown (an answer to a request sent before the cut) cuts no further."""
    sleeps = Sleeps()
    limiter = RateLimiter(None, clock=sleeps.clock, sleep=sleeps)
    for _ in range(120):  # 120 answers over 1.2 s: 100 in the last second
        sleeps.now += 0.01
        assert limiter.acquire() == 0.0
        limiter.succeeded()
    limiter.throttled()
    assert limiter.rate == pytest.approx(100 * RateLimiter.DECREASE)
    limiter.throttled()
    assert limiter.cuts == 1
    sleeps.now += RateLimiter.COOLDOWN
    limiter.throttled()  # nothing answered in the last second: one cut takes at most a quarter
    assert limiter.rate == pytest.approx(100 * RateLimiter.DECREASE * RateLimiter.MAX_CUT)
    assert limiter.cuts == 2
    for _ in range(30):  # 429s every second with nothing accepted: down to the floor, never below
        sleeps.now += RateLimiter.COOLDOWN
        limiter.throttled()
    assert limiter.rate == RateLimiter.MIN_RATE


def test_the_pace_rises_while_it_holds_requests_back() -> None:
    sleeps = Sleeps()
    limiter = RateLimiter(None, clock=sleeps.clock, sleep=sleeps)
    for _ in range(60):
        sleeps.now += 0.01
        limiter.acquire()
        limiter.succeeded()
    limiter.throttled()  # a run younger than a second: 60 answers over the 0.59 s since the first
    paced = limiter.rate
    assert paced == pytest.approx(60 / 0.59 * RateLimiter.DECREASE)
    started = sleeps.now
    for _ in range(300):  # the client wants more than the pace gives: every acquire waits
        limiter.acquire()
        limiter.succeeded()
    assert limiter.rate > paced
    elapsed = sleeps.now - started
    assert limiter.rate <= paced + elapsed + 1  # about one request/s more per second, at this rate


def test_a_cap_stays_a_cap() -> None:
    sleeps = Sleeps()
    limiter = RateLimiter(10, clock=sleeps.clock, sleep=sleeps)
    for _ in range(100):
        limiter.acquire()
        limiter.succeeded()
    assert limiter.rate == 10
    assert sleeps.now == pytest.approx(99 / 10, rel=0.01)


def test_retries_on_429_teach_the_client_its_pace(http: requests_mock.Mocker) -> None:
    sleeps = Sleeps()
    api = client(sleeps, max_requests_per_second=None)
    ok = {"json": list_object([])}
    answers = [ok] * 50 + [{"status_code": 429, "json": {"error": {}}}, ok]
    http.get(URL, answers)
    for _ in range(51):
        sleeps.now += 0.01
        api.get("/v1/charges")
    assert api.stats.rate_limited == 1 and api.limiter.cuts == 1
    assert api.limiter.rate == pytest.approx(100 * RateLimiter.DECREASE, rel=0.05)


def test_token_bucket_paces_requests() -> None:
    clock = [0.0]
    limiter = RateLimiter(5, burst=1, clock=lambda: clock[0], sleep=lambda s: clock.__setitem__(0, clock[0] + s))
    for _ in range(11):
        limiter.acquire()
    assert clock[0] == pytest.approx(2.0, abs=1e-6)  # 10 waits of 1/5 s after the first token


def test_token_bucket_is_shared_between_threads() -> None:
    limiter = RateLimiter(200, burst=1)
    started = time.monotonic()

    def take() -> None:
        for _ in range(15):
            limiter.acquire()

    threads = [threading.Thread(target=take) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert time.monotonic() - started >= (60 - 1) / 200 * 0.95


def test_missing_key_is_a_clear_error() -> None:
    with pytest.raises(StripeAuthError, match="SOURCES__STRIPE__API_KEY"):
        StripeClient("")


def test_repr_hides_the_key() -> None:
    assert KEY not in repr(client())


def test_environment_proxies_and_ca_bundle_are_read_once_per_session(monkeypatch: pytest.MonkeyPatch) -> None:
    """I12: requests would re-read them on every request; the session gets them once, same precedence."""
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/corp-ca.pem")
    session = client()._session()
    assert session.trust_env is False
    assert session.proxies["https"] == "http://proxy.example:3128"
    assert session.verify == "/etc/corp-ca.pem"
    monkeypatch.setenv("NO_PROXY", "api.stripe.test")
    assert "https" not in client()._session().proxies  # NO_PROXY still bypasses it


def test_a_body_cut_short_is_retried(http: requests_mock.Mocker) -> None:
    """The body is read in one go from the stream; a connection dropped mid-body (urllib3's
    ProtocolError from an IncompleteRead) is retried like a truncated body."""
    import io
    from http.client import IncompleteRead

    import urllib3

    class Dropped(io.BytesIO):
        def read(self, *args: Any) -> bytes:
            raise IncompleteRead(b'{"object": "list", "da', 200)

    raw = urllib3.HTTPResponse(body=Dropped(), status=200, preload_content=False)
    with pytest.raises(urllib3.exceptions.ProtocolError):
        urllib3.HTTPResponse(body=Dropped(), status=200, preload_content=False).read()
    http.get(URL, [{"raw": raw}, {"json": list_object([{"id": "ch_1"}])}])
    sleeps = Sleeps()
    page = client(sleeps).list_page("/v1/charges")
    assert [o["id"] for o in page.data] == ["ch_1"]
    assert len(sleeps.calls) == 1  # one retry


@pytest.mark.parametrize("retry_after", ["7", "date"])
def test_retry_after_is_honoured(http: requests_mock.Mocker, retry_after: str) -> None:
    """A 429/503 with `Retry-After` waits at least that long before the next request (backoff alone
    would have retried after ~0.01 s); an HTTP-date value counts from now."""
    sleeps = Sleeps()
    header = email.utils.formatdate(time.time() + 7, usegmt=True) if retry_after == "date" else retry_after
    http.get(
        URL,
        [
            {"status_code": 429, "headers": {"Retry-After": header}, "json": {"error": {"message": "slow down"}}},
            {"json": list_object([{"id": "ch_1"}])},
        ],
    )
    assert client(sleeps).get("/v1/charges")["data"] == [{"id": "ch_1"}]
    assert http.call_count == 2
    assert sleeps.now >= 6.0  # the date form loses up to a second to its resolution


def test_retry_after_holds_every_thread() -> None:
    """The server's wait applies to the whole client: the shared limiter hands out no token meanwhile."""
    sleeps = Sleeps()
    limiter = RateLimiter(0, clock=sleeps.clock, sleep=sleeps)
    assert limiter.acquire() == 0.0
    limiter.hold(3.0)
    assert limiter.acquire() == pytest.approx(3.0)
    assert limiter.acquire() == 0.0


def test_a_host_that_does_not_resolve_fails_at_once() -> None:
    """No network or a wrong api_base is not a passing fault: one attempt, a message saying what to check."""
    sleeps = Sleeps()
    api = StripeClient(KEY, api_base="http://api.stripe.invalid", sleep=sleeps, clock=sleeps.clock)
    started = time.monotonic()
    with pytest.raises(StripeRequestError, match=r"cannot resolve the host 'api\.stripe\.invalid'") as info:
        api.get("/v1/charges")
    assert sleeps.calls == [] and api.stats.requests == 1
    assert time.monotonic() - started < 10
    assert "SOURCES__STRIPE__API_BASE" in str(info.value)


def test_an_api_base_that_is_not_a_url_is_named() -> None:
    with pytest.raises(StripeRequestError, match="not an http"):
        StripeClient(KEY, api_base="api.stripe.com").get("/v1/charges")
