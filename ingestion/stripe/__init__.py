"""The dlt source `stripe`: one merge-on-id resource per Stripe object, loaded as Arrow tables (D2).

Laid out as dlt's verified sources are: this file holds the source and its resources, nothing else;
`settings.py` is the resource table; each other module owns one step (DECISIONS.md A1):

    client.py, errors.py   HTTP to Stripe, and its refusals as messages that say what to do
    account.py             the Stripe account a pipeline's state belongs to (I14)
    context.py             what one run shares and counts
    extract.py             one resource's run: full, incremental or relist; cursors
    listing.py             parallel listing over created slices
    raw_json.py, pages.py  a page's bytes → objects → rows per table, sub-lists included
    rows.py                the raw table layout; Arrow tables of ~10,000 rows for dlt
    backfill.py            first loads listed ahead of dlt's load step (I11)
    events.py, changes.py  events and spooled webhooks → latest states, deletions; relist sweep
    refetch.py             objects changed by events, read again with their expansions (I3)
    spool.py, stored.py    the webhook spool; what the destination already holds
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import dlt

from ingestion.stripe.settings import (
    DEFAULT_BATCH_ROWS,
    DEFAULT_OVERLAP_SECONDS,
    ResourceSpec,
    select_resources,
)

if TYPE_CHECKING:
    from dlt.extract.source import DltResource

    from ingestion.stripe.backfill import Backfill
    from ingestion.stripe.context import RunStats, SourceContext

# The steps' modules (requests, msgspec, pyarrow...) are imported when the source is called, not when
# this package is: the `dlt` CLI imports the table list in settings.py on every start (I15).

MERGE = {"disposition": "merge", "strategy": "delete-insert"}


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
    api_base: str | None = None,  # the client's DEFAULT_API_BASE, https://api.stripe.com
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
    from ingestion.stripe.account import bind_account
    from ingestion.stripe.backfill import Backfill
    from ingestion.stripe.client import DEFAULT_API_BASE, RetryPolicy, StripeClient
    from ingestion.stripe.context import RunStats, SourceContext, parse_start
    from ingestion.stripe.rows import quiet_expected_dlt_notices
    from ingestion.stripe.spool import WebhookSpool, default_spool_dir
    from ingestion.stripe.stored import DltWarehouse

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
        replaced = {ctx.table(spec.name) for spec in specs} if full_refresh else set()
        ctx.binding = bind_account(client, ctx.prefix, replaced)
    quiet_expected_dlt_notices()
    pipelined = backfill if isinstance(backfill, Backfill) else None
    if pipelined is not None:
        pipelined.bind(ctx, specs)
    return [_resource(ctx, spec, pipelined) for spec in specs]


def _resource(ctx: SourceContext, spec: ResourceSpec, backfill: Backfill | None = None) -> DltResource:
    """The dlt resource of one Stripe object: its listing run ahead when `backfill` prefetched it (I11),
    else extracted inside dlt's own run."""
    from ingestion.stripe.extract import extractor
    from ingestion.stripe.rows import DLT_COLUMN_HINTS

    table = ctx.table(spec.name)

    def extract() -> Iterator[Any]:
        state = dlt.current.resource_state()
        prefetched = backfill.drain(table, state) if backfill is not None else None
        if prefetched is not None:
            yield from prefetched
        else:
            yield from extractor(ctx, spec, state).run()

    return dlt.resource(
        extract,
        name=table,  # = its table; sub-list rows go to their own tables (`with_table_name`)
        write_disposition=MERGE,
        primary_key="id",
        columns=DLT_COLUMN_HINTS,
    )


def __getattr__(name: str) -> Any:
    """`Backfill` and `RunStats`, which the pipeline injects, imported on first use."""
    if name == "Backfill":
        from ingestion.stripe.backfill import Backfill

        return Backfill
    if name == "RunStats":
        from ingestion.stripe.context import RunStats

        return RunStats
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["Backfill", "RunStats", "stripe_source"]
