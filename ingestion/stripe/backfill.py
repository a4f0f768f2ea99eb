"""First loads listed ahead of dlt's load step (DECISIONS.md I11, I15): `Backfill` and its `Prefetch` queues.

When several resources have no cursor yet, `Backfill` lists them in background threads into bounded
queues while the pipeline runs dlt on what is ready: `next_group` says which resources the next dlt
run takes (every resource listed by then, so a small account is one dlt run and a large one overlaps
its loads with the listing of what follows), and each run drains their queues. The listing works on
a copy of the resource state and hands the cursors over only with the resource's last package, so
they are committed with the rows, as without prefetching.
"""

from __future__ import annotations

import copy
import dataclasses
import queue
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from dlt.extract.hints import HintsMeta

from ingestion.stripe.context import SourceContext
from ingestion.stripe.extract import extractor
from ingestion.stripe.settings import ResourceSpec
from ingestion.stripe.stored import EmptyWarehouse


class _Known(EmptyWarehouse):
    """What a prefetched first load may ask the destination: only whether its tables hold rows,
    answered in the main thread before the prefetch starts (no DuckDB access from other threads)."""

    def __init__(self, has_rows: dict[str, bool]) -> None:
        self._has_rows = has_rows

    def has_rows(self, table: str) -> bool:
        return self._has_rows[table]


_DONE = object()


def _rows(item: Any) -> int:
    """Rows of a queued item: an Arrow table (with its table name) or a hint without rows."""
    return getattr(getattr(item, "data", item), "num_rows", 0) or 0


class _Failed:
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


class Prefetch:
    """One resource's first (full) listing run ahead of its dlt run, into a bounded queue (I11).

    The extractor works on a copy of the resource state; `drain` yields the queued items inside
    the resource's own dlt run and only then copies the cursors into dlt's resource state, so they
    are committed in the load package that holds the rows, as without prefetching."""

    def __init__(
        self,
        ctx: SourceContext,
        spec: ResourceSpec,
        state: dict[str, Any],
        max_items: int,
        progress: threading.Condition | None = None,
    ) -> None:
        self.extractor = extractor(ctx, spec, state)
        self.state = state
        self.queue: queue.Queue[Any] = queue.Queue(maxsize=max_items)
        self.cancelled = threading.Event()
        self.hints: list[Any] = []
        self.finished = False  # drained to the end: the cursors are in dlt's state
        self.listed = False  # the listing ended (everything, or a failure, is in the queue)
        self.put_rows = 0  # rows queued by the listing thread
        self.taken_rows = 0  # rows taken by dlt runs
        self._progress = progress or threading.Condition()

    @property
    def queued_rows(self) -> int:
        return self.put_rows - self.taken_rows

    def _put(self, item: Any) -> bool:
        while not self.cancelled.is_set():
            try:
                self.queue.put(item, timeout=0.2)
                return True
            except queue.Full:
                continue
        return False

    def _notify(self, rows: int = 0, listed: bool = False) -> None:
        with self._progress:
            self.put_rows += rows
            self.listed = self.listed or listed
            self._progress.notify_all()

    def produce(self) -> None:
        items = self.extractor.run()
        try:
            for item in items:
                if item is not None:
                    if not self._put(item):
                        return
                    self._notify(_rows(item))
        except BaseException as exc:  # handed to the dlt run that drains this queue
            self._put(_Failed(exc))
        else:
            self._put(_DONE)
        finally:
            self._notify(listed=True)
            items.close()

    def drain(self, state: dict[str, Any], max_rows: int | None = None) -> Iterator[Any]:
        """Yield queued items; stop after `max_rows` rows (the rest goes to the next dlt run of the
        resource, whose package carries no cursor until the last one) or when the listing ended,
        then copy the extractor's cursors into dlt's `state`."""
        yield from list(self.hints)  # every package of the resource gets its first-load hints again
        rows = 0
        while max_rows is None or rows < max_rows:
            item = self.queue.get()
            if item is _DONE:
                state.update(self.state)
                self.finished = True
                return
            if isinstance(item, _Failed):
                self.finished = True
                raise item.exc
            if isinstance(getattr(item, "meta", None), HintsMeta):
                self.hints.append(item)
            n = _rows(item)
            rows += n
            self.taken_rows += n
            yield item


