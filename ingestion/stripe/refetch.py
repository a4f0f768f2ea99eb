"""Objects changed by events, read again the way they are listed (DECISIONS.md I3), and the children
they no longer list marked deleted.

Event payloads never carry the expansions a listing asks for (`invoice.payments`, `discounts`), so an
invoice or subscription an event changed is re-read with them (`GET <path>/<id>`) instead of being
written from the payload, or the warehouse would lose them.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

import pyarrow as pa

from ingestion.stripe.client import ListPage
from ingestion.stripe.context import POLL_SECONDS, ResourceStats, SourceContext
from ingestion.stripe.errors import StripeRequestError
from ingestion.stripe.pages import PageReader, PageResult
from ingestion.stripe.rows import RowBatch
from ingestion.stripe.settings import ResourceSpec
from ingestion.stripe.stored import mark_deleted


class Refetch:
    """Re-reads objects of one resource with the listing's expansions."""

    def __init__(self, ctx: SourceContext, spec: ResourceSpec, stats: ResourceStats) -> None:
        self.ctx = ctx
        self.spec = spec
        self.stats = stats
        self.reader = PageReader(ctx, spec)

    def current(self, ids: list[str]) -> Iterator[dict[str, PageResult] | None]:
        """`GET <path>/<id>` with the listing's expansions, `workers` at a time; yields `None` while
        waiting (dlt runs other resources meanwhile) and `{id: rows}` as objects arrive. Objects
        Stripe no longer has (404) are left out: their event state applies."""
        if not ids:
            return
        client, params = self.ctx.client, self.spec.retrieve_params()

        def fetch(object_id: str) -> tuple[str, PageResult | None]:
            try:
                obj, requested_at = client.get_timed(f"{self.spec.path}/{object_id}", params)
            except StripeRequestError as exc:
                if exc.status == 404:
                    return object_id, None
                raise
            if obj.get("deleted") is True or obj.get("id") != object_id:
                return object_id, None
            return object_id, self.reader.rows(ListPage([obj], False, requested_at), None)

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

    def removed_children(self, reread: dict[str, PageResult]) -> dict[str, pa.Table]:
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
                mark_deleted(batch, row, at, at)
            self.stats.tombstoned += len(batch)
            out[name] = batch.to_table()
        return out
