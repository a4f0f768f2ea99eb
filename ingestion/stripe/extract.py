"""One resource's run: full, incremental or relist, and the cursors committed with its rows.

Per resource and run (cursors live in the dlt resource state, which dlt commits together with the
load package holding the data, so a cursor can never be ahead of loaded data):

- **full** (no cursor yet): list everything from `start_date`, in parallel created-slices
  (`listing.py`), into tables that are appended to when empty (I9);
- **incremental**: list objects created since `created_cursor - overlap`, then apply the events of
  the resource's types since `events_cursor - overlap` and the spooled webhooks (`changes.py`);
- **relist** (the events cursor is older than Stripe's 30-day event retention): warn, list
  everything again, and mark rows that no longer exist in Stripe as deleted (I5).

The event table is a resource of its own: listed like the others, plus, on incremental runs, the
spooled webhook events `/v1/events` did not list (I13).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from typing import Any

import dlt

from ingestion.stripe.changes import EventApplier, sweep
from ingestion.stripe.context import POLL_SECONDS, ResourceStats, SourceContext
from ingestion.stripe.listing import Listed, ParallelLister, Slice, list_resource, resource_lister
from ingestion.stripe.pages import PageReader
from ingestion.stripe.rows import RowBatch, TableBatcher, empty_table
from ingestion.stripe.settings import EVENT, ResourceSpec
from ingestion.stripe.spool import SpoolEntry

EVENTS_RETENTION_SECONDS = 30 * 86400  # Stripe keeps events for 30 days (docs/REFERENCE.md §1)
EVENTS_RETENTION_MARGIN = 3600  # re-list a little before the window closes, not after


class ResourceExtractor:
    """Extracts one resource for one run; reads and updates that resource's dlt state dict."""

    def __init__(self, ctx: SourceContext, spec: ResourceSpec, state: dict[str, Any]) -> None:
        self.ctx = ctx
        self.spec = spec
        self.state = state
        self.client = ctx.client
        self.stats = ctx.stats.resources.setdefault(ctx.table(spec.name), ResourceStats())
        self.out = TableBatcher(ctx.batch_rows, self.stats.rows)
        self.listed = Listed(self.stats)

    def run(self) -> Iterator[Any]:
        """The resource's items for dlt: Arrow tables (one per table and ~10,000 rows), hints, and
        `None` while waiting for Stripe (dlt then advances the other resources)."""
        started = time.monotonic()
        if self.ctx.binding is not None:
            # committed with the rows, like the cursors: the state says whose data the tables hold
            self.state["account"] = self.ctx.binding.as_state()
        try:
            yield from self._extract()
            yield from self.out.flush(force=True)
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
            self.ctx.stats.rate_limited = self.client.stats.rate_limited

    def _extract(self) -> Iterator[Any]:
        """List (full, incremental or relist), apply events, sweep, then commit the cursors."""
        ctx, spec, state = self.ctx, self.spec, self.state
        now = self.client.sync_clock(spec.path, spec.variant_params()[0])
        created_cursor: int | None = state.get("created_cursor")
        events_cursor: int | None = state.get("events_cursor")
        mode = self._mode(now, created_cursor, events_cursor)
        self.stats.mode = mode
        if mode == "full":
            yield from self._first_load_hints()
        lo = ctx.start if mode != "incremental" else max(ctx.start, int(created_cursor or 0) - ctx.overlap)
        if mode == "relist":
            self.listed.seen_ids = set()
        listed_at = now  # every page is requested after this (server clock)
        reader = PageReader(ctx, spec, track_ids=mode == "relist")
        new_events_cursor = listed_at
        if mode != "incremental":
            yield from list_resource(ctx, spec, state, reader, self.listed, self.out, lo)
        else:
            # An incremental run is a page or two per list: both lists start now, one thread each
            # (more only when a page says there is more), and the first `None` hands control back to
            # dlt so every resource's requests are in flight before any result is read (I15).
            lister = resource_lister(ctx, spec, state, reader, lo, start_workers=1).start()
            applier = EventApplier(ctx, spec, self.stats, self.out) if spec.mutable and spec.event_types else None
            events_lo = int(events_cursor or 0) - ctx.overlap
            events = applier.lister(events_lo, start_workers=1).start() if applier is not None else None
            try:
                yield None
                yield from list_resource(ctx, spec, state, reader, self.listed, self.out, lo, lister)
                if applier is not None:
                    # the new events cursor stays `now`: taken before the events request was sent
                    yield from applier.apply(events_lo, events)
            finally:
                lister.close()
                if events is not None:
                    events.close()
        if mode == "relist":
            yield from self.out.flush(force=True)
            tables = sweep(ctx, spec, self.listed.seen_ids or set(), self.listed.seen_sub_ids, lo, now)
            self.stats.tombstoned += sum(t.num_rows for t in tables.values())
            yield from self.out.add(tables)
        # Commit the cursors in the resource state: dlt stores it in the same load package as the
        # rows yielded above, so a run killed before that package is loaded leaves them unchanged.
        if self.listed.max_created is not None:
            state["created_cursor"] = max(int(created_cursor or 0), self.listed.max_created)
        if spec.mutable:
            state["events_cursor"] = max(int(events_cursor or 0), new_events_cursor)
        state["last_run_mode"] = mode

    def _mode(self, now: int, created_cursor: int | None, events_cursor: int | None) -> str:
        """`full` without a cursor; `relist` when the events since the cursor are past Stripe's
        retention (I5, with a warning); else `incremental`."""
        if created_cursor is None:
            return "full"
        if not self.spec.mutable:
            return "incremental"
        oldest_available = now - EVENTS_RETENTION_SECONDS + EVENTS_RETENTION_MARGIN
        if events_cursor is not None and events_cursor - self.ctx.overlap >= oldest_available:
            return "incremental"
        when = dt.datetime.fromtimestamp(events_cursor, dt.UTC).isoformat() if events_cursor else "never"
        self.ctx.stats.warn(
            f"{self.ctx.table(self.spec.name)}: the last event cursor ({when}) is older than Stripe's "
            "30-day event retention, so updates and deletions since then cannot be read from "
            "/v1/events; re-listing every object of this resource instead (full refresh)."
        )
        return "relist"

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