class Backfill:
    """Overlaps first loads with dlt's load step (I11, I15): resources with no cursor are listed by
    `workers` background threads, resource after resource, into queues of at most `max_items`
    Arrow batches, while the pipeline runs dlt (extract → normalize → load, one load package) on the
    groups `next_group` forms: a dlt run costs ~0.2–0.6 s whatever it loads, so it waits for
    `group_rows` rows, or for every listing to end. `package_rows` cuts a resource into several
    packages (its cursors in the last), off by default because it made the large backfill slower.
    Six listings at once rather than three: a listing's tail (slices too dense to split further)
    keeps few requests in flight, and others listed meanwhile fill the server's rate limit (I15).
    Injected into `stripe_source`."""

    def __init__(
        self, workers: int = 6, max_items: int = 200, package_rows: int | None = None, group_rows: int = 50_000
    ) -> None:
        self.workers = workers
        self.max_items = max_items
        self.package_rows = package_rows
        self.group_rows = group_rows
        self.ctx: SourceContext | None = None
        self.specs: dict[str, ResourceSpec] = {}
        self._prefetched: dict[str, Prefetch] = {}
        self._pool: ThreadPoolExecutor | None = None
        self._progress = threading.Condition()  # notified whenever a listing queues rows or ends

    def bind(self, ctx: SourceContext, specs: Sequence[ResourceSpec]) -> None:
        self.ctx = ctx
        self.specs = {ctx.table(spec.name): spec for spec in specs}

    def tables_of(self, resource: str) -> list[str]:
        assert self.ctx is not None
        return [self.ctx.table(t) for t in self.specs[resource].tables]

    def start(self, resources: Sequence[str], states: dict[str, Any], has_rows: dict[str, bool]) -> None:
        """Start listing `resources` (in order) from copies of their `states`; `has_rows` answers
        `Warehouse.has_rows` for their tables."""
        assert self.ctx is not None
        ctx = dataclasses.replace(self.ctx, warehouse=_Known(has_rows))
        self._pool = ThreadPoolExecutor(max_workers=max(1, self.workers), thread_name_prefix="stripe-prefetch")
        for name in resources:
            state = copy.deepcopy(dict(states.get(name) or {}))
            prefetch = Prefetch(ctx, self.specs[name], state, self.max_items, self._progress)
            self._prefetched[name] = prefetch
            self._pool.submit(prefetch.produce)

    def drain(self, resource: str, state: dict[str, Any]) -> Iterator[Any] | None:
        """The items of `resource`'s next package, or None when it is not prefetched."""
        prefetch = self._prefetched.get(resource)
        return None if prefetch is None else prefetch.drain(state, self.package_rows)

    def finished(self, resource: str) -> bool:
        prefetch = self._prefetched.get(resource)
        return prefetch is None or prefetch.finished

    def next_group(self, pending: Sequence[str], timeout: float | None = None) -> list[str]:
        """The resources the next dlt run takes, in `pending`'s order (I15).

        Waits until every pending listing has ended or `group_rows` rows wait in their queues; then
        takes every resource whose listing ended and, when those hold fewer than `group_rows` rows,
        the one still listing with the most rows queued (its dlt run drains it to its end). So an
        account smaller than `group_rows` is one dlt run, and a larger one starts loading as soon as
        a run has enough rows to be worth its fixed cost. The resource added is always one whose
        listing has started, so a run never waits for a listing that no thread will do."""
        pending = [name for name in pending if name in self._prefetched]
        if not pending:
            return []
        prefetched = [self._prefetched[name] for name in pending]

        def ready() -> bool:
            return (
                all(p.listed for p in prefetched)
                or sum(p.queued_rows for p in prefetched) >= self.group_rows
                or any(p.queue.full() for p in prefetched)  # a listing waits for its queue to be drained
            )

        with self._progress:
            self._progress.wait_for(ready, timeout)
            listed = [p for p in prefetched if p.listed]
            listing = [p for p in prefetched if not p.listed]
            group = set(map(id, listed))
            if listing and (not listed or sum(p.queued_rows for p in listed) < self.group_rows):
                busiest = max(listing, key=lambda p: (p.queue.full(), p.queued_rows))
                if busiest.queued_rows > 0:
                    group.add(id(busiest))
                elif not listed:  # never an empty run: the first listing started (pending order)
                    group.add(id(listing[0]))
        return [name for name, p in zip(pending, prefetched, strict=True) if id(p) in group]

    def close(self) -> None:
        for prefetch in self._prefetched.values():
            prefetch.cancelled.set()
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
        self._prefetched.clear()
