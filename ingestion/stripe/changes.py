"""Changes since the last run: events and spooled webhooks → latest states written, deletions marked,
expanded objects re-read; after a relisting, rows Stripe no longer lists marked deleted.

- `EventApplier`: `/v1/events` of a resource's types and the webhook spool (I13) are folded into one
  state per object (`events.py`); a state is written unless the warehouse holds a newer one (I2);
  objects listed with expansions are re-read instead of written from the payload (I3, `refetch.py`);
  deletions mark the row and its children (I4).
- `sweep`: a complete relisting (I5) marks stored rows it did not see as deleted.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pyarrow as pa

from ingestion.stripe.context import POLL_SECONDS, ResourceStats, SourceContext
from ingestion.stripe.events import EventFolder, ObjectState, should_apply
from ingestion.stripe.listing import ParallelLister, Slice
from ingestion.stripe.pages import PageResult, add_sub_rows
from ingestion.stripe.refetch import Refetch
from ingestion.stripe.rows import RowBatch, TableBatcher
from ingestion.stripe.settings import ResourceSpec
from ingestion.stripe.stored import mark_deleted


class EventApplier:
    """Applies the events of one resource since a cursor; rows go out through `out`."""

    def __init__(self, ctx: SourceContext, spec: ResourceSpec, stats: ResourceStats, out: TableBatcher) -> None:
        self.ctx = ctx
        self.spec = spec
        self.stats = stats
        self.out = out

    def lister(self, lo: int, start_workers: int | None = None) -> ParallelLister[Any]:
        """The lister of `/v1/events` of the resource's types created since `lo`, not started yet."""
        ctx, spec = self.ctx, self.spec
        return ParallelLister(
            ctx.client,
            "/v1/events",
            [Slice({"types[]": list(spec.event_types)}, max(lo, 0))],
            lambda page, _s: page.data,
            workers=ctx.workers,
            page_size=ctx.page_size,
            start_workers=start_workers,
        )

    def apply(self, lo: int, lister: ParallelLister[Any] | None = None) -> Iterator[Any]:
        """Fold the events created since `lo` (and the spooled ones), then write the states they give.
        `lister`: the one `lister(lo)` made, maybe started already."""
        folder = EventFolder(self.spec.object_type, self.spec.delete_event_types)
        yield from self._read_events(lister if lister is not None else self.lister(lo), folder)
        states = folder.states()
        if not states:
            return
        to_apply, stored_ids = self._states_to_apply(states)
        current: dict[str, PageResult] = {}
        if self.spec.expand:
            # events carry no expansions: re-read the changed objects the way they are listed (I3)
            refetch = Refetch(self.ctx, self.spec, self.stats)
            for found in refetch.current([s.id for s in to_apply if not s.is_deleted]):
                if found is None:
                    yield None
                else:
                    current.update(found)
            if current and self.spec.sub_lists:
                yield from self.out.add(refetch.removed_children(current))
        yield from self._write_states(to_apply, stored_ids, current)

    def _read_events(self, lister: ParallelLister[Any], folder: EventFolder) -> Iterator[Any]:
        """The events `lister` reads, then the spool's, into `folder` (by id once, latest `created`
        wins); yields `None` while waiting for pages."""
        ctx, spec = self.ctx, self.spec
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

    def _states_to_apply(self, states: list[ObjectState]) -> tuple[list[ObjectState], set[str]]:
        """The states to write, and which of their ids the warehouse holds already."""
        ctx = self.ctx
        stored = ctx.warehouse.stored_states(ctx.table(self.spec.name), [s.id for s in states])
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
        return to_apply, set(stored)

    def _write_states(
        self, to_apply: list[ObjectState], stored_ids: set[str], current: dict[str, PageResult]
    ) -> Iterator[Any]:
        """Rows of the states: a re-read object as read, else the event's object (a deletion stub keeps
        the stored data), with its sub-lists; a deleted parent takes its stored children along."""
        ctx, spec = self.ctx, self.spec
        need_data = [s.id for s in to_apply if not s.has_full_data and s.id in stored_ids]
        stored_rows = ctx.warehouse.stored_rows(ctx.table(spec.name), need_data) if need_data else {}
        main = RowBatch(ctx.account_id)
        subs = {sub.table: RowBatch(ctx.account_id) for sub in spec.sub_lists}
        for s in to_apply:
            if s.id in current:
                self.stats.refetched += 1
                yield from self.out.add(current.pop(s.id).tables)
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
                add_sub_rows(
                    ctx,
                    sub,
                    s.object,
                    subs[sub.table],
                    api_version=s.api_version,
                    state_at=s.state_at,
                    is_deleted=s.is_deleted,
                    deleted_at=s.deleted_at,
                )
            if len(main) >= ctx.batch_rows:
                yield from self._emit(main, subs)
                main = RowBatch(ctx.account_id)
                subs = {sub.table: RowBatch(ctx.account_id) for sub in spec.sub_lists}
        self._children_of_deleted([s for s in to_apply if s.is_deleted], subs)
        yield from self._emit(main, subs)

    def _children_of_deleted(self, deleted_states: list[ObjectState], subs: dict[str, RowBatch]) -> None:
        """A deleted parent takes every stored child with it (not only its embedded first page)."""
        ctx = self.ctx
        deleted = {s.id: s for s in deleted_states}
        for sub in self.spec.sub_lists if deleted else ():
            emitted = set(subs[sub.table].id)
            for row in ctx.warehouse.live_children(ctx.table(sub.table), list(deleted)):
                if row.id in emitted or row.parent_id not in deleted:
                    continue
                parent = deleted[row.parent_id]
                mark_deleted(subs[sub.table], row, parent.state_at, parent.deleted_at)

    def _emit(self, main: RowBatch, subs: dict[str, RowBatch]) -> Iterator[Any]:
        tables = {self.ctx.table(self.spec.name): main.to_table()}
        for name, batch in subs.items():
            tables[self.ctx.table(name)] = batch.to_table()
        yield from self.out.add(tables)


def sweep(
    ctx: SourceContext,
    spec: ResourceSpec,
    seen: set[str],
    seen_sub_ids: dict[str, set[str]],
    lo: int,
    now: int,
) -> dict[str, pa.Table]:
    """After a complete relisting (I5): stored rows created since `lo` that Stripe no longer listed
    (`seen`), and the stored children of listed or vanished parents it did not list, marked deleted
    as of `now`."""
    table = ctx.table(spec.name)
    main = RowBatch(ctx.account_id)
    gone: set[str] = set()
    for row in ctx.warehouse.live_rows(table, created_gte=lo or None):
        if row.id not in seen:
            gone.add(row.id)
            mark_deleted(main, row, now, now)
    tables = {table: main.to_table()}
    parents = seen | gone
    for sub in spec.sub_lists:
        sub_table = ctx.table(sub.table)
        tables[sub_table] = _swept_children(ctx, sub_table, parents, seen_sub_ids.get(sub_table, set()), now)
    return tables


def _swept_children(ctx: SourceContext, table: str, parents: set[str], seen: set[str], now: int) -> pa.Table:
    """Stored children of `parents` the relisting did not list (`seen`), marked deleted."""
    batch = RowBatch(ctx.account_id)
    for row in ctx.warehouse.live_rows(table):
        if row.parent_id in parents and row.id not in seen:
            mark_deleted(batch, row, now, now)
    return batch.to_table()
