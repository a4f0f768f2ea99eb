"""Parallel listing: page a Stripe list over `created` slices on a pool of threads (I6).

docs/REFERENCE.md §1: "split the `created` range into slices and page each slice independently".
Instead of guessing fixed slices (an account's objects are rarely spread evenly over time), the
range is split by work stealing: a worker paging the slice `[lo, hi)` that sees an idle worker and
no queued slice keeps what it would read in about `keep_pages` more pages at the density of its
last page, `[mid, oldest]`, hands off everything older, `[lo, mid)`, and continues with
`created[gte]=mid` from its current `starting_after` cursor. Work thus spreads over every worker
within a few pages whatever the distribution over time (a slice found empty costs one request),
with no gaps and no overlaps between slices.

Each page is handed to `handle` in the worker thread (where sub-lists can be fetched and Arrow
tables built) and the results are yielded in completion order through a bounded queue, so memory
stays flat however large the account. All workers share the client's rate limiter.

`list_resource` lists one resource that way, and `Listed` keeps what its listing saw (the newest
`created`, the next cursor; the ids, when a relisting must sweep the rest).
"""

from __future__ import annotations

import contextlib
import queue
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from ingestion.stripe.client import ListPage, StripeClient
from ingestion.stripe.context import POLL_SECONDS, ResourceStats, SourceContext
from ingestion.stripe.errors import StripeRequestError
from ingestion.stripe.pages import PageReader, PageResult
from ingestion.stripe.rows import TableBatcher
from ingestion.stripe.settings import ResourceSpec

R = TypeVar("R")
SHUTDOWN_WAIT_SECONDS = 5.0


@dataclass(frozen=True)
class Slice:
    """List `params` restricted to `lo <= created < hi` (`None` or 0: unbounded on that side)."""

    params: Mapping[str, Any] = field(default_factory=dict)
    lo: int | None = None
    hi: int | None = None

    def query(self, lo: int | None = None) -> dict[str, Any]:
        query = dict(self.params)
        start = self.lo if lo is None else lo
        if start:
            query["created[gte]"] = start
        if self.hi is not None:
            query["created[lt]"] = self.hi
        return query


class _Failure:
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


_DONE = object()


class ParallelLister(Generic[R]):
    """Iterate `handle(page, slice)` over every page of every slice, `workers` pages at a time."""

    def __init__(
        self,
        client: StripeClient,
        path: str,
        slices: list[Slice],
        handle: Callable[[ListPage, Slice], R],
        *,
        workers: int = 4,
        page_size: int = 100,
        split: bool = True,
        keep_pages: int = 2,
        raw: bool = False,
        embedded: tuple[str, ...] = (),
        start_workers: int | None = None,
    ) -> None:
        self.client = client
        self.path = path
        self.handle = handle
        self.workers = max(1, int(workers))
        self.page_size = page_size
        self.split = split
        self.raw = raw  # pages hold `RawObject`s (I10)
        self.embedded = embedded  # list fields sliced out of each object as it is read
        self.keep_pages = max(1, keep_pages)
        # threads started up front; the others (up to `workers`) only when a page says there is more
        # to split: an incremental run's list is usually one page, and a thread start costs (I15)
        self.start_workers = self.workers if start_workers is None else max(1, min(self.workers, start_workers))
        self._slices: deque[Slice] = deque(slices)
        self._threads: list[threading.Thread] = []
        self._cond = threading.Condition()
        self._active = 0
        self._idle = 0
        self._stop = False
        self._out: queue.Queue[Any] = queue.Queue(maxsize=2 * self.workers)
        self.pages = 0
        self.splits = 0

    # -- consumer --------------------------------------------------------------------------------

    def __iter__(self) -> Iterator[R]:
        """Every result, blocking until each is ready."""
        for item in self.poll(None):
            if item is not None:
                yield item

    def start(self) -> ParallelLister[R]:
        """Send the first requests now (idempotent): a resource can start its lists, hand control back
        to dlt so the other resources start theirs, and read the results later (I15)."""
        with self._cond:
            if self._threads or not self._slices:
                return self
            # every slice (variant) gets a worker at once: unsplit ones never hand work to a later one
            count = max(self.start_workers, min(self.workers, len(self._slices)))
            for _ in range(count):
                self._spawn()
        return self

    def close(self) -> None:
        """Stop a lister whose results will not be read (workers end after their current request)."""
        with self._cond:
            self._stop = True
            self._cond.notify_all()

    def poll(self, wait: float | None = 0.05) -> Iterator[R | None]:
        """Every result, and `None` whenever nothing arrived within `wait` seconds.

        Lets a dlt resource hand control back to dlt's round-robin extraction (a generator yielding
        `None` yields nothing) so that all resources page Stripe at the same time.
        """
        self.start()
        finished = 0
        try:
            while True:
                with self._cond:
                    if finished >= len(self._threads):  # a worker spawns others before it is done
                        break
                try:
                    item = self._out.get(timeout=wait)
                except queue.Empty:
                    yield None
                    continue
                if item is _DONE:
                    finished += 1
                elif isinstance(item, _Failure):
                    raise item.exc
                else:
                    yield item
        finally:
            self._shutdown(list(self._threads))

    def _shutdown(self, threads: list[threading.Thread]) -> None:
        with self._cond:
            self._stop = True
            self._cond.notify_all()
        # Workers stop after their current request; do not wait for a slow one beyond a few
        # seconds (they are daemon threads and only ever write to this lister's queue).
        deadline = time.monotonic() + SHUTDOWN_WAIT_SECONDS
        while any(t.is_alive() for t in threads) and time.monotonic() < deadline:
            with contextlib.suppress(queue.Empty):
                self._out.get(timeout=0.05)

    # -- workers ---------------------------------------------------------------------------------

    def _spawn(self) -> None:
        """One more worker (call with `_cond` held): it counts as idle until it takes a slice."""
        thread = threading.Thread(target=self._worker, name=f"stripe-list-{len(self._threads)}", daemon=True)
        self._threads.append(thread)
        thread.start()

    def _put(self, item: Any) -> bool:
        while True:
            if self._stop and item is not _DONE:
                return False
            try:
                self._out.put(item, timeout=0.1)
                return True
            except queue.Full:
                if self._stop:
                    return False

    def _take(self) -> Slice | None:
        with self._cond:
            self._idle += 1
            while not self._slices and self._active > 0 and not self._stop:
                self._cond.wait()
            self._idle -= 1
            if self._stop or not self._slices:
                self._cond.notify_all()
                return None
            self._active += 1
            return self._slices.popleft()

    def _worker(self) -> None:
        try:
            while True:
                task = self._take()
                if task is None:
                    return
                try:
                    self._page_through(task)
                finally:
                    with self._cond:
                        self._active -= 1
                        self._cond.notify_all()
        except BaseException as exc:
            with self._cond:
                failed_first = not self._stop
            if failed_first:
                self._put(_Failure(exc))
            with self._cond:
                self._stop = True
                self._cond.notify_all()
        finally:
            self._put(_DONE)

    def _page_through(self, task: Slice) -> None:
        lo = task.lo
        cursor: str | None = None
        while not self._stop:
            page = self.client.list_page(
                self.path,
                task.query(lo),
                starting_after=cursor,
                limit=self.page_size,
                raw=self.raw,
                embedded=self.embedded,
            )
            with self._cond:
                self.pages += 1
            result = self.handle(page, task)
            if not self._put(result):
                return
            if not page.has_more or not page.data:
                return
            cursor = page.data[-1]["id"]
            oldest = page.data[-1].get("created")
            newest = page.data[0].get("created")
            if self.split and lo is not None and isinstance(oldest, int) and isinstance(newest, int):
                with self._cond:
                    spare = self._idle > 0 or len(self._threads) < self.workers
                    if spare and not self._slices and oldest - lo >= 2 and not self._stop:
                        # keep about `keep_pages` more pages at this page's density, hand off the rest
                        mid = oldest - (newest - oldest + 1) * self.keep_pages
                        if mid <= lo:  # less than that is left: halve it
                            mid = lo + (oldest - lo) // 2
                        self._slices.append(Slice(task.params, lo, mid))
                        self.splits += 1
                        lo = mid
                        if self._idle == 0:
                            self._spawn()
                        self._cond.notify()