class EventTableExtractor(ResourceExtractor):
    """The event table: listed like any resource (events never change, so no events are applied to
    it), plus, on incremental runs, the spooled webhook events `/v1/events` did not list (I13)."""

    def _extract(self) -> Iterator[Any]:
        """Events since the cursor (all of them on a first load), then the spooled ones not listed."""
        ctx = self.ctx
        cursor: int | None = self.state.get("created_cursor")
        self.stats.mode = "full" if cursor is None else "incremental"
        if cursor is None:
            yield from self._first_load_hints()
        lo = ctx.start if cursor is None else max(ctx.start, int(cursor) - ctx.overlap)
        reader = PageReader(ctx, self.spec)
        lister = ParallelLister(
            self.client,
            self.spec.path,
            [Slice({}, lo)],
            lambda page, _slice: reader.event_rows(page),
            workers=ctx.workers,
            page_size=ctx.page_size,
            raw=True,
            start_workers=1 if cursor is not None else None,  # incremental: as `ResourceExtractor` (I15)
        )
        spooled = ctx.spool.events_for(self.spec) if ctx.spool is not None and cursor is not None else []
        listed: set[str] = set()
        if cursor is not None:
            lister.start()
            yield None  # the other resources send their first requests meanwhile
        for result in lister.poll(POLL_SECONDS):
            if result is None:
                yield None  # nothing ready: let dlt advance the other resources meanwhile
                continue
            self.listed.add(result)
            if spooled:
                for batch in result.tables.values():
                    listed.update(batch.id)
            yield from self.out.add(result.tables)
        if spooled:
            yield from self._emit_spooled_events(spooled, listed)
        if self.listed.max_created is not None:
            self.state["created_cursor"] = max(int(cursor or 0), self.listed.max_created)

    def _emit_spooled_events(self, spooled: list[SpoolEntry], listed: set[str]) -> Iterator[Any]:
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
        yield from self.out.add({ctx.table(EVENT): batch.to_table()})


def extractor(ctx: SourceContext, spec: ResourceSpec, state: dict[str, Any]) -> ResourceExtractor:
    """The extractor of one resource for one run: the event table has its own."""
    kind = EventTableExtractor if spec.name == EVENT else ResourceExtractor
    return kind(ctx, spec, state)
