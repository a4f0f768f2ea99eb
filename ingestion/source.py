"""The dlt source `stripe`: one merge-on-id resource per Stripe object, loaded as Arrow tables.

Per resource and run (cursors live in the dlt resource state, which dlt commits together with the
load package holding the data, so a cursor can never be ahead of loaded data):

- **full** (no cursor yet): list everything from `start_date`, in parallel created-slices;
- **incremental**: list objects created since `created_cursor - overlap`, then read
  `/v1/events` of the resource's types since `events_cursor - overlap`, fold them into the latest
  state per object id (`events.py`) and write those states unless the warehouse already holds a
  newer one (`state_at`), marking deletions (`is_deleted`, `deleted_at`);
- **relist** (the events cursor is older than Stripe's 30-day event retention): warn, list
  everything again, and mark rows that no longer exist in Stripe as deleted.

Rows follow DECISIONS.md D2 (`arrow_rows.py`); invoice lines and subscription items come from the
parent's embedded first page plus paging the sub-list endpoint when `has_more`.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import logging
import queue
import threading
import time
from collections import defaultdict
from collections.abc import Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dlt
import pyarrow as pa
from dlt.extract.hints import HintsMeta
from dlt.extract.source import DltResource

from ingestion.account_binding import AccountBinding, bind
from ingestion.arrow_rows import DLT_COLUMN_HINTS, RowBatch, empty_table
from ingestion.events import EventFolder, should_apply
from ingestion.raw_json import RawPage
from ingestion.resources import EVENT, ResourceSpec, SubList, select_resources
from ingestion.slices import ParallelLister, Slice
from ingestion.spool import WebhookSpool, default_spool_dir
from ingestion.stripe_client import (
    DEFAULT_API_BASE,
    ListPage,
    RetryPolicy,
    StripeClient,
    StripeRequestError,
)
from ingestion.warehouse import DltWarehouse, EmptyWarehouse, Warehouse

logger = logging.getLogger("ingestion.source")

EVENTS_RETENTION_SECONDS = 30 * 86400  # Stripe keeps events for 30 days (docs/REFERENCE.md §1)
EVENTS_RETENTION_MARGIN = 3600  # re-list a little before the window closes, not after
DEFAULT_OVERLAP_SECONDS = 60
DEFAULT_BATCH_ROWS = 10_000  # rows per Arrow table handed to dlt: dlt spends ~5 ms per item (I12)
POLL_SECONDS = 0.02  # how long a resource waits for a page before letting dlt run another resource
MERGE = {"disposition": "merge", "strategy": "delete-insert"}


def parse_start(value: str | int | float | dt.date | None) -> int:
    """`start_date` as unix seconds: an int/float, an ISO date or datetime (UTC if naive), or None → 0."""
    if value is None or value == "":
        return 0
    if isinstance(value, bool):
        raise ValueError(f"invalid start_date {value!r}")
    if isinstance(value, int | float):
        return int(value)
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, dt.date):
        moment = dt.datetime(value.year, value.month, value.day)
    else:
        text = str(value).strip()
        if text.lstrip("-").isdigit():
            return int(text)
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return int(moment.timestamp())


@dataclass
class ResourceStats:
    mode: str = ""
    listed: int = 0  # objects listed (parent objects only)
    rows: dict[str, int] = field(default_factory=lambda: defaultdict(int))  # rows yielded per table
    events_read: int = 0
    states_applied: int = 0
    states_skipped: int = 0  # event states older than what the warehouse holds
    tombstoned: int = 0
    refetched: int = 0  # objects changed by events, re-read with their expansions
    spool_events: int = 0  # events of the webhook spool applied (I13)
    appended: bool = False  # first load into empty tables: written with `append` (I9)
    seconds: float = 0.0


@dataclass
class RunStats:
    """Counters a caller can pass in to get a summary of what the source did."""

    resources: dict[str, ResourceStats] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    requests: int = 0
    retries: int = 0
    # one entry per dlt run of a pipelined backfill (I11): resources and seconds per dlt step
    runs: list[dict[str, Any]] = field(default_factory=list)
    # the webhook spool this run read (I13); the pipeline removes its consumed files after the load
    spool: WebhookSpool | None = None

    def warn(self, message: str) -> None:
        logger.warning(message)
        self.warnings.append(message)


@dataclass
class PageResult:
    tables: dict[str, RowBatch]  # a page's rows per table; `_emit` makes Arrow tables a batch of pages at a time
    count: int
    max_created: int | None
    ids: list[str] | None = None
    sub_ids: dict[str, list[str]] | None = None


@dataclass
class SourceContext:
    client: StripeClient
    warehouse: Warehouse
    prefix: str
    account_id: str | None
    start: int
    overlap: int
    workers: int
    page_size: int
    batch_rows: int
    stats: RunStats
    spool: WebhookSpool | None = None  # verified webhook events to apply with /v1/events' (I13)
    binding: AccountBinding | None = None  # the Stripe account every resource state records (I14)

    def table(self, name: str) -> str:
        return self.prefix + name


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
        self.extractor = ResourceExtractor(ctx, spec, state)
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


class ResourceExtractor:
    """Extracts one resource for one run; reads and updates that resource's dlt state dict."""

    def __init__(self, ctx: SourceContext, spec: ResourceSpec, state: dict[str, Any]) -> None:
        self.ctx = ctx
        self.spec = spec
        self.state = state
        self.client = ctx.client
        self.stats = ctx.stats.resources.setdefault(ctx.table(spec.name), ResourceStats())
        self._pending: dict[str, list[pa.Table | RowBatch]] = defaultdict(list)
        self._pending_rows: dict[str, int] = defaultdict(int)
        self.max_created: int | None = None
        self.seen_ids: set[str] | None = None
        self.seen_sub_ids: dict[str, set[str]] = defaultdict(set)
        self._client_side_lo: int | None = None

    # -- orchestration ---------------------------------------------------------------------------

    def run(self) -> Iterator[Any]:
        started = time.monotonic()
        if self.ctx.binding is not None:
            # committed with the rows, like the cursors: the state says whose data the tables hold
            self.state["account"] = self.ctx.binding.as_state()
        try:
            if self.spec.name == EVENT:
                yield from self._run_event_table()
            else:
                yield from self._run_objects()
            yield from self._flush(force=True)
            if self.stats.mode != "incremental":
                # an empty table still gets created (D2 columns), so staging can always read it
                for table in self.spec.tables:
                    name = self.ctx.table(table)
                    if not self.stats.rows.get(name):
                        yield dlt.mark.with_table_name(empty_table(), name)
        finally:
            self.stats.seconds += time.monotonic() - started
            self.ctx.stats.requests = self.client.stats.requests
            self.ctx.stats.retries = self.client.stats.retries

    def _run_objects(self) -> Iterator[Any]:
        ctx, spec, state = self.ctx, self.spec, self.state
        now = self.client.sync_clock(spec.path, spec.variant_params()[0])
        created_cursor: int | None = state.get("created_cursor")
        events_cursor: int | None = state.get("events_cursor")
        mode = "full" if created_cursor is None else "incremental"
        if mode == "incremental" and spec.mutable:
            oldest_available = now - EVENTS_RETENTION_SECONDS + EVENTS_RETENTION_MARGIN
            if events_cursor is None or events_cursor - ctx.overlap < oldest_available:
                when = dt.datetime.fromtimestamp(events_cursor, dt.UTC).isoformat() if events_cursor else "never"
                ctx.stats.warn(
                    f"{ctx.table(spec.name)}: the last event cursor ({when}) is older than Stripe's "
                    "30-day event retention, so updates and deletions since then cannot be read from "
                    "/v1/events; re-listing every object of this resource instead (full refresh)."
                )
                mode = "relist"
        self.stats.mode = mode
        if mode == "full":
            yield from self._first_load_hints()
        lo = ctx.start if mode != "incremental" else max(ctx.start, int(created_cursor or 0) - ctx.overlap)
        if mode == "relist":
            self.seen_ids = set()
        listed_at = now  # every page is requested after this (server clock)
        yield from self._list(lo)
        new_events_cursor = listed_at
        if mode == "incremental" and spec.mutable and spec.event_types:
            events_started = self.client.now()
            yield from self._apply_events(int(events_cursor or 0) - ctx.overlap)
            new_events_cursor = events_started
        if mode == "relist":
            yield from self._flush(force=True)
            yield from self._sweep(lo, now)
        # Commit the cursors in the resource state: dlt stores it in the same load package as the
        # rows yielded above, so a run killed before that package is loaded leaves them unchanged.
        if self.max_created is not None:
            state["created_cursor"] = max(int(created_cursor or 0), self.max_created)
        if spec.mutable:
            state["events_cursor"] = max(int(events_cursor or 0), new_events_cursor)
        state["last_run_mode"] = mode

    def _run_event_table(self) -> Iterator[Any]:
        ctx = self.ctx
        cursor: int | None = self.state.get("created_cursor")
        self.stats.mode = "full" if cursor is None else "incremental"
        if cursor is None:
            yield from self._first_load_hints()
        lo = ctx.start if cursor is None else max(ctx.start, int(cursor) - ctx.overlap)
        lister = ParallelLister(
            self.client,
            self.spec.path,
            [Slice({}, lo)],
            self._event_rows_page,
            workers=ctx.workers,
            page_size=ctx.page_size,
            raw=True,
        )
        spooled = ctx.spool.events_for(self.spec) if ctx.spool is not None and cursor is not None else []
        listed: set[str] = set()
        for result in lister.poll(POLL_SECONDS):
            if result is None:
                yield None  # nothing ready: let dlt advance the other resources meanwhile
                continue
            self._account(result)
            if spooled:
                for batch in result.tables.values():
                    listed.update(batch.id)
            yield from self._emit(result.tables)
        if spooled:
            yield from self._emit_spooled_events(spooled, listed)
        if self.max_created is not None:
            self.state["created_cursor"] = max(int(cursor or 0), self.max_created)

    def _emit_spooled_events(self, spooled: list[Any], listed: set[str]) -> Iterator[Any]:
        """Webhook events (I13) into the event table, except those `/v1/events` just listed: one row per
        event id in a load, and the table merges on id across loads. Only on incremental runs (merge);
        a first load (append) leaves the spool to the next run. The cursor stays the listing's."""
        ctx = self.ctx
        batch = RowBatch(ctx.account_id)
        for entry in spooled:
            if entry.id in listed or (ctx.start and entry.created < ctx.start):
                continue
            batch.add(entry.event, api_version=entry.event.get("api_version"), state_at=entry.created)
            listed.add(entry.id)
        self.stats.spool_events += len(batch)
        assert ctx.spool is not None
        ctx.spool.mark_applied(self.spec.name, spooled)
        yield from self._emit({ctx.table(EVENT): batch.to_table()})

    def _first_load_hints(self) -> Iterator[Any]:
        """First load (no cursor) into tables that are missing or empty: append, not merge (I9).

        A full listing holds each id once (disjoint created-slices, sub-lists paged after their
        embedded page), so dlt's merge would only copy the staging tables over at twice the cost.
        Resources listed in several variants (prices: active, then inactive) can list an object
        twice and keep merging; so does every later run.
        """
        if len(self.spec.variants) > 1:
            return
        has_rows = getattr(self.ctx.warehouse, "has_rows", None)
        if has_rows is None or any(has_rows(self.ctx.table(t)) for t in self.spec.tables):
            return
        self.stats.appended = True
        yield dlt.mark.with_hints([], dlt.mark.make_hints(write_disposition="append"))

    # -- listing ---------------------------------------------------------------------------------

    def _list(self, lo: int) -> Iterator[Any]:
        spec = self.spec
        if spec.created_filter and not self.state.get("created_filter_unsupported"):
            slices = [Slice(params, lo) for params in spec.variant_params()]
            split = True
        else:
            self._client_side_lo = lo
            slices = [Slice(params) for params in spec.variant_params()]
            split = False
        lister = ParallelLister(
            self.client,
            spec.path,
            slices,
            self._listed_page,
            workers=self.ctx.workers,
            page_size=self.ctx.page_size,
            split=split,
            raw=True,
            embedded=tuple(sub.field for sub in spec.sub_lists),
        )
        try:
            for result in lister.poll(POLL_SECONDS):
                if result is None:
                    yield None  # nothing ready: let dlt advance the other resources meanwhile
                    continue
                self._account(result)
                yield from self._emit(result.tables)
        except StripeRequestError as exc:
            if not split or exc.status != 400 or not str(exc.param or "").startswith("created"):
                raise
            # Some endpoints may not accept `created` filters: list everything, filter here.
            self.ctx.stats.warn(
                f"{self.ctx.table(spec.name)}: {spec.path} rejected the created filter "
                f"({exc.param}); listing everything and filtering locally."
            )
            self.state["created_filter_unsupported"] = True
            yield from self._list(lo)

    def _listed_page(self, page: ListPage, _slice: Slice) -> PageResult:
        """Runs in a worker thread: one listed page → rows (sub-lists paged here too)."""
        return self._page_rows(page, self._client_side_lo)

    def _page_rows(self, page: ListPage, lo: int | None) -> PageResult:
        if isinstance(page.data, RawPage):
            return self._raw_page_rows(page, page.data, lo)
        ctx, spec = self.ctx, self.spec
        version = self.client.api_version
        main = RowBatch(ctx.account_id)
        subs = {sub.table: RowBatch(ctx.account_id) for sub in spec.sub_lists}
        track = self.seen_ids is not None
        ids: list[str] = []
        max_created: int | None = None
        for obj in page.data:
            oid = obj.get("id")
            if not isinstance(oid, str):
                continue
            created = obj.get("created")
            if lo and isinstance(created, int) and created < lo:
                continue
            main.add(obj, api_version=version, state_at=page.requested_at)
            if isinstance(created, int) and (max_created is None or created > max_created):
                max_created = created
            if track:
                ids.append(oid)
            for sub in spec.sub_lists:
                self._add_sub_rows(sub, obj, subs[sub.table], api_version=version, state_at=page.requested_at)
        return self._page_result(main, subs, max_created, ids if track else None)

    def _raw_page_rows(self, page: ListPage, data: RawPage, lo: int | None) -> PageResult:
        """`_page_rows` column-wise (I12): the same rows, without a Python object per listed object."""
        ctx, spec = self.ctx, self.spec
        version, state_at = self.client.api_version, page.requested_at
        heads = data.heads
        keep = [
            i
            for i, head in enumerate(heads)
            if isinstance(head.id, str) and not (lo and isinstance(head.created, int) and head.created < lo)
        ]
        everything = len(keep) == len(heads)
        kept_heads = heads if everything else [heads[i] for i in keep]
        ids = [head.id for head in kept_heads]
        created = [head.created for head in kept_heads]
        main = RowBatch(ctx.account_id)
        main.extend(
            ids,
            created,
            data.raws if everything else [data.raws[i] for i in keep],
            api_version=version,
            state_at=state_at,
        )
        subs = {sub.table: RowBatch(ctx.account_id) for sub in spec.sub_lists}
        for sub in spec.sub_lists:
            lists, batch = data.embedded[sub.field], subs[sub.table]
            elements, parents, parents_created = [], [], []  # every embedded element kept, with its parent's
            for i, parent_id, parent_created in zip(keep, ids, created, strict=True):
                if not lists.present[i]:  # not embedded: read the parent's own way (pages it if needed)
                    self._add_sub_rows(sub, data[i], batch, api_version=version, state_at=state_at)
                    continue
                items = [j for j in range(lists.starts[i], lists.starts[i + 1]) if _is_id(lists.heads[j].id)]
                elements += items
                parents += [parent_id] * len(items)
                parents_created += [parent_created] * len(items)
                if lists.has_more[i]:
                    after = lists.heads[items[-1]].id if items else None
                    self._page_sub_list(sub, parent_id, after, batch, parent_created if sub.inherit_created else None)
            batch.extend(
                [lists.heads[j].id for j in elements],
                parents_created if sub.inherit_created else [lists.heads[j].created for j in elements],
                [lists.raws[j] for j in elements],
                api_version=version,
                state_at=state_at,
                parent_ids=parents,
            )
        ints = [c for c in created if isinstance(c, int)]
        tracked = ids if self.seen_ids is not None else None
        return self._page_result(main, subs, max(ints) if ints else None, tracked)

    def _page_result(
        self, main: RowBatch, subs: dict[str, RowBatch], max_created: int | None, ids: list[str] | None
    ) -> PageResult:
        ctx = self.ctx
        tables = {ctx.table(self.spec.name): main}
        for name, batch in subs.items():
            tables[ctx.table(name)] = batch
        sub_ids = {ctx.table(name): list(batch.id) for name, batch in subs.items()} if ids is not None else None
        return PageResult(tables, len(main), max_created, ids, sub_ids)

    def _event_rows_page(self, page: ListPage, _slice: Slice) -> PageResult:
        batch = RowBatch(self.ctx.account_id)
        max_created: int | None = None
        if isinstance(page.data, RawPage):  # column-wise (I12)
            heads = [head for head in page.data.heads if isinstance(head.id, str)]
            raws = (
                page.data.raws
                if len(heads) == len(page.data)
                else [
                    raw for raw, head in zip(page.data.raws, page.data.heads, strict=True) if isinstance(head.id, str)
                ]
            )
            created = [int(head.created or 0) for head in heads]
            batch.extend_columns([h.id for h in heads], created, raws, [h.api_version for h in heads], created)
            return PageResult({self.ctx.table(EVENT): batch}, len(batch), max(created) if created else None)
        for event in page.data:
            if not isinstance(event.get("id"), str):
                continue
            created = int(event.get("created") or 0)
            batch.add(event, api_version=event.get("api_version"), state_at=created)
            max_created = created if max_created is None else max(max_created, created)
        return PageResult({self.ctx.table(EVENT): batch}, len(batch), max_created)

    def _add_sub_rows(
        self,
        sub: SubList,
        parent: dict[str, Any] | Any,
        batch: RowBatch,
        *,
        api_version: str | None,
        state_at: int,
        is_deleted: bool = False,
        deleted_at: int | None = None,
    ) -> None:
        parent_id = parent.get("id")
        if not isinstance(parent_id, str):
            return
        created = parent.get("created") if sub.inherit_created else None
        embedded = sub.embedded(parent)
        if embedded is None:
            items, more, after = [], not is_deleted and "object" in parent, None
        else:
            items, more = embedded
            after = items[-1]["id"] if items else None
        for item in items:
            batch.add(
                item,
                api_version=api_version,
                state_at=state_at,
                created=created,
                parent_id=parent_id,
                is_deleted=is_deleted,
                deleted_at=deleted_at,
            )
        if more and not is_deleted:
            self._page_sub_list(sub, parent_id, after, batch, created)

    def _page_sub_list(
        self, sub: SubList, parent_id: str, after: str | None, batch: RowBatch, created: int | None
    ) -> None:
        """The elements of a parent's sub-list after `after` (those its embedded first page cut off)."""
        path, params = sub.request(parent_id)
        pages = self.client.list_pages(path, params, starting_after=after, limit=self.ctx.page_size, raw=True)
        for page in pages:
            for item in page.data:
                if isinstance(item.get("id"), str):
                    batch.add(
                        item,
                        api_version=self.client.api_version,
                        state_at=page.requested_at,
                        created=created,
                        parent_id=parent_id,
                    )

    # -- events ----------------------------------------------------------------------------------

    def _apply_events(self, lo: int) -> Iterator[Any]:
        ctx, spec = self.ctx, self.spec
        folder = EventFolder(spec.object_type, spec.delete_event_types)
        lister = ParallelLister(
            self.client,
            "/v1/events",
            [Slice({"types[]": list(spec.event_types)}, max(lo, 0))],
            lambda page, _s: page.data,
            workers=ctx.workers,
            page_size=ctx.page_size,
        )
        for events in lister.poll(POLL_SECONDS):
            if events is None:
                yield None
                continue
            self.stats.events_read += len(events)
            folder.add_all(events)
        if ctx.spool is not None:
            # webhook events (I13) fold in like listed ones: by id once, latest `created` wins
            spooled = ctx.spool.events_for(spec)
            self.stats.spool_events += len(spooled)
            folder.add_all(entry.event for entry in spooled)
            ctx.spool.mark_applied(spec.name, spooled)
        states = folder.states()
        if not states:
            return
        table = ctx.table(spec.name)
        stored = ctx.warehouse.stored_states(table, [s.id for s in states])
        to_apply = [
            s
            for s in states
            if should_apply(s.state_at, stored.get(s.id))
            # nothing to keep of an object only ever seen as a deletion stub
            and (s.has_full_data or s.id in stored)
            # objects created before `start_date` stay out, as in listings
            and not (ctx.start and isinstance(s.object.get("created"), int) and s.object["created"] < ctx.start)
        ]
        self.stats.states_skipped += len(states) - len(to_apply)
        self.stats.states_applied += len(to_apply)
        need_data = [s.id for s in to_apply if not s.has_full_data and s.id in stored]
        stored_rows = ctx.warehouse.stored_rows(table, need_data) if need_data else {}
        current: dict[str, PageResult] = {}
        if spec.expand:
            # events carry no expansions: re-read the changed objects the way they are listed
            retrieving = self._retrieve_current([s.id for s in to_apply if not s.is_deleted])
            for item in retrieving:
                if item is None:
                    yield None
                else:
                    current.update(item)
            if current and spec.sub_lists:
                yield from self._emit(self._removed_children(current))
        main = RowBatch(ctx.account_id)
        subs = {sub.table: RowBatch(ctx.account_id) for sub in spec.sub_lists}
        for s in to_apply:
            if s.id in current:
                self.stats.refetched += 1
                yield from self._emit(current.pop(s.id).tables)
                continue
            data: bytes | None = None
            api_version = s.api_version
            created: int | None = None
            known = stored_rows.get(s.id)
            if known is not None and known.data:
                data, api_version, created = known.data, known.api_version, known.created
            main.add(
                s.object,
                api_version=api_version,
                state_at=s.state_at,
                created=created,
                is_deleted=s.is_deleted,
                deleted_at=s.deleted_at,
                data=data,
            )
            for sub in spec.sub_lists:
                self._add_sub_rows(
                    sub,
                    s.object,
                    subs[sub.table],
                    api_version=s.api_version,
                    state_at=s.state_at,
                    is_deleted=s.is_deleted,
                    deleted_at=s.deleted_at,
                )
            if len(main) >= ctx.batch_rows:
                yield from self._emit_batches(main, subs)
                main = RowBatch(ctx.account_id)
                subs = {sub.table: RowBatch(ctx.account_id) for sub in spec.sub_lists}
        # a deleted parent takes every stored child with it (not only its embedded first page)
        deleted = {s.id: s for s in to_apply if s.is_deleted}
        for sub in spec.sub_lists if deleted else ():
            emitted = set(subs[sub.table].id)
            for row in ctx.warehouse.live_children(ctx.table(sub.table), list(deleted)):
                if row.id in emitted or row.parent_id not in deleted:
                    continue
                parent = deleted[row.parent_id]
                subs[sub.table].add(
                    {"id": row.id},
                    api_version=row.api_version,
                    state_at=parent.state_at,
                    created=row.created,
                    parent_id=row.parent_id,
                    is_deleted=True,
                    deleted_at=parent.deleted_at,
                    data=row.data,
                )
        yield from self._emit_batches(main, subs)

    def _retrieve_current(self, ids: list[str]) -> Iterator[dict[str, PageResult] | None]:
        """`GET <path>/<id>` with the listing's expansions, `workers` at a time; yields `None` while
        waiting (dlt runs other resources meanwhile) and `{id: rows}` as objects arrive. Objects
        Stripe no longer has (404) are left out: their event state applies."""
        if not ids:
            return
        params = self.spec.retrieve_params()

        def fetch(object_id: str) -> tuple[str, PageResult | None]:
            try:
                obj, requested_at = self.client.get_timed(f"{self.spec.path}/{object_id}", params)
            except StripeRequestError as exc:
                if exc.status == 404:
                    return object_id, None
                raise
            if obj.get("deleted") is True or obj.get("id") != object_id:
                return object_id, None
            return object_id, self._page_rows(ListPage([obj], False, requested_at), None)

        with ThreadPoolExecutor(max_workers=self.ctx.workers, thread_name_prefix="stripe-get") as pool:
            pending = {pool.submit(fetch, object_id) for object_id in ids}
            try:
                while pending:
                    done, pending = wait(pending, timeout=POLL_SECONDS, return_when=FIRST_COMPLETED)
                    if not done:
                        yield None
                        continue
                    found = {}
                    for future in done:
                        object_id, result = future.result()
                        if result is not None:
                            found[object_id] = result
                    yield found
            finally:
                for future in pending:
                    future.cancel()

    def _removed_children(self, reread: dict[str, PageResult]) -> dict[str, pa.Table]:
        """Stored children of re-read parents that the parent no longer lists (an item removed
        from a subscription, a line removed from a draft invoice) are marked deleted, as of the
        time the parent was read."""
        ctx = self.ctx
        out: dict[str, pa.Table] = {}
        read_at = {pid: int(r.tables[ctx.table(self.spec.name)].state_at[0]) for pid, r in reread.items()}
        for sub in self.spec.sub_lists:
            name = ctx.table(sub.table)
            listed = {i for r in reread.values() if name in r.tables for i in r.tables[name].id}
            batch = RowBatch(ctx.account_id)
            for row in ctx.warehouse.live_children(name, list(reread)):
                if row.id in listed or row.parent_id not in read_at:
                    continue
                at = read_at[row.parent_id]
                batch.add(
                    {"id": row.id},
                    api_version=row.api_version,
                    state_at=at,
                    created=row.created,
                    parent_id=row.parent_id,
                    is_deleted=True,
                    deleted_at=at,
                    data=row.data,
                )
            self.stats.tombstoned += len(batch)
            out[name] = batch.to_table()
        return out

    def _emit_batches(self, main: RowBatch, subs: dict[str, RowBatch]) -> Iterator[Any]:
        tables = {self.ctx.table(self.spec.name): main.to_table()}
        for name, batch in subs.items():
            tables[self.ctx.table(name)] = batch.to_table()
        yield from self._emit(tables)

    # -- relist: rows that vanished from Stripe ---------------------------------------------------

    def _sweep(self, lo: int, now: int) -> Iterator[Any]:
        """After a complete re-listing, mark stored rows Stripe no longer lists as deleted."""
        ctx, spec = self.ctx, self.spec
        seen = self.seen_ids or set()
        table = ctx.table(spec.name)
        main = RowBatch(ctx.account_id)
        gone: set[str] = set()
        for row in ctx.warehouse.live_rows(table, created_gte=lo or None):
            if row.id not in seen:
                gone.add(row.id)
                main.add(
                    {"id": row.id},
                    api_version=row.api_version,
                    state_at=now,
                    created=row.created,
                    parent_id=row.parent_id,
                    is_deleted=True,
                    deleted_at=now,
                    data=row.data,
                )
        tables = {table: main.to_table()}
        parents = seen | gone
        for sub in spec.sub_lists:
            sub_table = ctx.table(sub.table)
            seen_children = self.seen_sub_ids.get(sub_table, set())
            batch = RowBatch(ctx.account_id)
            for row in ctx.warehouse.live_rows(sub_table):
                if row.parent_id in parents and row.id not in seen_children:
                    batch.add(
                        {"id": row.id},
                        api_version=row.api_version,
                        state_at=now,
                        created=row.created,
                        parent_id=row.parent_id,
                        is_deleted=True,
                        deleted_at=now,
                        data=row.data,
                    )
            tables[sub_table] = batch.to_table()
        self.stats.tombstoned += sum(t.num_rows for t in tables.values())
        yield from self._emit(tables)

    # -- output ----------------------------------------------------------------------------------

    def _account(self, result: PageResult) -> None:
        self.stats.listed += result.count
        if result.max_created is not None and (self.max_created is None or result.max_created > self.max_created):
            self.max_created = result.max_created
        if self.seen_ids is not None and result.ids is not None:
            self.seen_ids.update(result.ids)
            for name, ids in (result.sub_ids or {}).items():
                self.seen_sub_ids[name].update(ids)

    def _emit(self, tables: dict[str, pa.Table | RowBatch]) -> Iterator[Any]:
        for name, part in tables.items():
            rows = part.num_rows if isinstance(part, pa.Table) else len(part)
            if rows == 0:
                continue
            self._pending[name].append(part)
            self._pending_rows[name] += rows
            if self._pending_rows[name] >= self.ctx.batch_rows:
                yield from self._flush_table(name)

    def _flush(self, force: bool = False) -> Iterator[Any]:
        for name in list(self._pending):
            if force or self._pending_rows[name] >= self.ctx.batch_rows:
                yield from self._flush_table(name)

    def _flush_table(self, name: str) -> Iterator[Any]:
        parts = self._pending.pop(name, [])
        self._pending_rows.pop(name, None)
        if not parts:
            return
        batches = [part for part in parts if isinstance(part, RowBatch)]
        tables = [part for part in parts if isinstance(part, pa.Table)]
        if batches:
            for batch in batches[1:]:
                batches[0].absorb(batch)
            tables.append(batches[0].to_table())
        table = tables[0] if len(tables) == 1 else pa.concat_tables(tables)
        self.stats.rows[name] += table.num_rows
        yield dlt.mark.with_table_name(table, name)


