"""A listed page → rows per table: the resource's own rows and its sub-lists' (DECISIONS.md D2, I12).

Runs in the listing threads. A page read column-wise (`RawPage`, I12) becomes rows without a Python
object per listed object; any other page goes object by object, with the same rows. Invoice lines
and subscription items come from the parent's embedded first page, and the rest of a sub-list is
paged here when Stripe cut it (`has_more`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ingestion.stripe.client import ListPage
from ingestion.stripe.context import SourceContext
from ingestion.stripe.raw_json import EmbeddedLists, RawPage
from ingestion.stripe.rows import RowBatch
from ingestion.stripe.settings import EVENT, ResourceSpec, SubList


@dataclass
class PageResult:
    tables: dict[str, RowBatch]  # a page's rows per table; `TableBatcher` makes Arrow tables of many pages
    count: int
    max_created: int | None
    ids: list[str] | None = None
    sub_ids: dict[str, list[str]] | None = None


def _is_id(value: Any) -> bool:
    return isinstance(value, str) and value != ""


class PageReader:
    """Turns one resource's pages into rows. `track_ids`: also return the ids listed (a relisting
    sweeps the rest, I5)."""

    def __init__(self, ctx: SourceContext, spec: ResourceSpec, *, track_ids: bool = False) -> None:
        self.ctx = ctx
        self.spec = spec
        self.track_ids = track_ids

    def rows(self, page: ListPage, lo: int | None) -> PageResult:
        """The page's rows; objects created before `lo` (when set) are left out."""
        if isinstance(page.data, RawPage):
            return self._raw_page_rows(page, page.data, lo)
        ctx, spec = self.ctx, self.spec
        version = ctx.client.api_version
        main = RowBatch(ctx.account_id)
        subs = {sub.table: RowBatch(ctx.account_id) for sub in spec.sub_lists}
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
            ids.append(oid)
            for sub in spec.sub_lists:
                add_sub_rows(ctx, sub, obj, subs[sub.table], api_version=version, state_at=page.requested_at)
        return self._result(main, subs, max_created, ids)

    def _raw_page_rows(self, page: ListPage, data: RawPage, lo: int | None) -> PageResult:
        """`rows` column-wise (I12): the same rows, without a Python object per listed object."""
        ctx, spec = self.ctx, self.spec
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
        raws = data.raws if everything else [data.raws[i] for i in keep]
        main.extend(ids, created, raws, api_version=ctx.client.api_version, state_at=page.requested_at)
        subs = {sub.table: RowBatch(ctx.account_id) for sub in spec.sub_lists}
        for sub in spec.sub_lists:
            self._embedded_rows(sub, data, page.requested_at, keep, ids, created, subs[sub.table])
        ints = [c for c in created if isinstance(c, int)]
        return self._result(main, subs, max(ints) if ints else None, ids)

    def _embedded_rows(
        self,
        sub: SubList,
        data: RawPage,
        state_at: int,
        keep: list[int],
        ids: list[str],
        created: list[Any],
        batch: RowBatch,
    ) -> None:
        """One sub-list's rows of a column-wise page: every embedded element of the kept objects,
        with its parent's id (and `created` when the sub-list inherits it); cut lists paged on."""
        version = self.ctx.client.api_version
        lists: EmbeddedLists = data.embedded[sub.field]
        elements, parents, parents_created = [], [], []  # every embedded element kept, with its parent's
        for i, parent_id, parent_created in zip(keep, ids, created, strict=True):
            if not lists.present[i]:  # not embedded: read the parent's own way (pages it if needed)
                add_sub_rows(self.ctx, sub, data[i], batch, api_version=version, state_at=state_at)
                continue
            items = [j for j in range(lists.starts[i], lists.starts[i + 1]) if _is_id(lists.heads[j].id)]
            elements += items
            parents += [parent_id] * len(items)
            parents_created += [parent_created] * len(items)
            if lists.has_more[i]:
                after = lists.heads[items[-1]].id if items else None
                page_sub_list(self.ctx, sub, parent_id, after, batch, parent_created if sub.inherit_created else None)
        batch.extend(
            [lists.heads[j].id for j in elements],
            parents_created if sub.inherit_created else [lists.heads[j].created for j in elements],
            [lists.raws[j] for j in elements],
            api_version=version,
            state_at=state_at,
            parent_ids=parents,
        )

    def _result(self, main: RowBatch, subs: dict[str, RowBatch], max_created: int | None, ids: list[str]) -> PageResult:
        ctx = self.ctx
        tables = {ctx.table(self.spec.name): main}
        for name, batch in subs.items():
            tables[ctx.table(name)] = batch
        if not self.track_ids:
            return PageResult(tables, len(main), max_created)
        sub_ids = {ctx.table(name): list(batch.id) for name, batch in subs.items()}
        return PageResult(tables, len(main), max_created, ids, sub_ids)

    def event_rows(self, page: ListPage) -> PageResult:
        """A page of `/v1/events` → rows of the event table: each event with its own version, and
        its `created` as `state_at` (events never change)."""
        batch = RowBatch(self.ctx.account_id)
        table = self.ctx.table(EVENT)
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
            return PageResult({table: batch}, len(batch), max(created) if created else None)
        max_created: int | None = None
        for event in page.data:
            if not isinstance(event.get("id"), str):
                continue
            event_created = int(event.get("created") or 0)
            batch.add(event, api_version=event.get("api_version"), state_at=event_created)
            max_created = event_created if max_created is None else max(max_created, event_created)
        return PageResult({table: batch}, len(batch), max_created)


def add_sub_rows(
    ctx: SourceContext,
    sub: SubList,
    parent: dict[str, Any] | Any,
    batch: RowBatch,
    *,
    api_version: str | None,
    state_at: int,
    is_deleted: bool = False,
    deleted_at: int | None = None,
) -> None:
    """The rows of `parent`'s sub-list `sub`: its embedded first page, then the rest paged (unless
    the parent is deleted: its children go with it as they were)."""
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
        page_sub_list(ctx, sub, parent_id, after, batch, created)


def page_sub_list(
    ctx: SourceContext, sub: SubList, parent_id: str, after: str | None, batch: RowBatch, created: int | None
) -> None:
    """The elements of a parent's sub-list after `after` (those its embedded first page cut off)."""
    client = ctx.client
    path, params = sub.request(parent_id)
    for page in client.list_pages(path, params, starting_after=after, limit=ctx.page_size, raw=True):
        for item in page.data:
            if isinstance(item.get("id"), str):
                batch.add(
                    item,
                    api_version=client.api_version,
                    state_at=page.requested_at,
                    created=created,
                    parent_id=parent_id,
                )
