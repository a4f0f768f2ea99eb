"""HTTP to the Stripe API: auth, pinned version, Connect header, Stripe's clock, rate limit, retries.

One `StripeClient` is shared by every thread of a run: it owns one `RateLimiter`, whose pace follows
Stripe's 429s (I15: no fixed cap unless one is configured; all threads together stay under what the
account accepts), and one `requests.Session` per thread.

Retries (docs/REFERENCE.md §1): 429, 409, 5xx, timeouts, dropped connections and truncated or invalid
JSON bodies are retried with exponential backoff and jitter; the `Stripe-Should-Retry` header, when
present, overrides the status-based decision, and a `Retry-After` holds every thread's requests
(the shared limiter) for at least that long. A host that does not resolve fails at once: that is no
network or a wrong `api_base`, not a passing fault. Retrying stops after `RetryPolicy.max_attempts`
attempts or `RetryPolicy.max_elapsed` seconds, whichever comes first, with a message that says so.
The loop is written here rather than delegated to urllib3's `Retry` (it retries inside urllib3,
past the shared limiter, and before the body is read) or tenacity (DECISIONS.md A1).

Answers Stripe refuses become the exceptions of `errors.py`. The API key is only ever put in the
`Authorization` header: it never appears in messages or logs.
"""

from __future__ import annotations

import email.utils
import math
import os
import random
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
import requests
import urllib3

from ingestion.stripe.errors import (
    StripeAuthError,
    StripeRequestError,
    StripeRetryError,
    error_from_response,
    error_suffix,
    request_id,
)
from ingestion.stripe.raw_json import DecodeError, RawObject, RawPage, decode_list

# D1: the version the pinned SDK (stripe==16.1.0) declares; sent on every request.
STRIPE_API_VERSION = "2026-10-28.endive"
DEFAULT_API_BASE = "https://api.stripe.com"
USER_AGENT = "stripe-revenue/0.1 (+dlt)"

Params = Mapping[str, Any]


# --- rate limit ----------------------------------------------------------------------------------