def _is_id(value: Any) -> bool:
    return isinstance(value, str) and value != ""


class _ExpectedArrowJsonNotice(logging.Filter):
    """dlt warns that our `data` hint (json) differs from the Arrow type (string), and that `dedup_sort`
    does nothing on a first load's `append` (I9): both are the plan."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "when merging arrow schema with dlt schema" in message and "In resource: " in message:
            return False
        return not ('"dedup_sort" column hint' in message and 'write disposition "append"' in message)


_NOTICE_FILTER = _ExpectedArrowJsonNotice()


def _quiet_expected_dlt_notices() -> None:
    dlt_logger = logging.getLogger("dlt")
    if _NOTICE_FILTER not in dlt_logger.filters:
        dlt_logger.addFilter(_NOTICE_FILTER)


def _make_resource(ctx: SourceContext, spec: ResourceSpec, backfill: Backfill | None = None) -> DltResource:
    table = ctx.table(spec.name)

    def extract() -> Iterator[Any]:
        state = dlt.current.resource_state()
        prefetched = backfill.drain(table, state) if backfill is not None else None
        if prefetched is not None:
            yield from prefetched
        else:
            yield from ResourceExtractor(ctx, spec, state).run()

    return dlt.resource(
        extract,
        name=table,  # = its table; sub-list rows go to their own tables (`with_table_name`)
        write_disposition=MERGE,
        primary_key="id",
        columns=DLT_COLUMN_HINTS,
    )


def _bind_account(ctx: SourceContext, replaced: set[str]) -> AccountBinding:
    """The account this run's resource states record; raises `AccountMismatchError` when the key
    reads another account than the states of this prefix (except those the run replaces) were built from."""
    states = dlt.current.source_state().get("resources", {})
    own = {ctx.table(spec.name) for spec in select_resources(None, ctx.prefix)}
    stored = [
        binding
        for name, state in states.items()
        if name in own and name not in replaced
        for binding in [AccountBinding.from_state((state or {}).get("account"))]
        if binding is not None
    ]
    pipeline = dlt.current.pipeline()
    context = f"tables {pipeline.dataset_name}.{ctx.prefix or ''}* of pipeline `{pipeline.pipeline_name}`"
    return bind(ctx.client, stored, context=context)


def _as_list(value: str | Sequence[str] | None) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return [str(v) for v in value]


@dlt.source(name="stripe", section="stripe", max_table_nesting=0)
def stripe_source(
    api_key: str = dlt.secrets.value,
    account_id: str | None = None,
    table_prefix: str = "",
    api_base: str = DEFAULT_API_BASE,
    api_version: str | None = None,
    start_date: str | None = None,
    resources: str | None = None,
    max_requests_per_second: float | None = None,
    backfill_slices: int = 4,
    overlap_seconds: int = DEFAULT_OVERLAP_SECONDS,
    page_size: int = 100,
    max_retry_seconds: float = 300.0,
    max_retry_attempts: int = 8,
    retry_backoff_seconds: float = 0.5,
    batch_rows: int = DEFAULT_BATCH_ROWS,
    webhook_spool: str | None = None,
    full_refresh: bool = False,
    account_check: bool = True,
    stats: Any = None,
    warehouse: Any = None,
    backfill: Any = None,
) -> list[DltResource]:
    """Stripe → `stripe_raw.<prefix><object>` (DECISIONS.md D2). Config: `sources.stripe.*`.

    `resources`: comma-separated table names to load (default: all). `start_date`: ISO date or unix
    seconds; nothing created before it is listed. `api_version`: the `Stripe-Version` list requests send
    (default the pinned one, D1; `2024-09-30.acacia` reads the pre-2025-03-31 shape).
    `webhook_spool`: the folder `stripe-revenue webhooks serve` writes verified events to (I13); default
    `<folder of DUCKDB_PATH>/stripe_webhook_spool` when it exists. Its events are applied on incremental runs.
    `account_check`: stop before extracting anything when the key reads another Stripe account than
    the one the prefix's resource states were built from (I14); `full_refresh`: the run replaces the
    selected resources (dlt `refresh="drop_resources"`), so only the others' account counts.
    `stats`/`warehouse`/`backfill`: injected by the pipeline.
    """
    client = StripeClient(
        api_key,
        api_base=api_base or DEFAULT_API_BASE,
        api_version=api_version or None,
        account_id=account_id or None,
        max_requests_per_second=max_requests_per_second,
        retry=RetryPolicy(
            max_attempts=max_retry_attempts,
            max_elapsed=max_retry_seconds,
            backoff_base=retry_backoff_seconds,
            backoff_max=max(retry_backoff_seconds, 30.0),
        ),
    )
    ctx = SourceContext(
        client=client,
        warehouse=warehouse if warehouse is not None else DltWarehouse(),
        prefix=table_prefix or "",
        account_id=account_id or None,
        start=parse_start(start_date),
        overlap=max(0, int(overlap_seconds)),
        workers=max(1, int(backfill_slices)),
        page_size=max(1, min(100, int(page_size))),
        batch_rows=max(1, int(batch_rows)),
        stats=stats if isinstance(stats, RunStats) else RunStats(),
    )
    spool_dir = Path(webhook_spool) if webhook_spool else default_spool_dir()
    if webhook_spool or spool_dir.is_dir():
        ctx.spool = WebhookSpool(spool_dir, account_id=ctx.account_id, warn=ctx.stats.warn)
        ctx.stats.spool = ctx.spool
    specs = select_resources(_as_list(resources), ctx.prefix)
    if account_check:
        ctx.binding = _bind_account(ctx, {ctx.table(spec.name) for spec in specs} if full_refresh else set())
    _quiet_expected_dlt_notices()
    pipelined = backfill if isinstance(backfill, Backfill) else None
    if pipelined is not None:
        pipelined.bind(ctx, specs)
    return [_make_resource(ctx, spec, pipelined) for spec in specs]


__all__ = ["Backfill", "EmptyWarehouse", "RunStats", "parse_start", "stripe_source"]
