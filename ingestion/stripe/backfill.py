"""First loads listed ahead of dlt's load step (DECISIONS.md I11): `Backfill` and its `Prefetch` queues.

When several resources have no cursor yet, the pipeline runs dlt once per resource while `Backfill`
lists the following resources in background threads into bounded queues; each resource's dlt run
drains its queue. The listing works on a copy of the resource state and hands the cursors over only
with the resource's last package, so they are committed with the rows, as without prefetching.
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


class _Failed:
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


class Prefetch:
    """One resource's first (full) listing run ahead of its dlt run, into a bounded queue (I11).

    The extractor works on a copy of the resource state; `drain` yields the queued items inside
    the resource's own dlt run and only then copies the cursors into dlt's resource state, so they
    are committed in the load package that holds the rows, as without prefetching."""

    def __init__(self, ctx: SourceContext, spec: ResourceSpec, state: dict[str, Any], max_items: int) -> None:
        self.extractor = extractor(ctx, spec, state)
        self.state = state
        self.queue: queue.Queue[Any] = queue.Queue(maxsize=max_items)
        self.cancelled = threading.Event()
        self.hints: list[Any] = []
        self.finished = False

    def _put(self, item: Any) -> bool:
        while not self.cancelled.is_set():
            try:
                self.queue.put(item, timeout=0.2)
                return True
            except queue.Full:
                continue
        return False

    def produce(self) -> None:
        items = self.extractor.run()
        try:
            for item in items:
                if item is not None and not self._put(item):
                    return
        except BaseException as exc:  # handed to the dlt run that drains this queue
            self._put(_Failed(exc))
        else:
            self._put(_DONE)
        finally:
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
            rows += getattr(getattr(item, "data", None), "num_rows", 0) or 0
            yield item


class Backfill:
    """Overlaps first loads with dlt's load step (I11): resources with no cursor are listed by
    `workers` background threads, resource after resource, into queues of at most `max_items`
    Arrow batches, while the pipeline runs one dlt run (extract → normalize → load, one load
    package) per resource; `package_rows` cuts a resource into several packages (its cursors in the
    last), off by default because it made the large backfill slower. Injected into `stripe_source`."""

    def __init__(self, workers: int = 3, max_items: int = 200, package_rows: int | None = None) -> None:
        self.workers = workers
        self.max_items = max_items
        self.package_rows = package_rows
        self.ctx: SourceContext | None = None
        self.specs: dict[str, ResourceSpec] = {}
        self._prefetched: dict[str, Prefetch] = {}
        self._pool: ThreadPoolExecutor | None = None

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
            prefetch = Prefetch(ctx, self.specs[name], copy.deepcopy(dict(states.get(name) or {})), self.max_items)
            self._prefetched[name] = prefetch
            self._pool.submit(prefetch.produce)

    def drain(self, resource: str, state: dict[str, Any]) -> Iterator[Any] | None:
        """The items of `resource`'s next package, or None when it is not prefetched."""
        prefetch = self._prefetched.get(resource)
        return None if prefetch is None else prefetch.drain(state, self.package_rows)

    def finished(self, resource: str) -> bool:
        prefetch = self._prefetched.get(resource)
        return prefetch is None or prefetch.finished

    def close(self) -> None:
        for prefetch in self._prefetched.values():
            prefetch.cancelled.set()
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
        self._prefetched.clear()