class RateLimiter:
    """The pace of a run's requests, shared by every thread; it follows the server's 429s (I15).

    `rate=None` (the default): no pace at all until the server answers 429, then a little under the
    rate it accepted in the last second (`DECREASE`), rising by `INCREASE` for every second in which the
    pace held a request back, up to the next 429 (additive increase, multiplicative decrease: how TCP
    finds a link's capacity). `rate > 0`: the same, never above `rate` (a cap the user chose).
    `rate <= 0`: never paces. A `Retry-After` holds every thread (`hold`). Requests are scheduled by
    GCRA (each takes the next free instant, `capacity` at once at most), so a waiting thread sleeps once
    instead of polling a bucket with every other one.
    """

    DECREASE = 0.98  # of the accepted rate, at a 429 (0.95 and 0.99 measured too: DECISIONS.md I15)
    INCREASE = 0.01  # of the rate, per second the pace held requests back (at least 1 request/s)
    MAX_CUT = 0.75  # one cut keeps at least this share of the pace (it recovers by only ~1 % a second)
    MIN_RATE = 1.0
    COOLDOWN = 1.0  # seconds after a cut in which 429s (answers to requests sent before it) cut no more
    WINDOW = 1.0  # seconds of answers the accepted rate is measured over

    def __init__(
        self,
        rate: float | None = None,
        burst: float | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.ceiling = float(rate) if rate is not None and rate > 0 else None
        self.adaptive = rate is None or rate > 0
        self.rate = self.ceiling or math.inf  # the current pace; inf: none
        self._burst = burst
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._tat = clock()  # GCRA's theoretical arrival time of the next request
        self._held_until = 0.0  # no request before this instant (the server's Retry-After)
        self._accepted: deque[float] = deque()  # when the answers of the last WINDOW seconds came
        self._last_change = clock()  # of the pace, up or down
        self._last_cut = -math.inf
        self._first_answer: float | None = None
        self._pressed = False  # the pace made a request wait since the last change
        self.cuts = 0  # times a 429 lowered the pace

    @property
    def capacity(self) -> float:
        """Requests that may go at once after a pause: `burst`, else 50 ms worth of the rate (a burst
        above the server's limit within its window is what trips it)."""
        if self._burst is not None:
            return max(1.0, float(self._burst))
        return max(1.0, self.rate * 0.05) if math.isfinite(self.rate) else math.inf

    def hold(self, seconds: float) -> None:
        """Hand out no request for `seconds`, to every thread: the server asked the whole client to wait."""
        with self._lock:
            self._held_until = max(self._held_until, self._clock() + seconds)

    def acquire(self) -> float:
        """Wait for this request's instant; returns the seconds waited."""
        waited = 0.0
        while True:
            with self._lock:
                now = self._clock()
                wait = self._held_until - now
                if wait <= 0:
                    if not math.isfinite(self.rate):
                        return waited
                    interval = 1.0 / self.rate
                    slot = max(now, self._tat - (self.capacity - 1.0) * interval)
                    self._tat = max(self._tat, now) + interval
                    wait = slot - now
                    if wait <= 1e-9:
                        return waited
                    self._pressed = True
            self._sleep(wait)
            waited += wait
            with self._lock:  # a Retry-After that came while this request slept holds it too
                if self._held_until <= self._clock():
                    return waited

    def succeeded(self) -> None:
        """A request was answered: it counts toward the accepted rate, and after a second of holding
        requests back without a 429 the pace rises."""
        if not self.adaptive:
            return
        with self._lock:
            now = self._clock()
            if self._first_answer is None:
                self._first_answer = now
            self._accepted.append(now)
            while self._accepted[0] <= now - self.WINDOW:
                self._accepted.popleft()
            if self._pressed and math.isfinite(self.rate) and now - self._last_change >= 1.0:
                raised = self.rate + max(1.0, self.rate * self.INCREASE)
                self.rate = min(raised, self.ceiling) if self.ceiling else raised
                self._last_change = now
                self._pressed = False

    def throttled(self) -> None:
        """The server answered 429: pace a little under what it accepted in the last second."""
        if not self.adaptive:
            return
        with self._lock:
            now = self._clock()
            if now - self._last_cut < self.COOLDOWN:
                return  # an answer to a request sent before the last cut
            while self._accepted and self._accepted[0] <= now - self.WINDOW:
                self._accepted.popleft()
            # over the last second, or since the first answer when the run is younger than that
            span = min(self.WINDOW, now - self._first_answer) if self._first_answer is not None else self.WINDOW
            accepted = len(self._accepted) / max(span, 0.05)
            target = min(self.rate, accepted) * self.DECREASE
            if math.isfinite(self.rate):  # a client short of CPU answers few requests: never cut too deep
                target = max(target, self.rate * self.MAX_CUT)
            self.rate = max(self.MIN_RATE, target)
            self._last_change = self._last_cut = now
            self._pressed = False
            self.cuts += 1


class _BearerAuth(requests.auth.AuthBase):
    """`Authorization: Bearer <key>`; never shows the key in its repr."""

    def __init__(self, api_key: str) -> None:
        self._api_key = api_key

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self._api_key}"
        return request

    def __repr__(self) -> str:
        return "_BearerAuth(***)"


# --- retries -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RetryPolicy:
    """How long to keep retrying. Backoff before attempt n+1: `min(cap, base·2ⁿ)`, jittered ±50 %."""

    max_attempts: int = 8
    max_elapsed: float = 300.0
    backoff_base: float = 0.5
    backoff_max: float = 30.0
    connect_timeout: float = 10.0
    read_timeout: float = 80.0

    def delay(self, retry_number: int, rng: random.Random) -> float:
        ceiling = min(self.backoff_max, self.backoff_base * (2**retry_number))
        return ceiling / 2 + rng.uniform(0, ceiling / 2)


class _Retryable(Exception):
    def __init__(self, reason: str, response: requests.Response | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.response = response
        self.retry_after = _retry_after(response)


def _retry_after(response: requests.Response | None) -> float | None:
    """Seconds the server asked to wait (`Retry-After`: seconds, or an HTTP date), None if it did not."""
    value = response.headers.get("Retry-After") if response is not None else None
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, email.utils.parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


@dataclass
class ClientStats:
    requests: int = 0
    retries: int = 0
    rate_limited: int = 0
    seconds_waiting_for_rate_limit: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, **deltas: float) -> None:
        with self._lock:
            for name, value in deltas.items():
                setattr(self, name, getattr(self, name) + value)