@dataclass
class Listed:
    """What a resource's listing saw: objects counted, the newest `created` (the next cursor) and,
    when relisting (`seen_ids` set), every id listed: the sweep marks the others deleted (I5)."""

    stats: ResourceStats
    max_created: int | None = None
    seen_ids: set[str] | None = None
    seen_sub_ids: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))

    def add(self, result: PageResult) -> None:
        self.stats.listed += result.count
        if result.max_created is not None and (self.max_created is None or result.max_created > self.max_created):
            self.max_created = result.max_created
        if self.seen_ids is not None and result.ids is not None:
            self.seen_ids.update(result.ids)
            for name, ids in (result.sub_ids or {}).items():
                self.seen_sub_ids[name].update(ids)


def resource_lister(
    ctx: SourceContext,
    spec: ResourceSpec,
    state: dict[str, Any],
    reader: PageReader,
    lo: int,
    start_workers: int | None = None,
) -> ParallelLister[PageResult]:
    """The lister of every object of `spec` created since `lo` (all variants), not started yet."""
    split = spec.created_filter and not state.get("created_filter_unsupported")
    slices = [Slice(params, lo) if split else Slice(params) for params in spec.variant_params()]
    client_side_lo = None if split else lo
    return ParallelLister(
        ctx.client,
        spec.path,
        slices,
        lambda page, _slice: reader.rows(page, client_side_lo),  # runs in a worker thread
        workers=ctx.workers,
        page_size=ctx.page_size,
        split=split,
        raw=True,
        embedded=tuple(sub.field for sub in spec.sub_lists),
        start_workers=start_workers,
    )


def list_resource(
    ctx: SourceContext,
    spec: ResourceSpec,
    state: dict[str, Any],
    reader: PageReader,
    listed: Listed,
    out: TableBatcher,
    lo: int,
    lister: ParallelLister[PageResult] | None = None,
) -> Iterator[Any]:
    """Every object of `spec` created since `lo` (all variants), rows out through `out`; yields `None`
    while no page is ready, so dlt advances the other resources meanwhile. `lister`: the one
    `resource_lister` made for this listing, maybe started already. An endpoint that rejects the
    `created` filter is listed whole and filtered here, and the state remembers it."""
    split = spec.created_filter and not state.get("created_filter_unsupported")
    if lister is None:
        lister = resource_lister(ctx, spec, state, reader, lo)
    try:
        for result in lister.poll(POLL_SECONDS):
            if result is None:
                yield None  # nothing ready: let dlt advance the other resources meanwhile
                continue
            listed.add(result)
            yield from out.add(result.tables)
    except StripeRequestError as exc:
        if not split or exc.status != 400 or not str(exc.param or "").startswith("created"):
            raise
        # Some endpoints may not accept `created` filters: list everything, filter here.
        ctx.stats.warn(
            f"{ctx.table(spec.name)}: {spec.path} rejected the created filter "
            f"({exc.param}); listing everything and filtering locally."
        )
        state["created_filter_unsupported"] = True
        yield from list_resource(ctx, spec, state, reader, listed, out, lo)