@dataclass(frozen=True)
class ListPage:
    """One page of a list endpoint. `requested_at`: server time (unix s) when it was requested.

    `data` holds dicts, or `RawObject`s (the bytes as sent, I10) when the page was read with `raw=True`."""

    data: list[dict[str, Any]] | Sequence[RawObject]  # `RawPage` for raw list pages (I12)
    has_more: bool
    requested_at: int


class StripeClient:
    """GET-only Stripe API client used by the dlt source. Safe to share between threads."""

    def __init__(
        self,
        api_key: str,
        *,
        api_base: str = DEFAULT_API_BASE,
        account_id: str | None = None,
        api_version: str | None = None,
        max_requests_per_second: float | None = None,
        retry: RetryPolicy | None = None,
        session_factory: Callable[[], requests.Session] = requests.Session,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
    ) -> None:
        if not api_key:
            raise StripeAuthError(
                "No Stripe API key configured: set SOURCES__STRIPE__API_KEY (or sources.stripe.api_key "
                "in .dlt/secrets.toml) to a secret key (sk_...) or a restricted key (rk_...)."
            )
        self._api_key = api_key
        self.api_base = api_base.rstrip("/")
        self.account_id = account_id or None
        self.api_version = api_version or STRIPE_API_VERSION
        # None: no fixed cap, the pace follows Stripe's 429s; > 0: a cap as well; 0: never paced (I15)
        self.limiter = RateLimiter(max_requests_per_second, sleep=sleep, clock=clock)
        self.retry = retry or RetryPolicy()
        self._session_factory = session_factory
        self._local = threading.local()
        self._sleep = sleep
        self._clock = clock  # measures the retry budget (tests pass one their `sleep` advances)
        self._rng = rng or random.Random()
        self._rng_lock = threading.Lock()
        self._clock_offset = 0.0  # server clock − local clock, from the `Date` response header
        self._clock_synced = False
        self.stats = ClientStats()

    def __repr__(self) -> str:  # never show the key
        return f"StripeClient(api_base={self.api_base!r}, account_id={self.account_id!r})"

    @property
    def is_test_mode(self) -> bool:
        return self._api_key.startswith(("sk_test_", "rk_test_"))

    # -- clock -----------------------------------------------------------------------------------

    def now(self) -> int:
        """Current unix time as the server sees it (local clock corrected by the last `Date` header)."""
        return int(time.time() + self._clock_offset)

    @property
    def clock_synced(self) -> bool:
        return self._clock_synced

    def sync_clock(self, path: str, params: Params | None = None) -> int:
        """Learn the server's clock (one cheap request, `limit=1` on `path`) unless already known.

        Cursors and `state_at` compare Stripe timestamps, so they use Stripe's clock, not ours.
        """
        if not self._clock_synced:
            self.get(path, {**(params or {}), "limit": 1})
        return self.now()

    def _observe_date(self, response: requests.Response) -> float | None:
        self._clock_synced = True  # without a `Date` header, the local clock is all there is
        value = response.headers.get("Date")
        if not value:
            return None
        try:
            server = email.utils.parsedate_to_datetime(value).timestamp()
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
        offset = server - time.time()
        # `Date` has one-second resolution: ignore sub-second jitter around the local clock
        self._clock_offset = offset if abs(offset) > 2 else 0.0
        self._clock_synced = True
        return server

    # -- HTTP ------------------------------------------------------------------------------------

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._session_factory()
            # the key as the session's auth (not a default header): requests then skips its search
            # for ~/.netrc on every request, a file-system lookup per page
            session.auth = _BearerAuth(self._api_key)
            session.headers.update(
                {
                    "Stripe-Version": self.api_version,
                    "User-Agent": USER_AGENT,
                }
            )
            if self.account_id:
                session.headers["Stripe-Account"] = self.account_id
            if session.trust_env:
                # the environment's proxies and CA bundle read once here, not on every request as
                # requests does (a third of its own CPU per page, I12); same precedence as requests
                session.proxies = {**requests.utils.get_environ_proxies(self.api_base), **session.proxies}
                if session.verify is True:
                    session.verify = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
                session.trust_env = False
            self._local.session = session
        return session

    def get(self, path: str, params: Params | None = None) -> dict[str, Any]:
        """GET `path` (e.g. `/v1/charges`) and return the decoded JSON object, retrying as configured."""
        return self.get_timed(path, params)[0]

    def get_timed(
        self, path: str, params: Params | None = None, *, raw_list: bool = False, embedded: tuple[str, ...] = ()
    ) -> tuple[dict[str, Any], int]:
        """Like `get`, plus the server time (unix s) at which the successful request was sent.

        That time is rounded down so an object read in the response was in that state at or after
        it (listed rows use it as `state_at`, which later events are compared with).
        `raw_list`: a list page comes back as `{"data": [RawObject, ...], "has_more": bool}`, with the
        `embedded` list fields of each object sliced out as it is read.
        """
        url = self.api_base + path
        started = self._clock()
        attempt = 0
        while True:
            attempt += 1
            waited = self.limiter.acquire()
            self.stats.add(requests=1, seconds_waiting_for_rate_limit=waited)
            sent_local = time.time()
            sent_mono = time.monotonic()
            try:
                body, server_date = self._attempt(url, path, params, raw_list, embedded)
            except _Retryable as exc:
                elapsed = self._clock() - started
                with self._rng_lock:
                    delay = self.retry.delay(attempt - 1, self._rng)
                if exc.retry_after is not None:  # the server's wait, for every thread (the limiter holds)
                    delay = max(delay, exc.retry_after)
                    self.limiter.hold(exc.retry_after)
                if attempt >= self.retry.max_attempts or elapsed + delay > self.retry.max_elapsed:
                    raise StripeRetryError(
                        f"Stripe GET {path} still failing after {attempt} attempts over {elapsed:.1f} s "
                        f"(last error: {exc.reason}); giving up. Nothing was lost: the cursors only "
                        "advance with loaded data, so run again later.",
                        status=exc.response.status_code if exc.response is not None else None,
                        request_id=request_id(exc.response),
                    ) from None
                self.stats.add(retries=1)
                self._sleep(delay)
                continue
            if server_date is not None:
                sent = server_date - (time.monotonic() - sent_mono)  # `Date` is truncated: a floor
            else:
                sent = sent_local + self._clock_offset
            return body, int(sent)

    def _attempt(
        self, url: str, path: str, params: Params | None, raw_list: bool = False, embedded: tuple[str, ...] = ()
    ) -> tuple[dict[str, Any], float | None]:
        """One request: the decoded body and the server's `Date`, or `_Retryable`, or a `StripeError`."""
        response, content = self._send(url, params)
        server_date = self._observe_date(response)
        status = response.status_code
        if status == 429:
            self.stats.add(rate_limited=1)
            self.limiter.throttled()  # the pace drops under what Stripe accepted (I15)
        else:
            self.limiter.succeeded()
        if status == 200:
            return _decode(content, response, raw_list, embedded), server_date
        should_retry = response.headers.get("Stripe-Should-Retry", "").strip().lower()
        if should_retry == "true" or (should_retry != "false" and (status in (409, 429) or status >= 500)):
            raise _Retryable(f"HTTP {status}{error_suffix(response)}", response)
        raise error_from_response(response, path, self.account_id)

    def _send(self, url: str, params: Params | None) -> tuple[requests.Response, bytes]:
        """GET on this thread's session, the body read whole; transport failures are `_Retryable`,
        except those retrying cannot fix (a host that does not resolve, an API base that is no URL)."""
        try:
            session = self._session()
            request = requests.PreparedRequest()
            request.prepare(method="GET", url=url, headers=session.headers, params=params, auth=session.auth)
            # Prepared and sent as is: Session.request would merge the session's settings, cookies
            # and environment into every request; the body is read below in one go (`.content`
            # reads 10 KB chunks). Together half of requests' CPU per page (I12).
            response = session.send(
                request,
                stream=True,
                allow_redirects=False,  # Stripe's API does not redirect
                timeout=(self.retry.connect_timeout, self.retry.read_timeout),
                verify=session.verify,
                proxies=session.proxies,
                cert=session.cert,
            )
            return response, _read_body(response) if response.status_code == 200 else response.content
        except requests.exceptions.ConnectionError as exc:
            if _is_name_resolution_failure(exc):  # no network or a wrong api_base: retrying will not help
                host = urllib3.util.parse_url(url).host
                raise StripeRequestError(
                    f"cannot resolve the host {host!r} of {self.api_base}: no network connection, or a wrong "
                    "SOURCES__STRIPE__API_BASE (default https://api.stripe.com). Check both and run again."
                ) from None
            raise _Retryable(f"{type(exc).__name__}: {exc}") from None
        except (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema, requests.exceptions.InvalidSchema):
            raise StripeRequestError(
                f"SOURCES__STRIPE__API_BASE is not an http(s) URL: {self.api_base!r} (default https://api.stripe.com)"
            ) from None
        except (
            requests.exceptions.Timeout,
            requests.exceptions.ChunkedEncodingError,
            requests.exceptions.ContentDecodingError,
            urllib3.exceptions.HTTPError,  # reading the body: IncompleteRead, read timeout, bad gzip
        ) as exc:
            raise _Retryable(f"{type(exc).__name__}: {exc}") from None

    # -- lists -----------------------------------------------------------------------------------

    def list_page(
        self,
        path: str,
        params: Params | None = None,
        *,
        starting_after: str | None = None,
        limit: int = 100,
        raw: bool = False,
        embedded: tuple[str, ...] = (),
    ) -> ListPage:
        """One page of a list endpoint (newest first); `raw`: objects as `RawObject`s (I10), their
        `embedded` list fields sliced out in the same pass."""
        query: dict[str, Any] = dict(params or {})
        query["limit"] = limit
        if starting_after:
            query["starting_after"] = starting_after
        body, requested_at = self.get_timed(path, query, raw_list=raw, embedded=embedded)
        data = body.get("data")
        if not isinstance(data, list | RawPage):
            raise StripeRequestError(f"Stripe GET {path} did not answer with a list object")
        return ListPage(data=data, has_more=bool(body.get("has_more")), requested_at=requested_at)

    def list_pages(
        self,
        path: str,
        params: Params | None = None,
        *,
        starting_after: str | None = None,
        limit: int = 100,
        raw: bool = False,
    ) -> Iterator[ListPage]:
        """Every page of a list endpoint, following `starting_after` until `has_more` is false."""
        cursor = starting_after
        while True:
            page = self.list_page(path, params, starting_after=cursor, limit=limit, raw=raw)
            yield page
            if not page.has_more or not page.data:
                return
            cursor = page.data[-1]["id"]


def _is_name_resolution_failure(exc: BaseException) -> bool:
    """Whether a connection error is a DNS failure (urllib3's NameResolutionError somewhere inside)."""
    seen: set[int] = set()
    stack: list[Any] = [exc]
    while stack:
        current = stack.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, urllib3.exceptions.NameResolutionError):
            return True
        stack.extend([getattr(current, "reason", None), current.__cause__, current.__context__])
        stack.extend(arg for arg in getattr(current, "args", ()) if isinstance(arg, BaseException))
    return False


def _read_body(response: requests.Response) -> bytes:
    """The whole body of a streamed response in one read. Once the body is read to its end urllib3
    has put the connection back in the pool; one cut short is closed here, not reused."""
    try:
        return response.raw.read(decode_content=True) or b""
    finally:
        response.close()


def _decode(content: bytes, response: requests.Response, raw_list: bool, embedded: tuple[str, ...]) -> dict[str, Any]:
    """A 200's body: a list page kept as bytes (`raw_list`, I10), else the decoded JSON object; a
    truncated or invalid body is `_Retryable`."""
    if raw_list:
        try:
            page = decode_list(content, embedded)
        except DecodeError:
            raise _Retryable(f"truncated or invalid JSON body ({len(content)} bytes)", response) from None
        if page is not None:
            return {"data": page[0], "has_more": page[1]}
        # valid JSON but not a list page: decoded below, where its shape is judged
    try:
        body = orjson.loads(content)
    except orjson.JSONDecodeError:
        raise _Retryable(f"truncated or invalid JSON body ({len(content)} bytes)", response) from None
    if not isinstance(body, dict):
        raise _Retryable("response body is not a JSON object", response)
    return body
